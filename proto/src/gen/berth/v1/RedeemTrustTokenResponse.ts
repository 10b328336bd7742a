// Original file: proto/berth/v1/trust.proto

import type { TrustedCertificate as _berth_v1_TrustedCertificate, TrustedCertificate__Output as _berth_v1_TrustedCertificate__Output } from '../../berth/v1/TrustedCertificate';

export interface RedeemTrustTokenResponse {
  'certificate'?: (_berth_v1_TrustedCertificate | null);
  'clusterId'?: (string);
  /**
   * The API addresses of the cluster's members.
   */
  'addresses'?: (string)[];
}

export interface RedeemTrustTokenResponse__Output {
  'certificate': (_berth_v1_TrustedCertificate__Output | null);
  'clusterId': (string);
  /**
   * The API addresses of the cluster's members.
   */
  'addresses': (string)[];
}
