import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadBerthV1 } from '@berth/proto';
import type { StoreStatus__Output } from '@berth/proto';
import { EtcdClient } from '../client/etcd-client';
import { Member } from '../member';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-admin-'));
const members: Member[] = [];

async function freePort(): Promise<number> {
  const s = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) => s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  s.forceShutdown();
  return port;
}

afterAll(async () => {
  for (const m of members) await m.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('StoreAdmin status', () => {
  it('reports term, leader, indexes, per-peer progress with round trips, and the metrics', async () => {
    const peers = [];
    for (let id = 1; id <= 3; id++) peers.push({ id, address: `127.0.0.1:${await freePort()}`, clientAddress: `127.0.0.1:${await freePort()}` });
    for (const p of peers) members.push(await Member.start({ id: p.id, clusterId: 'admin', dataDir: path.join(root, `m${p.id}`), peerAddress: p.address, clientAddress: p.clientAddress, bootstrap: peers, node: { tickMs: 20 } }));
    const client = new EtcdClient({ endpoints: peers.map((p) => p.clientAddress) });
    try {
      for (let i = 0; i < 10; i++) await client.put(`k${i}`, 'v');
      await new Promise((r) => setTimeout(r, 300));
      const leader = members.find((m) => m.node.isLeader)!;
      const addr = peers.find((p) => p.id === leader.node.id)!.clientAddress;
      const admin = new (loadBerthV1().StoreAdmin)(addr, grpc.credentials.createInsecure());
      const st = await new Promise<StoreStatus__Output>((resolve, reject) => admin.Status({}, (e, r) => (e ? reject(e) : resolve(r!))));
      admin.close();
      expect(st.role).toBe('leader');
      expect(st.leader).toBe(leader.node.id);
      expect(st.appliedIndex).toBe(st.commitIndex);
      expect(st.voters).toEqual([1, 2, 3]);
      expect(st.progress.map((p) => p.id).sort()).toEqual([1, 2, 3]);
      const others = st.progress.filter((p) => p.id !== leader.node.id);
      for (const p of others) {
        expect(p.match).toBe(st.lastIndex);
        expect(p.state).toBe('replicate');
        expect(p.rttMs).toBeGreaterThan(0);
      }
      expect(st.metrics!.hasLeader).toBe(true);
      expect(st.metrics!.proposalsCommitted).toBeGreaterThanOrEqual(10);
      expect(st.metrics!.fsyncP50Ms).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});
