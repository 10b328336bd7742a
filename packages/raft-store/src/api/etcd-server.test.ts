import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdV3 } from '@berth/proto';
import type { etcd } from '@berth/proto';
import { Member } from '../member';
import { LEADER_ADDRESS_KEY } from './status';
import { NO_FORWARD_KEY } from './etcd-server';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-etcdapi-'));
const members: Member[] = [];
const peers: Array<{ id: number; address: string; clientAddress: string }> = [];

async function freePort(): Promise<number> {
  const s = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) => s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  s.forceShutdown();
  return port;
}

beforeAll(async () => {
  for (let id = 1; id <= 3; id++) peers.push({ id, address: `127.0.0.1:${await freePort()}`, clientAddress: `127.0.0.1:${await freePort()}` });
  for (const p of peers) members.push(await Member.start({ id: p.id, clusterId: 'etcdapi', dataDir: path.join(root, `m${p.id}`), peerAddress: p.address, clientAddress: p.clientAddress, bootstrap: peers, node: { tickMs: 20 } }));
  const deadline = Date.now() + 10_000;
  while (!members.some((m) => m.node.isLeader) || members.some((m) => !m.node.leaderId)) {
    if (Date.now() > deadline) throw new Error('no leader');
    await new Promise((r) => setTimeout(r, 20));
  }
});

afterAll(async () => {
  for (const m of members) await m.stop();
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
