// Original file: proto/berth/v1/member.proto

import type { RaftMessage as _berth_v1_RaftMessage, RaftMessage__Output as _berth_v1_RaftMessage__Output } from '../../berth/v1/RaftMessage';
import type { Long } from '@grpc/proto-loader';

/**
 * A snapshot travels as a stream: the first chunk carries the MsgSnap that announces it,
 * every chunk a slice of the state machine's records, the last one the SHA-256 of all data.
 */
export interface SnapshotChunk {
  'message'?: (_berth_v1_RaftMessage | null);
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  'last'?: (boolean);
  'sha256'?: (string);
}

/**
 * A snapshot travels as a stream: the first chunk carries the MsgSnap that announces it,
 * every chunk a slice of the state machine's records, the last one the SHA-256 of all data.
 */
export interface SnapshotChunk__Output {
  'message': (_berth_v1_RaftMessage__Output | null);
  'offset': (number);
  'data': (Buffer);
  'last': (boolean);
  'sha256': (string);
}
