import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MemberRecord } from '../kv/types';
import type { Message } from '../core/messages';
import { InMemNetwork, InMemTransport } from './inmem-transport';
import { RaftNode } from './raft-node';
import type { RaftNodeOptions } from './raft-node';

const b = (s: string): Buffer => Buffer.from(s);

interface Cluster {
  net: InMemNetwork;
  nodes: Map<number, RaftNode>;
  dirs: Map<number, string>;
  members: MemberRecord[];
  start(id: number, extra?: Partial<RaftNodeOptions>): Promise<RaftNode>;
  leader(timeoutMs?: number): Promise<RaftNode>;
  stopAll(): Promise<void>;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-node-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let clusterSeq = 0;

function cluster(size: number, extra: Partial<RaftNodeOptions> = {}): Cluster {
  const base = path.join(root, `c${++clusterSeq}`);
  const net = new InMemNetwork();
  const members = Array.from({ length: size }, (_, i) => ({ id: i + 1, address: `127.0.0.1:${7000 + i + 1}` }));
  const c: Cluster = {
    net, members,
    nodes: new Map(),
    dirs: new Map(),
    async start(id, more = {}) {
      const dir = path.join(base, `m${id}`);
      c.dirs.set(id, dir);
      const node = await RaftNode.start({
        id, clusterId: 'test', dataDir: dir, transport: net.transport(id),
        bootstrap: id <= size ? members : undefined, tickMs: 10, ...extra, ...more,
      });
      c.nodes.set(id, node);
      return node;
    },
    async leader(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const leaders = [...c.nodes.values()].filter((n) => n.isLeader);
        if (leaders.length === 1) return leaders[0]!;
        if (Date.now() > deadline) throw new Error('no single leader elected');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stopAll() {
      for (const n of c.nodes.values()) await n.stop();
      c.nodes.clear();
    },
  };
  return c;
}

async function startAll(c: Cluster, size: number): Promise<void> {
  for (let id = 1; id <= size; id++) await c.start(id);
}

describe('RaftNode over an in-process network, with real LevelDB', () => {
  it('elects a leader, replicates writes, and serves linearizable reads on every member', async () => {
    const c = cluster(3);
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      for (let i = 0; i < 20; i++) {
        const r = await leader.propose({ put: { key: b(`k${i}`), value: b(`v${i}`) } });
        expect(r).toMatchObject({ ok: true, revision: i + 1 });
      }
      for (const n of c.nodes.values()) {
        const res = await n.read({ key: b('k'), rangeEnd: b('l') });
        expect(res.count).toBe(20);
      }
      const follower = [...c.nodes.values()].find((n) => !n.isLeader)!;
      await expect(follower.propose({ put: { key: b('x'), value: b('y') } })).rejects.toMatchObject({ code: 'NOT_LEADER', leaderId: leader.id, leaderAddress: `127.0.0.1:${7000 + leader.id}` });
    } finally {
      await c.stopAll();
    }
  });

  it('lets any member submit writes and renew leases through the leader', async () => {
    const c = cluster(3);
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      const follower = [...c.nodes.values()].find((n) => !n.isLeader)!;
      const r = await follower.submit({ put: { key: b('via-follower'), value: b('1') } }, { clientId: 'f', seq: 1 });
      expect(r).toMatchObject({ ok: true });
      const again = await follower.submit({ put: { key: b('via-follower'), value: b('1') } }, { clientId: 'f', seq: 1 });
      expect(again).toEqual(r);
      expect((await leader.read({ key: b('via-follower') })).kvs[0]!.version).toBe(1);
      const { id } = await follower.submitLeaseGrant(30);
      expect(await follower.submitLeaseKeepAlive(id)).toBe(30);
      expect((await follower.submitLeaseTimeToLive(id)).grantedTtl).toBe(30);
      await expect(follower.submitLeaseKeepAlive(999)).rejects.toMatchObject({ code: 'LEASE_NOT_FOUND' });
      const refused = await follower.submit({ put: { key: b('x'), value: b('1'), lease: 12345 } });
      expect(refused).toMatchObject({ ok: false, code: 'LEASE_NOT_FOUND' });
    } finally {
      await c.stopAll();
    }
  });

  it('a follower sends writes to the leader in MsgProps and answers each from its own apply', async () => {
    const c = cluster(3);
    const forward = jest.spyOn(InMemTransport.prototype, 'forward');
    const send = jest.spyOn(InMemTransport.prototype, 'send');
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      const follower = [...c.nodes.values()].find((n) => !n.isLeader)!;
      const n = 40;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => follower.submit({ put: { key: b(`f${i}`), value: b(String(i)) } })));
      const revisions = new Set<number>();
      for (let i = 0; i < n; i++) {
        const kv = (await leader.read({ key: b(`f${i}`) })).kvs[0]!;
        expect(Buffer.from(kv.value).toString()).toBe(String(i));
        // The answer is this put's own result: the revision the leader stored it at.
        expect(results[i]).toMatchObject({ ok: true, revision: kv.modRevision });
        revisions.add(kv.modRevision);
      }
      expect(revisions.size).toBe(n);
      expect(forward).not.toHaveBeenCalled();
      const props = send.mock.calls.flatMap(([ms]) => ms as Message[]).filter((m) => m.type === 'MsgProp' && m.from === follower.id);
      expect(props.reduce((k, m) => k + m.entries.length, 0)).toBe(n);
      expect(props.length).toBeLessThan(n); // the proposals of one turn leave together
      expect(follower.status().metrics.proposalsCommitted).toBe(n);
    } finally {
      forward.mockRestore();
      send.mockRestore();
      await c.stopAll();
    }
  });

  it('a write sent to a leader that is handing over leadership fails at once with PROPOSAL_DROPPED', async () => {
    const c = cluster(3);
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      const [target, other] = [...c.nodes.values()].filter((n) => !n.isLeader) as [RaftNode, RaftNode];
      await other.submit({ put: { key: b('before'), value: b('1') } });
      // The target cannot be reached, so the transfer stays pending (for an election timeout).
      c.net.disconnect(leader.id, target.id);
      leader.transferLeadership(target.id);
      const t0 = Date.now();
      await expect(other.submit({ put: { key: b('during'), value: b('1') } }, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'PROPOSAL_DROPPED', reason: 'transferring' });
      expect(Date.now() - t0).toBeLessThan(1000);
      // Once the transfer is over (done or given up), writes go through again: a client retries.
      c.net.heal();
      let after: unknown;
      for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
        after = await other.submit({ put: { key: b('after'), value: b('1') } }).catch((e: unknown) => e);
        if ((after as { ok?: boolean }).ok) break;
        expect(after).toMatchObject({ code: expect.stringMatching(/^(PROPOSAL_DROPPED|NOT_LEADER)$/) });
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(after).toMatchObject({ ok: true });
      const l = await c.leader();
      expect((await l.read({ key: b('during') })).kvs).toHaveLength(0);
    } finally {
      await c.stopAll();
    }
  });

  it('elects a new leader when the leader stops, and loses no acknowledged write', async () => {
    const c = cluster(3);
    try {
      await startAll(c, 3);
      const first = await c.leader();
      const acked: string[] = [];
      for (let i = 0; i < 10; i++) {
        await first.propose({ put: { key: b(`a${i}`), value: b('1') } });
        acked.push(`a${i}`);
      }
      await first.stop();
      c.nodes.delete(first.id);
      const second = await c.leader();
      expect(second.id).not.toBe(first.id);
      await second.propose({ put: { key: b('zafter'), value: b('1') } });
      const res = await second.read({ key: b('a'), rangeEnd: b('b') });
      expect(res.kvs.map((kv) => kv.key.toString())).toEqual(acked);
      // The old leader comes back from its disk and catches up.
      const back = await c.start(first.id);
      await back.waitApplied(second.status().commitIndex, 5000);
      expect((await back.serializableRead({ key: b('zafter') })).count).toBe(1);
    } finally {
      await c.stopAll();
    }
  });

  it('a follower\'s read waiting on a leader that died is asked again of the next leader', async () => {
    const c = cluster(3);
    try {
      await startAll(c, 3);
      const first = await c.leader();
      await first.propose({ put: { key: b('r'), value: b('1') } });
      const follower = [...c.nodes.values()].find((n) => n !== first)!;
      // The leader stops answering (its messages dropped both ways), then a read starts.
      c.net.isolate(first.id);
      const t0 = Date.now();
      const read = follower.read({ key: b('r') }, 8_000);
      await first.stop();
      c.nodes.delete(first.id);
      c.net.heal();
      expect((await read).kvs[0]?.value.toString()).toBe('1');
      // Elections here take 10-20 ticks of 10 ms; the read did not sit out its 8 s deadline.
      expect(Date.now() - t0).toBeLessThan(4_000);
    } finally {
      await c.stopAll();
    }
  });

  it('says a member is down as soon as the transport reports it, and up again once it is heard from', async () => {
    const c = cluster(3, { tickMs: 50 });
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      const f = [...c.nodes.values()].find((n) => n !== leader)!;
      expect(leader.reportedDown(f.id)).toBe(false);
      c.net.isolate(f.id); // the leader's next heartbeat to it fails
      const until = Date.now() + 2_000;
      while (!leader.reportedDown(f.id) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      expect(leader.reportedDown(f.id)).toBe(true);
      expect(leader.silentMs(f.id)!).toBeLessThan(1_000); // still "recently heard" by silence alone
      c.net.heal();
      const back = Date.now() + 5_000;
      while (leader.reportedDown(f.id) && Date.now() < back) await new Promise((r) => setTimeout(r, 10));
      expect(leader.reportedDown(f.id)).toBe(false);
    } finally {
      await c.stopAll();
    }
  });

  it('answers without quorum with a clear timeout, not a hang or a wrong answer', async () => {
    const c = cluster(3);
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      await leader.propose({ put: { key: b('k'), value: b('1') } });
      for (const n of c.nodes.values()) if (n !== leader) c.net.isolate(n.id);
      const t0 = Date.now();
      await expect(leader.propose({ put: { key: b('k'), value: b('2') } }, { timeoutMs: 500 })).rejects.toMatchObject({ code: expect.stringMatching(/TIMEOUT|NOT_LEADER|STOPPED|PROPOSAL/) });
      await expect(leader.read({ key: b('k') }, 500)).rejects.toMatchObject({ code: expect.stringMatching(/TIMEOUT|NOT_LEADER/) });
      expect(Date.now() - t0).toBeLessThan(3000);
      c.net.heal();
      const again = await c.leader();
      const r = await again.read({ key: b('k') });
      expect(['1', '2']).toContain(r.kvs[0]!.value.toString());
    } finally {
      await c.stopAll();
    }
  });

  it('without quorum, names the voters it cannot reach in the errors of writes and reads', async () => {
    const c = cluster(3);
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      await leader.propose({ put: { key: b('k'), value: b('1') } });
      const survivor = [...c.nodes.values()].find((n) => n !== leader)!;
      const gone = [...c.nodes.values()].filter((n) => n !== survivor).map((n) => n.id).sort();
      for (const id of gone) {
        await c.nodes.get(id)!.stop();
        c.nodes.delete(id);
      }
      // Elections here take 10-20 ticks of 10 ms; unreachable = silent for two election timeouts.
      await new Promise((r) => setTimeout(r, 600));
      expect(survivor.quorumReport()).toMatchObject({ ok: false, voters: 3, unreachable: gone.map((id) => ({ id, address: `127.0.0.1:${7000 + id}` })) });
      const t0 = Date.now();
      const names = gone.map((id) => `member ${id} \\(127.0.0.1:${7000 + id}, (silent|never)`).join('.*');
      await expect(survivor.submit({ put: { key: b('k'), value: b('2') } }, { timeoutMs: 1000 })).rejects.toThrow(new RegExp(`no quorum: 2 of 3 voters unreachable from this member: ${names}`));
      await expect(survivor.read({ key: b('k') }, 1000)).rejects.toThrow(/no quorum: 2 of 3 voters unreachable/);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await c.stopAll();
    }
  });

  it('sends a snapshot to a member that fell behind the compacted log', async () => {
    const c = cluster(3, { snapshotEntries: 50, keepEntries: 10 });
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      const lagging = [...c.nodes.values()].find((n) => !n.isLeader)!;
      c.net.isolate(lagging.id);
      // The other two still make a quorum.
      for (let i = 0; i < 200; i++) await leader.propose({ put: { key: b(`s${String(i).padStart(3, '0')}`), value: b(`v${i}`) } });
      await new Promise((r) => setTimeout(r, 100));
      expect(leader.status().firstIndex).toBeGreaterThan(lagging.status().lastIndex + 1);
      c.net.heal();
      await lagging.waitApplied(leader.status().commitIndex, 5000);
      expect(lagging.status().metrics.snapshotsInstalled).toBeGreaterThanOrEqual(1);
      const res = await lagging.serializableRead({ key: b('s'), rangeEnd: b('t') });
      expect(res.count).toBe(200);
    } finally {
      await c.stopAll();
    }
  });

  it('a member restarted right after installing a snapshot catches up and keeps compacting', async () => {
    // The situation of a CI failure (compact(1012) beyond last index 902 stopped a member whose
    // state machine a snapshot had put ahead of its log). This test does not reproduce that
    // failure on its own; it keeps the scenario covered.
    const c = cluster(3, { snapshotEntries: 30, keepEntries: 5, snapshotBytes: 2048 });
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      const lagging = [...c.nodes.values()].find((n) => !n.isLeader)!;
      c.net.isolate(lagging.id);
      for (let i = 0; i < 150; i++) await leader.propose({ put: { key: b(`j${i}`), value: Buffer.alloc(200, 'j') } });
      c.net.heal();
      await lagging.waitApplied(leader.status().commitIndex, 5000);
      expect(lagging.status().metrics.snapshotsInstalled).toBeGreaterThanOrEqual(1);
      // Restarted right after the install, its state machine is ahead of its log on disk.
      await lagging.stop();
      c.nodes.delete(lagging.id);
      c.net.isolate(lagging.id);
      for (let i = 150; i < 200; i++) await leader.propose({ put: { key: b(`j${i}`), value: Buffer.alloc(200, 'j') } });
      const back = await c.start(lagging.id);
      c.net.heal();
      for (let i = 200; i < 250; i++) await leader.propose({ put: { key: b(`j${i}`), value: Buffer.alloc(200, 'j') } });
      await back.waitApplied(leader.status().commitIndex, 5000);
      await new Promise((r) => setTimeout(r, 200));
      expect(back.failed).toBeUndefined();
      expect((await back.serializableRead({ key: b('j'), rangeEnd: b('k') })).count).toBe(250);
    } finally {
      await c.stopAll();
    }
  });

  it('compacts the log by size when its entries are large, not only by count', async () => {
    const c = cluster(3, { snapshotBytes: 64 * 1024, snapshotEntries: 1_000_000 });
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      const big = Buffer.alloc(4096, 'b');
      for (let i = 0; i < 60; i++) await leader.propose({ put: { key: b(`big${i}`), value: big } });
      await new Promise((r) => setTimeout(r, 100));
      expect(leader.status().firstIndex).toBeGreaterThan(10);
      expect(leader.log.memoryBytes).toBeLessThan(64 * 1024 + 8192);
      expect((await leader.read({ key: b('big'), rangeEnd: b('bih') })).count).toBe(60);
    } finally {
      await c.stopAll();
    }
  });

  it('expires a lease and deletes its keys on every member', async () => {
    const c = cluster(3);
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      const { id } = await leader.leaseGrant(1);
      await leader.propose({ put: { key: b('alive/m1'), value: b('x'), lease: id } });
      expect(leader.leaseKeepAlive(id)).toBe(1);
      const t0 = Date.now();
      for (;;) {
        const r = await leader.read({ key: b('alive/m1') });
        if (r.count === 0) break;
        if (Date.now() - t0 > 5000) throw new Error('lease never expired');
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
      for (const n of c.nodes.values()) expect((await n.read({ key: b('alive/m1') })).count).toBe(0);
    } finally {
      await c.stopAll();
    }
  });

  it('adds a learner, catches it up, promotes it, and removes a member', async () => {
    const c = cluster(3);
    try {
      await startAll(c, 3);
      const leader = await c.leader();
      for (let i = 0; i < 30; i++) await leader.propose({ put: { key: b(`m${i}`), value: b('v') } });
      const newcomer = await c.start(4);
      await leader.addLearner({ id: 4, address: '127.0.0.1:7004' });
      await newcomer.waitApplied(leader.status().commitIndex, 5000);
      expect(leader.status().learners).toEqual([4]);
      await leader.promoteLearner(4);
      expect(leader.status().voters).toEqual([1, 2, 3, 4]);
      const victim = [1, 2, 3].find((id) => id !== leader.id)!;
      await leader.removeMember(victim);
      expect(leader.status().voters).not.toContain(victim);
      expect(leader.status().members.map((m) => m.id)).not.toContain(victim);
      expect((await newcomer.read({ key: b('m'), rangeEnd: b('n') })).count).toBe(30);
    } finally {
      await c.stopAll();
    }
  });
});
