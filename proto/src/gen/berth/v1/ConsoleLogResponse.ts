// Original file: proto/berth/v1/instances.proto


export interface ConsoleLogResponse {
  'log'?: (Buffer | Uint8Array | string);
}

export interface ConsoleLogResponse__Output {
  'log': (Buffer);
}
