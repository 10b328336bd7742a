// Original file: proto/berth/v1/trust.proto

import type { TrustedCertificate as _berth_v1_TrustedCertificate, TrustedCertificate__Output as _berth_v1_TrustedCertificate__Output } from '../../berth/v1/TrustedCertificate';

export interface ListTrustedResponse {
  'certificates'?: (_berth_v1_TrustedCertificate)[];
}

export interface ListTrustedResponse__Output {
  'certificates': (_berth_v1_TrustedCertificate__Output)[];
}
