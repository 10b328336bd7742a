/**
 * The leader's view of each follower (etcd's tracker package).
 *
 * Progress states:
 *  - probe: the leader does not know where the follower's log matches. It sends ONE MsgApp and
 *    waits for the answer (or a heartbeat response) before sending the next; rejections walk
 *    `next` back using the follower's conflict hint.
 *  - replicate: `match` is known; the leader streams entries optimistically (next = last sent + 1)
 *    with at most maxInflightMsgs MsgApps unacknowledged (pipelining).
 *  - snapshot: the follower needs entries the leader has compacted; a MsgSnap is in flight and
 *    nothing else is sent until the transport calls reportSnapshot() or the follower acks.
 */
import type { ConfState, NodeId } from './messages';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A bounded FIFO of the last index of each in-flight MsgApp. */
export class Inflights {
  private readonly buffer: number[] = [];
  constructor(readonly capacity: number) {}

  full(): boolean {
    return this.buffer.length >= this.capacity;
  }
  count(): number {
    return this.buffer.length;
  }
  add(lastIndex: number): void {
    this.buffer.push(lastIndex);
  }
  /** Frees every in-flight message whose last index is <= `index` (they were acknowledged). */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.buffer.length && this.buffer[n]! <= index) n++;
    if (n > 0) this.buffer.splice(0, n);
  }
  freeFirstOne(): void {
    this.buffer.shift();
  }
  reset(): void {
    this.buffer.length = 0;
  }
}

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match = 0;
  /** Index of the next entry to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In snapshot state: index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from the follower since the last check-quorum round. */
  recentActive = false;
  /** In probe state: a MsgApp was sent and no answer arrived yet. */
  probeSent = false;
  /** The highest commit index the leader told the follower in this term (departure 16). */
  sentCommit = 0;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const ps = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, ps + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** An ack for index n arrived. Returns false if it was stale (n <= match). */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of the MsgApp whose previous index was `rejected` arrived; `matchHint` is the
   * highest index that may match. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // Rejections of already-acked positions are stale (reordered/duplicated messages).
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Probe: only the answer to the outstanding probe counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Whether the leader must hold back MsgApps to this follower for now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** The highest value that a majority of `values` reach (sorts `values` in place, descending). */
function quorumIndex(values: number[]): number {
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0 && values[j]! < v) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = v;
  }
  return values[Math.floor(values.length / 2)]!;
}

/** Majority quorum over a voter set. */
export function voteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'won'; // an empty config never blocks (matches etcd)
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}

/** Progress of every member plus the vote tally of the current election. */
export class ProgressTracker {
  voters = new Set<NodeId>();
  learners = new Set<NodeId>();
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();

  /** Reused by committed() and committedCounting(), which run for every ack and append. */
  private readonly scratch: number[] = [];

  constructor(private readonly maxInflight: number) {}

  /** Switches to `cs`, keeping the Progress of members that stay; new members start probing at `next`. */
  applyConfState(cs: ConfState, next: number): void {
    this.voters = new Set(cs.voters);
    this.learners = new Set(cs.learners);
    for (const id of [...this.progress.keys()]) {
      if (!this.voters.has(id) && !this.learners.has(id)) this.progress.delete(id);
    }
    for (const id of [...cs.voters, ...cs.learners]) {
      const pr = this.progress.get(id);
      const learner = this.learners.has(id);
      if (pr) pr.isLearner = learner;
      else this.progress.set(id, new Progress(next, this.maxInflight, learner));
    }
  }

  confState(): ConfState {
    return { voters: [...this.voters].sort((a, b) => a - b), learners: [...this.learners].sort((a, b) => a - b) };
  }

  isSingleton(id: NodeId): boolean {
    return this.voters.size === 1 && this.voters.has(id);
  }

  /** The highest index replicated on a majority of voters (by `match`). */
  committed(): number {
    if (this.voters.size === 0) return Number.MAX_SAFE_INTEGER;
    const m = this.scratch;
    m.length = 0;
    for (const id of this.voters) m.push(this.progress.get(id)?.match ?? 0);
    return quorumIndex(m);
  }

  /**
   * Departure 16: the highest index a majority of voters holds durably if voter `to` holds
   * every entry it is sent: `to` counts as holding everything, the leader (`self`) as holding
   * `selfDurable` (what it has persisted, not its match, which runs ahead of its fsync), every
   * other voter as holding its acked match (followers ack only what they persisted). For a
   * `to` that is not a voter, simply what a majority holds durably.
   */
  committedCounting(self: NodeId, selfDurable: number, to: NodeId): number {
    if (this.voters.size === 0) return 0;
    const m = this.scratch;
    m.length = 0;
    for (const id of this.voters) {
      if (id === to) m.push(Number.MAX_SAFE_INTEGER);
      else if (id === self) m.push(selfDurable);
      else m.push(this.progress.get(id)?.match ?? 0);
    }
    return quorumIndex(m);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    return voteResult(this.voters, this.votes);
  }

  tallyVotesOf(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    return voteResult(this.voters, votes);
  }

  /** Check-quorum: did a majority of voters (counting `self`) talk to us since the last round? Resets the flags. */
  quorumActiveAndReset(self: NodeId): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) {
      if (id === self) active.set(id, true);
      else if (this.voters.has(id)) active.set(id, pr.recentActive);
      if (id !== self) pr.recentActive = false;
    }
    return voteResult(this.voters, active) === 'won';
  }
}
