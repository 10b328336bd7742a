// Original file: proto/berth/v1/trust.proto


export interface RedeemTrustTokenRequest {
  'token'?: (string);
  /**
   * The client's own certificate (self-signed is fine), trusted from now on.
   */
  'certificatePem'?: (string);
}

export interface RedeemTrustTokenRequest__Output {
  'token': (string);
  /**
   * The client's own certificate (self-signed is fine), trusted from now on.
   */
  'certificatePem': (string);
}
