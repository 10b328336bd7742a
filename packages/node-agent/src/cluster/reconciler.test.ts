import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InMemNetwork, RaftNode } from '@berth/raft-store';
import { ClusterStore, configDigest } from '@berth/control-plane';
import type { InstanceIntent, OperationRecord } from '@berth/control-plane';
import type { Agent } from '../agent/agent';
import { NotFoundError } from '../errors';
import { Reconciler } from './reconciler';

/** A fake agent (unit tests only): containers in memory, every call recorded. */
class FakeAgent {
  readonly containers = new Map<string, { status: string; config: Record<string, string> }>();
  readonly calls: string[] = [];
  async get(name: string): Promise<{ name: string; status: string; config: Record<string, string> }> {
    this.calls.push(`get ${name}`);
    const c = this.containers.get(name);
    if (!c) throw new NotFoundError(`instance "${name}" not found`);
    return { name, ...c };
  }
  async list(): Promise<Array<{ name: string; status: string; config: Record<string, string> }>> {
    this.calls.push('list');
    return [...this.containers].map(([name, c]) => ({ name, ...c }));
  }
  async launch(o: { name: string; config: Record<string, string>; start: boolean }): Promise<{ status: string }> {
    this.calls.push(`launch ${o.name}`);
    const status = o.start ? 'Running' : 'Stopped';
    this.containers.set(o.name, { status, config: o.config });
    return { status };
  }
  async start(name: string): Promise<void> {
    this.calls.push(`start ${name}`);
    this.containers.get(name)!.status = 'Running';
  }
  async incomingInstances(): Promise<Map<string, string>> { return new Map(); }
}

let dir: string;
let node: RaftNode;
let store: ClusterStore;
let agent: FakeAgent;
let rec: Reconciler;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-reconciler-'));
  node = await RaftNode.start({ id: 1, clusterId: 'c', dataDir: dir, transport: new InMemNetwork().transport(1), bootstrap: [{ id: 1, address: 'x:1' }], tickMs: 10 });
  for (let i = 0; i < 200 && !node.isLeader; i++) await new Promise((r) => setTimeout(r, 10));
  store = new ClusterStore(node);
  agent = new FakeAgent();
  rec = new Reconciler('m1', store, agent as unknown as Agent);
});

afterEach(async () => {
  rec.reset();
  await node.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const intent = (name: string, more: Partial<InstanceIntent> = {}): InstanceIntent => ({ name, image: 'busybox', config: {}, desired: 'Running', createdAt: 0, ...more });

function operation(id: string, name: string): OperationRecord {
  return { id, description: `launch ${name}`, status: 'running', mayCancel: true, resources: { instances: `/1.0/instances/${name}` }, metadata: {}, error: '', errorCode: '', createdAtUnixMs: 0, updatedAtUnixMs: 0, location: 'm2' };
}

/** Lets the store's watch deliver what was just committed. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

async function place(name: string, member: string): Promise<void> {
  await store.changeInstance(name, (i) => ({ ...i, location: member }));
  await settle();
}

describe('Reconciler over a real store, with a fake agent', () => {
  it('ends a launch\'s operation in the same commit as the observed state it asked for', async () => {
    const op = operation('op-a', 'a');
    await store.createInstance(intent('a', { launchOp: op.id }), op);
    await place('a', 'm1');
    const rev = node.status().revision;
    await rec.runOnce();
    expect(agent.calls).toContain('launch a');
    expect(node.status().revision).toBe(rev + 1);
    expect(await store.observedOf('a')).toMatchObject({ location: 'm1', status: 'Running', configDigest: configDigest({}) });
    const ended = (await store.operation(op.id))!.value;
    expect(ended).toMatchObject({ status: 'success', resources: { instances: '/1.0/instances/a', location: 'm1' } });
  });

  it('leaves an operation asked to cancel to the member running it (observed state only)', async () => {
    const op = operation('op-b', 'b');
    await store.createInstance(intent('b', { launchOp: op.id }), op);
    const cur = (await store.operation(op.id))!;
    expect(await store.changeOperation({ ...cur.value, cancelRequested: true }, cur.modRevision)).toBe(true);
    await place('b', 'm1');
    await rec.runOnce();
    expect((await store.observedOf('b'))?.status).toBe('Running');
    expect((await store.operation(op.id))!.value.status).toBe('running');
  });

  it('a taken name records neither the intent nor its operation', async () => {
    await store.createInstance(intent('c'));
    await expect(store.createInstance(intent('c', { desired: 'Stopped' }), operation('op-c', 'c'))).rejects.toThrow(/already exists/);
    expect(await store.operation('op-c')).toBeUndefined();
    expect((await store.instance('c'))!.value.desired).toBe('Running');
  });

  it('takes only what changed between full passes; a full pass lists once and passes by what is as reported', async () => {
    for (const n of ['x', 'y', 'z']) await store.createInstance(intent(n, { location: 'm1' }));
    await store.createInstance(intent('elsewhere', { location: 'm2' }));
    await settle();
    await rec.runOnce();
    expect(agent.calls.filter((c) => c.startsWith('launch')).sort()).toEqual(['launch x', 'launch y', 'launch z']);
    // Only y changed (asked to stop): only y is looked at.
    agent.calls.length = 0;
    await store.changeInstance('y', (i) => ({ ...i, desired: 'Stopped' }));
    await settle();
    await rec.runOnce().catch(() => undefined); // the fake has no stop(): y's error is its own
    expect(agent.calls).toEqual(['get y']);
    expect((await store.observedOf('y'))?.status).toBe('Error');
    // A full pass: one list; x and z are as asked and as reported (no get); y (in error) is taken again.
    agent.calls.length = 0;
    await rec.runOnce({ full: true });
    expect(agent.calls).toEqual(['list', 'get y']);
    // A container that died is noticed by the full pass (it is no longer as reported).
    agent.containers.get('z')!.status = 'Stopped';
    agent.calls.length = 0;
    await rec.runOnce({ full: true });
    expect(agent.calls[0]).toBe('list');
    expect(agent.calls.slice(1).sort()).toEqual(['get y', 'get z', 'start z']);
    expect((await store.observedOf('z'))?.status).toBe('Running');
  });
});
