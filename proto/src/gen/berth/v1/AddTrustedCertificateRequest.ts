// Original file: proto/berth/v1/trust.proto


export interface AddTrustedCertificateRequest {
  /**
   * Unique in the trust store; empty: the certificate's common name.
   */
  'name'?: (string);
  'certificatePem'?: (string);
}

export interface AddTrustedCertificateRequest__Output {
  /**
   * Unique in the trust store; empty: the certificate's common name.
   */
  'name': (string);
  'certificatePem': (string);
}
