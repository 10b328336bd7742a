/**
 * RaftConfig: every knob of the core, what it does and what it costs.
 */
import { ConfigError } from './errors';
import type { NodeId } from './messages';
import type { ReadOnlyOption } from './read-only';

export interface RaftConfig {
  /** This member's id; non-zero, unique in the cluster, never reused for another member. */
  id: NodeId;
  /**
   * Ticks without hearing from a leader before a follower campaigns. The actual timeout is drawn
   * per term from [electionTick, 2*electionTick) using `randomInt`, so split votes resolve
   * (§5.2). Also the check-quorum window and the leader-transfer deadline.
   * Cost: failover takes 1-2 election timeouts; too small (vs heartbeatTick and network RTT)
   * causes needless elections. Must be > heartbeatTick; etcd uses 10 x heartbeatTick.
   */
  electionTick: number;
  /**
   * Ticks between leader heartbeats. Cost: one message per follower per heartbeatTick.
   */
  heartbeatTick: number;
  /**
   * The injected randomness: an integer uniformly in [0, n). The core never calls Math.random;
   * a seeded function makes every run reproducible.
   */
  randomInt: (n: number) => number;
  /**
   * Upper bound on the entry bytes of one MsgApp (at least one entry is always sent). Cost:
   * small values mean more messages while catching up; large ones mean big messages that delay
   * heartbeats behind them in the transport.
   */
  maxSizePerMsg: number;
  /**
   * MsgApps in flight per follower in replicate state (pipelining). Cost: memory in the transport
   * (up to maxInflightMsgs * maxSizePerMsg per follower) and wasted bytes when a follower
   * rejects; too low limits throughput on high-latency links.
   */
  maxInflightMsgs: number;
  /**
   * Cap on the payload bytes of proposals appended but not yet applied on the leader; beyond it
   * propose() fails fast with ProposalDroppedError('uncommitted-size-limit'), so an unavailable
   * quorum cannot make the leader's memory grow without bound. 0 = no limit. A single proposal
   * is always accepted when nothing is uncommitted, whatever its size.
   */
  maxUncommittedEntriesSize: number;
  /**
   * Upper bound on the bytes of committed entries handed out in one Ready (at least one entry).
   * Cost: smaller means more Ready rounds when catching up.
   */
  maxCommittedSizePerReady: number;
  /**
   * Pre-vote (thesis §9.6): before incrementing its term a candidate asks whether it could win.
   * A partitioned member rejoining then cannot force the cluster through a new election.
   * Cost: one more round trip per election.
   */
  preVote: boolean;
  /**
   * Check-quorum: a leader that has not heard from a majority within an election timeout steps
   * down, and members that heard from a leader within the election timeout ignore (pre-)vote
   * requests (the leader lease, thesis §4.2.3 / §6.4.1). Cost: a leader in a minority partition
   * steps down after one election timeout (which is the point); a removed member cannot disrupt.
   * Required by readOnlyOption 'lease-based'.
   */
  checkQuorum: boolean;
  /**
   * Leader-loss election (a departure from the paper and etcd; design.md "Leader loss"): a
   * follower whose transport reports its leader unreachable (a broken connection: the leader's
   * process is gone, its host refused) forgets that leader, so its lease no longer makes it
   * ignore (pre-)votes, and campaigns after 1 to ceil(electionTick / 4) ticks instead of a
   * whole randomized election timeout. Applies only with preVote and checkQuorum (a false
   * alarm then changes no term: the other members, still hearing the leader, ignore the
   * pre-vote under their lease) and with readOnlyOption 'safe' (a lease read relies on no
   * member voting within an election timeout of hearing the leader: a cluster whose leader
   * may serve lease reads must have this off on EVERY member). After a report that proved
   * false (the leader is heard again), reports are ignored for an election timeout. Cost: a
   * needless pre-vote round on a false alarm.
   */
  leaderLossElection: boolean;
  /**
   * How readIndex() confirms leadership. 'safe': a heartbeat round to a majority per batch of
   * reads (thesis §6.4), linearizable with no timing assumption. 'lease-based': no round trip;
   * relies on check-quorum ticks and therefore on BOUNDED CLOCK DRIFT between members (a leader
   * whose clock runs slow can serve a stale read after a new leader was elected). Cost: 'safe'
   * adds one heartbeat RTT to each read.
   */
  readOnlyOption: ReadOnlyOption;
  /**
   * A learner may be promoted only when its match index is within this many entries of the
   * leader's last index, so a promotion never makes the cluster wait for a slow new voter.
   * Cost: larger values admit a promotion that may stall commits until the new voter catches up.
   */
  promoteMaxLag: number;
  /**
   * Restart only: the index the state machine has already applied when the node starts (the
   * index of the snapshot it restored, or the applied index it persisted itself). Committed
   * entries above it are delivered again in Ready.committedEntries; must be <= the persisted
   * commit index. 0 = deliver everything above the storage's first index - 1.
   */
  applied: number;
}

export const DEFAULT_CONFIG: Omit<RaftConfig, 'id' | 'randomInt'> = {
  electionTick: 10,
  heartbeatTick: 1,
  maxSizePerMsg: 1 << 20,
  maxInflightMsgs: 256,
  maxUncommittedEntriesSize: 1 << 30,
  maxCommittedSizePerReady: 64 << 20,
  preVote: true,
  checkQuorum: true,
  leaderLossElection: true,
  readOnlyOption: 'safe',
  promoteMaxLag: 100,
  applied: 0,
};

export function makeConfig(partial: Partial<RaftConfig> & Pick<RaftConfig, 'id' | 'randomInt'>): RaftConfig {
  const c: RaftConfig = { ...DEFAULT_CONFIG, ...partial };
  validateConfig(c);
  return c;
}

export function validateConfig(c: RaftConfig): void {
  const int = (v: number, min: number, name: string): void => {
    if (!Number.isSafeInteger(v) || v < min) throw new ConfigError(`${name} must be an integer >= ${min}, got ${v}`);
  };
  int(c.id, 1, 'id');
  int(c.heartbeatTick, 1, 'heartbeatTick');
  int(c.electionTick, 2, 'electionTick');
  if (c.electionTick <= c.heartbeatTick) throw new ConfigError('electionTick must be greater than heartbeatTick');
  int(c.maxSizePerMsg, 1, 'maxSizePerMsg');
  int(c.maxInflightMsgs, 1, 'maxInflightMsgs');
  int(c.maxUncommittedEntriesSize, 0, 'maxUncommittedEntriesSize');
  int(c.maxCommittedSizePerReady, 1, 'maxCommittedSizePerReady');
  int(c.promoteMaxLag, 0, 'promoteMaxLag');
  int(c.applied, 0, 'applied');
  if (c.readOnlyOption !== 'safe' && c.readOnlyOption !== 'lease-based') {
    throw new ConfigError(`readOnlyOption must be 'safe' or 'lease-based'`);
  }
  if (c.readOnlyOption === 'lease-based' && !c.checkQuorum) {
    throw new ConfigError(`readOnlyOption 'lease-based' requires checkQuorum`);
  }
  if (typeof c.randomInt !== 'function') throw new ConfigError('randomInt must be a function');
}
