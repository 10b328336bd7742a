// Original file: proto/berth/v1/member.proto


export interface ForwardResponse {
  'response'?: (Buffer | Uint8Array | string);
  /**
   * Set when the receiver is not the leader: the leader's id and address if known.
   */
  'notLeader'?: (string);
  'leaderAddress'?: (string);
}

export interface ForwardResponse__Output {
  'response': (Buffer);
  /**
   * Set when the receiver is not the leader: the leader's id and address if known.
   */
  'notLeader': (string);
  'leaderAddress': (string);
}
