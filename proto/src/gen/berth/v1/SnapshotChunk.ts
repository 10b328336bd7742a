// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotChunk {
  'clusterId'?: (string);
  'from'?: (number | string | Long);
  'to'?: (number | string | Long);
  'term'?: (number | string | Long);
  'snapshotIndex'?: (number | string | Long);
  'snapshotTerm'?: (number | string | Long);
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * Set on the last chunk: SHA-256 of the whole snapshot.
   */
  'last'?: (boolean);
  'sha256'?: (string);
  /**
   * The membership at snapshot_index, as the core's encoded configuration.
   */
  'confState'?: (Buffer | Uint8Array | string);
}

export interface SnapshotChunk__Output {
  'clusterId': (string);
  'from': (number);
  'to': (number);
  'term': (number);
  'snapshotIndex': (number);
  'snapshotTerm': (number);
  'offset': (number);
  'data': (Buffer);
  /**
   * Set on the last chunk: SHA-256 of the whole snapshot.
   */
  'last': (boolean);
  'sha256': (string);
  /**
   * The membership at snapshot_index, as the core's encoded configuration.
   */
  'confState': (Buffer);
}
