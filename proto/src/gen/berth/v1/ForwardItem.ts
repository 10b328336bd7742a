// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A follower hands clients' lease grants, renewals and queries to the leader (writes go as
 * MsgProp raft messages on Stream, answered by the follower's own apply). They travel batched on one long-lived stream per follower, each with an id its
 * answer carries back. Bodies are the node's own encoding (raft-store/src/node/forward.ts).
 */
export interface ForwardItem {
  'id'?: (number | string | Long);
  'body'?: (Buffer | Uint8Array | string);
  /**
   * Set on an answer when the leader could not take the request at all.
   */
  'error'?: (string);
}

/**
 * A follower hands clients' lease grants, renewals and queries to the leader (writes go as
 * MsgProp raft messages on Stream, answered by the follower's own apply). They travel batched on one long-lived stream per follower, each with an id its
 * answer carries back. Bodies are the node's own encoding (raft-store/src/node/forward.ts).
 */
export interface ForwardItem__Output {
  'id': (number);
  'body': (Buffer);
  /**
   * Set on an answer when the leader could not take the request at all.
   */
  'error': (string);
}
