// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

export interface RaftEntry {
  'term'?: (number | string | Long);
  'index'?: (number | string | Long);
  /**
   * 0: normal, 1: conf change
   */
  'type'?: (number);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * De-duplication of retried client requests.
   */
  'clientId'?: (string);
  'seq'?: (number | string | Long);
  'hasSeq'?: (boolean);
  /**
   * Conf change entries: 1 add-voter, 2 add-learner, 3 promote-learner, 4 remove.
   */
  'confChangeType'?: (number);
  'confChangeNode'?: (number | string | Long);
  /**
   * Set by a follower on a proposal it sends to the leader (MsgProp): it answers its caller
   * when it applies the entry carrying this number. 0: none.
   */
  'forwardId'?: (number | string | Long);
}

export interface RaftEntry__Output {
  'term': (number);
  'index': (number);
  /**
   * 0: normal, 1: conf change
   */
  'type': (number);
  'data': (Buffer);
  /**
   * De-duplication of retried client requests.
   */
  'clientId': (string);
  'seq': (number);
  'hasSeq': (boolean);
  /**
   * Conf change entries: 1 add-voter, 2 add-learner, 3 promote-learner, 4 remove.
   */
  'confChangeType': (number);
  'confChangeNode': (number);
  /**
   * Set by a follower on a proposal it sends to the leader (MsgProp): it answers its caller
   * when it applies the entry carrying this number. 0: none.
   */
  'forwardId': (number);
}
