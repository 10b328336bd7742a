/**
 * Offline recovery from a lost majority: makes one member's data folder the sole voter (or
 * one of the given voters) of a new configuration, keeping every entry it holds, in the
 * spirit of etcd's --force-new-cluster. See design.md, "Recovery from a lost majority".
 *
 * The member must not run: both LevelDB databases are opened (exclusively) here, and a held
 * lock is refused before anything is written. The rewrite of the log is ONE fsynced LevelDB
 * batch (LevelLogStore.save), so a crash leaves the old or the new state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Level } from 'level';
import { isLocked } from './open-level';
import { decode } from '../kv/codec';
import { MvccStore } from '../kv/mvcc-store';
import type { MemberRecord } from '../kv/types';
import { ConfigHistory } from '../core/membership';
import type { ConfChange, ConfState, Entry, HardState, NodeId, Snapshot } from '../core/messages';
import { encodeCommand } from '../node/raft-node';
import { LevelLogStore } from './level-log-store';
import type { LogIdentity } from './level-log-store';

export type RecoveryRefusal = 'NOT_A_RAFT_STORE' | 'LOCKED' | 'FOREIGN_CLUSTER' | 'INVALID_ARGUMENT';

/** Recovery refused before anything was written. */
export class RecoveryRefusedError extends Error {
  override readonly name = 'RecoveryRefusedError';
  constructor(readonly code: RecoveryRefusal, message: string) {
    super(message);
  }
}

export interface RecoveryOptions {
  /** Ids to keep as voters (default: this member alone); each a voter or learner now, this member included. */
  voters?: readonly NodeId[] | undefined;
  /** Refuse unless the folder belongs to this cluster / member. */
  clusterId?: string | undefined;
  memberId?: NodeId | undefined;
  /** Compute and return the report; write nothing. */
  dryRun?: boolean | undefined;
}

export interface RecoveryReport {
  dataDir: string;
  clusterId: string;
  memberId: NodeId;
  /** The folder as found. */
  before: { term: number; commit: number; lastIndex: number; lastTerm: number; applied: number; voters: NodeId[]; learners: NodeId[] };
  /** The folder as recovered (or as it would be, for a dry run). */
  after: { term: number; commit: number; lastIndex: number; voters: NodeId[]; learners: NodeId[] };
  /** Members taken out of the configuration. */
  removed: NodeId[];
  /** Learners kept as voters. */
  promoted: NodeId[];
  /** Entries this member held beyond its commit index, now committed by the recovery. */
  committedByRecovery: number;
  /** Whether the log was reset to the state machine's applied index (it was ahead of the log). */
  resetToState: boolean;
  /** Member records (addresses, names) known to the state machine before the recovery. */
  members: MemberRecord[];
  dryRun: boolean;
}

function lockedError(dir: string): RecoveryRefusedError {
  return new RecoveryRefusedError('LOCKED', `the raft-store data folder ${dir} is in use (its LevelDB lock is held): a member is running on it; stop it first, recovery is offline only`);
}

/** Reads the identity record of an existing log without creating anything. */
async function readIdentity(dataDir: string): Promise<LogIdentity> {
  const logDir = path.join(dataDir, 'log');
  const notStore = (why: string): RecoveryRefusedError => new RecoveryRefusedError('NOT_A_RAFT_STORE', `${dataDir} is not a raft-store data folder: ${why}`);
  if (!fs.existsSync(path.join(logDir, 'CURRENT'))) throw notStore('no Raft log (log/) in it');
  if (!fs.existsSync(path.join(dataDir, 'state', 'CURRENT'))) throw notStore('no state machine (state/CURRENT) in it');
  const db = new Level<Buffer, Buffer>(logDir, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: false });
  try {
    await db.open();
  } catch (e) {
    if (isLocked(e)) throw lockedError(dataDir);
    throw notStore(`its log cannot be opened: ${(e as { cause?: Error }).cause?.message ?? (e as Error).message}`);
  }
  try {
    const raw = await db.get(Buffer.from('c'));
    if (!raw) throw notStore('its log has no cluster identity');
    const id = decode(raw) as unknown as LogIdentity;
    if (typeof id.clusterId !== 'string' || !Number.isSafeInteger(id.memberId)) throw notStore('its log\'s cluster identity is unreadable');
    return { clusterId: id.clusterId, memberId: id.memberId };
  } finally {
    await db.close();
  }
}

/**
 * Makes the member whose data folder is `dataDir` (it holds log/ and state/) the sole voter of
 * a new configuration (or one of `opts.voters`), keeping and committing every entry it holds,
 * with a new term. Offline only. Returns what it found and what it did.
 */
export async function recoverAsSoleMember(dataDir: string, opts: RecoveryOptions = {}): Promise<RecoveryReport> {
  const identity = await readIdentity(dataDir);
  if (opts.clusterId !== undefined && opts.clusterId !== identity.clusterId) {
    throw new RecoveryRefusedError('FOREIGN_CLUSTER', `${dataDir} belongs to cluster ${identity.clusterId}, not ${opts.clusterId}`);
  }
  if (opts.memberId !== undefined && opts.memberId !== identity.memberId) {
    throw new RecoveryRefusedError('FOREIGN_CLUSTER', `${dataDir} belongs to member ${identity.memberId}, not ${opts.memberId}`);
  }
  let log: LevelLogStore;
  try {
    log = await LevelLogStore.open(path.join(dataDir, 'log'), identity);
  } catch (e) {
    if (isLocked(e)) throw lockedError(dataDir);
    throw e;
  }
  let state: MvccStore | undefined;
  try {
    try {
      state = await MvccStore.open(path.join(dataDir, 'state'));
    } catch (e) {
      if (isLocked(e)) throw lockedError(dataDir);
      throw e;
    }
    return await recoverOpen(dataDir, identity, log, state, opts);
  } finally {
    await state?.close();
    await log.close();
  }
}

async function recoverOpen(dataDir: string, identity: LogIdentity, log: LevelLogStore, state: MvccStore, opts: RecoveryOptions): Promise<RecoveryReport> {
  const self = identity.memberId;
  const { hardState, confState: snapConf } = log.initialState();
  const first = log.firstIndex();
  const last = log.lastIndex();
  // The configuration as the Raft constructor derives it: snapshot conf + conf-change entries.
  const history = new ConfigHistory(first - 1, snapConf);
  if (last >= first) history.record(log.entries(first, last + 1, Number.MAX_SAFE_INTEGER));
  const conf = history.current();
  const lastTerm = log.term(last);
  const applied = state.appliedIndex;
  const members = state.listMembers();

  const keep = [...new Set(opts.voters ?? [self])].sort((a, b) => a - b);
  if (!keep.includes(self)) throw new RecoveryRefusedError('INVALID_ARGUMENT', `the voters to keep (${keep.join(', ')}) must include this member (${self})`);
  for (const id of keep) {
    if (!conf.voters.includes(id) && !conf.learners.includes(id)) {
      throw new RecoveryRefusedError('INVALID_ARGUMENT', `member ${id} is not in the configuration (voters ${conf.voters.join(', ') || 'none'}; learners ${conf.learners.join(', ') || 'none'}); only its members can be kept`);
    }
  }
  const promoted = keep.filter((id) => conf.learners.includes(id));
  const removed = [...conf.voters, ...conf.learners].filter((id) => !keep.includes(id)).sort((a, b) => a - b);
  const target: ConfState = { voters: keep, learners: [] };

  const term = Math.max(hardState.term, lastTerm, state.appliedTerm) + 1;
  // The state machine may hold more than the log (a leader's snapshot installed, then a stop
  // before the log caught up): restart the log at the state's position, as that snapshot
  // would have, so that no index the state machine already applied is written anew.
  const resetToState = applied > last;
  const base = resetToState ? applied : last;
  let snapshot: Snapshot | undefined;
  const changes: ConfChange[] = [];
  if (resetToState) {
    snapshot = { metadata: { index: applied, term: state.appliedTerm, confState: target }, data: new Uint8Array() };
  } else {
    for (const id of promoted) changes.push({ type: 'promote-learner', nodeId: id });
    for (const id of removed) changes.push({ type: 'remove', nodeId: id });
  }
  const entries: Entry[] = changes.map((cc, i) => ({ index: base + i + 1, term, type: 'conf-change', data: new Uint8Array(), confChange: cc }));
  const known = new Set(members.map((m) => m.id));
  for (const id of removed) {
    if (known.has(id)) entries.push({ index: base + entries.length + 1, term, type: 'normal', data: encodeCommand({ memberRemove: { id } }) });
  }
  const newLast = base + entries.length;
  const hard: HardState = { term, vote: self, commit: newLast };

  const report: RecoveryReport = {
    dataDir,
    clusterId: identity.clusterId,
    memberId: self,
    before: { term: hardState.term, commit: hardState.commit, lastIndex: last, lastTerm, applied, voters: [...conf.voters], learners: [...conf.learners] },
    after: { term, commit: newLast, lastIndex: newLast, voters: [...target.voters], learners: [] },
    removed,
    promoted,
    committedByRecovery: last - hardState.commit,
    resetToState,
    members,
    dryRun: !!opts.dryRun,
  };
  if (opts.dryRun) return report;
  // The state machine's data is kept as it is; make it durable before the log relies on it
  // (its writes are not fsynced while a member runs).
  await state.sync();
  // ONE fsynced batch: snapshot point (if any), the new entries and the hard state.
  await log.save({ snapshot, entries, hardState: hard, sync: true });
  return report;
}

/** The report in words, for the CLIs (`names` maps member ids to names when the caller knows them). */
export function describeRecovery(r: RecoveryReport, names: ReadonlyMap<NodeId, string> = new Map()): string {
  const name = (id: NodeId): string => {
    const n = names.get(id) ?? r.members.find((m) => m.id === id)?.name;
    return n ? `${n} (${id})` : String(id);
  };
  const list = (ids: readonly NodeId[]): string => ids.map(name).join(', ') || 'none';
  const lines = [
    `data folder:   ${r.dataDir} (cluster ${r.clusterId}, member ${name(r.memberId)})`,
    `found:         term ${r.before.term}, commit ${r.before.commit}, last entry ${r.before.lastIndex} (term ${r.before.lastTerm}), applied ${r.before.applied}`,
    `               voters ${list(r.before.voters)}; learners ${list(r.before.learners)}`,
    `${r.dryRun ? 'would become' : 'now'}:${r.dryRun ? '  ' : '           '}term ${r.after.term}, commit ${r.after.commit}; voters ${list(r.after.voters)}; learners none`,
    `removed:       ${list(r.removed)}${r.promoted.length ? `; promoted: ${list(r.promoted)}` : ''}`,
  ];
  if (r.committedByRecovery > 0) lines.push(`committed:     ${r.committedByRecovery} entries this member held beyond its commit index are committed by the recovery`);
  if (r.resetToState) lines.push(`note:          the state machine (applied ${r.before.applied}) was ahead of the log (${r.before.lastIndex}): the log restarts at ${r.before.applied}`);
  return lines.join('\n');
}
