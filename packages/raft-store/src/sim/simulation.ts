/**
 * Deterministic simulation of a berth Raft cluster: N cores, a hostile network, crashes,
 * membership changes, leadership transfers, compaction and clients with retries. Everything —
 * timing, faults, the cores' election timeouts — is derived from one seed, so a failing seed
 * replays exactly. Safety invariants are checked after every step (see invariants.ts); at the end
 * the world heals and the cluster must apply every acknowledged write exactly once (liveness).
 */
import type { RaftConfig } from '../core/config';
import { NotLeaderError, ProposalDroppedError, RaftError } from '../core/errors';
import type { ConfChange, Entry, Message, NodeId } from '../core/messages';
import { PROP_DROP_REASONS } from '../core/messages';
import type { HistoryOp, KvOpInput, KvOpOutput } from './history';
import { SafetyChecker, SafetyViolation } from './invariants';
import { EventQueue } from './event-queue';
import type { KvCommand, KvResult } from './kv';
import { Kv, encodeCommand } from './kv';
import { Prng } from './prng';
import type { FaultProfile } from './profiles';
import { PROFILES, TICK_MS } from './profiles';
import { SimNode } from './sim-node';
import type { RawNode } from '../core/raw-node';

/** Deliberate bugs, to prove the checkers can fail. Never set outside tests. */
export type SimBug =
  | 'vote-ignores-log' // the network rewrites vote requests so voters skip the §5.4.1 check
  | 'send-before-persist' // the node sends (acks) before it persists
  | 'forget-vote' // a restarted node has lost the vote it persisted
  | 'commit-counts-unsynced-leader'; // a leader counts its unsynced copy in the commit it tells a follower

export interface SimOptions {
  seed: number;
  nodes: number;
  profile: string;
  bug?: SimBug;
  /** Print every event as it happens. */
  verbose?: boolean;
  /** How many recent events a failure report shows. */
  traceLength?: number;
}

export interface SimStats {
  events: number;
  simulatedMs: number;
  maxTerm: number;
  committed: number;
  ackedWrites: number;
  /** Writes answered by a follower that sent them to its leader in a MsgProp (part of ackedWrites). */
  forwardedWrites: number;
  /** Forwarded proposals reported dropped to their follower (its client retried). */
  droppedForwards: number;
  completedReads: number;
  snapshotsSent: number;
  confChanges: number;
  transfers: number;
  crashes: number;
  /** Unreachable reports given to senders (a member crashed or a link cut; or a false alarm). */
  unreachableReports: number;
}

export interface SimResult {
  ok: boolean;
  seed: number;
  nodes: number;
  profile: string;
  violation?: string;
  /** The last events before the end (or the violation), oldest first. */
  trace: string[];
  history: HistoryOp<KvOpInput, KvOpOutput>[];
  stats: SimStats;
  replay: string;
}

type SimEvent =
  | { k: 'tick'; node: NodeId; life: number }
  | { k: 'deliver'; msg: Message }
  | { k: 'snap-report'; leader: NodeId; to: NodeId; ok: boolean }
  | { k: 'unreachable'; node: NodeId; peer: NodeId }
  | { k: 'client'; client: number }
  | { k: 'client-resp'; client: number; seq: number; output: KvOpOutput | 'retry' }
  | { k: 'client-timeout'; client: number; seq: number; attempt: number }
  | { k: 'client-retry'; client: number; seq: number; attempt: number }
  | { k: 'partition' }
  | { k: 'crash' }
  | { k: 'restart'; node: NodeId }
  | { k: 'membership' }
  | { k: 'transfer' }
  | { k: 'heal' }
  | { k: 'liveness-check' };

interface ClientOp {
  /** Operation number of this client (matches responses to operations). */
  readonly seq: number;
  /** Write sequence number carried in the entry for de-duplication (writes only: 1, 2, 3, ...). */
  readonly wseq: number;
  readonly kind: 'put' | 'get' | 'cas';
  readonly input: KvOpInput;
  readonly hist: HistoryOp<KvOpInput, KvOpOutput>;
  attempt: number;
}

interface SimClient {
  readonly id: string;
  seq: number;
  wseq: number;
  target: NodeId;
  current: ClientOp | undefined;
  /** Ops still to issue in the healed phase. */
  finalOps: number;
}

const HEAL_DEADLINE_MS = 10_000;
const CLIENT_TIMEOUT_MS = 400;
const KEYS = ['a', 'b', 'c'];

export function replayCommand(o: SimOptions): string {
  return `node packages/raft-store/dist/sim/run-seeds.js --seed ${o.seed} --nodes ${o.nodes} --profile ${o.profile}${o.bug ? ` --bug ${o.bug}` : ''} --trace`;
}

export class Simulation {
  private readonly rng: Prng;
  private readonly profile: FaultProfile;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly clients: SimClient[] = [];
  private readonly checker = new SafetyChecker();
  private readonly history: HistoryOp<KvOpInput, KvOpOutput>[] = [];
  /** Acknowledged writes: clientId:seq -> result returned to the client. */
  private readonly acked = new Map<string, KvResult>();
  private readonly blocked = new Set<string>();
  private readonly traceRing: string[] = [];
  private readonly traceLength: number;
  private readonly raftConfig: Omit<RaftConfig, 'id' | 'randomInt' | 'applied'>;
  private readonly idPool: NodeId[];
  private now = 0;
  private healed = false;
  private finished = false;
  private network: { dropRate: number; dupRate: number; minDelayMs: number; maxDelayMs: number; lateRate: number };
  private readonly stopRemoved: boolean;
  readonly stats: SimStats = {
    events: 0,
    simulatedMs: 0,
    maxTerm: 0,
    committed: 0,
    ackedWrites: 0,
    forwardedWrites: 0,
    droppedForwards: 0,
    completedReads: 0,
    snapshotsSent: 0,
    confChanges: 0,
    transfers: 0,
    crashes: 0,
    unreachableReports: 0,
  };

  constructor(private readonly opts: SimOptions) {
    const p = PROFILES[opts.profile];
    if (!p) throw new Error(`unknown profile ${opts.profile}`);
    this.profile = p;
    this.rng = new Prng(opts.seed);
    this.traceLength = opts.traceLength ?? 60;
    this.network = { ...p };
    const r = this.rng;
    const preVote = r.chance(0.8);
    const checkQuorum = r.chance(0.8);
    this.raftConfig = {
      electionTick: 10,
      heartbeatTick: r.pick([1, 1, 2]),
      maxSizePerMsg: r.pick([120, 600, 1 << 20]),
      maxInflightMsgs: r.range(1, 8),
      maxUncommittedEntriesSize: r.pick([0, 400, 1 << 20]),
      maxCommittedSizePerReady: r.pick([200, 1 << 20]),
      preVote,
      checkQuorum,
      leaderLossElection: r.chance(0.8),
      readOnlyOption: 'safe',
      promoteMaxLag: 20,
    };
    // Removed members keep running (and must not disrupt) only where pre-vote and check-quorum
    // protect the cluster; otherwise the operator stops them, as the thesis §4.2.3 advises.
    this.stopRemoved = !(preVote && checkQuorum);
    const founders: NodeId[] = [];
    for (let id = 1; id <= opts.nodes; id++) founders.push(id);
    this.idPool = [...founders, opts.nodes + 1, opts.nodes + 2];
    for (const id of this.idPool) this.nodes.set(id, new SimNode(id));
    for (const id of founders) {
      const n = this.nodes.get(id)!;
      n.disk.bootstrap(founders);
      this.checker.onPersistEntries(id, n.disk.entries(1, n.disk.lastIndex() + 1, Infinity));
    }
    // Every founder's disk is written before any starts (and applies the bootstrap entries).
    for (const id of founders) this.startNode(this.nodes.get(id)!);
    for (let c = 0; c < 3; c++) {
      this.clients.push({ id: `c${c}`, seq: 0, wseq: 0, target: r.pick(founders), current: undefined, finalOps: 1 });
      this.queue.push(r.range(0, 50), { k: 'client', client: c });
    }
    const sched = (every: number, ev: SimEvent): void => {
      if (every > 0) this.queue.push(this.expDelay(every), ev);
    };
    sched(p.partitionEveryMs, { k: 'partition' });
    sched(p.crashEveryMs, { k: 'crash' });
    sched(p.membershipEveryMs, { k: 'membership' });
    sched(p.transferEveryMs, { k: 'transfer' });
    this.queue.push(p.durationMs, { k: 'heal' });
  }

  // ------------------------------------------------------------------ driver

  run(): SimResult {
    let violation: string | undefined;
    try {
      while (!this.finished) {
        const t = this.queue.pop();
        if (!t) throw new SafetyViolation('simulator', 'event queue ran dry');
        this.now = t.at;
        this.stats.events++;
        if (this.healed && this.now > this.profile.durationMs + HEAL_DEADLINE_MS) {
          throw new SafetyViolation('liveness', `cluster did not apply every acknowledged write within ${HEAL_DEADLINE_MS} ms of healing: ${this.livenessReport()}`);
        }
        this.handle(t.ev);
        this.checker.afterStep([...this.nodes.values()]);
      }
      this.finalChecks();
    } catch (e) {
      if (e instanceof SafetyViolation) violation = e.message;
      else if (e instanceof RaftError) violation = `core threw ${e.name} (${e.code}): ${e.message}`;
      else violation = `simulator crashed: ${(e as Error).stack ?? String(e)}`;
    }
    this.stats.simulatedMs = this.now;
    this.stats.committed = this.checker.committedIndex();
    return {
      ok: violation === undefined,
      seed: this.opts.seed,
      nodes: this.opts.nodes,
      profile: this.opts.profile,
      ...(violation !== undefined ? { violation } : {}),
      trace: [...this.traceRing],
      history: this.history,
      stats: this.stats,
      replay: replayCommand(this.opts),
    };
  }

  private trace(line: string): void {
    const s = `${String(this.now).padStart(6)}ms ${line}`;
    if (this.opts.verbose) console.log(s);
    this.traceRing.push(s);
    if (this.traceRing.length > this.traceLength) this.traceRing.shift();
  }

  private expDelay(mean: number): number {
    return this.now + Math.max(1, Math.round(-Math.log(1 - this.rng.float()) * mean));
  }

  private handle(ev: SimEvent): void {
    switch (ev.k) {
      case 'tick': {
        const n = this.nodes.get(ev.node)!;
        // A crash ends the node's tick chain and its restart starts a new one; a tick of an
        // earlier life must not run beside it (the node would tick twice as fast).
        if (!n.isUp() || ev.life !== n.lives) return;
        n.raw.tick();
        this.processReady(n);
        this.queue.push(this.now + TICK_MS, ev);
        return;
      }
      case 'deliver':
        return this.deliver(ev.msg);
      case 'snap-report': {
        const n = this.nodes.get(ev.leader)!;
        if (!n.isUp()) return;
        this.trace(`snap-report ${ev.leader}->${ev.to} ${ev.ok ? 'ok' : 'FAILED'}`);
        n.raw.reportSnapshot(ev.to, ev.ok);
        this.processReady(n);
        return;
      }
      case 'unreachable': {
        const n = this.nodes.get(ev.node)!;
        if (!n.isUp()) return;
        this.stats.unreachableReports++;
        this.trace(`${ev.node}: ${ev.peer} reported unreachable`);
        n.raw.reportUnreachable(ev.peer);
        this.processReady(n);
        return;
      }
      case 'client':
        return this.clientWake(ev.client);
      case 'client-resp':
        return this.clientResponse(ev.client, ev.seq, ev.output);
      case 'client-timeout': {
        const c = this.clients[ev.client]!;
        if (c.current && c.current.seq === ev.seq && c.current.attempt === ev.attempt) {
          this.trace(`client ${c.id} seq ${ev.seq} timed out at ${c.target}`);
          c.target = this.rng.pick(this.idPool);
          this.retry(ev.client, 0);
        }
        return;
      }
      case 'client-retry': {
        const c = this.clients[ev.client]!;
        if (c.current && c.current.seq === ev.seq && c.current.attempt === ev.attempt) this.submit(ev.client);
        return;
      }
      case 'partition':
        this.changePartition();
        if (!this.healed) this.queue.push(this.expDelay(this.profile.partitionEveryMs), ev);
        return;
      case 'crash':
        this.crashSomeone();
        if (!this.healed) this.queue.push(this.expDelay(this.profile.crashEveryMs), ev);
        return;
      case 'restart': {
        const n = this.nodes.get(ev.node)!;
        if (n.state !== 'crashed') return;
        this.restart(n);
        return;
      }
      case 'membership':
        this.changeMembership();
        if (!this.healed) this.queue.push(this.expDelay(this.profile.membershipEveryMs), ev);
        return;
      case 'transfer':
        this.transfer();
        if (!this.healed) this.queue.push(this.expDelay(this.profile.transferEveryMs), ev);
        return;
      case 'heal':
        return this.heal();
      case 'liveness-check':
        if (this.livenessReached()) this.finished = true;
        else this.queue.push(this.now + 50, ev);
        return;
    }
  }

  // ------------------------------------------------------------------ nodes

  private startNode(n: SimNode): void {
    n.start({ ...this.raftConfig, randomInt: ((r: Prng) => (k: number) => r.int(k))(this.rng.fork()) });
    this.checker.onRestart(n.id);
    n.lives++;
    this.queue.push(this.now + this.rng.range(1, TICK_MS), { k: 'tick', node: n.id, life: n.lives });
    this.processReady(n);
  }

  private restart(n: SimNode): void {
    this.trace(`restart ${n.id}`);
    if (this.opts.bug === 'forget-vote') {
      const hs = n.disk.initialState().hardState;
      n.disk.setHardState({ ...hs, vote: 0 });
    }
    this.startNode(n);
  }

  private crash(n: SimNode, why: string, restartAfter: [number, number] = [20, 600]): void {
    this.trace(`CRASH ${n.id} (${why})`);
    this.stats.crashes++;
    n.halt('crashed');
    this.queue.push(this.now + this.rng.range(restartAfter[0], restartAfter[1]), { k: 'restart', node: n.id });
  }

  /** The caller's four duties, in order, for every Ready the node has. */
  private processReady(n: SimNode): void {
    while (n.isUp() && n.raw.hasReady()) {
      const raw = n.raw;
      const rd = raw.ready();
      this.failDroppedProposals(n);
      if (rd.softState) {
        this.trace(`${n.id} is ${rd.softState.role} (lead ${rd.softState.lead}) term ${raw.raft.term}`);
        this.stats.maxTerm = Math.max(this.stats.maxTerm, raw.raft.term);
      }
      const buggySend = this.opts.bug === 'send-before-persist';
      if (buggySend) for (const m of rd.messages) this.send(m);
      // A leader may send its appends while it persists them (thesis §10.2.1; RaftNode does):
      // it counts itself in commits at once, but applies (and answers) only after this
      // Ready's persist. Everything else (acks, votes) waits for the persist.
      let early = buggySend ? [] : rd.messages.filter((m) => m.type === 'MsgApp');
      if (this.opts.bug === 'commit-counts-unsynced-leader' && raw.raft.role === 'leader') {
        early = early.map((m) => ({ ...m, commit: Math.max(m.commit, unsyncedCommitFor(raw, m.to)) }));
      }
      // A leader that dies while sending its appends (before persisting them) gets some of them
      // out, not necessarily all: each goes with a chance of one half.
      const crashNow = !buggySend && early.length > 0 && n.crashAfterNextPersist && this.rng.chance(0.5);
      for (const m of early) if (!crashNow || this.rng.chance(0.5)) this.send(m);
      if (crashNow || (buggySend && n.crashAfterNextPersist)) {
        this.crash(n, buggySend ? 'before persist' : 'leader sent some of its appends before persisting them');
        return;
      }
      // 1. persist
      if (rd.snapshot) {
        n.disk.applySnapshot(rd.snapshot);
        this.checker.onPersistSnapshot(n.id, rd.snapshot);
      }
      if (rd.entries.length > 0) {
        n.disk.append(rd.entries);
        this.checker.onPersistEntries(n.id, rd.entries);
      }
      if (rd.hardState) n.disk.setHardState(rd.hardState);
      if (n.crashAfterNextPersist) {
        this.crash(n, 'after persist, before send');
        return;
      }
      // 2. send
      if (!buggySend) for (const m of rd.messages) if (m.type !== 'MsgApp') this.send(m);
      if (!this.healed && this.profile.crashAfterVoteRate > 0 && rd.messages.some((m) => m.type === 'MsgVoteResp' && !m.reject)
        && this.rng.chance(this.profile.crashAfterVoteRate) && this.canCrash()) {
        this.crash(n, 'right after granting a vote', [1, 5]);
        return;
      }
      // 3. apply
      this.checker.observeCommits(n.id, raw);
      if (rd.snapshot) {
        n.kv = Kv.restore(rd.snapshot.data);
        n.applied = rd.snapshot.metadata.index;
        this.checker.onSnapshotInstalled(n.id, n.applied, n.kv.digest());
        this.trace(`${n.id} installed snapshot at ${n.applied}`);
      }
      const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
      if (lastApplied) this.checkDurableMajority(n, lastApplied);
      for (const e of rd.committedEntries) this.apply(n, e);
      for (const rs of rd.readStates) {
        const read = n.pendingReads.get(rs.ctx);
        if (!read) continue;
        n.pendingReads.delete(rs.ctx);
        n.readyReads.push({ rs, read });
      }
      this.serveReads(n);
      // 4. advance
      raw.advance(rd);
      this.maybeCompact(n);
    }
  }

  /**
   * A member applies (and may answer) an entry only when it is durable on a majority: on the
   * disks, which crashes do not lose, of a majority of the voters of the member's config, of
   * the config in effect at that entry (a later change it already holds may not have counted),
   * or of an up member's (a membership change may be known to some members only). This sees a commit
   * told too early at once, where the other checks need the unlucky election that then
   * overwrites it. Entries before it are durable with it (log matching, atomic appends).
   */
  private checkDurableMajority(n: SimNode & { raw: RawNode }, e: Entry): void {
    const holds = (m: SimNode): boolean => {
      const snap = m.disk.snapshot().metadata.index;
      if (snap >= e.index) return true;
      if (e.index > m.disk.lastIndex() || e.index < m.disk.firstIndex()) return false;
      return m.disk.term(e.index) === e.term;
    };
    const durable = new Set<NodeId>();
    for (const m of this.nodes.values()) if (holds(m)) durable.add(m.id);
    const configs: ReadonlySet<NodeId>[] = [n.raw.raft.tracker.voters, new Set(n.raw.confStateAt(e.index).voters)];
    for (const m of this.nodes.values()) if (m.isUp()) configs.push(m.raw.raft.tracker.voters);
    for (const voters of configs) {
      let k = 0;
      for (const id of voters) if (durable.has(id)) k++;
      if (k >= Math.floor(voters.size / 2) + 1) return;
    }
    throw new SafetyViolation(
      'durable-majority',
      `member ${n.id} applies ${e.index} (term ${e.term}), durable only on [${[...durable].sort((a, b) => a - b)}] of voters [${[...n.raw.raft.tracker.voters]}]`,
    );
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index !== n.applied + 1) {
      throw new SafetyViolation('apply-order', `member ${n.id} applied ${e.index} after ${n.applied}`);
    }
    this.checker.onApply(n.id, e);
    n.applied = e.index;
    if (e.type === 'conf-change' && e.confChange) this.onConfChangeApplied(n, e.index, e.confChange);
    const out = n.kv.apply(e);
    if (e.forwardId !== undefined && n.pendingForwards.has(e.forwardId)) {
      const pf = n.pendingForwards.get(e.forwardId)!;
      n.pendingForwards.delete(e.forwardId);
      const c = this.clients[pf.clientIdx]!;
      if (e.clientId !== c.id || e.seq !== pf.wseq) throw new SafetyViolation('forward-id', `member ${n.id} applied forwardId ${e.forwardId} on an entry of ${e.clientId}:${e.seq}, sent for ${c.id}:${pf.wseq}`);
      // Skipped as stale: the client retried elsewhere and moved on (a still-current op must not be skipped).
      if (out.kind === 'skipped' && c.current?.wseq === pf.wseq) throw new SafetyViolation('exactly-once', `forwarded write ${c.id}:${pf.wseq} was dropped as stale/expired`);
      if (out.kind !== 'skipped') {
        if (c.current?.wseq === pf.wseq) this.stats.forwardedWrites++;
        this.queue.push(this.now + this.rng.range(1, 5), { k: 'client-resp', client: pf.clientIdx, seq: pf.seq, output: out.result });
      }
    }
    const pw = n.pendingWrites.get(e.index);
    if (!pw) return;
    n.pendingWrites.delete(e.index);
    const c = this.clients[pw.clientIdx]!;
    let output: KvOpOutput | 'retry';
    if (e.clientId === c.id && e.seq === pw.wseq) {
      if (out.kind === 'skipped') throw new SafetyViolation('exactly-once', `write ${c.id}:${pw.wseq} was dropped as stale/expired`);
      output = out.result;
    } else {
      output = 'retry'; // our proposal lost its slot to another entry: the client retries
    }
    this.queue.push(this.now + this.rng.range(1, 5), { k: 'client-resp', client: pw.clientIdx, seq: pw.seq, output });
  }

  /** Forwarded proposals the leader dropped (or that found no leader): their clients retry, as RaftNode's callers get the error. */
  private failDroppedProposals(n: SimNode): void {
    for (const d of n.raw!.takeDroppedProposals()) {
      const pf = n.pendingForwards.get(d.forwardId);
      if (!pf) continue;
      n.pendingForwards.delete(d.forwardId);
      this.stats.droppedForwards++;
      this.queue.push(this.now + this.rng.range(1, 5), { k: 'client-resp', client: pf.clientIdx, seq: pf.seq, output: 'retry' });
    }
  }

  private readonly removalsSeen = new Set<number>();

  private onConfChangeApplied(n: SimNode, index: number, cc: ConfChange): void {
    if (cc.type !== 'remove' || this.removalsSeen.has(index)) return;
    this.removalsSeen.add(index);
    const target = this.nodes.get(cc.nodeId);
    if (this.stopRemoved && target && target.state !== 'stopped') {
      this.trace(`stop removed member ${cc.nodeId} (removal committed at ${index}, seen by ${n.id})`);
      target.halt('stopped');
    }
  }

  private serveReads(n: SimNode): void {
    if (n.readyReads.length === 0) return;
    const waiting: typeof n.readyReads = [];
    for (const w of n.readyReads) {
      if (n.applied < w.rs.index) {
        waiting.push(w);
        continue;
      }
      const value = n.kv.get(w.read.key);
      this.queue.push(this.now + this.rng.range(1, 5), { k: 'client-resp', client: w.read.clientIdx, seq: w.read.seq, output: { value } });
    }
    n.readyReads = waiting;
  }

  private maybeCompact(n: SimNode): void {
    if (!n.isUp()) return;
    const first = n.disk.firstIndex();
    if (n.applied - (first - 1) < this.profile.compactAfterEntries) return;
    const data = n.kv.snapshot();
    n.disk.createSnapshot(n.applied, n.raw.confStateAt(n.applied), data);
    this.checker.onSnapshotTaken(n.applied, Buffer.from(data).toString());
    const keep = this.rng.range(0, 5);
    const compactTo = n.applied - keep;
    if (compactTo > first - 1) n.disk.compact(compactTo);
    this.trace(`${n.id} snapshot at ${n.applied}, compacted to ${compactTo}`);
  }

  // ------------------------------------------------------------------ network

  private linkKey(from: NodeId, to: NodeId): string {
    return `${from}>${to}`;
  }

  private send(m: Message): void {
    const net = this.network;
    if (m.type === 'MsgSnap') {
      this.stats.snapshotsSent++;
      const fail = this.rng.chance(this.profile.snapshotFailRate) || this.rng.chance(net.dropRate);
      const at = this.now + this.rng.range(net.minDelayMs, net.maxDelayMs) * 3;
      if (fail) {
        this.queue.push(at, { k: 'snap-report', leader: m.from, to: m.to, ok: false });
      } else {
        this.queue.push(at, { k: 'deliver', msg: m });
      }
      return;
    }
    if (this.rng.chance(net.dropRate)) return;
    const copies = this.rng.chance(net.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = this.rng.range(net.minDelayMs, net.maxDelayMs);
      if (this.rng.chance(net.lateRate)) delay += this.rng.range(20, 200);
      this.queue.push(this.now + delay, { k: 'deliver', msg: m });
    }
  }

  private deliver(m0: Message): void {
    let m = m0;
    const n = this.nodes.get(m.to);
    const cut = this.blocked.has(this.linkKey(m.from, m.to));
    if (!n || !n.isUp() || cut) {
      if (m.type === 'MsgSnap') this.queue.push(this.now + 1, { k: 'snap-report', leader: m.from, to: m.to, ok: false });
      else this.maybeReportUnreachable(m, this.profile.unreachableRate);
      return;
    }
    if (this.opts.bug === 'vote-ignores-log' && (m.type === 'MsgVote' || m.type === 'MsgPreVote')) {
      m = { ...m, index: Number.MAX_SAFE_INTEGER, logTerm: Number.MAX_SAFE_INTEGER };
    }
    if (m.type !== 'MsgHeartbeat' && m.type !== 'MsgHeartbeatResp') {
      this.trace(`${m.from}->${m.to} ${describe(m)}`);
    }
    n.raw.step(m);
    this.failDroppedProposals(n);
    this.processReady(n);
    this.maybeReportUnreachable(m, this.profile.falseUnreachableRate);
    if (m.type === 'MsgSnap') {
      // The transport finished streaming: tell the leader.
      this.queue.push(this.now + 1, { k: 'snap-report', leader: m.from, to: m.to, ok: true });
    }
  }

  /** As a transport whose connection broke: the sender hears (1 ms later) that `m.to` is unreachable. */
  private maybeReportUnreachable(m: Message, rate: number): void {
    if (rate > 0 && !this.healed && this.rng.chance(rate)) this.queue.push(this.now + 1, { k: 'unreachable', node: m.from, peer: m.to });
  }

  private upIds(): NodeId[] {
    return this.idPool.filter((id) => this.nodes.get(id)!.isUp());
  }

  private changePartition(): void {
    this.blocked.clear();
    const ids = this.upIds();
    const kind = this.rng.int(5);
    if (kind === 0 || ids.length < 2) {
      this.trace('network healed');
      return;
    }
    if (kind === 1 || kind === 2) {
      // Symmetric split into two sides.
      const shuffled = this.rng.shuffle([...this.idPool]);
      const cutAt = this.rng.range(1, shuffled.length - 1);
      const a = new Set(shuffled.slice(0, cutAt));
      for (const x of this.idPool) for (const y of this.idPool) if (a.has(x) !== a.has(y)) this.blocked.add(this.linkKey(x, y));
      this.trace(`partition {${[...a].join(',')}} | rest`);
    } else if (kind === 3) {
      // Isolate the leader (or someone), symmetric.
      const leader = this.findLeader();
      const x = leader?.id ?? this.rng.pick(ids);
      for (const y of this.idPool) if (y !== x) this.blocked.add(this.linkKey(x, y)).add(this.linkKey(y, x));
      this.trace(`isolate ${x}`);
    } else {
      // Asymmetric: some links fail in one direction only.
      const pairs = this.rng.range(1, 4);
      const desc: string[] = [];
      for (let i = 0; i < pairs; i++) {
        const x = this.rng.pick(this.idPool);
        const y = this.rng.pick(this.idPool);
        if (x === y) continue;
        this.blocked.add(this.linkKey(x, y));
        desc.push(`${x}-/->${y}`);
      }
      this.trace(`asymmetric cut ${desc.join(' ')}`);
    }
  }

  /** Crashes never take down a majority at once (the cluster must stay able to heal). */
  private canCrash(): boolean {
    const down = this.idPool.map((id) => this.nodes.get(id)!).filter((n) => n.state === 'crashed').length;
    return down < Math.floor(this.opts.nodes / 2);
  }

  private crashSomeone(): void {
    const members = this.idPool.map((id) => this.nodes.get(id)!);
    if (!this.canCrash()) return;
    const up = members.filter((n) => n.isUp());
    if (up.length === 0) return;
    const n = this.rng.pick(up);
    if (this.rng.chance(this.profile.crashMidReadyRate)) {
      n.crashAfterNextPersist = true;
      this.trace(`${n.id} will crash after its next persist`);
    } else {
      this.crash(n, 'between steps');
    }
  }

  private findLeader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.isUp() && n.raw.raft.role === 'leader' && (!best || n.raw.raft.term > best.raw!.raft.term)) best = n;
    }
    return best;
  }

  private changeMembership(): void {
    const l = this.findLeader();
    if (!l || !l.isUp()) return;
    const cs = l.raw.status().confState;
    const members = new Set([...cs.voters, ...cs.learners]);
    const outsiders = this.idPool.filter((id) => !members.has(id));
    const choices: ConfChange[] = [];
    for (const id of outsiders) choices.push({ type: 'add-learner', nodeId: id });
    for (const id of cs.learners) choices.push({ type: 'promote-learner', nodeId: id }, { type: 'remove', nodeId: id });
    const minVoters = this.opts.nodes >= 5 ? 3 : 2;
    if (cs.voters.length > minVoters) {
      for (const id of cs.voters) if (id !== l.id) choices.push({ type: 'remove', nodeId: id });
    }
    if (outsiders.length > 0 && this.rng.chance(0.1)) choices.push({ type: 'add-voter', nodeId: this.rng.pick(outsiders) });
    if (choices.length === 0) return;
    const cc = this.rng.pick(choices);
    try {
      const index = l.raw.proposeConfChange(cc);
      this.stats.confChanges++;
      this.trace(`leader ${l.id} proposed ${cc.type} ${cc.nodeId} at ${index}`);
      const target = this.nodes.get(cc.nodeId)!;
      // "Add back": a member joining (again) is started from whatever its disk holds.
      if ((cc.type === 'add-learner' || cc.type === 'add-voter') && target.state === 'stopped') this.startNode(target);
    } catch (e) {
      if (!(e instanceof RaftError)) throw e;
      this.trace(`leader ${l.id} refused ${cc.type} ${cc.nodeId}: ${e.code} ${e.message}`);
    }
    this.processReady(l);
  }

  private transfer(): void {
    const l = this.findLeader();
    if (!l || !l.isUp()) return;
    const voters = l.raw.status().confState.voters.filter((id) => id !== l.id);
    if (voters.length === 0) return;
    const to = this.rng.pick(voters);
    try {
      l.raw.transferLeadership(to);
      this.stats.transfers++;
      this.trace(`leader ${l.id} transfers leadership to ${to}`);
    } catch (e) {
      if (!(e instanceof RaftError)) throw e;
      this.trace(`transfer refused: ${e.message}`);
    }
    this.processReady(l);
  }

  private heal(): void {
    this.healed = true;
    this.trace('HEAL: network repaired, crashed members restart, faults stop');
    this.blocked.clear();
    this.network = { dropRate: 0, dupRate: 0, minDelayMs: 1, maxDelayMs: 5, lateRate: 0 };
    for (const n of this.nodes.values()) {
      n.crashAfterNextPersist = false;
      if (n.state === 'crashed') this.restart(n);
    }
    const faults = new Set<SimEvent['k']>(['restart', 'partition', 'crash', 'membership', 'transfer']);
    this.queue.filter((ev) => !faults.has(ev.k));
    this.queue.push(this.now + 50, { k: 'liveness-check' });
  }

  // ------------------------------------------------------------------ clients

  private clientWake(ci: number): void {
    const c = this.clients[ci]!;
    if (c.current) return;
    if (this.healed) {
      if (c.finalOps <= 0) return;
      c.finalOps--;
    }
    c.seq++;
    // Now and then a client goes to any member, as clients spread over every member do:
    // followers then send its writes to the leader (MsgProp) and ask the leader for read indexes.
    if (this.rng.chance(0.25)) {
      const up = [...this.nodes.values()].filter((n) => n.isUp());
      if (up.length > 0) c.target = this.rng.pick(up).id;
    }
    const key = this.rng.pick(KEYS);
    const roll = this.rng.float();
    let kind: ClientOp['kind'];
    let input: KvOpInput;
    if (roll < 0.45) {
      kind = 'put';
      input = { key, value: `${c.id}.${c.seq}` };
    } else if (roll < 0.75) {
      kind = 'get';
      input = { key };
    } else {
      kind = 'cas';
      const expected = this.rng.chance(0.3) ? null : `${this.rng.pick(this.clients).id}.${this.rng.range(1, Math.max(1, c.seq))}`;
      input = { key, expected, value: `${c.id}.${c.seq}` };
    }
    const hist: HistoryOp<KvOpInput, KvOpOutput> = { clientId: c.id, op: kind, input, output: undefined, callTime: this.now, returnTime: Infinity };
    this.history.push(hist);
    const wseq = kind === 'get' ? 0 : ++c.wseq;
    c.current = { seq: c.seq, wseq, kind, input, hist, attempt: 0 };
    this.submit(ci);
  }

  private retry(ci: number, delay: number): void {
    const c = this.clients[ci]!;
    if (!c.current) return;
    c.current.attempt++;
    if (delay <= 0) this.submit(ci);
    else this.queue.push(this.now + delay, { k: 'client-retry', client: ci, seq: c.current.seq, attempt: c.current.attempt });
  }

  private submit(ci: number): void {
    const c = this.clients[ci]!;
    const op = c.current!;
    const n = this.nodes.get(c.target)!;
    const attempt = op.attempt;
    this.queue.push(this.now + CLIENT_TIMEOUT_MS, { k: 'client-timeout', client: ci, seq: op.seq, attempt });
    if (!n.isUp()) return; // the timeout retries elsewhere
    try {
      if (op.kind === 'get') {
        const ctx = `${c.id}/${op.seq}/${attempt}`;
        n.pendingReads.set(ctx, { clientIdx: ci, seq: op.seq, key: op.input.key });
        n.raw.readIndex(ctx);
      } else {
        const cmd: KvCommand =
          op.kind === 'put'
            ? { op: 'put', key: op.input.key, value: (op.input as { value: string }).value }
            : { op: 'cas', key: op.input.key, expected: (op.input as { expected: string | null }).expected, value: (op.input as { value: string }).value };
        const data = encodeCommand(cmd);
        if (n.raw.raft.role === 'follower' && n.raw.raft.lead !== 0 && this.rng.chance(0.5)) {
          // etcd's way (RaftNode.submit on a follower): the follower sends the proposal to its
          // leader in a MsgProp and answers when it applies the entry carrying its forwardId.
          const fid = n.nextForwardId++;
          n.raw.forwardProposal(data, { clientId: c.id, seq: op.wseq }, fid);
          n.pendingForwards.set(fid, { clientIdx: ci, seq: op.seq, wseq: op.wseq });
        } else {
          const index = n.raw.propose(data, { clientId: c.id, seq: op.wseq });
          n.pendingWrites.set(index, { clientIdx: ci, seq: op.seq, wseq: op.wseq });
        }
      }
    } catch (e) {
      if (e instanceof NotLeaderError) {
        n.pendingReads.delete(`${c.id}/${op.seq}/${attempt}`);
        c.target = e.leaderId ?? this.rng.pick(this.idPool);
        this.retry(ci, 5);
      } else if (e instanceof ProposalDroppedError) {
        this.retry(ci, 30);
      } else {
        throw e;
      }
    }
    this.processReady(n);
  }

  private clientResponse(ci: number, seq: number, output: KvOpOutput | 'retry'): void {
    const c = this.clients[ci]!;
    const op = c.current;
    if (!op || op.seq !== seq) return; // a late answer to an op already answered
    if (output === 'retry') {
      this.retry(ci, 0);
      return;
    }
    op.hist.output = output;
    op.hist.returnTime = this.now;
    if (op.kind === 'get') this.stats.completedReads++;
    else {
      this.acked.set(`${c.id}:${op.wseq}`, output as KvResult);
      this.stats.ackedWrites++;
    }
    c.current = undefined;
    this.queue.push(this.now + this.rng.range(0, 20), { k: 'client', client: ci });
  }

  // ------------------------------------------------------------------ liveness & final checks

  private livenessReached(): boolean {
    if (this.clients.some((c) => c.current !== undefined || c.finalOps > 0)) return false;
    const l = this.findLeader();
    if (!l || !l.isUp()) return false;
    const st = l.raw.status();
    if (st.hardState.commit !== st.lastIndex) return false;
    for (const id of [...st.confState.voters, ...st.confState.learners]) {
      const n = this.nodes.get(id)!;
      if (!n.isUp() || n.applied !== st.hardState.commit) return false;
    }
    return true;
  }

  private livenessReport(): string {
    const parts = [...this.nodes.values()].map((n) => {
      if (!n.isUp()) return `${n.id}:${n.state}`;
      const s = n.raw.status();
      return `${n.id}:${s.softState.role}/t${s.hardState.term}/c${s.hardState.commit}/a${n.applied}/last${s.lastIndex}/conf[${s.confState.voters}|${s.confState.learners}]`;
    });
    const pending = this.clients.filter((c) => c.current).map((c) => `${c.id}#${c.current!.seq}@${c.target}`);
    return `${parts.join(' ')}; pending ${pending.join(',') || 'none'}`;
  }

  /** Every acknowledged write was applied exactly once, with the result the client saw. */
  private finalChecks(): void {
    const entries = this.checker.appliedEntries;
    const ref = new Kv();
    const executed = new Map<string, number>();
    const results = new Map<string, KvResult>();
    for (let i = 1; i < entries.length; i++) {
      const e = entries[i];
      if (!e) throw new SafetyViolation('exactly-once', `no member ever applied index ${i}`);
      const out = ref.apply(e);
      if (out.kind === 'executed' && e.clientId !== undefined) {
        const k = `${e.clientId}:${e.seq}`;
        executed.set(k, (executed.get(k) ?? 0) + 1);
        results.set(k, out.result);
      }
    }
    for (const [k, n] of executed) {
      if (n > 1) throw new SafetyViolation('exactly-once', `${k} was executed ${n} times`);
    }
    for (const [k, r] of this.acked) {
      const got = results.get(k);
      if (!got) throw new SafetyViolation('exactly-once', `acknowledged write ${k} was never applied`);
      if (got.ok !== r.ok) throw new SafetyViolation('exactly-once', `write ${k} answered ${JSON.stringify(r)} but applied as ${JSON.stringify(got)}`);
    }
    const l = this.findLeader()!;
    const want = ref.digest();
    for (const id of [...l.raw!.status().confState.voters, ...l.raw!.status().confState.learners]) {
      const n = this.nodes.get(id)!;
      if (n.applied === entries.length - 1 && n.kv.digest() !== want) {
        throw new SafetyViolation('state-machine-safety', `member ${id}'s state differs from the reference state at ${n.applied}`);
      }
    }
  }
}

function describe(m: Message): string {
  switch (m.type) {
    case 'MsgApp':
      return `MsgApp t${m.term} prev(${m.index},t${m.logTerm}) n=${m.entries.length} commit ${m.commit}`;
    case 'MsgAppResp':
      return `MsgAppResp t${m.term} ${m.reject ? `REJECT ${m.index} hint ${m.rejectHint}/t${m.logTerm}` : `ok ${m.index}`}`;
    case 'MsgVote':
    case 'MsgPreVote':
      return `${m.type} t${m.term} last(${m.index},t${m.logTerm})${m.context ? ' ' + m.context : ''}`;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return `${m.type} t${m.term} ${m.reject ? 'rejected' : 'granted'}`;
    case 'MsgSnap':
      return `MsgSnap t${m.term} at ${m.snapshot?.metadata.index}`;
    case 'MsgReadIndex':
    case 'MsgReadIndexResp':
      return `${m.type} t${m.term} ${m.context} index ${m.index}`;
    case 'MsgProp':
      return `MsgProp t${m.term} n=${m.entries.length} ${m.entries.map((e) => `${e.clientId}:${e.seq}#${e.forwardId}`).join(' ')}`;
    case 'MsgPropResp':
      return `MsgPropResp t${m.term} dropped (${PROP_DROP_REASONS[m.rejectHint] ?? m.rejectHint}) ${m.entries.map((e) => `#${e.forwardId}`).join(' ')}`;
    default:
      return `${m.type} t${m.term}`;
  }
}

export function runSimulation(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}

/**
 * The bug 'commit-counts-unsynced-leader': what Raft.commitFor would say if it counted the
 * leader's whole log (lastIndex) instead of what it persisted (departure 16 done wrong).
 */
function unsyncedCommitFor(raw: RawNode, to: number): number {
  const r = raw.raft;
  const q = r.tracker.committedCounting(r.id, r.log.lastIndex(), to);
  return r.log.term(q) === r.term ? q : 0;
}
