// Original file: proto/berth/v1/member.proto


/**
 * A follower hands a client's request to the leader: a write, a lease grant, renewal or
 * query. Both bodies are the node's own encoding (raft-store/src/node/forward.ts).
 */
export interface ForwardRequest {
  'request'?: (Buffer | Uint8Array | string);
}

/**
 * A follower hands a client's request to the leader: a write, a lease grant, renewal or
 * query. Both bodies are the node's own encoding (raft-store/src/node/forward.ts).
 */
export interface ForwardRequest__Output {
  'request': (Buffer);
}
