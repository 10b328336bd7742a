// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

export interface DataChunk {
  /**
   * Where data starts in the whole stream; a chunk out of order fails the transfer.
   */
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * CRC-32 (IEEE 802.3, as zlib computes it) of data.
   */
  'crc32c'?: (number);
  'last'?: (boolean);
  /**
   * A Fetch asked with data_link: where the bytes come instead (see ImageChunkRequest).
   */
  'linkAddress'?: (string);
  'linkTicket'?: (string);
}

export interface DataChunk__Output {
  /**
   * Where data starts in the whole stream; a chunk out of order fails the transfer.
   */
  'offset': (number);
  'data': (Buffer);
  /**
   * CRC-32 (IEEE 802.3, as zlib computes it) of data.
   */
  'crc32c': (number);
  'last': (boolean);
  /**
   * A Fetch asked with data_link: where the bytes come instead (see ImageChunkRequest).
   */
  'linkAddress': (string);
  'linkTicket': (string);
}
