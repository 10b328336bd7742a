// Original file: proto/berth/v1/cluster.proto


export interface MemberGroupRef {
  'name'?: (string);
  /**
   * CreateMemberGroup only.
   */
  'description'?: (string);
}

export interface MemberGroupRef__Output {
  'name': (string);
  /**
   * CreateMemberGroup only.
   */
  'description': (string);
}
