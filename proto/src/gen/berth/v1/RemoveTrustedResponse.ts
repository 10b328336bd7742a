// Original file: proto/berth/v1/trust.proto

import type { TrustedCertificate as _berth_v1_TrustedCertificate, TrustedCertificate__Output as _berth_v1_TrustedCertificate__Output } from '../../berth/v1/TrustedCertificate';

export interface RemoveTrustedResponse {
  'removed'?: (_berth_v1_TrustedCertificate | null);
}

export interface RemoveTrustedResponse__Output {
  'removed': (_berth_v1_TrustedCertificate__Output | null);
}
