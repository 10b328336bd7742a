// Original file: proto/berth/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface JoinToken {
  'memberName'?: (string);
  /**
   * base64 of {addresses, CA fingerprint, secret, expiry}; one-time.
   */
  'token'?: (string);
  'expiresAtUnixMs'?: (number | string | Long);
}

export interface JoinToken__Output {
  'memberName': (string);
  /**
   * base64 of {addresses, CA fingerprint, secret, expiry}; one-time.
   */
  'token': (string);
  'expiresAtUnixMs': (number);
}
