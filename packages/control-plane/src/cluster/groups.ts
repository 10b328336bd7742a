/**
 * Member groups, as LXD's cluster groups: named sets of members that `--target @group`
 * places into. A member can be in several groups; `default` holds every member (it is
 * implicit: not stored, never empty of members, cannot be created, deleted or edited).
 *
 * Store: `/berth/groups/<name>` = `{name, description, members: [sorted names]}` (JSON).
 * Every change is one txn that compares the mod revision of each group it rewrites (0 for
 * a group that must not exist yet): two changes racing never lose one another's edits.
 */
import type { Compare, RaftNode, TxnRequest } from '@berth/raft-store';

type RequestOp = TxnRequest['success'][number];
import { ClusterError, P_MEMBERS } from './cluster-store';
import type { MemberInfo } from './cluster-store';
import { b, prefixEnd } from './keys';

export const P_GROUPS = '/berth/groups/';
export const DEFAULT_GROUP = 'default';

export interface MemberGroup {
  name: string;
  description: string;
  /** Member names, sorted. For `default`: every member. */
  members: string[];
}

/** A group name: LXD's (a host-name label). */
export const GROUP_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkGroupName(name: string): string {
  if (typeof name !== 'string' || !GROUP_NAME.test(name)) {
    throw new ClusterError('INVALID_ARGUMENT', `invalid member group name ${JSON.stringify(name)}: use 1-63 of [a-z0-9-], starting and ending with a letter or digit`);
  }
  return name;
}


export class GroupStore {
  constructor(readonly node: RaftNode) {}

  private async stored(): Promise<Array<{ value: MemberGroup; modRevision: number }>> {
    const r = await this.node.read({ key: b(P_GROUPS), rangeEnd: prefixEnd(P_GROUPS) });
    return r.kvs.map((kv) => ({ value: JSON.parse(kv.value.toString('utf8')) as MemberGroup, modRevision: kv.modRevision }));
  }

  private async memberNames(): Promise<string[]> {
    const r = await this.node.read({ key: b(P_MEMBERS), rangeEnd: prefixEnd(P_MEMBERS) });
    return r.kvs.map((kv) => (JSON.parse(kv.value.toString('utf8')) as MemberInfo).name).sort();
  }

  /** Every group, `default` first, then by name; members that left the cluster are not shown. */
  async list(): Promise<MemberGroup[]> {
    const [groups, names] = await Promise.all([this.stored(), this.memberNames()]);
    const present = new Set(names);
    return [
      { name: DEFAULT_GROUP, description: 'Every member of the cluster', members: names },
      ...groups.map((g) => ({ ...g.value, members: g.value.members.filter((m) => present.has(m)) })).sort((x, y) => (x.name < y.name ? -1 : 1)),
    ];
  }

  async get(name: string): Promise<MemberGroup> {
    const g = (await this.list()).find((x) => x.name === name);
    if (!g) throw new ClusterError('NOT_FOUND', `no member group named "${name}"`);
    return g;
  }

  /** The groups of each member (besides default): what placement and `cluster list` show. */
  async byMember(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const g of await this.stored()) for (const m of g.value.members) out.set(m, [...(out.get(m) ?? []), g.value.name]);
    for (const v of out.values()) v.sort();
    return out;
  }

  async create(name: string, description = ''): Promise<MemberGroup> {
    checkGroupName(name);
    if (name === DEFAULT_GROUP) throw new ClusterError('ALREADY_EXISTS', `member group "${DEFAULT_GROUP}" always exists (it holds every member)`);
    const g: MemberGroup = { name, description, members: [] };
    const ok = await this.txn(
      [{ key: b(P_GROUPS + name), target: 'VERSION', result: 'EQUAL', version: 0 }],
      [{ requestPut: { key: b(P_GROUPS + name), value: b(JSON.stringify(g)) } }],
    );
    if (!ok) throw new ClusterError('ALREADY_EXISTS', `member group "${name}" already exists`);
    return g;
  }

  /** Deletes a group; LXD refuses a group that still has members, and so does this. */
  async delete(name: string): Promise<void> {
    if (name === DEFAULT_GROUP) throw new ClusterError('FAILED_PRECONDITION', `member group "${DEFAULT_GROUP}" cannot be deleted`);
    for (let attempt = 0; attempt < 10; attempt++) {
      const cur = (await this.stored()).find((g) => g.value.name === name);
      if (!cur) throw new ClusterError('NOT_FOUND', `no member group named "${name}"`);
      const present = new Set(await this.memberNames());
      const left = cur.value.members.filter((m) => present.has(m));
      if (left.length > 0) throw new ClusterError('FAILED_PRECONDITION', `member group "${name}" still has members (${left.join(', ')}): remove them first (berth cluster group remove MEMBER ${name})`);
      if (await this.txn([{ key: b(P_GROUPS + name), target: 'MOD', result: 'EQUAL', modRevision: cur.modRevision }], [{ requestDeleteRange: { key: b(P_GROUPS + name) } }])) return;
    }
    throw new ClusterError('FAILED_PRECONDITION', `member group "${name}" kept changing`);
  }

  /** Adds `member` to `group`. */
  async add(member: string, group: string): Promise<void> {
    await this.change(member, (now) => {
      if (group === DEFAULT_GROUP) throw new ClusterError('FAILED_PRECONDITION', `every member is in member group "${DEFAULT_GROUP}"`);
      if (now.has(group)) throw new ClusterError('ALREADY_EXISTS', `member "${member}" is already in member group "${group}"`);
      return new Set([...now, group]);
    }, [group]);
  }

  /** Takes `member` out of `group`. */
  async remove(member: string, group: string): Promise<void> {
    await this.change(member, (now) => {
      if (group === DEFAULT_GROUP) throw new ClusterError('FAILED_PRECONDITION', `no member leaves member group "${DEFAULT_GROUP}" (it holds every member)`);
      if (!now.has(group)) throw new ClusterError('NOT_FOUND', `member "${member}" is not in member group "${group}"`);
      const next = new Set(now);
      next.delete(group);
      return next;
    }, [group]);
  }

  /** Sets the groups of `member` to exactly `groups` (LXD's `cluster group assign`; `default` may be named, it changes nothing). */
  async assign(member: string, groups: string[]): Promise<void> {
    const want = [...new Set(groups.filter((g) => g !== DEFAULT_GROUP))];
    await this.change(member, () => new Set(want), want);
  }

  /** Rewrites the groups whose membership of `member` changes, in one txn; retried on a race. */
  private async change(member: string, fn: (now: Set<string>) => Set<string>, named: string[]): Promise<void> {
    for (const g of named) if (g !== DEFAULT_GROUP) checkGroupName(g);
    for (let attempt = 0; attempt < 10; attempt++) {
      const [groups, names] = await Promise.all([this.stored(), this.memberNames()]);
      if (!names.includes(member)) throw new ClusterError('NOT_FOUND', `no member named "${member}"`);
      const byName = new Map(groups.map((g) => [g.value.name, g]));
      for (const g of named) if (g !== DEFAULT_GROUP && !byName.has(g)) throw new ClusterError('NOT_FOUND', `no member group named "${g}" (berth cluster group create ${g})`);
      const now = new Set(groups.filter((g) => g.value.members.includes(member)).map((g) => g.value.name));
      const next = fn(now);
      const compare: Compare[] = [];
      const ops: RequestOp[] = [];
      for (const g of groups) {
        const was = now.has(g.value.name);
        const is = next.has(g.value.name);
        if (was === is) continue;
        const members = is ? [...g.value.members, member].sort() : g.value.members.filter((m) => m !== member);
        compare.push({ key: b(P_GROUPS + g.value.name), target: 'MOD', result: 'EQUAL', modRevision: g.modRevision });
        ops.push({ requestPut: { key: b(P_GROUPS + g.value.name), value: b(JSON.stringify({ ...g.value, members })) } });
      }
      if (ops.length === 0 || (await this.txn(compare, ops))) return;
    }
    throw new ClusterError('FAILED_PRECONDITION', `the member groups kept changing under 10 attempts`);
  }

  private async txn(compare: Compare[], success: RequestOp[]): Promise<boolean> {
    const r = await this.node.submit({ txn: { compare, success, failure: [] } });
    if (!r.ok) throw new ClusterError('FAILED_PRECONDITION', `the store refused: ${r.message}`);
    return r.txn?.succeeded ?? false;
  }
}
