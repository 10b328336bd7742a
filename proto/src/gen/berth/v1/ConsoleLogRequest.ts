// Original file: proto/berth/v1/instances.proto


export interface ConsoleLogRequest {
  'name'?: (string);
}

export interface ConsoleLogRequest__Output {
  'name': (string);
}
