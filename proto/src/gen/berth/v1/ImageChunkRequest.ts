// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

export interface ImageChunkRequest {
  'fingerprint'?: (string);
  /**
   * Resume from this byte offset after a broken transfer.
   */
  'offset'?: (number | string | Long);
  /**
   * 0: to the end.
   */
  'length'?: (number | string | Long);
}

export interface ImageChunkRequest__Output {
  'fingerprint': (string);
  /**
   * Resume from this byte offset after a broken transfer.
   */
  'offset': (number);
  /**
   * 0: to the end.
   */
  'length': (number);
}
