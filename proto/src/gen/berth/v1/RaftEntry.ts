// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

export interface RaftEntry {
  'term'?: (number | string | Long);
  'index'?: (number | string | Long);
  /**
   * normal, conf_change
   */
  'type'?: (number);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * De-duplication of retried client requests.
   */
  'clientId'?: (string);
  'seq'?: (number | string | Long);
}

export interface RaftEntry__Output {
  'term': (number);
  'index': (number);
  /**
   * normal, conf_change
   */
  'type': (number);
  'data': (Buffer);
  /**
   * De-duplication of retried client requests.
   */
  'clientId': (string);
  'seq': (number);
}
