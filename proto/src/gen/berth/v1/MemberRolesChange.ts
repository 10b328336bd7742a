// Original file: proto/berth/v1/cluster.proto


export interface MemberRolesChange {
  'member'?: (string);
  /**
   * add or remove
   */
  'action'?: (string);
  /**
   * database-client: the member never votes in the store (it stays a non-voting stand-by).
   */
  'role'?: (string);
}

export interface MemberRolesChange__Output {
  'member': (string);
  /**
   * add or remove
   */
  'action': (string);
  /**
   * database-client: the member never votes in the store (it stays a non-voting stand-by).
   */
  'role': (string);
}
