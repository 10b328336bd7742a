// Original file: proto/berth/v1/instances.proto


export interface MoveInstanceRequest {
  'name'?: (string);
  /**
   * The member to move it to.
   */
  'target'?: (string);
}

export interface MoveInstanceRequest__Output {
  'name': (string);
  /**
   * The member to move it to.
   */
  'target': (string);
}
