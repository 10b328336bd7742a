import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InMemNetwork, RaftNode } from '@berth/raft-store';
import { ClusterStore, P_PENDING } from '../cluster/cluster-store';
import type { InstanceIntent } from '../cluster/cluster-store';
import { GroupStore } from '../cluster/groups';
import { Placer, readCandidates } from './placer';

let dir: string;
let node: RaftNode;
let store: ClusterStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-placer-'));
  const net = new InMemNetwork();
  node = await RaftNode.start({ id: 1, clusterId: 'c', dataDir: dir, transport: net.transport(1), bootstrap: [{ id: 1, address: 'x:1' }], tickMs: 10 });
  for (let i = 0; i < 200 && !node.isLeader; i++) await new Promise((r) => setTimeout(r, 10));
  store = new ClusterStore(node);
  for (const name of ['m1', 'm2', 'm3']) {
    await store.found({ clusterId: 'c', createdAt: 0, maxVoters: 3, offlineThresholdMs: 3000 }, { name, id: Number(name[1]), address: `${name}:1`, clusterAddress: `${name}:2`, joinedAt: 0 }).catch(() => undefined);
  }
  // found() writes the first member only; the others as a join would.
  for (const name of ['m2', 'm3']) await node.submit({ put: { key: Buffer.from(`/berth/members/${name}`), value: Buffer.from(JSON.stringify({ name, id: Number(name[1]), address: `${name}:1`, clusterAddress: `${name}:2`, joinedAt: 0 })) } });
});

afterEach(async () => {
  await node.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const intent = (name: string, more: Partial<InstanceIntent> = {}): InstanceIntent => ({ name, image: 'busybox', config: {}, desired: 'Running', createdAt: 0, ...more });

async function online(...names: string[]): Promise<void> {
  const lease = await node.submitLeaseGrant(60);
  for (const n of names) await store.putLive(n, { at: 0, cpus: 1, memoryBytes: 1, instances: 0, criu: n !== 'm3' }, lease.id);
}

const GiB = 2 ** 30;

/** Members with real-looking resources: m1 2 CPUs / 1 GiB, m2 4 / 2 GiB, m3 4 / 4 GiB. */
async function onlineWithResources(): Promise<void> {
  const lease = await node.submitLeaseGrant(60);
  await store.putLive('m1', { at: 0, cpus: 2, memoryBytes: GiB, instances: 0, criu: true }, lease.id);
  await store.putLive('m2', { at: 0, cpus: 4, memoryBytes: 2 * GiB, instances: 0, criu: true }, lease.id);
  await store.putLive('m3', { at: 0, cpus: 4, memoryBytes: 4 * GiB, instances: 0, criu: true }, lease.id);
}

const locations = async (): Promise<Record<string, string | undefined>> => Object.fromEntries((await store.instances()).map((i) => [i.value.name, i.value.location]));

describe('Placer over a real store', () => {
  it('places every waiting intent in one commit, spread over the online members, and clears the pending copies', async () => {
    await online('m1', 'm2', 'm3');
    for (let i = 0; i < 30; i++) await store.createInstance(intent(`i${String(i).padStart(2, '0')}`));
    const rev = node.status().revision;
    expect(await new Placer(store).runOnce()).toBe(30);
    // One txn: the revision moved by one.
    expect(node.status().revision).toBe(rev + 1);
    const located = (await store.instances()).map((i) => i.value.location);
    expect(['m1', 'm2', 'm3'].map((m) => located.filter((l) => l === m).length)).toEqual([10, 10, 10]);
    expect((await node.read({ key: Buffer.from(P_PENDING), rangeEnd: Buffer.from('/berth/pendinh') })).count).toBe(0);
    expect(await new Placer(store).runOnce()).toBe(0);
  });

  it('skips offline members and members without CRIU for stateful instances; records why nothing fits, and places it once something does', async () => {
    await online('m2', 'm3');
    await store.createInstance(intent('a'));
    await store.createInstance(intent('s', { config: { 'migration.stateful': 'true' } }));
    await store.createInstance(intent('t', { target: 'm1' }));
    const p = new Placer(store);
    expect(await p.runOnce()).toBe(2);
    const byName = new Map((await store.instances()).map((i) => [i.value.name, i.value]));
    expect(byName.get('a')!.location).toBe('m2');
    expect(byName.get('s')!.location).toBe('m2');
    expect(byName.get('t')!.location).toBeUndefined();
    expect(byName.get('t')).toMatchObject({ placementError: 'no member can take t: m1: offline; m2: not the target (m1); m3: not the target (m1)' });
    await online('m1');
    // A placer re-reads members and liveness at most every second; a new leader's starts fresh.
    p.reset();
    expect(await p.runOnce()).toBe(1);
    expect((await store.instance('t'))!.value).toMatchObject({ location: 'm1' });
  });

  it('writes nothing when an intent changed after it was read, and places it on the next pass', async () => {
    await online('m1');
    await store.createInstance(intent('x'));
    const stale = (await store.instance('x'))!;
    await store.changeInstance('x', (i) => ({ ...i, desired: 'Stopped' }));
    expect(await store.updateInstances([{ value: { ...stale.value, location: 'm1' }, modRevision: stale.modRevision }])).toBe(false);
    expect(await new Placer(store).runOnce()).toBe(1);
    expect((await store.instance('x'))!.value).toMatchObject({ location: 'm1', desired: 'Stopped' });
  });
});

describe('Placer: limits, member groups, anti-affinity, pipelined passes', () => {
  it('counts what placed instances ask: a member full for limits.memory is passed by, and nothing is placed where nothing fits', async () => {
    await onlineWithResources();
    await store.createInstance(intent('a1', { config: { 'limits.memory': '3GiB' } }));
    await store.createInstance(intent('a2', { config: { 'limits.memory': '1536MiB' } }));
    await store.createInstance(intent('a3', { config: { 'limits.memory': '1536MiB' } }));
    await store.createInstance(intent('a4', { config: { 'limits.memory': '8GiB' } }));
    await store.createInstance(intent('a5', { config: { 'limits.cpu': '3' } }));
    await store.createInstance(intent('a6', { config: { 'limits.cpu': '3' } }));
    const p = new Placer(store);
    expect(await p.runOnce()).toBe(4);
    const at = await locations();
    // a1 (3 GiB) fits m3 only; a2 then m2 (m3 has 1 GiB left); a3 fits nowhere now (1 GiB, 512 MiB, 1 GiB free).
    expect(at).toMatchObject({ a1: 'm3', a2: 'm2', a4: undefined });
    expect(at['a3']).toBeUndefined();
    expect((await store.instance('a3'))!.value.placementError).toBe('no member can take a3: m1: needs 1.5 GiB memory, 1 GiB free of 1 GiB; m2: needs 1.5 GiB memory, 512 MiB free of 2 GiB; m3: needs 1.5 GiB memory, 1 GiB free of 4 GiB');
    expect((await store.instance('a4'))!.value.placementError).toMatch(/m3: needs 8 GiB memory, 1 GiB free of 4 GiB$/);
    // CPUs: 3 fit m2 and m3 once each (4 CPUs), never m1 (2).
    expect(new Set([at['a5'], at['a6']])).toEqual(new Set(['m2', 'm3']));
    // Deleting a1 frees its 3 GiB (seen through the watch): a3 goes to m3 on the next pass.
    await store.removeInstance('a1');
    for (let i = 0; i < 50 && (await p.runOnce()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await locations())['a3']).toBe('m3');
    // The dry run's one-shot view agrees with the placer's.
    const cs = await readCandidates(store);
    expect(cs.find((c) => c.name === 'm3')!.used).toEqual({ cpus: 3, memoryBytes: 1.5 * GiB, memoryPercent: 0 });
  });

  it('places at creation from its view (chooseNow): counted at once, so creations and passes never overfill a member; a create that wrote nothing gives its count back', async () => {
    await onlineWithResources();
    const p = new Placer(store);
    // No view yet: nothing chosen (the intent would wait for a pass).
    expect(await p.chooseNow(intent('x0', { config: { 'limits.memory': '3GiB' } }))).toBeUndefined();
    await p.warm();
    // 3 GiB fits m3 only; chosen and counted before its txn commits.
    const c1 = await p.chooseNow(intent('c1', { config: { 'limits.memory': '3GiB' } }));
    expect(c1?.location).toBe('m3');
    // A second 3 GiB one, chosen while the first is in flight: nowhere (m3 has 1 GiB left).
    expect(await p.chooseNow(intent('c2', { config: { 'limits.memory': '3GiB' } }))).toBeUndefined();
    const rev = await store.createInstance({ ...intent('c1', { config: { 'limits.memory': '3GiB' } }), location: c1!.location });
    c1!.settle(rev);
    // A waiting intent the pass places sees c1 counted: 1.5 GiB cannot go to m3 any more.
    await store.createInstance(intent('w1', { config: { 'limits.memory': '1536MiB' } }));
    for (let i = 0; i < 50 && (await p.runOnce()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await locations())['w1']).toBe('m2');
    // Chosen, then its create wrote nothing (the name was taken): the 1.5 GiB go back to m2.
    const c3 = await p.chooseNow(intent('w1', { config: { 'limits.memory': '512MiB' } }));
    expect(c3?.location).toBeDefined();
    const before = (await p.candidates()).find((c) => c.name === c3!.location)!.used!.memoryBytes;
    await expect(store.createInstance({ ...intent('w1'), location: c3!.location })).rejects.toThrow(/already exists/);
    c3!.settle();
    expect((await p.candidates()).find((c) => c.name === c3!.location)!.used!.memoryBytes).toBe(before - 512 * 2 ** 20);
  });

  it('places --target @group into the group only, and spreads one placement.group over distinct members, then over the least loaded', async () => {
    await online('m1', 'm2', 'm3');
    const groups = new GroupStore(node);
    await groups.create('fast');
    await groups.add('m2', 'fast');
    await groups.add('m3', 'fast');
    for (let i = 0; i < 4; i++) await store.createInstance(intent(`g${i}`, { target: '@fast' }));
    for (let i = 0; i < 4; i++) await store.createInstance(intent(`w${i}`, { config: { 'placement.group': 'web' } }));
    expect(await new Placer(store).runOnce()).toBe(8);
    const at = await locations();
    expect([0, 1, 2, 3].map((i) => at[`g${i}`]).sort()).toEqual(['m2', 'm2', 'm3', 'm3']);
    // w0..w2 on three distinct members (in spite of m2, m3 holding two more instances each), w3 on the one with the fewest instances.
    expect(new Set([0, 1, 2].map((i) => at[`w${i}`]))).toEqual(new Set(['m1', 'm2', 'm3']));
    expect(at['w3']).toBe('m1');
  });

  it('drains a backlog in several pipelined passes, each one txn, placing every intent exactly once', async () => {
    await online('m1', 'm2', 'm3');
    const ops = [];
    for (let i = 0; i < 95; i++) {
      const v = intent(`p${String(i).padStart(3, '0')}`);
      ops.push({ requestPut: { key: Buffer.from(`/berth/instances/${v.name}`), value: Buffer.from(JSON.stringify(v)) } }, { requestPut: { key: Buffer.from(`/berth/pending/${v.name}`), value: Buffer.from(JSON.stringify(v)) } });
    }
    await node.submit({ txn: { compare: [], success: ops, failure: [] } });
    const rev = node.status().revision;
    const p = new Placer(store, { batch: 10, inFlight: 3 });
    expect(await p.runOnce()).toBe(95);
    expect(p.stats.passes).toBe(10);
    expect(node.status().revision).toBe(rev + 10);
    const located = Object.values(await locations());
    expect(['m1', 'm2', 'm3'].map((m) => located.filter((l) => l === m).length)).toEqual([32, 32, 31]);
    expect((await node.read({ key: Buffer.from(P_PENDING), rangeEnd: Buffer.from('/berth/pendinh') })).count).toBe(0);
    expect(await p.runOnce()).toBe(0);
  });

  it('a pass refused because an intent changed meanwhile places nothing of it; the reloaded view places each once', async () => {
    await online('m1', 'm2');
    for (let i = 0; i < 6; i++) await store.createInstance(intent(`r${i}`));
    const p = new Placer(store, { batch: 3, inFlight: 2 });
    await p.warm(); // the view is loaded
    // A change the view has not seen yet when the pass is chosen: stop r1 in the same tick as the pass starts.
    const submit = node.submit.bind(node);
    let raced = false;
    node.submit = async (cmd, o) => {
      if (!raced && 'txn' in cmd && cmd.txn.success.some((op) => 'requestPut' in op && op.requestPut.key.toString().endsWith('/r1'))) {
        raced = true;
        const cur = await store.instance('r1');
        await submit({ put: { key: Buffer.from('/berth/instances/r1'), value: Buffer.from(JSON.stringify({ ...cur!.value, desired: 'Stopped' })) } });
      }
      return submit(cmd, o);
    };
    try {
      await p.runOnce();
      for (let i = 0; i < 5 && (await p.runOnce()) > 0;) i++;
    } finally {
      node.submit = submit;
    }
    expect(raced).toBe(true);
    expect(p.stats.refused).toBeGreaterThanOrEqual(1);
    expect(p.stats.loads).toBeGreaterThanOrEqual(2);
    const all = await store.instances();
    expect(all.map((i) => [i.value.name, !!i.value.location])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [`r${i}`, true]));
    expect(all.find((i) => i.value.name === 'r1')!.value.desired).toBe('Stopped');
    const located = all.map((i) => i.value.location);
    expect(['m1', 'm2'].map((m) => located.filter((l) => l === m).length)).toEqual([3, 3]);
  });
});
