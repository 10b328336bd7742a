// Original file: proto/berth/v1/instances.proto


export interface CreateInstanceRequest {
  'name'?: (string);
  /**
   * Image alias or fingerprint (prefix allowed when unique), optionally "remote:alias".
   */
  'image'?: (string);
  'config'?: ({[key: string]: string});
  /**
   * A member name, or "@group" for a member group. Empty: the leader places it.
   */
  'target'?: (string);
  'start'?: (boolean);
  'storagePool'?: (string);
  /**
   * Place but do not create: the answer explains each member's verdict.
   */
  'dryRun'?: (boolean);
}

export interface CreateInstanceRequest__Output {
  'name': (string);
  /**
   * Image alias or fingerprint (prefix allowed when unique), optionally "remote:alias".
   */
  'image': (string);
  'config': ({[key: string]: string});
  /**
   * A member name, or "@group" for a member group. Empty: the leader places it.
   */
  'target': (string);
  'start': (boolean);
  'storagePool': (string);
  /**
   * Place but do not create: the answer explains each member's verdict.
   */
  'dryRun': (boolean);
}
