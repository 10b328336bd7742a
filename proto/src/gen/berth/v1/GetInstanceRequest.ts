// Original file: proto/berth/v1/instances.proto


export interface GetInstanceRequest {
  'name'?: (string);
}

export interface GetInstanceRequest__Output {
  'name': (string);
}
