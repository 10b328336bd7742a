// Original file: proto/berth/v1/trust.proto

import type { Long } from '@grpc/proto-loader';

export interface TrustToken {
  'name'?: (string);
  /**
   * base64url JSON of {name, API addresses, CA fingerprint, secret, expiry}; one use.
   */
  'token'?: (string);
  'expiresAtUnixMs'?: (number | string | Long);
}

export interface TrustToken__Output {
  'name': (string);
  /**
   * base64url JSON of {name, API addresses, CA fingerprint, secret, expiry}; one use.
   */
  'token': (string);
  'expiresAtUnixMs': (number);
}
