// Original file: proto/berth/v1/cluster.proto


export interface MemberGroup {
  'name'?: (string);
  'description'?: (string);
  /**
   * Member names, sorted.
   */
  'members'?: (string)[];
}

export interface MemberGroup__Output {
  'name': (string);
  'description': (string);
  /**
   * Member names, sorted.
   */
  'members': (string)[];
}
