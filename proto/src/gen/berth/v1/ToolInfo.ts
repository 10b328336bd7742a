// Original file: proto/berth/v1/server.proto


export interface ToolInfo {
  'available'?: (boolean);
  'version'?: (string);
  'path'?: (string);
  'detail'?: (string);
}

export interface ToolInfo__Output {
  'available': (boolean);
  'version': (string);
  'path': (string);
  'detail': (string);
}
