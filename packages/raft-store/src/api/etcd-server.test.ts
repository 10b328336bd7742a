import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdV3 } from '@berth/proto';
import type { etcd } from '@berth/proto';
import type { Member } from '../member';
import { startLoopbackCluster } from '../testing';
import type { LoopbackCluster } from '../testing';
import { LEADER_ADDRESS_KEY } from './status';
import { NO_FORWARD_KEY } from './etcd-server';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-etcdapi-'));
let cluster: LoopbackCluster;
let members: Member[] = [];
let peers: LoopbackCluster['peers'] = [];

beforeAll(async () => {
  cluster = await startLoopbackCluster(3, 'etcdapi', root);
  members = cluster.members;
  peers = cluster.peers;
});

afterAll(async () => {
  await cluster?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

function put(address: string, md: grpc.Metadata): Promise<{ err: grpc.ServiceError | null; res?: etcd.PutResponse__Output }> {
  const kv = new (loadEtcdV3().KV)(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => kv.Put({ key: Buffer.from('k'), value: Buffer.from('v') }, md, (err, res) => {
    kv.close();
    resolve(res ? { err, res } : { err });
  }));
}

describe('etcd API: writes sent to a follower', () => {
  it('are forwarded to the leader by default', async () => {
    const follower = members.find((m) => !m.node.isLeader)!;
    const r = await put(peers[follower.node.id - 1]!.clientAddress, new grpc.Metadata());
    expect(r.err).toBeNull();
    expect(r.res!.header!.revision).toBeGreaterThan(0);
  });

  it('are answered NOT_LEADER with the leader\'s client address when the client asks not to be forwarded', async () => {
    const follower = members.find((m) => !m.node.isLeader)!;
    const leader = members.find((m) => m.node.isLeader)!;
    const md = new grpc.Metadata();
    md.set(NO_FORWARD_KEY, '1');
    const r = await put(peers[follower.node.id - 1]!.clientAddress, md);
    expect(r.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(r.err?.details).toMatch(new RegExp(`not leader.*member ${leader.node.id}`));
    expect(r.err?.metadata.get(LEADER_ADDRESS_KEY)).toEqual([peers[leader.node.id - 1]!.clientAddress]);
  });
});

describe('etcd API: streams after the client half-closes (as etcd)', () => {
  it('a watch keeps delivering events', async () => {
    const address = peers[0]!.clientAddress;
    const w = new (loadEtcdV3().Watch)(address, grpc.credentials.createInsecure());
    const call = w.Watch();
    call.on('error', () => undefined);
    const got: string[] = [];
    let created!: () => void;
    const isCreated = new Promise<void>((r) => { created = r; });
    call.on('data', (r: etcd.WatchResponse__Output) => {
      if (r.created) created();
      for (const e of r.events) got.push(e.kv!.value.toString());
    });
    call.write({ createRequest: { key: Buffer.from('half-closed') } });
    await isCreated;
    call.end();
    const kv = new (loadEtcdV3().KV)(address, grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) => kv.Put({ key: Buffer.from('half-closed'), value: Buffer.from('still') }, (e) => (e ? reject(e) : resolve())));
    kv.close();
    const deadline = Date.now() + 5000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    call.cancel();
    w.close();
    expect(got).toEqual(['still']);
  });

  it('a lease keep-alive answers the renewals sent before, then ends', async () => {
    const address = peers[0]!.clientAddress;
    const lease = new (loadEtcdV3().Lease)(address, grpc.credentials.createInsecure());
    const g = await new Promise<etcd.LeaseGrantResponse__Output>((resolve, reject) => lease.LeaseGrant({ TTL: 30 }, (e, r) => (e ? reject(e) : resolve(r!))));
    const call = lease.LeaseKeepAlive();
    const ttls: number[] = [];
    call.on('data', (r: etcd.LeaseKeepAliveResponse__Output) => ttls.push(Number(r.TTL)));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => undefined);
    call.write({ ID: g.ID });
    call.write({ ID: g.ID });
    call.end();
    expect((await status).code).toBe(grpc.status.OK);
    lease.close();
    expect(ttls).toEqual([30, 30]);
  });
});
