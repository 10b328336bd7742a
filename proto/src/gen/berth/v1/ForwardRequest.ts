// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

export interface ForwardRequest {
  /**
   * Encoded store request (a KV write or a transaction), with its client id and sequence.
   */
  'request'?: (Buffer | Uint8Array | string);
  'clientId'?: (string);
  'seq'?: (number | string | Long);
}

export interface ForwardRequest__Output {
  /**
   * Encoded store request (a KV write or a transaction), with its client id and sequence.
   */
  'request': (Buffer);
  'clientId': (string);
  'seq': (number);
}
