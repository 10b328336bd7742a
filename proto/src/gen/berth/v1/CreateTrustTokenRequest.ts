// Original file: proto/berth/v1/trust.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateTrustTokenRequest {
  /**
   * The name the client will have in the trust store.
   */
  'name'?: (string);
  /**
   * 0: the default (one day).
   */
  'ttlSeconds'?: (number | string | Long);
}

export interface CreateTrustTokenRequest__Output {
  /**
   * The name the client will have in the trust store.
   */
  'name': (string);
  /**
   * 0: the default (one day).
   */
  'ttlSeconds': (number);
}
