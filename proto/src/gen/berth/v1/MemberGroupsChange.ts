// Original file: proto/berth/v1/cluster.proto


export interface MemberGroupsChange {
  'member'?: (string);
  /**
   * assign (the member's groups become exactly `groups`), add or remove (one group).
   */
  'action'?: (string);
  'groups'?: (string)[];
}

export interface MemberGroupsChange__Output {
  'member': (string);
  /**
   * assign (the member's groups become exactly `groups`), add or remove (one group).
   */
  'action': (string);
  'groups': (string)[];
}
