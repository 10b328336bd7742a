/**
 * Wire and Ready types of the Raft core. Everything here is a plain, serializable object so the
 * gRPC transport can map it to protobuf one-to-one.
 *
 * Indexes and terms are JS `number`s. They are integers in [0, 2^53): at one entry per
 * microsecond that is 285 years of log, so the core never checks for overflow.
 *
 * Ownership: the core never mutates a Message, Entry or Snapshot it received or emitted. The
 * transport and storage may share them (the simulator delivers the same object twice to model
 * duplication).
 */

/** A member id. 0 is reserved as "none" (no leader known, no vote cast). */
export type NodeId = number;
export const NONE: NodeId = 0;

export type EntryType = 'normal' | 'conf-change';

/** Single-server membership change (thesis §4.1). Joint consensus is not supported. */
export type ConfChangeType = 'add-voter' | 'add-learner' | 'promote-learner' | 'remove';
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

/** The set of members in one configuration. Both arrays are sorted, disjoint. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/**
 * One log entry. `data` is opaque to the core. `clientId`/`seq` are carried, never interpreted:
 * the state machine uses them to drop retried duplicates (see DedupTable). An entry with empty
 * data and type 'normal' is the no-op a new leader appends.
 */
export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
  /** Present iff type === 'conf-change'. */
  readonly confChange?: ConfChange;
  readonly clientId?: string;
  readonly seq?: number;
  /**
   * Set by a follower on a proposal it forwards to the leader (MsgProp): the number it waits
   * for, to answer its caller from its own apply. Carried and stored, never interpreted by the
   * core or the state machine.
   */
  readonly forwardId?: number;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  /** The configuration in effect at `index` (the last config entry at or below it). */
  readonly confState: ConfState;
}

/** A state-machine image at `metadata.index`. `data` is opaque to the core. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

/** What must be durable before any message of the same Ready leaves the node (Figure 2). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile, informational state; need not be persisted. */
export interface SoftState {
  readonly lead: NodeId;
  readonly role: Role;
}

/**
 * A read that is now safe to serve: once the state machine has applied `index`, reading it is
 * linearizable with respect to every write acknowledged before `readIndex(ctx)` was called.
 */
export interface ReadState {
  readonly index: number;
  readonly ctx: string;
}

export type MessageType =
  | 'MsgApp' // leader -> follower: entries after (index, logTerm), leader commit
  | 'MsgAppResp' // follower -> leader: accepted up to index, or reject with hint
  | 'MsgVote' // candidate -> voter
  | 'MsgVoteResp'
  | 'MsgPreVote' // pre-candidate -> voter, term = candidate's term + 1, no state change
  | 'MsgPreVoteResp'
  | 'MsgHeartbeat' // leader -> follower: commit (bounded by the follower's match), read ctx
  | 'MsgHeartbeatResp'
  | 'MsgSnap' // leader -> follower: install snapshot; the transport streams it
  | 'MsgReadIndex' // follower -> leader: please confirm a read index for ctx
  | 'MsgReadIndexResp' // leader -> follower: index for ctx
  | 'MsgTimeoutNow' // leader -> transfer target: campaign now
  | 'MsgProp' // follower -> leader: proposals to append (entries without index and term)
  | 'MsgPropResp'; // leader -> follower, only when it drops them: which (forwardId) and why (rejectHint)

/**
 * One message. A single flat shape (as in etcd's raftpb.Message) so that the protobuf mapping is
 * trivial; fields a type does not use are 0 / false / [].
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** MsgApp: term of entry `index`. Vote/PreVote: candidate's last term. AppResp reject: hint term. */
  readonly logTerm: number;
  /** MsgApp: index preceding `entries`. Vote: candidate's last index. AppResp: match or rejected index. ReadIndexResp: read index. */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  /** MsgAppResp reject: follower's guess of the highest index that may match (fast backtracking). */
  readonly rejectHint: number;
  readonly snapshot?: Snapshot;
  /** Heartbeat(-Resp)/ReadIndex(-Resp): the read request ctx. Vote: 'transfer' for a leader-transfer campaign. */
  readonly context?: string;
}

/** Vote context marking a campaign started by MsgTimeoutNow: voters ignore their leader lease. */
export const CAMPAIGN_TRANSFER = 'transfer';

/**
 * Everything the caller must do, in this order (the four duties):
 *  1. persist: `snapshot` (if any), then `entries` and `hardState` to stable storage, with fsync
 *     when `mustSync`;
 *  2. send `messages` — only after step 1 is durable;
 *  3. apply: install `snapshot` into the state machine (if any), then apply `committedEntries` in
 *     order; serve `readStates` once applied >= their index;
 *  4. call `advance(ready)`.
 */
export interface Ready {
  /** Present only when it changed since the last Ready. */
  readonly softState?: SoftState;
  /** Present only when it changed since the last Ready. */
  readonly hardState?: HardState;
  /** Entries to append to stable storage (may overwrite a conflicting suffix). */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader: persist it (replacing the log) and install it. */
  readonly snapshot?: Snapshot;
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** True when entries, term or vote changed: the write must be fsynced before sending. */
  readonly mustSync: boolean;
}

/** Approximate wire size of an entry, used by maxSizePerMsg. */
export function entrySize(e: Entry): number {
  return e.data.byteLength + 24 + (e.clientId ? e.clientId.length : 0) + (e.forwardId !== undefined ? 8 : 0);
}

/** Bytes an entry adds to the leader's uncommitted budget (payload only, as in etcd). */
export function payloadSize(e: Entry): number {
  return e.data.byteLength;
}

/** MsgPropResp.rejectHint: why forwarded proposals were dropped. */
export const PROP_DROP_REASONS = ['not-leader', 'transferring', 'uncommitted-size-limit'] as const;

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };
