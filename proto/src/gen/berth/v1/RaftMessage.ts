// Original file: proto/berth/v1/member.proto

import type { RaftEntry as _berth_v1_RaftEntry, RaftEntry__Output as _berth_v1_RaftEntry__Output } from '../../berth/v1/RaftEntry';
import type { Long } from '@grpc/proto-loader';

export interface RaftMessage {
  'clusterId'?: (string);
  'type'?: (number);
  'from'?: (number | string | Long);
  'to'?: (number | string | Long);
  'term'?: (number | string | Long);
  'logTerm'?: (number | string | Long);
  'index'?: (number | string | Long);
  'entries'?: (_berth_v1_RaftEntry)[];
  'commit'?: (number | string | Long);
  'reject'?: (boolean);
  'rejectHint'?: (number | string | Long);
  'context'?: (Buffer | Uint8Array | string);
  /**
   * Snapshot metadata when type is a snapshot; the data follows on SendSnapshot.
   */
  'snapshotIndex'?: (number | string | Long);
  'snapshotTerm'?: (number | string | Long);
}

export interface RaftMessage__Output {
  'clusterId': (string);
  'type': (number);
  'from': (number);
  'to': (number);
  'term': (number);
  'logTerm': (number);
  'index': (number);
  'entries': (_berth_v1_RaftEntry__Output)[];
  'commit': (number);
  'reject': (boolean);
  'rejectHint': (number);
  'context': (Buffer);
  /**
   * Snapshot metadata when type is a snapshot; the data follows on SendSnapshot.
   */
  'snapshotIndex': (number);
  'snapshotTerm': (number);
}
