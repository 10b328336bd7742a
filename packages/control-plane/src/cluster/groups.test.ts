import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InMemNetwork, RaftNode } from '@berth/raft-store';
import { GroupStore } from './groups';

let dir: string;
let node: RaftNode;
let groups: GroupStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-groups-'));
  const net = new InMemNetwork();
  node = await RaftNode.start({ id: 1, clusterId: 'c', dataDir: dir, transport: net.transport(1), bootstrap: [{ id: 1, address: 'x:1' }], tickMs: 10 });
  for (let i = 0; i < 200 && !node.isLeader; i++) await new Promise((r) => setTimeout(r, 10));
  for (const name of ['m1', 'm2', 'm3']) await node.submit({ put: { key: Buffer.from(`/berth/members/${name}`), value: Buffer.from(JSON.stringify({ name, id: Number(name[1]), address: `${name}:1`, clusterAddress: `${name}:2`, joinedAt: 0 })) } });
  groups = new GroupStore(node);
});

afterEach(async () => {
  await node.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('member groups in the store', () => {
  it('create, add, remove, assign, delete as lxc cluster group does; default holds every member', async () => {
    expect(await groups.list()).toEqual([{ name: 'default', description: 'Every member of the cluster', members: ['m1', 'm2', 'm3'] }]);
    await groups.create('fast', 'NVMe hosts');
    await groups.create('eu');
    await groups.add('m2', 'fast');
    await groups.add('m1', 'fast');
    expect(await groups.get('fast')).toEqual({ name: 'fast', description: 'NVMe hosts', members: ['m1', 'm2'] });
    await groups.assign('m1', ['eu', 'default']);
    expect(Object.fromEntries(await groups.byMember())).toEqual({ m1: ['eu'], m2: ['fast'] });
    await groups.assign('m2', ['eu', 'fast']);
    expect(Object.fromEntries(await groups.byMember())).toEqual({ m1: ['eu'], m2: ['eu', 'fast'] });
    await groups.remove('m2', 'fast');
    await groups.delete('fast');
    expect((await groups.list()).map((g) => [g.name, g.members])).toEqual([['default', ['m1', 'm2', 'm3']], ['eu', ['m1', 'm2']]]);
  });

  it('refuses what LXD refuses, naming it', async () => {
    await groups.create('eu');
    await groups.add('m1', 'eu');
    await expect(groups.create('eu')).rejects.toMatchObject({ code: 'ALREADY_EXISTS', message: 'member group "eu" already exists' });
    await expect(groups.create('default')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(groups.create('Bad_Name')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(groups.delete('default')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(groups.delete('eu')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/still has members \(m1\)/) });
    await expect(groups.delete('nosuch')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no member group named "nosuch"' });
    await expect(groups.add('m1', 'nosuch')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no member group named "nosuch"/) });
    await expect(groups.add('m9', 'eu')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no member named "m9"' });
    await expect(groups.add('m1', 'eu')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(groups.remove('m2', 'eu')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(groups.remove('m1', 'default')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(groups.get('nosuch')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('changes racing on the same group both land (each txn compares the group it rewrites)', async () => {
    await groups.create('eu');
    await Promise.all([groups.add('m1', 'eu'), groups.add('m2', 'eu'), groups.add('m3', 'eu')]);
    expect((await groups.get('eu')).members).toEqual(['m1', 'm2', 'm3']);
  });
});
