// Original file: proto/berth/v1/instances.proto


export interface RenameInstanceRequest {
  'name'?: (string);
  'newName'?: (string);
}

export interface RenameInstanceRequest__Output {
  'name': (string);
  'newName': (string);
}
