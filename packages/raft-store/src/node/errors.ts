/**
 * Errors of a running member (the node around the core). Each sets `name`, carries a
 * stable `code` and says when it is thrown; the gRPC layer maps codes to status codes.
 */
import type { NodeId } from '../core/messages';

export abstract class NodeError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * This member is not the leader and does not forward: retry at the leader. `leaderId` and
 * `leaderAddress` name it when known.
 */
export class NotLeaderNodeError extends NodeError {
  readonly code = 'NOT_LEADER';
  constructor(readonly leaderId: NodeId | undefined, readonly leaderAddress: string | undefined, hint = '') {
    super(leaderId ? `not the leader; the leader is member ${leaderId}${leaderAddress ? ` at ${leaderAddress}` : ''}` : `not the leader, and no leader is known (an election may be under way, or the cluster has no quorum)${hint}`);
  }
}

/**
 * The entry of a proposal was replaced by another leader's entry at the same index: it was
 * NOT applied. Safe to retry (with the same client id and sequence number).
 */
export class ProposalLostError extends NodeError {
  readonly code = 'PROPOSAL_LOST';
}

/**
 * No answer within the deadline. The OUTCOME IS UNKNOWN: the write may still be applied.
 * Retry with the same client id and sequence number to learn it without applying twice.
 */
export class TimeoutError extends NodeError {
  readonly code = 'TIMEOUT';
}

/** The member is stopping or stopped; in-flight proposals have an unknown outcome. */
export class StoppedError extends NodeError {
  readonly code = 'STOPPED';
}
