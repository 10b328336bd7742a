// Original file: proto/berth/v1/member.proto

import type { RaftMessage as _berth_v1_RaftMessage, RaftMessage__Output as _berth_v1_RaftMessage__Output } from '../../berth/v1/RaftMessage';

export interface RaftMessageBatch {
  'messages'?: (_berth_v1_RaftMessage)[];
}

export interface RaftMessageBatch__Output {
  'messages': (_berth_v1_RaftMessage__Output)[];
}
