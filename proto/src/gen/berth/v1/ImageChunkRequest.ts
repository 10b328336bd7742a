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
  /**
   * Ask for the range on a data link: the answer's first (and only) DataChunk carries no data,
   * only link_address and link_ticket; the bytes follow on the link as data-link frames of
   * kind 1 (each with its CRC-32, the last one flagged), and the call ends once they are sent.
   */
  'dataLink'?: (boolean);
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
  /**
   * Ask for the range on a data link: the answer's first (and only) DataChunk carries no data,
   * only link_address and link_ticket; the bytes follow on the link as data-link frames of
   * kind 1 (each with its CRC-32, the last one flagged), and the call ends once they are sent.
   */
  'dataLink': (boolean);
}
