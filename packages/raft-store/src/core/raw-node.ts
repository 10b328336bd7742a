/**
 * RawNode: the caller-facing API of the core (etcd's RawNode). The caller drives it from one
 * thread of control, with no awaits between calls:
 *
 *   loop:
 *     feed inputs: tick() every tick interval, step(msg) for each received message,
 *                  propose()/proposeConfChange()/readIndex()/transferLeadership() for clients,
 *                  reportSnapshot()/reportUnreachable() from the transport
 *     while hasReady():
 *       rd = ready()
 *       1. persist rd.snapshot, rd.entries, rd.hardState (fsync if rd.mustSync)
 *       2. send rd.messages
 *       3. install rd.snapshot, apply rd.committedEntries, serve rd.readStates (once applied >= index)
 *       4. advance(rd)
 *
 * Inputs may be fed between ready() and advance() (they go into the next Ready), but there is at
 * most one outstanding Ready.
 */
import type { RaftConfig } from './config';
import { makeConfig } from './config';
import { ReadyProtocolError } from './errors';
import type { ProposalDropReason } from './errors';
import type { ConfChange, ConfState, HardState, Message, NodeId, Ready, SoftState } from './messages';
import type { ProgressState } from './progress';
import { Raft } from './raft';
import type { LogStorage } from './storage';

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
}

export interface Status {
  readonly id: NodeId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: number;
  readonly lastIndex: number;
  readonly leadTransferee: NodeId;
  readonly confState: ConfState;
  /** Leader only: every member's replication progress. */
  readonly progress?: ReadonlyMap<NodeId, ProgressStatus>;
}

export class RawNode {
  /** @internal exposed for white-box tests and the simulator's checkers; not part of the API. */
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private outstanding: Ready | undefined;

  constructor(config: Partial<RaftConfig> & Pick<RaftConfig, 'id' | 'randomInt'>, storage: LogStorage) {
    this.raft = new Raft(makeConfig(config), storage);
    this.prevSoft = this.raft.softState();
    this.prevHard = storage.initialState().hardState;
  }

  /** Advances logical time by one tick (elections, heartbeats, check-quorum, transfer timeout). */
  tick(): void {
    this.raft.tick();
  }

  /** Feeds a message received from the transport. Messages addressed to others are ignored. */
  step(m: Message): void {
    if (m.to !== this.raft.id) return;
    this.raft.step(m);
  }

  /**
   * Appends a command to the leader's log; returns its index. It is committed when it appears in
   * Ready.committedEntries (at that index with the current term) — or never, if leadership is
   * lost first: then another entry takes that index and the client must retry (with the same
   * clientId/seq, so the state machine drops the duplicate if the first attempt did commit).
   * Throws NotLeaderError / ProposalDroppedError.
   */
  propose(data: Uint8Array, meta?: { clientId: string; seq: number }): number {
    return this.raft.propose(data, meta);
  }

  /** Proposes a single-server membership change; returns its index. Throws ConfChangeRefusedError, NotLeaderError, ProposalDroppedError. */
  /** A follower's proposal, sent to the leader in a MsgProp (see Raft.forwardProposal). */
  forwardProposal(data: Uint8Array, meta?: { clientId: string; seq: number }, forwardId?: number): void {
    this.raft.forwardProposal(data, meta, forwardId);
  }

  /**
   * This member's forwarded proposals that were dropped since the last call (the leader said so
   * in a MsgPropResp, or there was no leader to send them to): fail their callers now.
   */
  takeDroppedProposals(): Array<{ forwardId: number; reason: ProposalDropReason }> {
    const d = this.raft.droppedProposals;
    if (d.length > 0) this.raft.droppedProposals = [];
    return d;
  }

  /**
   * Leader, while the node persists the outstanding Ready: the appends the core wants to send
   * now (for proposals made since that Ready, and with commit indexes learnt from acks
   * meanwhile), taken out of the next Ready. Their commits are set like every leader
   * append's (see freshCommits). Empty when not leading.
   */
  takeEarlyAppends(): Message[] {
    const r = this.raft;
    if (r.role !== 'leader') return [];
    r.flushProposals();
    if (!r.msgs.some((m) => m.type === 'MsgApp')) return [];
    const out: Message[] = [];
    const keep: Message[] = [];
    for (const m of r.msgs) {
      if (m.type !== 'MsgApp') keep.push(m);
      else out.push(m);
    }
    r.msgs = keep;
    return this.freshCommits(out);
  }

  /**
   * A leader's appends may leave before it persists its own entries (thesis §10.2.1; the node
   * sends them at the start of their Ready, and during a persist), but the commit index they
   * carry must not count the leader's unsynced copy: the core counts the leader in a commit
   * before its fsync, and a commit told to followers for an entry the leader does not hold
   * durably could be lost with the leader (it restarts without the entry and votes, with a
   * follower that lacks it too, for one that lacks it) after a follower applied it and
   * answered. Found by session 14's review: with appends sent during a persist, an entry could
   * be acked, and counted as committed, before the Ready that writes it was even built.
   * So every MsgApp a leader hands out carries `Raft.commitFor(to)` as of now (the leader counted
   * at stableLastIndex: before the unstable part, which includes the entries of an outstanding
   * Ready), never less than what it said when it was built: stable and commit only grow.
   */
  private freshCommits(msgs: Message[]): Message[] {
    const r = this.raft;
    if (r.role !== 'leader') return msgs;
    let out: Message[] | undefined;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      if (m.type !== 'MsgApp') continue;
      const commit = Math.max(m.commit, r.commitFor(m.to));
      if (commit !== m.commit) {
        out ??= msgs.slice();
        out[i] = { ...m, commit };
      }
      const pr = r.tracker.progress.get(m.to);
      if (pr && commit > pr.sentCommit) pr.sentCommit = commit;
    }
    return out ?? msgs;
  }

  proposeConfChange(cc: ConfChange): number {
    return this.raft.proposeConfChange(cc);
  }

  /** Requests a linearizable read; answered by a ReadState with this ctx. ctx must be unique. Throws NotLeaderError when no leader is known. */
  readIndex(ctx: string): void {
    this.raft.readIndex(ctx);
  }

  /** Leader only: hands leadership to voter `to`. Throws NotLeaderError, TransferRefusedError. */
  transferLeadership(to: NodeId): void {
    this.raft.transferLeadership(to);
  }

  /** The transport finished (ok) or gave up (!ok) sending a MsgSnap to `to`. */
  reportSnapshot(to: NodeId, ok: boolean): void {
    this.raft.reportSnapshot(to, ok);
  }

  /** The transport failed to deliver a message to `to`. */
  reportUnreachable(to: NodeId): void {
    this.raft.reportUnreachable(to);
  }

  hasReady(): boolean {
    if (this.outstanding) return false;
    const r = this.raft;
    r.flushProposals();
    const soft = r.softState();
    if (soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role) return true;
    if (!hardStateEqual(r.hardState(), this.prevHard)) return true;
    if (r.log.unstableSnapshot()) return true;
    if (r.log.unstableEntries().length > 0) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    return r.log.hasNextCommittedEnts();
  }

  /** Collects everything to persist, send and apply. Call advance(ready) when done. */
  ready(): Ready {
    if (this.outstanding) throw new ReadyProtocolError('ready() called again before advance()');
    const r = this.raft;
    r.flushProposals();
    const soft = r.softState();
    const hard = r.hardState();
    const entries = r.log.unstableEntries();
    const snapshot = r.log.unstableSnapshot();
    const softChanged = soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role;
    const hardChanged = !hardStateEqual(hard, this.prevHard);
    const rd: Ready = {
      ...(softChanged ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hard } : {}),
      entries,
      ...(snapshot ? { snapshot } : {}),
      messages: this.freshCommits(r.msgs),
      committedEntries: r.log.nextCommittedEnts(),
      readStates: r.readStates,
      mustSync: entries.length > 0 || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote,
    };
    r.msgs = [];
    r.readStates = [];
    this.outstanding = rd;
    return rd;
  }

  /** The caller has persisted, sent and applied `rd`. */
  advance(rd: Ready): void {
    if (rd !== this.outstanding) throw new ReadyProtocolError('advance() with a Ready that is not the outstanding one');
    this.outstanding = undefined;
    const r = this.raft;
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) {
      r.log.stableSnapTo(rd.snapshot.metadata.index);
      r.log.appliedTo(rd.snapshot.metadata.index);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) {
      r.log.stableTo(last.index, last.term);
      // The leader holds more durably: followers may be told more committed (departure 16).
      r.noteStable();
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) {
      r.log.appliedTo(lastApplied.index);
      r.reduceUncommittedSize(rd.committedEntries);
    }
  }

  /**
   * The configuration in effect at `index` (>= the last snapshot index): what a snapshot taken at
   * `index` must record (InMemoryLogStore.createSnapshot).
   */
  confStateAt(index: number): ConfState {
    return this.raft.confHistory.at(index);
  }

  /** The current term, without building a Status. */
  term(): number {
    return this.raft.term;
  }

  status(): Status {
    const r = this.raft;
    const base = {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      leadTransferee: r.leadTransferee,
      confState: r.confState(),
    };
    if (r.role !== 'leader') return base;
    const progress = new Map<NodeId, ProgressStatus>();
    for (const [id, pr] of r.tracker.progress) {
      progress.set(id, { match: pr.match, next: pr.next, state: pr.state, isLearner: pr.isLearner, recentActive: pr.recentActive });
    }
    return { ...base, progress };
  }
}

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
