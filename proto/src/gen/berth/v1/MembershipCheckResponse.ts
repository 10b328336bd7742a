// Original file: proto/berth/v1/member.proto


export interface MembershipCheckResponse {
  /**
   * The member that answered (it knows the caller's certificate as a member's).
   */
  'member'?: (string);
}

export interface MembershipCheckResponse__Output {
  /**
   * The member that answered (it knows the caller's certificate as a member's).
   */
  'member': (string);
}
