// Original file: proto/berth/v1/instances.proto


export interface MoveInstanceRequest {
  'name'?: (string);
  /**
   * The member to move it to.
   */
  'target'?: (string);
  /**
   * cold, stop-and-copy, pre-copy, post-copy; empty: live (stop-and-copy) when the instance
   * runs, has migration.stateful=true and both members have CRIU, else cold.
   */
  'mode'?: (string);
}

export interface MoveInstanceRequest__Output {
  'name': (string);
  /**
   * The member to move it to.
   */
  'target': (string);
  /**
   * cold, stop-and-copy, pre-copy, post-copy; empty: live (stop-and-copy) when the instance
   * runs, has migration.stateful=true and both members have CRIU, else cold.
   */
  'mode': (string);
}
