/**
 * The cluster's records in the replicated store (see ../../design.md, "State in the store"):
 * what the cluster is, who its members are, outstanding join tokens and liveness. Every
 * write goes through Raft (RaftNode.submit forwards to the leader); every read here is
 * linearizable. JSON values, so `raft-store get --prefix /berth/` shows them as they are.
 */
import { createHash } from 'node:crypto';
import type { CommandResult, RaftNode, TxnRequest } from '@berth/raft-store';
import { checkJoinToken, decodeJoinToken } from '../pki';
import { b, json, prefixEnd } from './keys';

export interface ClusterInfo {
  clusterId: string;
  createdAt: number;
  /** Voters kept at most this many (odd). */
  maxVoters: number;
  /** A member whose liveness key is gone this long is offline (its lease TTL). */
  offlineThresholdMs: number;
}

export interface MemberInfo {
  name: string;
  /** Its Raft member id. */
  id: number;
  /** host:port of its join/API listener. */
  address: string;
  /** host:port of its member-to-member (mutual TLS) listener. */
  clusterAddress: string;
  joinedAt: number;
  /** `berth cluster evacuate`: placement passes it by, until `berth cluster restore`. */
  evacuated?: boolean | undefined;
  /** Roles an operator gave it (berth cluster role): MEMBER_ROLES. */
  roles?: string[] | undefined;
  /** SHA-256 (hex) of its member certificate: the one certificate its peers answer for it. */
  certFingerprint?: string | undefined;
}

/** The certificate of a member removed from the cluster (kept so that its peers can tell it). */
export interface RemovedMember {
  fingerprint: string;
  name: string;
  id: number;
  at: number;
  force: boolean;
}

/**
 * Roles an operator may give a member. database-client: it never votes in the store (it stays
 * a non-voting stand-by, replicating the store; LXD's database-client never joins dqlite).
 */
export const MEMBER_ROLES = ['database-client'] as const;

export interface LiveInfo {
  at: number;
  cpus: number;
  memoryBytes: number;
  instances: number;
  /** The member can checkpoint and restore (placement of migration.stateful instances). */
  criu?: boolean;
  /** What its host can do, by short name (featureNames of its capability report). */
  features?: string[] | undefined;
}

/** What the API asked for; the leader adds `location`, the owning agent carries it out. */
export interface InstanceIntent {
  name: string;
  image: string;
  config: Record<string, string>;
  desired: 'Running' | 'Stopped';
  createdAt: number;
  target?: string | undefined;
  /** The member that runs it, once placed. */
  location?: string | undefined;
  /** Why it could not be placed (nothing eligible), for the operation's error. */
  placementError?: string | undefined;
  /** Asked to go: its agent deletes the container and then both records. */
  deleting?: boolean | undefined;
  /**
   * A move in progress (berth move, evacuate, restore): the member at `location` stops the
   * instance, streams it to `to`, and in one txn sets `location` to `to` (see moves.ts).
   */
  moving?: MoveIntent | undefined;
  /** Why the move with this id failed (the instance stayed where it was). */
  moveError?: { id: string; error: string; code: string } | undefined;
  /** Set by a committed move until the member it left has removed its copy. */
  movedFrom?: { member: string; id: string } | undefined;
  /**
   * A live move failed after the target was asked to restore it and the target could not be
   * reached since: its copy may run there. The owner keeps the instance stopped (never in two
   * places) until `member` answers that it holds no copy of move `id` (moves.ts).
   */
  fenced?: { member: string; id: string } | undefined;
  /** Made as a copy of another instance (on its member): its owner copies, then clears this. */
  copyFrom?: { name: string; snapshot?: string | undefined; instanceOnly?: boolean | undefined } | undefined;
  /** Renamed in the store from `from`; its owner renames the container, then clears this. */
  renaming?: { from: string } | undefined;
  /** Taken off `from` by `berth cluster evacuate` (how, and what it was asked to be), for restore. */
  evacuated?: { from: string; action: 'stop' | 'migrate'; desired: 'Running' | 'Stopped' } | undefined;
  /**
   * The id of the operation that launches it (written in the same txn): its owner, once it
   * observes the state asked, ends that operation in the txn that records it (reconciler.ts).
   */
  launchOp?: string | undefined;
}

export interface MoveIntent {
  id: string;
  to: string;
  /**
   * cold (default; stopped, moved, started), stop-and-copy (live: CRIU through runc) or
   * post-copy (live: restored on the target first, its memory pulled from the source after).
   */
  mode?: 'cold' | 'stop-and-copy' | 'post-copy' | undefined;
  /**
   * The operation that asked for it (move, evacuate, restore, copy): the source writes the
   * move's progress into its metadata (`move.<instance>.*`, node-agent cluster/moves.ts).
   */
  operation?: string | undefined;
}

/** What the owning agent last saw and did. */
export interface InstanceObserved {
  location: string;
  status: string;
  error?: string | undefined;
  at: number;
  /** configDigest() of the config the owner has applied. */
  configDigest?: string | undefined;
}

/** A short digest of a config map, independent of key order: "is this config applied yet". */
/** How many of `intents` each member runs (placed intents only). */
export function instancesPerMember(intents: ReadonlyArray<{ value: InstanceIntent }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { value } of intents) if (value.location) counts.set(value.location, (counts.get(value.location) ?? 0) + 1);
  return counts;
}

export function configDigest(config: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(config).sort().map((k) => [k, config[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

export interface TokenRecord {
  memberName: string;
  secretHash: string;
  expiresAt: number;
}

export const K_CLUSTER = '/berth/cluster';
export const P_MEMBERS = '/berth/members/';
export const P_TOKENS = '/berth/tokens/';
export const P_LIVE = '/berth/live/';
export const P_INSTANCES = '/berth/instances/';
export const P_OBSERVED = '/berth/observed/';
export const P_REMOVALS = '/berth/removals/';
export const P_REMOVED = '/berth/removed/';
export const P_OPERATIONS = '/berth/operations/';

/** An API operation (berth.v1.Operation's fields), kept in the store while it runs and after. */
export interface OperationRecord {
  id: string;
  description: string;
  /** running, success, failure, cancelled */
  status: string;
  mayCancel: boolean;
  resources: Record<string, string>;
  metadata: Record<string, string>;
  error: string;
  errorCode: string;
  createdAtUnixMs: number;
  updatedAtUnixMs: number;
  /** The member running it. */
  location: string;
  /** Set by CancelOperation on any member; the member running it stops and records `cancelled`. */
  cancelRequested?: boolean | undefined;
}
/**
 * Formerly a copy of every intent not placed yet. The leader's placer now keeps what waits in
 * memory from the instance records (see ../placement/placer.ts), so new intents get no copy;
 * a copy still written (an older record, a rename) is deleted when its intent is placed.
 */
export const P_PENDING = '/berth/pending/';

/** A member name: what LXD accepts for a cluster member (a host name label). */
export const MEMBER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkMemberName(name: string): string {
  if (typeof name !== 'string' || !MEMBER_NAME.test(name)) {
    throw new ClusterError('INVALID_ARGUMENT', `invalid member name ${JSON.stringify(name)}: use 1-63 of [a-z0-9-], starting and ending with a letter or digit`);
  }
  return name;
}

export type ClusterErrorCode = 'INVALID_ARGUMENT' | 'ALREADY_EXISTS' | 'NOT_FOUND' | 'PERMISSION_DENIED' | 'FAILED_PRECONDITION';

export class ClusterError extends Error {
  constructor(readonly code: ClusterErrorCode, message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}


export class ClusterStore {
  constructor(readonly node: RaftNode) {}

  /** `local`: as this member has it (serializable read: no leader round trip; it may lag). */
  private async get<T>(key: string, local = false): Promise<{ value: T; modRevision: number } | undefined> {
    const r = await (local ? this.node.serializableRead({ key: b(key) }) : this.node.read({ key: b(key) }));
    const kv = r.kvs[0];
    return kv ? { value: JSON.parse(kv.value.toString('utf8')) as T, modRevision: kv.modRevision } : undefined;
  }

  /** The values under `prefix`; `local`: as this member has them (serializable read). */
  private async list<T>(prefix: string, local = false): Promise<T[]> {
    const req = { key: b(prefix), rangeEnd: prefixEnd(prefix) };
    const r = await (local ? this.node.serializableRead(req) : this.node.read(req));
    return r.kvs.map((kv) => JSON.parse(kv.value.toString('utf8')) as T);
  }

  private async txn(t: TxnRequest): Promise<boolean> {
    return (await this.txnAt(t)) !== undefined;
  }

  /** A txn: the revision it committed at when it succeeded, undefined when a compare failed. */
  private async txnAt(t: TxnRequest): Promise<number | undefined> {
    const r: CommandResult = await this.node.submit({ txn: t });
    if (!r.ok) throw new ClusterError('FAILED_PRECONDITION', `the store refused: ${r.message}`);
    if (!r.txn) throw new Error('the store answered a txn without a txn result');
    return r.txn.succeeded ? r.revision : undefined;
  }

  async cluster(): Promise<ClusterInfo | undefined> {
    return (await this.get<ClusterInfo>(K_CLUSTER))?.value;
  }

  /** The founding member writes the cluster and itself, once. */
  async found(info: ClusterInfo, self: MemberInfo): Promise<void> {
    const ok = await this.txn({
      compare: [{ key: b(K_CLUSTER), target: 'VERSION', result: 'EQUAL', version: 0 }],
      success: [
        { requestPut: { key: b(K_CLUSTER), value: json(info) } },
        { requestPut: { key: b(P_MEMBERS + self.name), value: json(self) } },
      ],
      failure: [],
    });
    if (!ok) {
      const have = await this.cluster();
      if (have?.clusterId !== info.clusterId) throw new ClusterError('ALREADY_EXISTS', `the store already holds cluster ${have?.clusterId}`);
    }
  }

  async members(): Promise<MemberInfo[]> {
    return (await this.list<MemberInfo>(P_MEMBERS)).sort((x, y) => x.name.localeCompare(y.name));
  }

  async member(name: string): Promise<MemberInfo | undefined> {
    return (await this.get<MemberInfo>(P_MEMBERS + name))?.value;
  }

  /** Marks a member evacuated (or not); false when it was so already. */
  async setEvacuated(name: string, evacuated: boolean): Promise<boolean> {
    return this.changeMember(name, (m) => (!!m.evacuated === evacuated ? undefined : { ...m, evacuated: evacuated || undefined }));
  }

  /** Changes a member's record with `fn` (undefined: nothing to change, answers false), retrying races. */
  async changeMember(name: string, fn: (m: MemberInfo) => MemberInfo | undefined): Promise<boolean> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const cur = await this.get<MemberInfo>(P_MEMBERS + name);
      if (!cur) throw new ClusterError('NOT_FOUND', `no member named "${name}"`);
      const next = fn(cur.value);
      if (!next) return false;
      const ok = await this.txn({
        compare: [{ key: b(P_MEMBERS + name), target: 'MOD', result: 'EQUAL', modRevision: cur.modRevision }],
        success: [{ requestPut: { key: b(P_MEMBERS + name), value: json(next) } }],
        failure: [],
      });
      if (ok) return true;
    }
    throw new ClusterError('FAILED_PRECONDITION', `member "${name}" kept changing under 20 attempts to update it`);
  }

  /** Records a join token for `name`; refused when `name` is a member or has a token already. */
  async addToken(t: TokenRecord): Promise<void> {
    checkMemberName(t.memberName);
    const ok = await this.txn({
      compare: [
        { key: b(P_MEMBERS + t.memberName), target: 'VERSION', result: 'EQUAL', version: 0 },
        { key: b(P_TOKENS + t.memberName), target: 'VERSION', result: 'EQUAL', version: 0 },
      ],
      success: [{ requestPut: { key: b(P_TOKENS + t.memberName), value: json(t) } }],
      failure: [],
    });
    if (!ok) {
      if (await this.member(t.memberName)) throw new ClusterError('ALREADY_EXISTS', `"${t.memberName}" is already a member of the cluster`);
      throw new ClusterError('ALREADY_EXISTS', `"${t.memberName}" already has a join token: revoke it first (berth cluster revoke-token ${t.memberName})`);
    }
  }

  async tokens(): Promise<TokenRecord[]> {
    return this.list<TokenRecord>(P_TOKENS);
  }

  async revokeToken(name: string): Promise<boolean> {
    const r = await this.node.submit({ deleteRange: { key: b(P_TOKENS + name) } });
    return r.ok && (r.deleteRange?.deleted ?? 0) > 0;
  }

  /**
   * Checks a joiner's token against the record and consumes it in the same txn that
   * records the member: a token admits one member, even with joins racing.
   */
  async consumeToken(token: string, self: MemberInfo, now = Date.now()): Promise<void> {
    const rec = await this.get<TokenRecord>(P_TOKENS + self.name);
    if (!rec) throw new ClusterError('PERMISSION_DENIED', `no join token is outstanding for "${self.name}" (used already, revoked, or never made)`);
    try {
      checkJoinToken(decodeJoinToken(token, { now }), rec.value, now);
    } catch (e) {
      throw new ClusterError('PERMISSION_DENIED', `join token refused: ${(e as Error).message}`);
    }
    const ok = await this.txn({
      compare: [
        { key: b(P_TOKENS + self.name), target: 'MOD', result: 'EQUAL', modRevision: rec.modRevision },
        { key: b(P_MEMBERS + self.name), target: 'VERSION', result: 'EQUAL', version: 0 },
      ],
      success: [
        { requestDeleteRange: { key: b(P_TOKENS + self.name) } },
        { requestPut: { key: b(P_MEMBERS + self.name), value: json(self) } },
      ],
      failure: [],
    });
    if (!ok) throw new ClusterError('PERMISSION_DENIED', `the join token for "${self.name}" was used by another join at the same time`);
  }

  /** Asks the leader to take `name` out of the cluster (berth cluster remove). */
  async requestRemoval(name: string, force: boolean): Promise<void> {
    await this.node.submit({ put: { key: b(P_REMOVALS + name), value: json({ name, force, at: Date.now() }) } });
  }

  async removals(): Promise<Array<{ name: string; force: boolean }>> {
    return this.list<{ name: string; force: boolean }>(P_REMOVALS);
  }

  /**
   * The leader, once `name` is out of Raft: its records go in one txn, its instances' with
   * --force; its certificate is recorded as removed (see removedMembers).
   */
  async completeRemoval(name: string, instanceNames: string[], member?: MemberInfo, force = false): Promise<void> {
    const fp = member?.certFingerprint;
    const removed: RemovedMember | undefined = member && fp ? { fingerprint: fp, name, id: member.id, at: Date.now(), force } : undefined;
    await this.txn({
      compare: [],
      success: [
        ...(removed ? [{ requestPut: { key: b(P_REMOVED + removed.fingerprint), value: json(removed) } }] : []),
        { requestDeleteRange: { key: b(P_MEMBERS + name) } },
        { requestDeleteRange: { key: b(P_LIVE + name) } },
        { requestDeleteRange: { key: b(P_REMOVALS + name) } },
        ...instanceNames.flatMap((n) => [P_INSTANCES, P_OBSERVED, P_PENDING].map((p) => ({ requestDeleteRange: { key: b(p + n) } }))),
      ],
      failure: [],
    });
  }

  /**
   * This member's own view, read locally (no leader needed; it may lag): the members and the
   * removed members' certificates, for the check of calling peers (node-agent peer-auth.ts).
   */
  async peerView(): Promise<{ members: MemberInfo[]; removed: Map<string, RemovedMember> }> {
    const [members, removed] = await Promise.all([this.list<MemberInfo>(P_MEMBERS, true), this.list<RemovedMember>(P_REMOVED, true)]);
    return { members, removed: new Map(removed.map((r) => [r.fingerprint, r])) };
  }

  /** Writes this member's liveness key on its lease (it vanishes when the lease expires). */
  async putLive(name: string, live: LiveInfo, lease: number): Promise<void> {
    const r = await this.node.submit({ put: { key: b(P_LIVE + name), value: json(live), lease } });
    if (!r.ok) throw new ClusterError('FAILED_PRECONDITION', `liveness of ${name}: ${r.message}`);
  }

  // ---- instances ----

  /**
   * Records a new instance intent, and with it (same txn, one Raft commit) the operation that
   * carries it out when one is given; refused (neither written) when the name is taken.
   * Answers the revision it committed at (the operation record's mod revision).
   */
  async createInstance(i: InstanceIntent, op?: OperationRecord): Promise<number> {
    const rev = await this.txnAt({
      compare: [{ key: b(P_INSTANCES + i.name), target: 'VERSION', result: 'EQUAL', version: 0 }],
      success: [
        { requestPut: { key: b(P_INSTANCES + i.name), value: json(i) } },
        ...(op ? [{ requestPut: { key: b(P_OPERATIONS + op.id), value: json(op) } }] : []),
      ],
      failure: [],
    });
    if (rev === undefined) throw new ClusterError('ALREADY_EXISTS', `instance "${i.name}" already exists`);
    return rev;
  }

  async instance(name: string, local = false): Promise<{ value: InstanceIntent; modRevision: number } | undefined> {
    return this.get<InstanceIntent>(P_INSTANCES + name, local);
  }

  async instances(): Promise<Array<{ value: InstanceIntent; modRevision: number }>> {
    const r = await this.node.read({ key: b(P_INSTANCES), rangeEnd: prefixEnd(P_INSTANCES) });
    return r.kvs.map((kv) => ({ value: JSON.parse(kv.value.toString('utf8')) as InstanceIntent, modRevision: kv.modRevision }));
  }

  /**
   * Rewrites intents that nobody changed since they were read, all in ONE txn (one Raft
   * commit for a whole batch of placements); false when any of them changed meanwhile.
   */
  async updateInstances(updates: Array<{ value: InstanceIntent; modRevision: number }>): Promise<boolean> {
    if (updates.length === 0) return true;
    return this.txn({
      compare: updates.map((u) => ({ key: b(P_INSTANCES + u.value.name), target: 'MOD' as const, result: 'EQUAL' as const, modRevision: u.modRevision })),
      success: updates.flatMap((u) => [
        { requestPut: { key: b(P_INSTANCES + u.value.name), value: json(u.value) } },
        // Placed: an old pending copy (if any) goes.
        ...(u.value.location ? [{ requestDeleteRange: { key: b(P_PENDING + u.value.name) } }] : []),
      ]),
      failure: [],
    });
  }

  /** Changes one intent with `fn`, retrying when another writer got there first. */
  async changeInstance(name: string, fn: (i: InstanceIntent) => InstanceIntent): Promise<InstanceIntent> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const cur = await this.instance(name);
      if (!cur) throw new ClusterError('NOT_FOUND', `instance "${name}" not found`);
      const next = fn(cur.value);
      if (await this.updateInstances([{ value: next, modRevision: cur.modRevision }])) return next;
    }
    throw new ClusterError('FAILED_PRECONDITION', `instance "${name}" kept changing under 20 attempts to update it`);
  }

  /**
   * Renames an intent in one txn (its records move to the new name, marked `renaming` for its
   * owner); refused when it changed since `modRevision` or the new name is taken.
   */
  async renameInstance(cur: { value: InstanceIntent; modRevision: number }, to: string): Promise<InstanceIntent> {
    const from = cur.value.name;
    const next: InstanceIntent = { ...cur.value, name: to, renaming: cur.value.location ? { from: cur.value.renaming?.from ?? from } : undefined };
    const ok = await this.txn({
      compare: [
        { key: b(P_INSTANCES + from), target: 'MOD', result: 'EQUAL', modRevision: cur.modRevision },
        { key: b(P_INSTANCES + to), target: 'VERSION', result: 'EQUAL', version: 0 },
      ],
      success: [
        ...[P_INSTANCES, P_OBSERVED, P_PENDING].map((p) => ({ requestDeleteRange: { key: b(p + from) } })),
        { requestPut: { key: b(P_INSTANCES + to), value: json(next) } },
        ...(next.location ? [] : [{ requestPut: { key: b(P_PENDING + to), value: json(next) } }]),
      ],
      failure: [],
    });
    if (!ok) {
      if (await this.instance(to)) throw new ClusterError('ALREADY_EXISTS', `instance "${to}" already exists`);
      throw new ClusterError('FAILED_PRECONDITION', `instance "${from}" changed while it was being renamed; try again`);
    }
    return next;
  }

  async observed(): Promise<Map<string, InstanceObserved>> {
    const r = await this.node.read({ key: b(P_OBSERVED), rangeEnd: prefixEnd(P_OBSERVED) });
    return new Map(r.kvs.map((kv) => [kv.key.toString('utf8').slice(P_OBSERVED.length), JSON.parse(kv.value.toString('utf8')) as InstanceObserved]));
  }

  async observedOf(name: string, local = false): Promise<InstanceObserved | undefined> {
    return (await this.get<InstanceObserved>(P_OBSERVED + name, local))?.value;
  }

  /**
   * Records what the owner observed. `end`: an operation's end written in the same txn, only
   * when the record is still at `end.modRevision` (else the observed state alone); answers
   * whether it was.
   */
  async putObserved(name: string, o: InstanceObserved, end?: { value: OperationRecord; modRevision: number }): Promise<boolean> {
    if (!end) {
      await this.node.submit({ put: { key: b(P_OBSERVED + name), value: json(o) } });
      return false;
    }
    const put = { requestPut: { key: b(P_OBSERVED + name), value: json(o) } };
    return this.txn({
      compare: [{ key: b(P_OPERATIONS + end.value.id), target: 'MOD', result: 'EQUAL', modRevision: end.modRevision }],
      success: [put, { requestPut: { key: b(P_OPERATIONS + end.value.id), value: json(end.value) } }],
      failure: [put],
    });
  }

  /** The owning agent, once the container is gone: both records go in one txn. */
  async removeInstance(name: string): Promise<void> {
    await this.txn({
      compare: [],
      success: [{ requestDeleteRange: { key: b(P_INSTANCES + name) } }, { requestDeleteRange: { key: b(P_OBSERVED + name) } }, { requestDeleteRange: { key: b(P_PENDING + name) } }],
      failure: [],
    });
  }

  // ---- operations ----

  /** Records an operation; answers its mod revision. */
  async putOperation(op: OperationRecord): Promise<number> {
    const r = await this.node.submit({ put: { key: b(P_OPERATIONS + op.id), value: json(op) } });
    if (!r.ok) throw new ClusterError('FAILED_PRECONDITION', `the store refused: ${r.message}`);
    return r.revision;
  }

  async operation(id: string, local = false): Promise<{ value: OperationRecord; modRevision: number } | undefined> {
    return this.get<OperationRecord>(P_OPERATIONS + id, local);
  }

  async operations(): Promise<OperationRecord[]> {
    return (await this.list<OperationRecord>(P_OPERATIONS)).sort((x, y) => x.createdAtUnixMs - y.createdAtUnixMs);
  }

  /** Changes an operation unless it changed since `modRevision`; false when it did. */
  async changeOperation(op: OperationRecord, modRevision: number): Promise<boolean> {
    return this.txn({
      compare: [{ key: b(P_OPERATIONS + op.id), target: 'MOD', result: 'EQUAL', modRevision }],
      success: [{ requestPut: { key: b(P_OPERATIONS + op.id), value: json(op) } }],
      failure: [],
    });
  }

  async deleteOperations(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.txn({ compare: [], success: ids.map((id) => ({ requestDeleteRange: { key: b(P_OPERATIONS + id) } })), failure: [] });
  }

  async live(): Promise<Map<string, LiveInfo>> {
    const r = await this.node.read({ key: b(P_LIVE), rangeEnd: prefixEnd(P_LIVE) });
    return new Map(r.kvs.map((kv) => [kv.key.toString('utf8').slice(P_LIVE.length), JSON.parse(kv.value.toString('utf8')) as LiveInfo]));
  }
}

