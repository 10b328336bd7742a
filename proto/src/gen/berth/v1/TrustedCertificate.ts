// Original file: proto/berth/v1/trust.proto

import type { Long } from '@grpc/proto-loader';

export interface TrustedCertificate {
  /**
   * Lowercase hex SHA-256 of the certificate's DER.
   */
  'fingerprint'?: (string);
  'name'?: (string);
  /**
   * "client"
   */
  'type'?: (string);
  'addedAtUnixMs'?: (number | string | Long);
  'certificatePem'?: (string);
}

export interface TrustedCertificate__Output {
  /**
   * Lowercase hex SHA-256 of the certificate's DER.
   */
  'fingerprint': (string);
  'name': (string);
  /**
   * "client"
   */
  'type': (string);
  'addedAtUnixMs': (number);
  'certificatePem': (string);
}
