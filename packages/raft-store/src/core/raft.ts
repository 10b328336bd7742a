/**
 * The Raft state machine (etcd-raft style). Pure and deterministic: no I/O, no clock (time is
 * tick()), no randomness except config.randomInt, no awaits. Inputs are tick(), step(msg) and
 * the proposal methods; outputs accumulate in `msgs`, `readStates` and the log's unstable part,
 * and are collected by RawNode into a Ready.
 *
 * Section references are to Ongaro's thesis ("Consensus: Bridging Theory and Practice", 2014)
 * and the extended Raft paper.
 */
import type { RaftConfig } from './config';
import {
  ConfChangeRefusedError,
  NotLeaderError,
  ProposalDroppedError,
  RaftInvariantError,
  TransferRefusedError,
} from './errors';
import { RaftLog } from './log';
import { ConfigHistory, applyConfChange } from './membership';
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, ReadState, Role, Snapshot, SoftState } from './messages';
import { CAMPAIGN_TRANSFER, NONE, PROP_DROP_REASONS, payloadSize } from './messages';

const NO_DATA = new Uint8Array(0);
import { ProgressTracker } from './progress';
import { ReadOnly } from './read-only';
import type { LogStorage } from './storage';

type Outgoing = Partial<Message> & Pick<Message, 'type' | 'to'>;

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = 'follower';
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  readonly confHistory: ConfigHistory;
  /** Outgoing messages, drained by RawNode.ready(). */
  msgs: Message[] = [];
  /** Proposals were appended since the last flushProposals(): their appends are not sent yet. */
  private proposalsUnsent = false;
  /** This follower's proposals since the last flushProposals(), for one MsgProp to the leader. */
  private forwardsUnsent: Entry[] = [];
  /** Leader: the commit index or its own durable index moved since the last flushProposals(). */
  private commitsUnsent = false;
  /** Reads that became safe, drained by RawNode.ready(). */
  readStates: ReadState[] = [];
  /** Target of an ongoing leadership transfer, NONE otherwise. */
  leadTransferee: NodeId = NONE;
  /** Index of the newest conf-change entry (or the leader's first entry); no new change until it commits. */
  pendingConfIndex = 0;

  private readOnly: ReadOnly;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private randomizedElectionTimeout = 0;
  /** Leader/candidate/follower: ticks since the last reset (see tickElection / tickHeartbeat). */
  private electionElapsed = 0;
  /** The leader this follower forgot on a leader-loss report (NONE if none). */
  private lostLeader: NodeId = NONE;
  /** Ticks during which leader-loss reports are ignored: set when one proved a false alarm. */
  private lossMute = 0;
  private heartbeatElapsed = 0;
  private uncommittedSize = 0;
  /** ReadIndex requests that arrived before the leader committed an entry of its term. */
  private pendingReadIndexMessages: Message[] = [];

  constructor(
    private readonly cfg: RaftConfig,
    storage: LogStorage,
  ) {
    this.id = cfg.id;
    this.electionTimeout = cfg.electionTick;
    this.heartbeatTimeout = cfg.heartbeatTick;
    this.log = new RaftLog(storage, cfg.maxCommittedSizePerReady);
    this.tracker = new ProgressTracker(cfg.maxInflightMsgs);
    this.readOnly = new ReadOnly(cfg.readOnlyOption);
    const { hardState, confState } = storage.initialState();
    this.confHistory = new ConfigHistory(storage.firstIndex() - 1, confState);
    // Config is "last config entry in the log": rebuild it from the stable entries once at start.
    const last = storage.lastIndex();
    for (let lo = storage.firstIndex(); lo <= last; ) {
      const ents = storage.entries(lo, last + 1, Number.MAX_SAFE_INTEGER);
      this.confHistory.record(ents);
      lo += ents.length;
    }
    this.tracker.applyConfState(this.confHistory.current(), last + 1);
    if (hardState.commit > last) {
      throw new RaftInvariantError(`persisted commit ${hardState.commit} beyond last index ${last}: storage lost entries`);
    }
    this.log.commitTo(hardState.commit);
    if (cfg.applied > 0) {
      if (cfg.applied > this.log.committed) {
        throw new RaftInvariantError(`config.applied ${cfg.applied} beyond persisted commit ${this.log.committed}`);
      }
      if (cfg.applied > this.log.applied) this.log.appliedTo(cfg.applied);
    }
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.becomeFollower(this.term, NONE);
  }

  // ---------------------------------------------------------------- state accessors

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  /** Only voters campaign (learners and removed members never do). */
  promotable(): boolean {
    return this.tracker.voters.has(this.id);
  }

  confState(): ConfState {
    return this.confHistory.current();
  }

  // ---------------------------------------------------------------- role transitions

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTimeout + this.cfg.randomInt(this.electionTimeout);
    this.leadTransferee = NONE;
    this.tracker.resetVotes();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.tracker.progress) {
      pr.match = id === this.id ? last : 0;
      pr.next = last + 1;
      pr.becomeProbe();
      pr.next = last + 1;
      pr.recentActive = id === this.id;
      pr.sentCommit = 0;
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.cfg.readOnlyOption);
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  /** Pre-vote: changes neither term nor vote, so a failed pre-campaign leaves no trace (§9.6). */
  private becomePreCandidate(): void {
    if (this.role === 'leader') throw new RaftInvariantError('leader cannot become pre-candidate');
    this.tracker.resetVotes();
    this.lead = NONE;
    this.role = 'pre-candidate';
  }

  private becomeCandidate(): void {
    if (this.role === 'leader') throw new RaftInvariantError('leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    if (this.role === 'follower') throw new RaftInvariantError('follower cannot become leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.tracker.progress.get(this.id);
    if (self) self.becomeReplicate();
    // §5.4.2/§6.4: the no-op lets the leader commit its predecessors' entries and learn the commit index.
    this.appendEntries([{ type: 'normal', data: new Uint8Array() }]);
    // No config change until this term's no-op commits (see membership.ts).
    this.pendingConfIndex = this.log.lastIndex();
  }

  // ---------------------------------------------------------------- time

  tick(): void {
    if (this.lossMute > 0) this.lossMute--;
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.tracker.quorumActiveAndReset(this.id)) {
        this.becomeFollower(this.term, NONE); // check-quorum: we may be in a minority partition
        return;
      }
      // §3.10: a transfer that did not finish within an election timeout is aborted.
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastPendingRequestCtx());
    }
  }

  // ---------------------------------------------------------------- elections

  private hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable()) return;
    if (this.cfg.preVote && !transfer) this.campaign('pre-vote', false);
    else this.campaign('election', transfer);
  }

  private campaign(kind: 'pre-vote' | 'election', transfer: boolean): void {
    let term: number;
    if (kind === 'pre-vote') {
      this.becomePreCandidate();
      term = this.term + 1; // the term we would campaign in; ours does not change yet
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    this.tracker.recordVote(this.id, true);
    if (this.tracker.tallyVotes() === 'won') {
      // Single voter: no one else to ask.
      if (kind === 'pre-vote') this.campaign('election', transfer);
      else this.becomeLeaderAndAnnounce();
      return;
    }
    const type = kind === 'pre-vote' ? 'MsgPreVote' : 'MsgVote';
    for (const id of [...this.tracker.voters].sort((a, b) => a - b)) {
      if (id === this.id) continue;
      this.send({
        type,
        to: id,
        term,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        ...(transfer ? { context: CAMPAIGN_TRANSFER } : {}),
      });
    }
  }

  private becomeLeaderAndAnnounce(): void {
    this.becomeLeader();
    this.bcastAppend();
  }

  private handleVoteRequest(m: Message): void {
    const respType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
    // §5.2: one vote per term (a repeated request from our candidate is answered again).
    // Pre-votes for a future term are free: they change nothing.
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === 'MsgPreVote' && m.term > this.term);
    // §5.4.1 election restriction.
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // The response carries the requested term so the candidate counts it (pre-vote: our term is lower).
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === 'MsgVote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  // ---------------------------------------------------------------- step

  step(m: Message): void {
    // A drop notice is true whatever the term it comes at: those proposals were not appended.
    if (m.type === 'MsgPropResp') this.noteDropped(m.entries, PROP_DROP_REASONS[m.rejectHint] ?? 'not-leader');
    if (this.lostLeader !== NONE && m.term >= this.term && (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap')) {
      // A leader is heard: the report is settled. If it is the one we forgot, the report was
      // a false alarm (e.g. a link that fails one way): further reports wait an election
      // timeout, so such a link cannot make this member forget and re-learn its leader at
      // every heartbeat.
      if (m.from === this.lostLeader) this.lossMute = this.electionTimeout;
      this.lostLeader = NONE;
    }
    if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        const force = m.context === CAMPAIGN_TRANSFER;
        // Leader lease (§4.2.3): while we heard from a live leader within the election timeout,
        // (pre-)vote requests are ignored, without even adopting their term.
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) return;
      }
      if (m.type === 'MsgPreVote') {
        // Never change term on a pre-vote request.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // A granted pre-vote carries our future term; the term changes when the pre-vote is won.
      } else if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') {
        this.becomeFollower(m.term, m.from); // §5.1
      } else {
        this.becomeFollower(m.term, NONE); // §5.1
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
        // A stale leader (e.g. after a partition) would otherwise never learn our term: with
        // pre-vote/check-quorum we may never campaign at a higher term to tell it.
        this.send({ type: 'MsgAppResp', to: m.from });
      } else if (m.type === 'MsgPreVote') {
        this.send({ type: 'MsgPreVoteResp', to: m.from, term: this.term, reject: true });
      } else if (m.type === 'MsgProp') {
        // Proposals sent at a stale term are not passed on; their proposer is told (and, by
        // our term, learns that its view is stale).
        this.dropForwarded(m, m.entries, 'not-leader');
      }
      return; // §5.1: stale requests are ignored
    }

    if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'MsgTimeoutNow':
        // §3.10: campaign at once, skipping pre-vote; voters ignore their lease for it.
        this.hup(true);
        return;
      case 'MsgReadIndex':
        // A member that thinks we lead; pass it on if we know better.
        if (this.lead !== NONE) this.send({ ...m, to: this.lead, from: m.from, term: this.term });
        return;
      case 'MsgProp':
        // Proposals for a leader we no longer are / never were: pass them on if one is known.
        if (this.lead !== NONE && this.lead !== m.from) this.send({ ...m, to: this.lead, from: m.from, term: this.term });
        else this.dropForwarded(m, m.entries, 'not-leader');
        return;

      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index, ctx: m.context ?? '' });
        return;
      default:
        return;
    }
  }

  private stepCandidate(m: Message): void {
    const myResp = this.role === 'pre-candidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    switch (m.type) {
      case 'MsgApp':
        this.becomeFollower(m.term, m.from); // §5.2: a leader of our term exists
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case myResp: {
        this.tracker.recordVote(m.from, !m.reject);
        const r = this.tracker.tallyVotes();
        if (r === 'won') {
          if (this.role === 'pre-candidate') this.campaign('election', false);
          else this.becomeLeaderAndAnnounce();
        } else if (r === 'lost') {
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      case 'MsgProp':
        // No leader to pass them to (we are campaigning): the proposer is told at once.
        this.dropForwarded(m, m.entries, 'not-leader');
        return;
      default:
        return;
    }
  }

  private stepLeader(m: Message): void {
    if (m.type === 'MsgReadIndex') {
      this.leaderReadIndex(m);
      return;
    }
    if (m.type === 'MsgProp') {
      // From a non-member (any more): dropped, no one to tell.
      if (this.tracker.progress.has(m.from) && m.from !== this.id) this.appendForwarded(m);
      return;
    }
    const pr = this.tracker.progress.get(m.from);
    if (!pr || m.from === this.id) return;
    switch (m.type) {
      case 'MsgAppResp': {
        pr.recentActive = true;
        if (m.reject) {
          let nextProbe = m.rejectHint;
          if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
          if (pr.maybeDecrTo(m.index, nextProbe)) {
            if (pr.state === 'replicate') pr.becomeProbe();
            this.sendAppend(m.from, true);
          }
          return;
        }
        const wasPaused = pr.isPaused();
        // A probe answered exactly at our known match also confirms where the logs agree.
        const confirmsProbe = pr.state === 'probe' && pr.match === m.index;
        if (!pr.maybeUpdate(m.index) && !confirmsProbe) return; // stale or duplicate ack
        if (pr.state === 'probe') {
          pr.becomeReplicate();
        } else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
          // The follower has what the snapshot covered (or more): resume normal replication.
          pr.becomeProbe();
          pr.becomeReplicate();
        } else if (pr.state === 'replicate') {
          pr.inflights.freeLE(m.index);
        }
        // A new durable copy: the commit index, or what another follower may be told committed
        // counting itself (departure 16), may have moved; told at the next flushProposals().
        this.commitsUnsent = true;
        if (!this.maybeCommit() && wasPaused) {
          this.sendAppend(m.from, false);
        }
        // Pipelining: keep the follower's window full.
        while (this.sendAppend(m.from, false)) {
          /* keep sending */
        }
        // §3.10: the transfer target is caught up: tell it to campaign.
        if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
          this.send({ type: 'MsgTimeoutNow', to: m.from });
        }
        return;
      }
      case 'MsgHeartbeatResp': {
        pr.recentActive = true;
        pr.probeSent = false;
        // A full window whose acks were lost would stall forever: free one slot per heartbeat.
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
        if (pr.match < this.log.lastIndex() || pr.state === 'probe') this.sendAppend(m.from, true);
        if (this.readOnly.option !== 'safe' || !m.context) return;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (!acks) return;
        if (!this.hasQuorum(acks)) return;
        for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.from, rs.ctx, rs.index);
        return;
      }
      default:
        return;
    }
  }

  private hasQuorum(acks: ReadonlySet<NodeId>): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const id of acks) votes.set(id, true);
    return this.tracker.tallyVotesOf(votes) === 'won';
  }

  // ---------------------------------------------------------------- follower handlers

  private handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      // Stale: everything up to our commit index is already agreed.
      this.send({ type: 'MsgAppResp', to: m.from, index: this.log.committed });
      return;
    }
    // §5.3 consistency check.
    if (this.log.matchTerm(m.index, m.logTerm)) {
      const ci = this.log.findConflict(m.entries);
      if (ci !== 0) {
        if (ci <= this.log.committed) {
          throw new RaftInvariantError(`entry ${ci} conflicts with committed ${this.log.committed}`);
        }
        this.appendToLog(m.entries.slice(ci - (m.index + 1)));
      }
      const lastNew = m.index + m.entries.length;
      this.log.commitTo(Math.min(m.commit, lastNew));
      this.send({ type: 'MsgAppResp', to: m.from, index: lastNew });
      return;
    }
    // Reject with a hint: the largest index <= m.index whose term <= m.logTerm. The leader skips
    // every index above it in one round trip instead of one per entry (§5.3, fast backtracking).
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send({
      type: 'MsgAppResp',
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    this.send({ type: 'MsgHeartbeatResp', to: m.from, ...(m.context !== undefined ? { context: m.context } : {}) });
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (!s) return;
    if (this.restore(s)) {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.log.lastIndex() });
    } else {
      this.send({ type: 'MsgAppResp', to: m.from, index: this.log.committed });
    }
  }

  /** Returns true if the snapshot replaced our log (it then appears in the next Ready). */
  private restore(s: Snapshot): boolean {
    const { index, term } = s.metadata;
    if (index <= this.log.committed) return false;
    if (this.role !== 'follower') return false;
    if (this.log.matchTerm(index, term)) {
      // We have the snapshot's last entry: by log matching, everything before it too.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(s);
    this.confHistory.reset(index, s.metadata.confState);
    this.tracker.applyConfState(s.metadata.confState, this.log.lastIndex() + 1);
    return true;
  }

  // ---------------------------------------------------------------- log & config

  /** Appends to our log, keeping the configuration equal to the newest config entry in it. */
  private appendToLog(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    let changed = this.confHistory.truncateFrom(ents[0]!.index);
    this.log.append(ents);
    if (this.confHistory.record(ents)) changed = true;
    if (changed) this.switchToConfig(this.confHistory.current());
  }

  private switchToConfig(cs: ConfState): void {
    this.tracker.applyConfState(cs, this.log.lastIndex() + 1);
    if (this.role === 'leader' && this.leadTransferee !== NONE && !this.tracker.voters.has(this.leadTransferee)) {
      this.leadTransferee = NONE;
    }
  }

  /** Leader only: appends entries of the current term; returns the new last index. */
  private appendEntries(es: readonly Omit<Entry, 'index' | 'term'>[]): number {
    const li = this.log.lastIndex();
    // Built field by field: an object spread per proposal was 2% of a leader's CPU.
    const ents: Entry[] = es.map((e, i) => {
      const o: { -readonly [K in keyof Entry]: Entry[K] } = { index: li + 1 + i, term: this.term, type: e.type, data: e.data };
      if (e.confChange !== undefined) o.confChange = e.confChange;
      if (e.clientId !== undefined) o.clientId = e.clientId;
      if (e.seq !== undefined) o.seq = e.seq;
      if (e.forwardId !== undefined) o.forwardId = e.forwardId;
      return o;
    });
    this.appendToLog(ents);
    const last = this.log.lastIndex();
    this.tracker.progress.get(this.id)?.maybeUpdate(last);
    this.maybeCommit();
    return last;
  }

  /** §5.4.2: commit by counting replicas only for an entry of the current term. */
  private maybeCommit(): boolean {
    const committed = this.log.maybeCommit(this.tracker.committed(), this.term);
    if (committed && this.committedEntryInCurrentTerm() && this.pendingReadIndexMessages.length > 0) {
      const pending = this.pendingReadIndexMessages;
      this.pendingReadIndexMessages = [];
      for (const m of pending) this.leaderReadIndex(m);
    }
    return committed;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /** Called by RawNode.advance for applied entries: they no longer count as uncommitted. */
  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.role !== 'leader') return;
    let s = 0;
    for (const e of ents) s += payloadSize(e);
    this.uncommittedSize = Math.max(0, this.uncommittedSize - s);
  }

  // ---------------------------------------------------------------- replication

  private send(m: Outgoing): void {
    this.msgs.push({
      from: this.id,
      term: this.term,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      reject: false,
      rejectHint: 0,
      ...m,
    });
  }

  /**
   * Sends the follower what it needs next (MsgApp, or MsgSnap if it needs compacted entries).
   * Returns whether a message was sent. `sendIfEmpty`: also send an entry-less MsgApp (a probe
   * or a commit-index update).
   */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (!pr || to === this.id || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return this.sendSnapshot(to);
    const ents = this.log.entries(pr.next, this.cfg.maxSizePerMsg);
    if (ents.length === 0 && !sendIfEmpty) return false;
    const commit = this.commitFor(to);
    if (commit > pr.sentCommit) pr.sentCommit = commit;
    this.send({ type: 'MsgApp', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit });
    if (pr.state === 'replicate') {
      if (ents.length > 0) {
        const last = ents[ents.length - 1]!.index;
        pr.next = last + 1; // optimistic
        pr.inflights.add(last);
      }
    } else if (pr.state === 'probe') {
      pr.probeSent = true;
    }
    return true;
  }

  private sendSnapshot(to: NodeId): boolean {
    const pr = this.tracker.progress.get(to)!;
    // A follower we have not heard from recently may be down: do not ship a snapshot into the void.
    if (!pr.recentActive) return false;
    const snap = this.log.snapshot();
    if (snap.metadata.index === 0) throw new RaftInvariantError('log compacted but no snapshot available');
    pr.becomeSnapshot(snap.metadata.index);
    this.send({ type: 'MsgSnap', to, snapshot: snap });
    return true;
  }

  /**
   * Leader: the commit index a MsgApp to `to` carries (departure 16). What the leader knows
   * committed, but at most what it holds durably itself (it counts itself in commits before
   * its fsync, and a follower told a commit may apply and answer it: see RawNode.freshCommits);
   * or more: the highest entry of this term that a majority holds durably counting `to` as
   * holding it. `to` caps what it is told at the last entry this message verified (lastNew) and
   * applies only what it has persisted, so by then that entry is durable on a majority
   * (§5.4.2's condition) whoever observes it. With 3 voters that is the leader's own fsync or
   * the other follower's ack, whichever comes first: a follower learns the commit of an entry
   * one message after the leader's fsync instead of after its own ack's round trip.
   */
  commitFor(to: NodeId): number {
    const stable = this.log.stableLastIndex();
    const c = Math.min(this.log.committed, stable);
    const q = this.tracker.committedCounting(this.id, stable, to);
    return q > c && this.log.term(q) === this.term ? q : c;
  }

  /**
   * Leader: tells every follower what it has not been told yet: pending entries (as ever), and
   * a commit index above the last one it was sent (an entry-less MsgApp). Run by
   * flushProposals() when the commit index moved (an ack) or the leader's own log became
   * durable further (noteStable), after the appends of new proposals, which carry it too.
   */
  private bcastCommit(): void {
    if (this.role !== 'leader') return;
    for (const id of [...this.tracker.progress.keys()].sort((a, b) => a - b)) {
      if (id === this.id) continue;
      this.sendAppend(id, this.commitFor(id) > this.tracker.progress.get(id)!.sentCommit);
    }
  }

  private bcastAppend(): void {
    for (const id of [...this.tracker.progress.keys()].sort((a, b) => a - b)) {
      if (id !== this.id) this.sendAppend(id, true);
    }
  }

  private bcastHeartbeat(ctx: string | undefined): void {
    for (const [id, pr] of [...this.tracker.progress].sort((a, b) => a[0] - b[0])) {
      if (id === this.id) continue;
      // Never tell a follower to commit beyond what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'MsgHeartbeat', to: id, commit, ...(ctx !== undefined ? { context: ctx } : {}) });
    }
  }

  // ---------------------------------------------------------------- client-facing operations

  private requireLeader(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.lead === NONE ? undefined : this.lead);
  }

  propose(data: Uint8Array, meta?: { clientId: string; seq: number }): number {
    this.requireLeader();
    if (this.leadTransferee !== NONE) throw new ProposalDroppedError('transferring');
    const refused = this.overUncommittedLimit(data.byteLength);
    if (refused) throw new ProposalDroppedError('uncommitted-size-limit', refused);
    this.uncommittedSize += data.byteLength;
    const index = this.appendEntries([
      meta ? { type: 'normal', data, clientId: meta.clientId, seq: meta.seq } : { type: 'normal', data },
    ]);
    // The MsgApps go out when the caller next asks for a Ready (flushProposals), one per
    // follower for every proposal since the last one, instead of one per proposal.
    this.proposalsUnsent = true;
    return index;
  }

  /** Why a proposal of `size` bytes would exceed maxUncommittedEntriesSize, or undefined. */
  private overUncommittedLimit(size: number): string | undefined {
    const max = this.cfg.maxUncommittedEntriesSize;
    if (max > 0 && this.uncommittedSize > 0 && size > 0 && this.uncommittedSize + size > max) {
      return `proposal dropped: ${this.uncommittedSize} uncommitted bytes + ${size} exceed maxUncommittedEntriesSize ${max}`;
    }
    return undefined;
  }

  /**
   * A follower's proposal: sent to the leader in a MsgProp (with the other proposals of this
   * Ready, flushProposals), which appends it as its own. Nothing comes back for an appended
   * one: the proposer learns the outcome when it applies an entry carrying `forwardId` (etcd's
   * way). One that is dropped (the leader transfers leadership or is over its uncommitted
   * budget; no leader is known where it arrives) comes back in a MsgPropResp and is handed to
   * the caller by RawNode.takeDroppedProposals(); one lost with a leader is never applied.
   * Throws NotLeaderError when no leader is known (also as a candidate) and when this member
   * leads (propose() is for that).
   */
  forwardProposal(data: Uint8Array, meta?: { clientId: string; seq: number }, forwardId?: number): void {
    if (this.role !== 'follower' || this.lead === NONE) throw new NotLeaderError(this.lead === NONE ? undefined : this.lead);
    const e: { -readonly [K in keyof Entry]: Entry[K] } = { index: 0, term: 0, type: 'normal', data };
    if (meta) {
      e.clientId = meta.clientId;
      e.seq = meta.seq;
    }
    if (forwardId !== undefined) e.forwardId = forwardId;
    this.forwardsUnsent.push(e);
  }

  /** Leader: the entries of a follower's MsgProp, appended unless a local proposal would be refused. */
  private appendForwarded(m: Message): void {
    if (this.leadTransferee !== NONE) {
      this.dropForwarded(m, m.entries, 'transferring');
      return;
    }
    const accepted: Omit<Entry, 'index' | 'term'>[] = [];
    const refused: Entry[] = [];
    for (const e of m.entries) {
      if (e.type !== 'normal' || this.overUncommittedLimit(e.data.byteLength)) {
        refused.push(e);
        continue;
      }
      this.uncommittedSize += e.data.byteLength;
      accepted.push(e);
    }
    if (refused.length > 0) this.dropForwarded(m, refused, 'uncommitted-size-limit');
    if (accepted.length === 0) return;
    this.appendEntries(accepted);
    this.proposalsUnsent = true;
  }

  /**
   * Forwarded proposals not appended: the proposer is told which (by forwardId, the data
   * left out) and why, so its callers fail as fast as a local proposal would (etcd drops them
   * silently and its callers time out). Proposals without a forwardId are dropped quietly.
   */
  private dropForwarded(m: Message, entries: readonly Entry[], reason: (typeof PROP_DROP_REASONS)[number]): void {
    const ids: Entry[] = [];
    for (const e of entries) if (e.forwardId !== undefined) ids.push({ index: 0, term: 0, type: 'normal', data: NO_DATA, forwardId: e.forwardId });
    if (ids.length > 0 && m.from !== this.id) this.send({ type: 'MsgPropResp', to: m.from, reject: true, rejectHint: PROP_DROP_REASONS.indexOf(reason), entries: ids });
  }

  private noteDropped(entries: readonly Entry[], reason: (typeof PROP_DROP_REASONS)[number]): void {
    for (const e of entries) if (e.forwardId !== undefined) this.droppedProposals.push({ forwardId: e.forwardId, reason });
  }

  /** Forwarded proposals this member made that were dropped (MsgPropResp, or no leader to send them to), taken by RawNode. */
  droppedProposals: Array<{ forwardId: number; reason: (typeof PROP_DROP_REASONS)[number] }> = [];

  /**
   * Sends the appends of the proposals made since the last call (RawNode calls it before it
   * looks for a Ready). etcd broadcasts at every proposal; with many proposals per event-loop
   * turn that built, sent and (in the node) merged one MsgApp per proposal and follower, and
   * took one inflight slot for each.
   */
  flushProposals(): void {
    if (this.forwardsUnsent.length > 0) {
      const entries = this.forwardsUnsent;
      this.forwardsUnsent = [];
      // Sent at the term and to the leader of the time of sending: proposals made under a leader
      // that is gone meanwhile go to the new one, and are dropped when none is known.
      if (this.role === 'follower' && this.lead !== NONE) this.send({ type: 'MsgProp', to: this.lead, term: this.term, entries });
      else this.noteDropped(entries, 'not-leader');
    }
    if (this.proposalsUnsent) {
      this.proposalsUnsent = false;
      // As many messages as the window allows, as the per-proposal broadcasts did (one message
      // holds up to maxSizePerMsg bytes of entries).
      if (this.role === 'leader') {
        for (const id of [...this.tracker.progress.keys()].sort((a, b) => a - b)) {
          if (id !== this.id && this.sendAppend(id, true)) while (this.sendAppend(id, false)) { /* more */ }
        }
      }
    }
    // After the appends above, which carry the new commit indexes where they go.
    if (this.commitsUnsent) {
      this.commitsUnsent = false;
      this.bcastCommit();
    }
  }

  /**
   * RawNode.advance: the caller persisted more entries. A leader may now tell its followers
   * more committed (commitFor counts its durable copy), at the next flushProposals().
   */
  noteStable(): void {
    if (this.role === 'leader') this.commitsUnsent = true;
  }

  proposeConfChange(cc: ConfChange): number {
    this.requireLeader();
    if (this.leadTransferee !== NONE) throw new ProposalDroppedError('transferring');
    if (this.pendingConfIndex > this.log.committed) {
      throw new ConfChangeRefusedError('pending', `config change refused: entry ${this.pendingConfIndex} not committed yet`);
    }
    const cur = this.confHistory.current();
    const isVoter = cur.voters.includes(cc.nodeId);
    const isLearner = cur.learners.includes(cc.nodeId);
    switch (cc.type) {
      case 'add-voter':
        if (isVoter || isLearner) throw new ConfChangeRefusedError('already-member');
        break;
      case 'add-learner':
        if (isVoter || isLearner) throw new ConfChangeRefusedError('already-member');
        break;
      case 'promote-learner': {
        if (!isLearner) throw new ConfChangeRefusedError(isVoter ? 'not-learner' : 'not-member');
        const pr = this.tracker.progress.get(cc.nodeId);
        const lag = this.log.lastIndex() - (pr?.match ?? 0);
        if (lag > this.cfg.promoteMaxLag) {
          throw new ConfChangeRefusedError('learner-lagging', `config change refused: learner ${cc.nodeId} is ${lag} entries behind`);
        }
        break;
      }
      case 'remove':
        if (!isVoter && !isLearner) throw new ConfChangeRefusedError('not-member');
        if (cc.nodeId === this.id) throw new ConfChangeRefusedError('remove-leader');
        break;
    }
    if (cc.nodeId === 0 || !Number.isSafeInteger(cc.nodeId)) throw new ConfChangeRefusedError('not-member', 'invalid node id');
    // Validate the result keeps at least one voter.
    if (applyConfChange(cur, cc).voters.length === 0) throw new ConfChangeRefusedError('remove-leader');
    const index = this.appendEntries([{ type: 'conf-change', data: new Uint8Array(), confChange: cc }]);
    this.pendingConfIndex = index;
    this.bcastAppend();
    return index;
  }

  /**
   * Requests a linearizable read (§6.4). The answer arrives as a ReadState with the same ctx in a
   * later Ready; a read lost to a leader change is never answered (the caller times out and retries).
   */
  readIndex(ctx: string): void {
    if (this.role === 'leader') {
      this.leaderReadIndex({ ...this.blankMessage('MsgReadIndex', this.id), context: ctx });
    } else if (this.lead !== NONE) {
      this.send({ type: 'MsgReadIndex', to: this.lead, context: ctx });
    } else {
      throw new NotLeaderError(undefined);
    }
  }

  private blankMessage(type: Message['type'], to: NodeId): Message {
    return { type, from: this.id, to, term: this.term, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
  }

  private leaderReadIndex(m: Message): void {
    const ctx = m.context ?? '';
    if (this.tracker.isSingleton(this.id)) {
      this.respondToReadIndex(m.from, ctx, this.log.committed);
      return;
    }
    // §6.4 step 1: until an entry of our term commits, our commit index may be behind.
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndexMessages.push(m);
      return;
    }
    if (this.readOnly.option === 'lease-based') {
      this.respondToReadIndex(m.from, ctx, this.log.committed);
      return;
    }
    // §6.4 steps 2-3: record the commit index, confirm leadership with a heartbeat round.
    this.readOnly.addRequest(this.log.committed, m.from, ctx);
    this.readOnly.recvAck(this.id, ctx);
    this.bcastHeartbeat(ctx);
  }

  private respondToReadIndex(from: NodeId, ctx: string, index: number): void {
    if (from === NONE || from === this.id) {
      this.readStates.push({ index, ctx });
    } else {
      this.send({ type: 'MsgReadIndexResp', to: from, index, context: ctx });
    }
  }

  /** §3.10: hand leadership to `to` (a voter). Proposals are refused until done or aborted. */
  transferLeadership(to: NodeId): void {
    this.requireLeader();
    if (to === this.id) return;
    const pr = this.tracker.progress.get(to);
    if (!pr || pr.isLearner) throw new TransferRefusedError(`cannot transfer leadership to ${to}: not a voter`);
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0; // the transfer must complete within one election timeout
    if (pr.match === this.log.lastIndex()) this.send({ type: 'MsgTimeoutNow', to });
    else this.sendAppend(to, true);
  }

  /** The transport's verdict on a MsgSnap to `to`. */
  reportSnapshot(to: NodeId, ok: boolean): void {
    const pr = this.tracker.progress.get(to);
    if (this.role !== 'leader' || !pr || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's ack (success) or a heartbeat response (failure) before probing.
    pr.probeSent = true;
  }

  /**
   * The transport could not deliver to `to`. A leader stops optimistic pipelining to it. A
   * follower told so of its own leader forgets it and campaigns within a few ticks
   * (config.leaderLossElection: only with pre-vote, check-quorum and 'safe' reads; muted for
   * an election timeout after a report that proved false).
   */
  reportUnreachable(to: NodeId): void {
    const pr = this.tracker.progress.get(to);
    if (this.role === 'leader' && pr && pr.state === 'replicate') pr.becomeProbe();
    if (this.role === 'follower' && to === this.lead && this.lead !== NONE && this.lossMute === 0 && this.leaderLossElects()) {
      this.lostLeader = this.lead;
      this.lead = NONE;
      // Campaign soon, in an order the followers agree on (they heard the same news at the same
      // moment; two campaigns within a round trip of each other split the vote): the voter
      // with the lowest id among the others at the next tick, the next one a tick later, and
      // so on, at most ceil(electionTimeout/4) ticks; unless the timeout comes sooner anyway.
      // (Session 13 drew 1..ceil(electionTimeout/4) ticks at random: two followers drew the same
      // tick one time in three, and about one failover in ten fell back to the election timeout.)
      let rank = 0;
      for (const id of this.tracker.voters) if (id !== this.lostLeader && id !== this.id && id < this.id) rank++;
      const after = 1 + Math.min(rank, Math.ceil(this.electionTimeout / 4) - 1);
      this.electionElapsed = Math.max(this.electionElapsed, this.randomizedElectionTimeout - after);
    }
  }

  private leaderLossElects(): boolean {
    return this.cfg.leaderLossElection && this.cfg.preVote && this.cfg.checkQuorum && this.cfg.readOnlyOption === 'safe';
  }
}
