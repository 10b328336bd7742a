/**
 * Fault profiles: how hostile the simulated world is. Times are simulated milliseconds; a node
 * ticks every TICK_MS.
 */
export const TICK_MS = 10;

export interface FaultProfile {
  readonly name: string;
  /** Probability that a message is lost. */
  readonly dropRate: number;
  /** Probability that a message is delivered twice. */
  readonly dupRate: number;
  /** Delivery delay range; a wide range reorders messages. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Probability that a message is held back an extra 20-200 ms (long reordering). */
  readonly lateRate: number;
  /** Mean time between network partition changes (0 = never). */
  readonly partitionEveryMs: number;
  /** Mean time between crashes (0 = never). A crashed node restarts 20-600 ms later. */
  readonly crashEveryMs: number;
  /** Probability that a crash strikes in the middle of Ready handling (after persist, before send). */
  readonly crashMidReadyRate: number;
  /**
   * Probability that a node crashes right after it sent a vote it granted, and restarts 1-5 ms
   * later: it must still remember that vote (§5.2, Figure 2's persistent votedFor) when the
   * next candidate of the same term asks.
   */
  readonly crashAfterVoteRate: number;
  /** Mean time between membership changes (0 = never). */
  readonly membershipEveryMs: number;
  /** Mean time between leadership transfers (0 = never). */
  readonly transferEveryMs: number;
  /** A node compacts its log once this many applied entries are beyond its snapshot. */
  readonly compactAfterEntries: number;
  /** Probability that the transport fails to stream a snapshot. */
  readonly snapshotFailRate: number;
  /**
   * Probability that a message to a crashed member, or across a cut link, is reported back to
   * its sender as unreachable (a refused or reset connection), until the network heals.
   */
  readonly unreachableRate: number;
  /** Probability that a delivered message is ALSO reported unreachable to its sender (a false alarm). */
  readonly falseUnreachableRate: number;
  /** Length of the faulty phase; then everything heals and liveness is checked. */
  readonly durationMs: number;
}

const base: FaultProfile = {
  name: 'calm',
  dropRate: 0,
  dupRate: 0,
  minDelayMs: 1,
  maxDelayMs: 5,
  lateRate: 0,
  partitionEveryMs: 0,
  crashEveryMs: 0,
  crashMidReadyRate: 0,
  crashAfterVoteRate: 0,
  membershipEveryMs: 0,
  transferEveryMs: 0,
  compactAfterEntries: 1_000_000,
  snapshotFailRate: 0,
  unreachableRate: 0,
  falseUnreachableRate: 0,
  durationMs: 3000,
};

export const PROFILES: Readonly<Record<string, FaultProfile>> = {
  calm: base,
  lossy: { ...base, name: 'lossy', dropRate: 0.1, dupRate: 0.05, maxDelayMs: 30, lateRate: 0.02, compactAfterEntries: 40 },
  partitions: { ...base, name: 'partitions', dropRate: 0.02, maxDelayMs: 15, partitionEveryMs: 300, compactAfterEntries: 30 },
  crashes: {
    ...base,
    name: 'crashes',
    dropRate: 0.02,
    maxDelayMs: 15,
    crashEveryMs: 250,
    crashMidReadyRate: 0.3,
    compactAfterEntries: 25,
    unreachableRate: 0.5,
  },
  // Many overlapping elections (slow, reordering network; leaders partitioned away often)
  // and voters that crash and come straight back after granting a vote.
  elections: {
    ...base,
    name: 'elections',
    dropRate: 0.05,
    minDelayMs: 5,
    maxDelayMs: 40,
    lateRate: 0.05,
    partitionEveryMs: 150,
    crashAfterVoteRate: 0.5,
    compactAfterEntries: 30,
    unreachableRate: 0.3,
    falseUnreachableRate: 0.002,
  },
  membership: {
    ...base,
    name: 'membership',
    dropRate: 0.03,
    maxDelayMs: 15,
    membershipEveryMs: 150,
    transferEveryMs: 400,
    compactAfterEntries: 20,
    snapshotFailRate: 0.2,
  },
  chaos: {
    ...base,
    name: 'chaos',
    dropRate: 0.08,
    dupRate: 0.05,
    maxDelayMs: 25,
    lateRate: 0.02,
    partitionEveryMs: 400,
    crashEveryMs: 400,
    crashMidReadyRate: 0.3,
    membershipEveryMs: 250,
    transferEveryMs: 500,
    compactAfterEntries: 20,
    snapshotFailRate: 0.2,
    unreachableRate: 0.3,
    falseUnreachableRate: 0.002,
  },
};

export const PROFILE_NAMES = Object.keys(PROFILES);
