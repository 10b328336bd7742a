/**
 * Errors of the Raft core. Each class sets `name`, carries a stable `code` (callers and the
 * gRPC error mapping switch on `code`, never on the message) and says when it is thrown.
 */
import type { NodeId } from './messages';

export abstract class RaftError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export type ProposalDropReason =
  | 'not-leader' // this node is not the leader (see NotLeaderError)
  | 'transferring' // a leadership transfer is in progress
  | 'uncommitted-size-limit'; // maxUncommittedEntriesSize would be exceeded

/**
 * Thrown synchronously by propose()/proposeConfChange() when the proposal cannot be appended.
 * Nothing was appended; the caller may retry later (or elsewhere, for NotLeaderError).
 */
export class ProposalDroppedError extends RaftError {
  readonly code: string = 'PROPOSAL_DROPPED';
  constructor(
    readonly reason: ProposalDropReason,
    message?: string,
  ) {
    super(message ?? `proposal dropped: ${reason}`);
  }
}

/**
 * Thrown by propose(), proposeConfChange() and transferLeadership() on a node that is not the
 * leader, and by readIndex() when no leader is known. `leaderId` is the leader this node
 * believes in, or undefined when it knows none (an election is in progress).
 */
export class NotLeaderError extends ProposalDroppedError {
  override readonly code = 'NOT_LEADER';
  constructor(readonly leaderId: NodeId | undefined) {
    super('not-leader', leaderId === undefined ? 'not leader; no leader known' : `not leader; leader is ${leaderId}`);
  }
}

export type ConfChangeRefusedReason =
  | 'pending' // an earlier config change (or the new leader's first entry) is not committed yet
  | 'already-member' // add of a node that is already a voter/learner in that role
  | 'not-member' // remove/promote of an unknown node
  | 'not-learner' // promote of a node that is not a learner
  | 'learner-lagging' // promote of a learner whose log is not caught up
  | 'remove-leader'; // the leader cannot remove itself: transfer leadership first

/** Thrown by proposeConfChange() when the change is refused; nothing was appended. */
export class ConfChangeRefusedError extends RaftError {
  readonly code = 'CONF_CHANGE_REFUSED';
  constructor(
    readonly reason: ConfChangeRefusedReason,
    message?: string,
  ) {
    super(message ?? `config change refused: ${reason}`);
  }
}

/** Thrown by transferLeadership() when the target is unknown, a learner, or no leader exists. */
export class TransferRefusedError extends RaftError {
  readonly code = 'TRANSFER_REFUSED';
}

/** Thrown by a LogStorage when asked for entries/terms at or below its snapshot index. */
export class CompactedError extends RaftError {
  readonly code = 'COMPACTED';
}

/** Thrown by a LogStorage when asked for entries/terms beyond its last index. */
export class UnavailableError extends RaftError {
  readonly code = 'UNAVAILABLE';
}

/** Thrown by a LogStorage when asked to apply a snapshot older than the one it has. */
export class SnapshotOutOfDateError extends RaftError {
  readonly code = 'SNAPSHOT_OUT_OF_DATE';
}

/** Thrown by the RawNode constructor for an invalid RaftConfig. */
export class ConfigError extends RaftError {
  readonly code = 'INVALID_CONFIG';
}

/** Thrown when the caller breaks the Ready protocol (ready() twice without advance(), ...). */
export class ReadyProtocolError extends RaftError {
  readonly code = 'READY_PROTOCOL';
}

/**
 * An internal invariant is broken (etcd panics here): e.g. a leader asked to truncate committed
 * entries, or storage that lost acknowledged state. The node must stop; it is not recoverable.
 */
export class RaftInvariantError extends RaftError {
  readonly code = 'RAFT_INVARIANT';
}
