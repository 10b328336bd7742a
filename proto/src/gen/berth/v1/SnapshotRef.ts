// Original file: proto/berth/v1/instances.proto


export interface SnapshotRef {
  'instance'?: (string);
  'name'?: (string);
}

export interface SnapshotRef__Output {
  'instance': (string);
  'name': (string);
}
