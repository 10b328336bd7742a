// Original file: proto/berth/v1/member.proto


export interface ForwardResponse {
  'response'?: (Buffer | Uint8Array | string);
}

export interface ForwardResponse__Output {
  'response': (Buffer);
}
