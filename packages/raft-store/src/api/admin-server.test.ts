import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadBerthV1 } from '@berth/proto';
import type { StoreStatus__Output } from '@berth/proto';
import { EtcdClient } from '../client/etcd-client';
import type { Member } from '../member';
import { startLoopbackCluster } from '../testing';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-admin-'));
const members: Member[] = [];


afterAll(async () => {
  for (const m of members) await m.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('StoreAdmin status', () => {
  it('reports term, leader, indexes, per-peer progress with round trips, and the metrics', async () => {
    const cluster = await startLoopbackCluster(3, 'admin', root);
    members.push(...cluster.members);
    const peers = cluster.peers;
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
      // Each member counts the proposals of its own clients (a follower's go to the leader in
      // MsgProp and are answered from its own apply): together, the ten puts.
      const committed = members.reduce((n, m) => n + m.node.status().metrics.proposalsCommitted, 0);
      expect(committed).toBeGreaterThanOrEqual(10);
      expect(st.metrics!.fsyncP50Ms).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});
