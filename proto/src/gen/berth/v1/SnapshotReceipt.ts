// Original file: proto/berth/v1/member.proto


export interface SnapshotReceipt {
  'ok'?: (boolean);
  'error'?: (string);
}

export interface SnapshotReceipt__Output {
  'ok': (boolean);
  'error': (string);
}
