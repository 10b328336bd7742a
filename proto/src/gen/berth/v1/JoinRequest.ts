// Original file: proto/berth/v1/cluster.proto


export interface JoinRequest {
  'memberName'?: (string);
  /**
   * The join token as `berth cluster add` printed it (it carries the secret).
   */
  'token'?: (string);
  /**
   * SPKI PEM of the joiner's own key (EC P-256): its private key never leaves it.
   */
  'publicKeyPem'?: (string);
  /**
   * host:port of its join/API listener and of its member-to-member listener.
   */
  'address'?: (string);
  'clusterAddress'?: (string);
}

export interface JoinRequest__Output {
  'memberName': (string);
  /**
   * The join token as `berth cluster add` printed it (it carries the secret).
   */
  'token': (string);
  /**
   * SPKI PEM of the joiner's own key (EC P-256): its private key never leaves it.
   */
  'publicKeyPem': (string);
  /**
   * host:port of its join/API listener and of its member-to-member listener.
   */
  'address': (string);
  'clusterAddress': (string);
}
