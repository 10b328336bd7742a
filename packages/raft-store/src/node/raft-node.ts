/**
 * RaftNode: one running member of the state store. It owns the pure core (RawNode), the
 * durable log (LevelLogStore), the state machine (MvccStore) and a Transport, and does the
 * core's four duties in order for every Ready: persist (fsync when asked), send, apply,
 * advance. Everything that waits (timers, disk, network) lives here, never in the core.
 *
 * Lifecycle: RaftNode.start() opens the folders, bootstraps a new cluster when asked, and
 * starts ticking; stop() stops ticking, fails what is in flight with StoppedError and
 * closes everything. A node that hit an I/O error stops itself (it cannot know what is
 * durable) and reports the error through `failed`.
 */
import { performance } from 'node:perf_hooks';
import * as path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { RawNode } from '../core/raw-node';
import { DEFAULT_CONFIG } from '../core/config';
import type { RaftConfig } from '../core/config';
import { NotLeaderError, ProposalDroppedError } from '../core/errors';
import type { ConfChange, Entry, Message, NodeId, Ready, Role } from '../core/messages';
import { decode, encode } from '../kv/codec';
import type { Plain } from '../kv/codec';
import { MvccStore } from '../kv/mvcc-store';
import type { AppliedEntry } from '../kv/mvcc-store';
import type { Command, CommandResult, MemberRecord, RangeRequest, RangeResponse } from '../kv/types';
import type { WatchOptions, WatchSink } from '../kv/watch';
import { LevelLogStore } from '../storage/level-log-store';
import { NotLeaderNodeError, ProposalLostError, StoppedError, TimeoutError } from './errors';
import { coalesceAppends } from './coalesce';
import { decodeForwardAnswer, decodeForwardRequest, encodeForward } from './forward';
import type { ForwardAnswer, ForwardRequest } from './forward';
import type { Transport } from './transport';

export interface RaftNodeOptions {
  id: NodeId;
  clusterId: string;
  /** Holds log/ (the Raft log and hard state) and state/ (the state machine). */
  dataDir: string;
  transport: Transport;
  /** Founding members of a new cluster, this one included. Ignored when the log is not empty. */
  bootstrap?: MemberRecord[] | undefined;
  /**
   * Where some existing members are, for a member joining a running cluster: it needs
   * the leader's address to answer before the replicated member records reach it.
   */
  peers?: MemberRecord[] | undefined;
  /** Milliseconds per core tick. Election timeout = electionTick ticks (randomized up to 2x). */
  tickMs?: number | undefined;
  /** Take a snapshot and compact the log when this many entries are applied past the last one. */
  snapshotEntries?: number | undefined;
  /** Entries kept behind a snapshot so slightly slow followers catch up without one. */
  keepEntries?: number | undefined;
  /** Also snapshot when the log's entries in memory reach this many bytes (default 32 MiB). */
  snapshotBytes?: number | undefined;
  /** Deadline for proposals and reads made without one, in ms. */
  requestTimeoutMs?: number | undefined;
  raft?: Partial<Omit<RaftConfig, 'id' | 'randomInt' | 'applied'>> | undefined;
}

export interface NodeMetrics {
  leaderChanges: number;
  proposalsCommitted: number;
  proposalsFailed: number;
  proposalsPending: number;
  /** Committed but not yet applied here. */
  applyLag: number;
  hasLeader: boolean;
  /** Median and 99th percentile of recent synced log writes, ms. */
  fsyncP50Ms: number;
  fsyncP99Ms: number;
  snapshotsTaken: number;
  lastSnapshotMs: number;
  snapshotsInstalled: number;
}

export interface NodeStatus {
  id: NodeId;
  clusterId: string;
  term: number;
  leader: NodeId;
  role: Role;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  firstIndex: number;
  revision: number;
  voters: readonly NodeId[];
  learners: readonly NodeId[];
  members: MemberRecord[];
  progress?: Array<{ id: NodeId; match: number; next: number; state: string; learner: boolean; active: boolean; rttMs: number }>;
  metrics: NodeMetrics;
}

interface ReadWaiter {
  resolve: (index: number) => void;
  reject: (e: Error) => void;
  /** Answered, failed or timed out. */
  done: boolean;
}

interface ReadBatch {
  /** performance.now() when the core was asked. */
  askedAt: number;
  waiters: ReadWaiter[];
}

/** A read batch not answered within this many ms no longer holds the next one back. */
const READ_RETRY_MS = 200;

interface PendingProposal {
  term: number;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  /** performance.now() after which it fails with a TimeoutError (sweepTimeouts). */
  deadline: number;
  timeoutMs: number;
  /** A configuration change (its own timeout message; not counted in proposalsFailed). */
  conf?: boolean;
}

/**
 * How often proposals past their deadline are failed: one interval for all of them while any
 * waits, instead of a timer and a promise race per write (session 16: they cost the event
 * loop more than the rest of a write's bookkeeping). A timeout fires up to this much late.
 */
const TIMEOUT_SWEEP_MS = 50;

/** Entries the apply chain may fall behind the Ready loop before the loop waits for it. */
const MAX_APPLY_BACKLOG = 4096;

/** Messages about proposals, which promise nothing about the sender's log or vote. */
const isProposalTraffic = (m: Message): boolean => m.type === 'MsgProp' || m.type === 'MsgPropResp';

interface ForwardedProposal {
  /** The command's bytes: an entry answers the proposal only if it carries the same ones. */
  data: Uint8Array;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  deadline: number;
  timeoutMs: number;
  /** The leader it was sent to (for the timeout's message). */
  leader: NodeId;
}

export class RaftNode {
  private raw!: RawNode;
  private role: Role = 'follower';
  private leader: NodeId = 0;
  /** Requests waiting for a leader to be known (woken by onSoftState, or by stop()). */
  private readonly leaderWaiters = new Set<() => void>();
  private readonly pending = new Map<number, PendingProposal>();
  /**
   * Proposals this member (a follower) sent to the leader, by the forwardId their entries
   * carry; answered when this member applies the entry (submit()). Ids count up from a random
   * start, so an entry proposed before a restart does not answer a request made after it.
   */
  private readonly forwarded = new Map<number, ForwardedProposal>();
  private nextForwardId = randomInt(1, 2 ** 47);
  /** The interval failing proposals past their deadline; set while any waits. */
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Read-index batches asked of the core and not answered yet, by ctx. */
  private readonly reads = new Map<string, ReadBatch>();
  /** Reads that arrived after the newest batch was asked: they go in the next one. */
  private readNext: ReadWaiter[] = [];
  private readRetryTimer: NodeJS.Timeout | undefined;
  /** When each peer was last heard from (any message): what "unreachable" means in errors. */
  private readonly lastHeard = new Map<NodeId, number>();
  /** When the transport last reported each peer unreachable (see reportedDown). */
  private readonly reportedDownAt = new Map<NodeId, number>();
  private readonly appliedWaiters: Array<{ index: number; resolve: () => void }> = [];
  private running = false;
  /** The Ready loop is waiting for LevelLogStore.save (see duringPersist). */
  private persisting = false;
  private earlyAppendsQueued = false;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  /** Serializes state-machine writers: the apply duty and snapshot installs. */
  private stateLock: Promise<void> = Promise.resolve();
  private readCounter = 0;
  private readonly readPrefix = randomBytes(6).toString('hex');
  /** Leader only: lease id -> expiry (monotonic ms). */
  private readonly leaseExpiry = new Map<number, number>();
  private readonly revoking = new Set<number>();
  private readonly fsyncSamples: number[] = [];
  /** Leader only: when the unanswered heartbeat to each peer left, and the smoothed round trip. */
  private readonly heartbeatSent = new Map<NodeId, number>();
  private readonly rttMs = new Map<NodeId, number>();
  private readonly m = { leaderChanges: 0, proposalsCommitted: 0, proposalsFailed: 0, snapshotsTaken: 0, lastSnapshotMs: 0, snapshotsInstalled: 0 };
  private snapshotting = false;
  /** Committed entries handed to the apply chain and not applied yet. */
  private applyBacklog = 0;
  /** The latest apply handed to the chain (settles once it and all before it are done). */
  private applyTail: Promise<void> = Promise.resolve();
  failed: Error | undefined;
  /** Called on every leader change (leader 0: none known). */
  onLeaderChange: ((leader: NodeId, term: number) => void) | undefined;

  private readonly tickMs: number;
  private readonly snapshotEntries: number;
  private readonly keepEntries: number;
  private readonly snapshotBytes: number;
  private readonly requestTimeoutMs: number;
  /** Entry bytes up to which the MsgApps of one Ready to one member are merged (coalesce.ts). */
  private readonly maxAppendBytes: number;

  private constructor(readonly opts: RaftNodeOptions, readonly log: LevelLogStore, readonly state: MvccStore) {
    this.tickMs = opts.tickMs ?? 100;
    this.snapshotEntries = opts.snapshotEntries ?? 10_000;
    this.keepEntries = opts.keepEntries ?? 1_000;
    this.snapshotBytes = opts.snapshotBytes ?? 32 << 20;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5_000;
    this.maxAppendBytes = opts.raft?.maxSizePerMsg ?? DEFAULT_CONFIG.maxSizePerMsg;
  }

  get id(): NodeId { return this.opts.id; }
  get transport(): Transport { return this.opts.transport; }

  static async start(opts: RaftNodeOptions): Promise<RaftNode> {
    const log = await LevelLogStore.open(path.join(opts.dataDir, 'log'), { clusterId: opts.clusterId, memberId: opts.id });
    let state: MvccStore;
    try {
      state = await MvccStore.open(path.join(opts.dataDir, 'state'));
    } catch (e) {
      await log.close();
      throw e;
    }
    const node = new RaftNode(opts, log, state);
    try {
      await node.init();
    } catch (e) {
      await log.close();
      await state.close();
      throw e;
    }
    return node;
  }

  private async init(): Promise<void> {
    const { opts, log, state } = this;
    if (log.lastIndex() === 0 && opts.bootstrap && opts.bootstrap.length > 0) {
      // Every founding member writes the same entries: the voters, then their addresses, all
      // committed at term 1, so their logs match from the start.
      const members = [...opts.bootstrap].sort((a, b) => a.id - b.id);
      if (!members.some((m) => m.id === opts.id)) throw new Error(`bootstrap members ${members.map((m) => m.id).join(',')} do not include this member ${opts.id}`);
      const entries: Entry[] = members.map((m, i) => ({ index: i + 1, term: 1, type: 'conf-change', data: new Uint8Array(), confChange: { type: 'add-voter', nodeId: m.id } }));
      members.forEach((m, i) => entries.push({ index: members.length + i + 1, term: 1, type: 'normal', data: encodeCommand({ member: m }) }));
      await log.save({ entries, hardState: { term: 1, vote: 0, commit: entries.length }, sync: true });
    }
    for (const m of state.listMembers()) if (m.id !== opts.id) opts.transport.setPeer(m.id, m.address);
    for (const m of [...(opts.bootstrap ?? []), ...(opts.peers ?? [])]) if (m.id !== opts.id) opts.transport.setPeer(m.id, m.address);
    const commit = log.initialState().hardState.commit;
    this.raw = new RawNode({
      ...opts.raft,
      id: opts.id,
      randomInt: (n: number) => randomInt(n),
      // The state machine may be ahead of the durable commit after a power loss (its writes
      // are not fsynced, nor is every commit advance); entries it has are skipped on replay.
      applied: Math.max(Math.min(state.appliedIndex, commit), log.firstIndex() - 1),
    }, log);
    opts.transport.listen({
      message: (m) => this.onMessage(m),
      snapshot: (m, data) => this.onSnapshot(m, data),
      unreachable: (to) => {
        if (this.stopped) return;
        this.reportedDownAt.set(to, performance.now());
        this.raw.reportUnreachable(to);
      },
      forward: (req) => this.serveForward(req),
    });
    this.tickTimer = setInterval(() => this.tick(), this.tickMs);
    this.leaseTimer = setInterval(() => this.expireLeases(), Math.max(this.tickMs, 100));
    this.kick();
  }

  // ---- the duties ----

  private tick(): void {
    if (this.stopped) return;
    this.raw.tick();
    this.kick();
  }

  private onMessage(m: Message): void {
    if (this.stopped) return;
    this.lastHeard.set(m.from, performance.now());
    if (m.type === 'MsgHeartbeatResp') {
      const sent = this.heartbeatSent.get(m.from);
      if (sent !== undefined) {
        this.heartbeatSent.delete(m.from);
        const rtt = performance.now() - sent;
        const prev = this.rttMs.get(m.from);
        this.rttMs.set(m.from, prev === undefined ? rtt : prev * 0.8 + rtt * 0.2);
      }
    }
    try {
      this.raw.step(m);
    } catch (e) {
      // The core refuses to go on (an invariant broke): stop this member rather than the process.
      void this.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (m.type === 'MsgPropResp') this.failDroppedProposals();
    this.kick();
  }

  /** Proposals sent to the leader and dropped (by it, or for want of one) fail now, as a local one would. */
  private failDroppedProposals(): void {
    for (const d of this.raw.takeDroppedProposals()) {
      const f = this.forwarded.get(d.forwardId);
      if (!f) continue;
      this.forwarded.delete(d.forwardId);
      this.m.proposalsFailed++;
      f.reject(d.reason === 'not-leader' ? this.notLeader() : new ProposalDroppedError(d.reason));
    }
  }

  /**
   * Starts the Ready loop, after the current turn of the event loop: everything that
   * arrives in one turn (the client requests and peer messages of one round of socket
   * reads) goes into one Ready, one log write and one message per peer, instead of the
   * first arrival getting a Ready of its own (hashicorp raft batches its applies the same way).
   */
  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      // A leader waiting for its fsync sends the appends of what arrived meanwhile at once
      // (once per event-loop turn) instead of after it: followers' fsyncs overlap its own.
      if (this.persisting && this.role === 'leader' && !this.earlyAppendsQueued) {
        this.earlyAppendsQueued = true;
        setImmediate(() => this.duringPersist());
      }
      return;
    }
    this.running = true;
    setImmediate(() => void this.loop());
  }

  /**
   * While a leader's Ready loop waits for its fsync, what arrived meanwhile is replicated at
   * once (once per event-loop turn) instead of after it: new proposals and advanced commits
   * (RawNode.takeEarlyAppends; commits capped at what it holds durably). Tried and not kept
   * (session 14): applying, the same way, entries whose commit a member learnt meanwhile and
   * that it holds durably; the time from commit to answer did not change (~1.2 ms median).
   */
  private duringPersist(): void {
    this.earlyAppendsQueued = false;
    if (this.stopped || !this.persisting) return;
    const ms = this.raw.takeEarlyAppends();
    if (ms.length > 0) this.opts.transport.send(coalesceAppends(ms, this.maxAppendBytes));
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped && this.raw.hasReady()) {
        const rd = this.raw.ready();
        await this.handleReady(rd);
        if (this.stopped) return;
        this.raw.advance(rd);
      }
    } catch (e) {
      // stop() waits for this loop to end, so it must not be awaited from inside it.
      this.running = false;
      void this.fail(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.running = false;
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.onSoftState(rd.softState.lead, rd.softState.role);
    // Forwarded proposals this Ready dropped for want of a leader fail now, naming the leader
    // of this Ready (after onSoftState), not the one before.
    this.failDroppedProposals();
    // 3 (early). Committed entries this member already holds durably (saved by an earlier
    // Ready, below the first entry this Ready writes, so not being overwritten) need not wait
    // for this Ready's fsync: they are applied, and answered, while it runs (etcd hands
    // committed entries to its apply loop before it saves the Ready, too). The rest (entries
    // of this very Ready: a leader counts itself in a commit before its own fsync, a
    // follower may learn the commit with the entries) waits for the persist below.
    let committed = rd.committedEntries;
    if (committed.length > 0 && !rd.snapshot) {
      const firstWritten = rd.entries.length > 0 ? rd.entries[0]!.index : Infinity;
      const durableLast = this.log.lastIndex();
      let n = 0;
      while (n < committed.length && committed[n]!.index < firstWritten && committed[n]!.index <= durableLast) n++;
      if (n > 0) {
        this.startApply(committed.slice(0, n));
        committed = committed.slice(n);
      }
    }
    // 0. A leader's appends go out while it persists them (thesis §10.2.1), so its fsync and
    // its followers' overlap: it counts itself in commits at once, but committed entries
    // are applied and answered only below, after this Ready's persist. Acks, votes and
    // everything else promise what is persisted: they wait.
    // Proposals sent to the leader (MsgProp) and the leader's notices of dropped ones
    // (MsgPropResp) promise nothing about this member's log or vote either: they go now, not
    // after this Ready's fsync (a follower's Ready usually also holds the leader's latest
    // entries, whose fsync a client's write waited for before it even left).
    // A leader's appends go first whether or not this Ready has entries: appends sent during
    // the previous persist (duringPersist) must not be overtaken by older ones held back.
    const leaderAppends = this.role === 'leader';
    const early: Message[] = [];
    const rest: Message[] = [];
    for (const m of rd.messages) (isProposalTraffic(m) || (leaderAppends && m.type === 'MsgApp') ? early : rest).push(m);
    if (early.length > 0) this.opts.transport.send(coalesceAppends(early, this.maxAppendBytes));
    // 1. persist (the snapshot's data was installed by onSnapshot before the core saw it)
    if (rd.hardState || rd.entries.length > 0 || rd.snapshot) {
      const t0 = performance.now();
      this.persisting = true;
      try {
        await this.log.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot, sync: rd.mustSync });
      } finally {
        this.persisting = false;
      }
      if (rd.mustSync) this.sampleFsync(performance.now() - t0);
    }
    // 2. send, only now that what they promise is durable
    const plain: Message[] = [];
    const now = performance.now();
    for (const m of rest) {
      if (m.type === 'MsgSnap') this.sendSnapshot(m);
      else plain.push(m);
      if (m.type === 'MsgHeartbeat' && !this.heartbeatSent.has(m.to)) this.heartbeatSent.set(m.to, now);
    }
    if (plain.length > 0) this.opts.transport.send(coalesceAppends(plain, this.maxAppendBytes));
    // 3. apply, pipelined: the state machine applies in order on its own chain while the
    // loop goes on persisting and sending the next Ready (as etcd's apply loop does). The
    // core takes configuration on append, so nothing in it waits for apply; reads and
    // proposals wait for the applied index themselves. A long backlog makes the loop wait.
    if (committed.length > 0) this.startApply(committed);
    if (this.applyBacklog > MAX_APPLY_BACKLOG) await this.applyTail;
    let answered = false;
    for (const rs of rd.readStates) {
      const b = this.reads.get(rs.ctx);
      if (b) {
        this.reads.delete(rs.ctx);
        answered = true;
        for (const w of b.waiters) if (!w.done) { w.done = true; w.resolve(rs.index); }
      }
    }
    if (answered) this.flushReads();
    this.maybeSnapshot();
  }

  /** Hands committed entries to the apply chain (in order: applies serialize on the state lock). */
  private startApply(entries: readonly Entry[]): void {
    const n = entries.length;
    this.applyBacklog += n;
    const applying = this.applyEntries(entries).then(() => { this.applyBacklog -= n; });
    applying.catch((e: unknown) => { void this.fail(e instanceof Error ? e : new Error(String(e))); });
    this.applyTail = applying.catch(() => undefined);
  }

  private onSoftState(lead: NodeId, role: Role): void {
    const wasLeader = this.role === 'leader';
    if (lead !== this.leader) {
      this.m.leaderChanges++;
      this.leader = lead;
      this.onLeaderChange?.(lead, this.raw.term());
      // Reads waiting on a read index went to the old leader, which may never answer: ask
      // the new one (a duplicate answer finds its read gone and is ignored), after this Ready.
      if (lead && (this.reads.size > 0 || this.readNext.length > 0)) setImmediate(() => this.reissueReads());
      if (lead) this.wakeLeaderWaiters();
    }
    this.role = role;
    if (role === 'leader' && !wasLeader) this.promoteLessor();
    if (role !== 'leader' && wasLeader) {
      this.heartbeatSent.clear();
      this.leaseExpiry.clear();
      this.revoking.clear();
    }
  }

  private reissueReads(): void {
    if (this.stopped || !this.leader) return;
    const now = performance.now();
    for (const [ctx, b] of this.reads) {
      try {
        this.raw.readIndex(ctx);
        b.askedAt = now;
      } catch {
        return; // no leader after all: the next change tries again, or the read times out
      }
    }
    this.kick();
    this.flushReads();
  }

  private async applyEntries(entries: readonly Entry[]): Promise<void> {
    const applied: AppliedEntry[] = entries.map((e) => {
      const a: AppliedEntry = { index: e.index, term: e.term };
      if (e.type === 'normal' && e.data.byteLength > 0) {
        a.command = decodeCommand(e.data);
        if (e.clientId !== undefined) a.clientId = e.clientId;
        if (e.seq !== undefined) a.seq = e.seq;
      }
      return a;
    });
    // Proposals are answered, reads waiting for this index released and member records
    // learnt as soon as the results are computed, while the state machine's batch is still
    // being written (see MvccStore.apply): the entries are committed. The next apply may
    // start then too: the state lock is held until computed, not until written.
    const computed = (results: Array<{ index: number; result: CommandResult }>, revision: number): void => {
      const byIndex = new Map(results.map((r) => [r.index, r.result]));
      for (const e of entries) {
        const p = this.pending.get(e.index);
        if (!p) continue;
        this.pending.delete(e.index);
        if (p.term !== e.term) {
          this.m.proposalsFailed++;
          p.reject(new ProposalLostError(`the proposal at index ${e.index} (term ${p.term}) was replaced by an entry of term ${e.term} after a leader change; it was not applied`));
        } else {
          this.m.proposalsCommitted++;
          p.resolve((e.type === 'normal' ? byIndex.get(e.index) : undefined) ?? { ok: true, revision });
        }
      }
      if (this.forwarded.size > 0) {
        for (const e of entries) {
          if (e.forwardId === undefined) continue;
          const f = this.forwarded.get(e.forwardId);
          if (!f || !Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).equals(e.data)) continue;
          this.forwarded.delete(e.forwardId);
          const result = byIndex.get(e.index);
          if (result) {
            this.m.proposalsCommitted++;
            f.resolve(result);
          } else {
            // The state machine skipped it: this member installed the leader's state, which
            // already held it, and replays the entries up to there as no-ops. The write was
            // applied, but its result (revision, previous value, a refusal) is not known here.
            this.m.proposalsFailed++;
            f.reject(new TimeoutError(`the write was committed at index ${e.index}, but this member took it in with a snapshot of the leader's state and cannot tell its result; the outcome is unknown (it was most likely applied)`));
          }
        }
      }
      for (let i = 0; i < entries.length; i++) {
        const result = byIndex.get(entries[i]!.index);
        const cmd = applied[i]!.command;
        if (result && cmd && 'member' in cmd) this.learnMember(result.ok ? result.member : undefined);
      }
      this.wakeAppliedWaiters();
    };
    let written: Promise<unknown> | undefined;
    await this.withStateLock(() => new Promise<void>((release) => {
      written = this.state.apply(applied, (results, revision) => {
        try {
          computed(results, revision);
        } finally {
          release();
        }
      });
      written.catch(() => release());
    }));
    await written;
  }

  /** Resolves the waits for an applied index that has now been reached (by apply or by a snapshot). */
  private wakeAppliedWaiters(): void {
    const appliedIndex = this.state.appliedIndex;
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.appliedWaiters[i]!;
      if (w.index <= appliedIndex) {
        this.appliedWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private learnMember(m: MemberRecord | undefined): void {
    if (m && m.id !== this.opts.id) this.opts.transport.setPeer(m.id, m.address);
  }

  private withStateLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.stateLock.then(fn);
    this.stateLock = run.then(() => undefined, () => undefined);
    return run;
  }

  // ---- snapshots ----

  private maybeSnapshot(): void {
    // The log can be compacted only over entries it holds, that are committed, and that the
    // state machine has applied. After installing a leader's snapshot the state machine may
    // be ahead of this member's log (it replays those entries as no-ops): cap by all three.
    const applied = Math.min(this.state.appliedIndex, this.log.lastIndex(), this.log.initialState().hardState.commit);
    if (this.snapshotting) return;
    const byCount = applied - this.log.firstIndex() + 1 >= this.snapshotEntries + this.keepEntries;
    // Large entries (big transactions) fill memory long before the count is reached: the
    // log's entries live in memory until compacted.
    const bySize = this.log.memoryBytes >= this.snapshotBytes && applied >= this.log.firstIndex();
    if (!byCount && !bySize) return;
    this.snapshotting = true;
    const compactTo = byCount ? applied - this.keepEntries : applied - Math.min(this.keepEntries, Math.floor((applied - this.log.firstIndex() + 1) / 2));
    const t0 = performance.now();
    void (async () => {
      try {
        // The state machine is the snapshot: make it durable up to `applied` before the log
        // forgets the entries that built it. Applies go on meanwhile (syncApplied); if a
        // leader's snapshot replaced the state meanwhile, the next Ready tries again.
        if (!(await this.state.syncApplied()) || this.stopped) return;
        await this.log.compact(compactTo, this.raw.confStateAt(compactTo));
        this.m.snapshotsTaken++;
        this.m.lastSnapshotMs = performance.now() - t0;
      } catch (e) {
        // The log moved under us (a leader's snapshot replaced it): try again after the next Ready.
        const code = (e as { code?: string }).code;
        if (code === 'UNAVAILABLE' || code === 'COMPACTED') return;
        await this.fail(e instanceof Error ? e : new Error(String(e)));
      } finally {
        this.snapshotting = false;
      }
    })();
  }

  private sendSnapshot(m: Message): void {
    void (async () => {
      let ok = false;
      try {
        const snap = await this.state.snapshot();
        await this.opts.transport.sendSnapshot(m, snap.chunks);
        ok = true;
      } catch {
        ok = false;
      }
      if (!this.stopped) {
        this.raw.reportSnapshot(m.to, ok);
        this.kick();
      }
    })();
  }

  /**
   * A leader's snapshot arrives: install its data (state at some index >= the snapshot's
   * log position), then let the core take the MsgSnap. A state machine already at or past
   * that point keeps its state and only drains the stream.
   */
  private async onSnapshot(m: Message, data: AsyncIterable<Buffer>): Promise<void> {
    if (this.stopped) throw new StoppedError('member is stopping');
    const at = m.snapshot?.metadata.index ?? 0;
    await this.withStateLock(async () => {
      if (this.state.appliedIndex >= at) {
        for await (const _ of data) { /* drain */ }
        // The core will drop the log up to `at`: what the state holds up to there must be
        // durable first (its batches may still be on their way to LevelDB).
        await this.state.sync();
        return;
      }
      await this.state.installSnapshot(data);
      this.m.snapshotsInstalled++;
      for (const rec of this.state.listMembers()) this.learnMember(rec);
      this.wakeAppliedWaiters();
    });
    if (this.stopped) return;
    this.raw.step(m);
    this.kick();
  }

  // ---- client API ----

  /** Proposes a write; resolves with its result once applied here. Leader only. */
  propose(cmd: Command, opts: { clientId?: string; seq?: number; timeoutMs?: number } = {}): Promise<CommandResult> {
    if (this.stopped) return Promise.reject(new StoppedError('member is stopped'));
    let index: number;
    try {
      const meta = opts.clientId !== undefined && opts.seq !== undefined ? { clientId: opts.clientId, seq: opts.seq } : undefined;
      index = this.raw.propose(encodeCommand(cmd), meta);
    } catch (e) {
      return Promise.reject(this.mapCoreError(e));
    }
    // The keys it will read are loaded while the entry is persisted and replicated.
    this.state.warm(cmd);
    const term = this.raw.term();
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const deadline = performance.now() + timeoutMs;
    const p = new Promise<CommandResult>((resolve, reject) => {
      this.addPending(index, { term, resolve, reject, deadline, timeoutMs });
    });
    this.sweepLater();
    this.kick();
    return p;
  }

  /**
   * Waits for the entry at `index`. An earlier proposal still waiting at that index (made in
   * an older term, its entry truncated away, this member leader again) is lost: it fails now
   * (before session 16 its own timer failed it; the shared sweep would never see it again).
   */
  private addPending(index: number, p: PendingProposal): void {
    const old = this.pending.get(index);
    if (old) {
      this.m.proposalsFailed++;
      old.reject(new ProposalLostError(`the proposal at index ${index} (term ${old.term}) was replaced by one of term ${p.term} after a leader change; it was not applied`));
    }
    this.pending.set(index, p);
  }

  /** Fails, with a TimeoutError, every proposal past its deadline (see TIMEOUT_SWEEP_MS). */
  private sweepTimeouts(): void {
    const now = performance.now();
    for (const [index, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(index);
      if (p.conf) {
        p.reject(new TimeoutError(`the config change at index ${index} was not committed within ${Math.round(p.timeoutMs)} ms; the outcome is unknown`));
        continue;
      }
      this.m.proposalsFailed++;
      p.reject(new TimeoutError(`no commit of the proposal at index ${index} within ${Math.round(p.timeoutMs)} ms; the outcome is unknown (it may still be applied)${this.quorumHint()}`));
    }
    for (const [id, f] of this.forwarded) {
      if (f.deadline > now) continue;
      this.forwarded.delete(id);
      this.m.proposalsFailed++;
      f.reject(new TimeoutError(`no commit of the proposal sent to the leader (member ${f.leader}) within ${Math.round(f.timeoutMs)} ms; the outcome is unknown (it may still be applied)${this.quorumHint()}`));
    }
    if (this.pending.size === 0 && this.forwarded.size === 0) this.stopSweep();
  }

  private sweepLater(): void {
    if (this.sweepTimer || this.stopped) return;
    this.sweepTimer = setInterval(() => this.sweepTimeouts(), TIMEOUT_SWEEP_MS);
  }

  private stopSweep(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** A linearizable read (ReadIndex; followers ask the leader for the index). */
  async read(req: RangeRequest, timeoutMs = this.requestTimeoutMs): Promise<RangeResponse & { revision: number }> {
    await this.linearizableBarrier(timeoutMs);
    const res = await this.state.range(req);
    return { ...res, revision: this.state.revision };
  }

  /**
   * Waits until this member has applied everything committed before the call.
   *
   * Reads are batched as etcd's linearizableReadLoop does: one read index (one heartbeat
   * round on the leader) serves every read that arrived before it was asked; reads that
   * arrive while it is out wait for the next one, asked as soon as it is answered (a read
   * must not share an index recorded before it arrived). A batch that is not answered
   * within READ_RETRY_MS (lost message, slow leader) does not hold the next one back.
   */
  async linearizableBarrier(timeoutMs = this.requestTimeoutMs): Promise<void> {
    if (this.stopped) throw new StoppedError('member is stopped');
    const started = performance.now();
    await this.waitForLeader(timeoutMs);
    if (this.stopped) throw new StoppedError('member is stopped');
    timeoutMs = Math.max(1, timeoutMs - (performance.now() - started));
    let waiter: ReadWaiter | undefined;
    const index = await withTimeout(new Promise<number>((resolve, reject) => {
      waiter = { resolve, reject, done: false };
      this.readNext.push(waiter);
      this.flushReads();
    }), timeoutMs, () => {
      waiter!.done = true;
      return new TimeoutError(`no read index confirmed by a quorum within ${Math.round(timeoutMs)} ms (no leader, or no quorum)${this.quorumHint()}`);
    });
    await this.waitApplied(index, timeoutMs);
  }

  /** Asks the core for a read index for the reads waiting, unless a recent batch is still out. */
  private flushReads(): void {
    if (this.stopped) return;
    this.readNext = this.readNext.filter((w) => !w.done);
    // Batches whose readers all gave up are forgotten (a late answer finds nothing).
    for (const [ctx, b] of this.reads) if (b.waiters.every((w) => w.done)) this.reads.delete(ctx);
    if (this.readNext.length === 0) return;
    const now = performance.now();
    let newest = -Infinity;
    for (const b of this.reads.values()) newest = Math.max(newest, b.askedAt);
    if (now - newest < READ_RETRY_MS) {
      this.readRetryTimer ??= setTimeout(() => {
        this.readRetryTimer = undefined;
        this.flushReads();
      }, READ_RETRY_MS - (now - newest) + 1);
      return;
    }
    const ctx = `${this.readPrefix}-${++this.readCounter}`;
    const batch: ReadBatch = { askedAt: now, waiters: this.readNext };
    this.readNext = [];
    this.reads.set(ctx, batch);
    try {
      this.raw.readIndex(ctx);
    } catch (e) {
      this.reads.delete(ctx);
      const err = this.mapCoreError(e);
      for (const w of batch.waiters) if (!w.done) { w.done = true; w.reject(err); }
      return;
    }
    this.kick();
  }

  /** A read of this member's state as it is (may be stale): etcd's serializable read. */
  async serializableRead(req: RangeRequest): Promise<RangeResponse & { revision: number }> {
    const res = await this.state.range(req);
    return { ...res, revision: this.state.revision };
  }

  watch(opts: WatchOptions, sink: WatchSink, onError: (e: Error) => void): number {
    return this.state.watch(opts, sink, onError);
  }

  cancelWatch(id: number): boolean {
    return this.state.cancelWatch(id);
  }

  waitApplied(index: number, timeoutMs = this.requestTimeoutMs): Promise<void> {
    if (this.state.appliedIndex >= index) return Promise.resolve();
    let entry: { index: number; resolve: () => void } | undefined;
    const p = new Promise<void>((resolve) => {
      entry = { index, resolve };
      this.appliedWaiters.push(entry);
    });
    return withTimeout(p, timeoutMs, () => {
      const i = this.appliedWaiters.indexOf(entry!);
      if (i >= 0) this.appliedWaiters.splice(i, 1);
      return new TimeoutError(`this member did not apply index ${index} within ${Math.round(timeoutMs)} ms (applied ${this.state.appliedIndex})`);
    });
  }

  // ---- any member: hand requests to the leader ----

  /**
   * Proposes a write from any member: here when this member leads, else forwarded to the
   * leader over the member transport. Errors are the same classes either way.
   */
  submit(cmd: Command, opts: { clientId?: string; seq?: number; timeoutMs?: number } = {}): Promise<CommandResult> {
    if (this.role === 'leader') return this.propose(cmd, opts);
    if (this.stopped) return Promise.reject(new StoppedError('member is stopped'));
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    // A follower that knows its leader sends the write on at once (no wait, no extra promise).
    if (this.leader) return this.proposeThroughLeader(cmd, opts, timeoutMs);
    return this.submitOnceLeader(cmd, opts, timeoutMs);
  }

  private async submitOnceLeader(cmd: Command, opts: { clientId?: string; seq?: number; timeoutMs?: number }, timeoutMs: number): Promise<CommandResult> {
    const started = performance.now();
    await this.waitForLeader(timeoutMs);
    if (this.stopped) throw new StoppedError('member is stopped');
    const left = Math.max(1, timeoutMs - (performance.now() - started));
    if ((this.role as Role) === 'leader') return this.propose(cmd, { ...opts, timeoutMs: left });
    return this.proposeThroughLeader(cmd, opts, left);
  }

  /**
   * A follower's write, etcd's way: the entry goes to the leader in a MsgProp (the core batches
   * this Ready's proposals into one), and this member answers when it applies the entry,
   * from its own state machine (the same result the leader computes). Nothing comes back from
   * the leader for an appended proposal; one it drops (transfer, uncommitted budget, no leader)
   * is reported back (MsgPropResp) and fails here at once (failDroppedProposals); one lost with
   * a leader is never applied and times out with an unknown outcome, as in etcd. Before
   * session 14 the command went to the leader on the Forward stream, which answered it once
   * applied there: two more encodings and a stream message each way per batch (measured gain
   * of the change alone: 1.5-2%, within noise; design.md departure 15).
   */
  private proposeThroughLeader(cmd: Command, opts: { clientId?: string; seq?: number }, timeoutMs: number): Promise<CommandResult> {
    const data = encodeCommand(cmd);
    const id = this.nextForwardId++;
    try {
      const meta = opts.clientId !== undefined && opts.seq !== undefined ? { clientId: opts.clientId, seq: opts.seq } : undefined;
      this.raw.forwardProposal(data, meta, id);
    } catch (e) {
      return Promise.reject(this.mapCoreError(e));
    }
    const leader = this.leader;
    const deadline = performance.now() + timeoutMs;
    const p = new Promise<CommandResult>((resolve, reject) => this.forwarded.set(id, { data, resolve, reject, deadline, timeoutMs, leader }));
    this.sweepLater();
    this.kick();
    return p;
  }

  async submitLeaseGrant(ttl: number, id = 0): Promise<{ id: number; ttl: number }> {
    if (this.role === 'leader') return this.leaseGrant(ttl, id);
    const a = await this.forwardToLeader({ leaseGrant: { ttl, id } });
    if ('leaseGrant' in a) return a.leaseGrant;
    throw new Error('unexpected answer to a forwarded lease grant');
  }

  async submitLeaseKeepAlive(id: number): Promise<number> {
    if (this.role === 'leader') return this.leaseKeepAlive(id);
    const a = await this.forwardToLeader({ leaseKeepAlive: { id } });
    if ('ttl' in a) return a.ttl;
    throw new Error('unexpected answer to a forwarded lease renewal');
  }

  async submitLeaseTimeToLive(id: number): Promise<{ ttl: number; grantedTtl: number }> {
    if (this.role === 'leader') return this.leaseTimeToLive(id);
    const a = await this.forwardToLeader({ leaseTimeToLive: { id } });
    if ('timeToLive' in a) return a.timeToLive;
    throw new Error('unexpected answer to a forwarded lease query');
  }

  /**
   * An election may be under way: wait (up to the request's time) until a leader is known.
   * Woken when one is (after the Ready that says so), not at the next tick.
   */
  private async waitForLeader(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    // Again after each wake-up: the leader may be lost again before a waiter runs.
    while (!this.leader && !this.stopped) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.leaderWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.leaderWaiters.add(done);
      });
    }
  }

  private wakeLeaderWaiters(): void {
    if (this.leaderWaiters.size === 0) return;
    const waiting = [...this.leaderWaiters];
    // After the Ready that made the leader known has been handled (its role, its reads).
    setImmediate(() => { for (const w of waiting) w(); });
  }

  private async forwardToLeader(req: ForwardRequest, timeoutMs = this.requestTimeoutMs): Promise<ForwardAnswer> {
    if (this.stopped) throw new StoppedError('member is stopped');
    const deadline = performance.now() + timeoutMs;
    await this.waitForLeader(timeoutMs);
    if (this.stopped) throw new StoppedError('member is stopped');
    if (this.role === 'leader') {
      return decodeForwardAnswer(await this.serveForward(encodeForward(req)));
    }
    const leader = this.leader;
    if (!leader) throw this.notLeader();
    let raw: Buffer;
    try {
      raw = await this.opts.transport.forward(leader, encodeForward(req), Math.max(1, deadline - performance.now()));
    } catch (e) {
      throw new TimeoutError(`could not reach the leader (member ${leader}): ${(e as Error).message}; the outcome is unknown`);
    }
    const a = decodeForwardAnswer(raw);
    if ('error' in a) {
      if (a.error.code === 'NOT_LEADER') throw new NotLeaderNodeError(a.error.leaderId || undefined, this.state.listMembers().find((m) => m.id === a.error.leaderId)?.address);
      throw Object.assign(new Error(a.error.message), { code: a.error.code });
    }
    return a;
  }

  /** The leader's side of forward(): run the request as if it were local. */
  private async serveForward(raw: Buffer): Promise<Buffer> {
    let answer: ForwardAnswer;
    try {
      const req = decodeForwardRequest(raw);
      if (this.role !== 'leader') throw this.notLeader();
      if ('propose' in req) {
        const o: { clientId?: string; seq?: number } = {};
        if (req.clientId !== undefined && req.clientId !== null) o.clientId = req.clientId;
        if (req.seq !== undefined && req.seq !== null) o.seq = req.seq;
        answer = { result: await this.propose(req.propose, o) };
      } else if ('leaseGrant' in req) {
        answer = { leaseGrant: await this.leaseGrant(req.leaseGrant.ttl, req.leaseGrant.id) };
      } else if ('leaseKeepAlive' in req) {
        answer = { ttl: this.leaseKeepAlive(req.leaseKeepAlive.id) };
      } else {
        answer = { timeToLive: this.leaseTimeToLive(req.leaseTimeToLive.id) };
      }
    } catch (e) {
      const err = e as { code?: unknown; message?: string; leaderId?: number };
      answer = { error: { code: typeof err.code === 'string' ? err.code : 'INTERNAL', message: err.message ?? String(e), leaderId: err.leaderId } };
    }
    return encodeForward(answer);
  }

  // ---- leases (the leader keeps the clocks; the log keeps grants and revokes) ----

  async leaseGrant(ttlSeconds: number, id = 0): Promise<{ id: number; ttl: number }> {
    const leaseId = id || randomInt(1, 2 ** 47);
    const r = await this.propose({ leaseGrant: { id: leaseId, ttl: ttlSeconds } });
    if (!r.ok) throw Object.assign(new Error(r.message), { code: r.code });
    if (this.role === 'leader') this.leaseExpiry.set(leaseId, performance.now() + ttlSeconds * 1000);
    return r.leaseGrant!;
  }

  /** Renews a lease; returns its TTL. Leader only (followers answer NOT_LEADER). */
  leaseKeepAlive(id: number): number {
    if (this.role !== 'leader') throw this.notLeader();
    const lease = this.state.getLease(id);
    if (!lease) throw Object.assign(new Error(`lease ${id.toString(16)} not found`), { code: 'LEASE_NOT_FOUND' });
    this.leaseExpiry.set(id, performance.now() + lease.ttl * 1000);
    return lease.ttl;
  }

  /** Seconds left on a lease (-1 when it does not exist). Leader only. */
  leaseTimeToLive(id: number): { ttl: number; grantedTtl: number } {
    if (this.role !== 'leader') throw this.notLeader();
    const lease = this.state.getLease(id);
    if (!lease) return { ttl: -1, grantedTtl: 0 };
    const left = ((this.leaseExpiry.get(id) ?? performance.now()) - performance.now()) / 1000;
    return { ttl: Math.max(0, Math.ceil(left)), grantedTtl: lease.ttl };
  }

  async leaseRevoke(id: number): Promise<CommandResult> {
    return this.propose({ leaseRevoke: { id } });
  }

  private promoteLessor(): void {
    // A new leader cannot know how long ago a lease was renewed: give every lease its full
    // TTL again (etcd does the same), so no lease expires early because of a leader change.
    const now = performance.now();
    this.leaseExpiry.clear();
    for (const l of this.state.listLeases()) this.leaseExpiry.set(l.id, now + l.ttl * 1000);
  }

  private expireLeases(): void {
    if (this.stopped || this.role !== 'leader') return;
    const now = performance.now();
    for (const [id, expiry] of this.leaseExpiry) {
      if (expiry > now || this.revoking.has(id)) continue;
      if (!this.state.getLease(id)) {
        this.leaseExpiry.delete(id);
        continue;
      }
      this.revoking.add(id);
      this.propose({ leaseRevoke: { id } }).then(() => {
        this.leaseExpiry.delete(id);
      }, () => undefined).finally(() => this.revoking.delete(id));
    }
  }

  // ---- membership ----

  /** Adds a member as a non-voting learner (record its address first, then the change). */
  async addLearner(rec: MemberRecord): Promise<void> {
    this.opts.transport.setPeer(rec.id, rec.address);
    await this.expectOk(this.propose({ member: rec }));
    await this.proposeConfChange({ type: 'add-learner', nodeId: rec.id });
  }

  async promoteLearner(id: NodeId): Promise<void> {
    await this.proposeConfChange({ type: 'promote-learner', nodeId: id });
  }

  async removeMember(id: NodeId): Promise<void> {
    await this.proposeConfChange({ type: 'remove', nodeId: id });
    await this.expectOk(this.propose({ memberRemove: { id } }));
    this.opts.transport.removePeer(id);
  }

  transferLeadership(to: NodeId): void {
    try {
      this.raw.transferLeadership(to);
    } catch (e) {
      throw this.mapCoreError(e);
    }
    this.kick();
  }

  private proposeConfChange(cc: ConfChange, timeoutMs = this.requestTimeoutMs): Promise<CommandResult> {
    let index: number;
    try {
      index = this.raw.proposeConfChange(cc);
    } catch (e) {
      return Promise.reject(this.mapCoreError(e));
    }
    const term = this.raw.term();
    const deadline = performance.now() + timeoutMs;
    const p = new Promise<CommandResult>((resolve, reject) => this.addPending(index, { term, resolve, reject, deadline, timeoutMs, conf: true }));
    this.sweepLater();
    this.kick();
    return p;
  }

  private async expectOk(p: Promise<CommandResult>): Promise<void> {
    const r = await p;
    if (!r.ok) throw Object.assign(new Error(r.message), { code: r.code });
  }

  // ---- status ----

  get isLeader(): boolean { return this.role === 'leader'; }
  get term(): number { return this.raw.term(); }
  get leaderId(): NodeId { return this.leader; }

  leaderAddress(): string | undefined {
    return this.state.listMembers().find((m) => m.id === this.leader)?.address;
  }

  status(): NodeStatus {
    const s = this.raw.status();
    const sorted = [...this.fsyncSamples].sort((a, b) => a - b);
    const q = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);
    const out: NodeStatus = {
      id: this.opts.id,
      clusterId: this.opts.clusterId,
      term: s.hardState.term,
      leader: s.softState.lead,
      role: s.softState.role,
      commitIndex: s.hardState.commit,
      appliedIndex: this.state.appliedIndex,
      lastIndex: s.lastIndex,
      firstIndex: this.log.firstIndex(),
      revision: this.state.revision,
      voters: s.confState.voters,
      learners: s.confState.learners,
      members: this.state.listMembers(),
      metrics: {
        ...this.m,
        proposalsPending: this.pending.size + this.forwarded.size,
        applyLag: s.hardState.commit - this.state.appliedIndex,
        hasLeader: s.softState.lead !== 0,
        fsyncP50Ms: q(0.5),
        fsyncP99Ms: q(0.99),
      },
    };
    if (s.progress) {
      out.progress = [...s.progress].map(([id, p]) => ({ id, match: p.match, next: p.next, state: p.state, learner: p.isLearner, active: p.recentActive, rttMs: this.rttMs.get(id) ?? 0 }));
    }
    return out;
  }

  private sampleFsync(ms: number): void {
    this.fsyncSamples.push(ms);
    if (this.fsyncSamples.length > 1000) this.fsyncSamples.splice(0, this.fsyncSamples.length - 1000);
  }

  private notLeader(): NotLeaderNodeError {
    return new NotLeaderNodeError(this.leader || undefined, this.leaderAddress(), this.leader ? '' : this.quorumHint());
  }

  /**
   * Whether the transport reported member `id` unreachable (its connection broke, a send to it
   * failed) since this member last heard from it: a member killed a moment ago is down at
   * once here, while silentMs still counts up from its last heartbeat.
   */
  reportedDown(id: NodeId): boolean {
    const down = this.reportedDownAt.get(id);
    if (down === undefined) return false;
    const heard = this.lastHeard.get(id);
    return heard === undefined || down > heard;
  }

  /** Milliseconds since this member last heard from member `id` (any Raft message); null: never. */
  silentMs(id: NodeId): number | null {
    const heard = this.lastHeard.get(id);
    return heard === undefined ? null : performance.now() - heard;
  }

  /**
   * Which voters this member cannot reach: not heard from for two election timeouts, or never.
   * Without a quorum every member keeps campaigning (pre-vote), so the reachable ones answer
   * and this is a true picture; with a leader, followers hear only the leader, so it is only
   * used to explain a failure.
   */
  quorumReport(): { ok: boolean; voters: number; unreachable: Array<{ id: NodeId; name?: string | undefined; address?: string | undefined; silentMs: number | null }> } {
    const voters = this.raw.status().confState.voters;
    const limit = 2 * (this.opts.raft?.electionTick ?? DEFAULT_CONFIG.electionTick) * this.tickMs;
    const now = performance.now();
    const members = new Map(this.state.listMembers().map((m) => [m.id, m]));
    const unreachable = voters.filter((id) => id !== this.opts.id).flatMap((id) => {
      const heard = this.lastHeard.get(id);
      const silentMs = heard === undefined ? null : now - heard;
      if (silentMs !== null && silentMs <= limit) return [];
      const m = members.get(id);
      return [{ id, name: m?.name, address: m?.address, silentMs }];
    });
    const reachable = voters.length - unreachable.length;
    return { ok: reachable > voters.length / 2, voters: voters.length, unreachable };
  }

  /** '' when a majority of voters is reachable; else what is missing, for an error message. */
  private quorumHint(): string {
    const r = this.quorumReport();
    if (r.ok) return '';
    const who = r.unreachable.map((u) => `${u.name ?? `member ${u.id}`} (${u.address ?? 'no address'}, ${u.silentMs === null ? 'never heard from' : `silent ${(u.silentMs / 1000).toFixed(1)} s`})`);
    return `; no quorum: ${r.unreachable.length} of ${r.voters} voters unreachable from this member: ${who.join(', ')}`;
  }

  private mapCoreError(e: unknown): Error {
    if (e instanceof NotLeaderError) return new NotLeaderNodeError(e.leaderId || undefined, e.leaderId ? this.state.listMembers().find((m) => m.id === e.leaderId)?.address : undefined, e.leaderId ? '' : this.quorumHint());
    return e instanceof Error ? e : new Error(String(e));
  }

  // ---- stopping ----

  private async fail(e: Error): Promise<void> {
    if (this.stopped) return;
    this.failed = e;
    await this.stop();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wakeLeaderWaiters();
    clearInterval(this.tickTimer);
    clearInterval(this.leaseTimer);
    const err = new StoppedError(`member ${this.opts.id} stopped${this.failed ? ` after an error: ${this.failed.message}` : ''}; the outcome of in-flight requests is unknown`);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const f of this.forwarded.values()) f.reject(err);
    this.forwarded.clear();
    this.stopSweep();
    clearTimeout(this.readRetryTimer);
    for (const b of this.reads.values()) for (const w of b.waiters) if (!w.done) { w.done = true; w.reject(err); }
    this.reads.clear();
    for (const w of this.readNext) if (!w.done) { w.done = true; w.reject(err); }
    this.readNext = [];
    await this.opts.transport.close();
    // Let an apply or install in progress finish before closing its database.
    await this.stateLock;
    while (this.running) await new Promise((r) => setTimeout(r, 5));
    await this.log.close();
    await this.state.close();
  }
}

export function encodeCommand(cmd: Command): Uint8Array {
  return encode(cmd as unknown as Plain);
}

export function decodeCommand(data: Uint8Array): Command {
  return decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) as unknown as Command;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
