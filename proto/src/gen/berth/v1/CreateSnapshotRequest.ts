// Original file: proto/berth/v1/instances.proto


export interface CreateSnapshotRequest {
  'instance'?: (string);
  /**
   * Empty: snapN, as LXD names them.
   */
  'name'?: (string);
  'stateful'?: (boolean);
}

export interface CreateSnapshotRequest__Output {
  'instance': (string);
  /**
   * Empty: snapN, as LXD names them.
   */
  'name': (string);
  'stateful': (boolean);
}
