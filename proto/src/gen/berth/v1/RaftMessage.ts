// Original file: proto/berth/v1/member.proto

import type { RaftEntry as _berth_v1_RaftEntry, RaftEntry__Output as _berth_v1_RaftEntry__Output } from '../../berth/v1/RaftEntry';
import type { Long } from '@grpc/proto-loader';

export interface RaftMessage {
  'clusterId'?: (string);
  /**
   * The core's message type by number (raft-wire.ts TYPES: 1 MsgApp ... 12 MsgTimeoutNow,
   * 13 MsgProp, 14 MsgPropResp).
   */
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
  'context'?: (string);
  /**
   * Snapshot metadata when type is MsgSnap; the data follows on SendSnapshot.
   */
  'snapshotIndex'?: (number | string | Long);
  'snapshotTerm'?: (number | string | Long);
  'snapshotVoters'?: (number | string | Long)[];
  'snapshotLearners'?: (number | string | Long)[];
  'hasContext'?: (boolean);
}

export interface RaftMessage__Output {
  'clusterId': (string);
  /**
   * The core's message type by number (raft-wire.ts TYPES: 1 MsgApp ... 12 MsgTimeoutNow,
   * 13 MsgProp, 14 MsgPropResp).
   */
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
  'context': (string);
  /**
   * Snapshot metadata when type is MsgSnap; the data follows on SendSnapshot.
   */
  'snapshotIndex': (number);
  'snapshotTerm': (number);
  'snapshotVoters': (number)[];
  'snapshotLearners': (number)[];
  'hasContext': (boolean);
}
