// Original file: proto/berth/v1/instances.proto


export interface DeleteInstanceRequest {
  'name'?: (string);
  'force'?: (boolean);
}

export interface DeleteInstanceRequest__Output {
  'name': (string);
  'force': (boolean);
}
