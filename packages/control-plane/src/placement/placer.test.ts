import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InMemNetwork, RaftNode } from '@berth/raft-store';
import { ClusterStore, P_PENDING } from '../cluster/cluster-store';
import type { InstanceIntent } from '../cluster/cluster-store';
import { Placer } from './placer';

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
    const stale = await store.pending();
    await store.changeInstance('x', (i) => ({ ...i, desired: 'Stopped' }));
    expect(await store.updateInstances([{ value: { ...stale[0]!.value, location: 'm1' }, modRevision: stale[0]!.modRevision }])).toBe(false);
    expect(await new Placer(store).runOnce()).toBe(1);
    expect((await store.instance('x'))!.value).toMatchObject({ location: 'm1', desired: 'Stopped' });
  });
});
