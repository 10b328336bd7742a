/**
 * Helpers for tests that run real members in one process on loopback: free ports and a
 * small cluster of Members with a leader elected. Not part of the store's API.
 */
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { MemberRecord } from './kv/types';
import { Member } from './member';

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const s = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) => s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  s.forceShutdown();
  return port;
}

export interface LoopbackCluster {
  members: Member[];
  peers: Array<MemberRecord & { clientAddress: string }>;
  leader(): Member;
  stop(): Promise<void>;
}

/** Starts `size` members (ids 1..size) in this process and waits until every one knows the leader. */
export async function startLoopbackCluster(size: number, clusterId: string, dataRoot: string, tickMs = 20): Promise<LoopbackCluster> {
  const peers: LoopbackCluster['peers'] = [];
  for (let id = 1; id <= size; id++) peers.push({ id, address: `127.0.0.1:${await freePort()}`, clientAddress: `127.0.0.1:${await freePort()}` });
  const members: Member[] = [];
  const stop = async (): Promise<void> => {
    for (const m of members) await m.stop();
  };
  try {
    for (const p of peers) {
      members.push(await Member.start({ id: p.id, clusterId, dataDir: path.join(dataRoot, `m${p.id}`), peerAddress: p.address, clientAddress: p.clientAddress, bootstrap: peers, node: { tickMs } }));
    }
    const deadline = Date.now() + 10_000;
    while (!members.some((m) => m.node.isLeader) || members.some((m) => !m.node.leaderId)) {
      if (Date.now() > deadline) throw new Error(`no leader known to every member of ${clusterId} within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { members, peers, leader: () => members.find((m) => m.node.isLeader)!, stop };
}
