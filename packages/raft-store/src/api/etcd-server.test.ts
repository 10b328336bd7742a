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
