// Original file: proto/berth/v1/instances.proto


export interface ListSnapshotsRequest {
  'instance'?: (string);
}

export interface ListSnapshotsRequest__Output {
  'instance': (string);
}
