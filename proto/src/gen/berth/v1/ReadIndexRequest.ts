// Original file: proto/berth/v1/member.proto


export interface ReadIndexRequest {
  'context'?: (Buffer | Uint8Array | string);
}

export interface ReadIndexRequest__Output {
  'context': (Buffer);
}
