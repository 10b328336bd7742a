// Original file: proto/berth/v1/trust.proto


export interface RemoveTrustedRequest {
  /**
   * A name, a fingerprint, or a unique prefix of one (at least 8 hex characters).
   */
  'ref'?: (string);
}

export interface RemoveTrustedRequest__Output {
  /**
   * A name, a fingerprint, or a unique prefix of one (at least 8 hex characters).
   */
  'ref': (string);
}
