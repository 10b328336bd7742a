// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

export interface DataChunk {
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * CRC32C of data.
   */
  'crc32c'?: (number);
  'last'?: (boolean);
}

export interface DataChunk__Output {
  'offset': (number);
  'data': (Buffer);
  /**
   * CRC32C of data.
   */
  'crc32c': (number);
  'last': (boolean);
}
