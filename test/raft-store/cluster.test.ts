/**
 * Real raft-store clusters: 3 and 5 member processes, each on its own test host (network
 * namespace on a bridge with no uplink, test/support/netns.ts), under concurrent clients
 * that run in a client namespace (cluster-agent.ts), while the test kills leaders and
 * followers with SIGKILL, cuts links, restarts members, removes one and adds one.
 *
 * At the end: every acknowledged write is there (read back linearizably), the recorded
 * history is linearizable (check/), and every member holds the same data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkLinearizable, kvModel } from '@berth/raft-store';
import type { KvInput, KvOutput, Operation } from '@berth/raft-store/dist/check';
import { RaftCluster, sleep } from '../support/raft-cluster';

jest.setTimeout(150_000);

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4'];
const CLIENT_TIMEOUT_MS = 2_000;

interface WorkloadResult {
  history: Array<Omit<Operation<KvInput, KvOutput>, 'return'> & { return: number | null }>;
  finalReads: Record<string, string | null>;
  unique: Array<[string, string]>;
  uniqueAcked: Array<{ key: string; value: string }>;
  uniqueUnknown: Array<{ key: string; value: string }>;
  counts: Record<string, number>;
  errors: Record<string, number>;
}

async function startWorkload(c: RaftCluster, clients: number): Promise<void> {
  await c.agent('workload', { clients, keys: KEYS, timeoutMs: CLIENT_TIMEOUT_MS, epochMs: 2_000 });
  c.note(`workload of ${clients} clients started`);
}

/** Stops the clients and checks: no acknowledged write lost, history linearizable, replicas equal. */
async function stopAndVerify(c: RaftCluster, members: number[]): Promise<WorkloadResult> {
  const res = await c.agent<WorkloadResult>('stop-workload', { timeoutMs: 3_000 });
  c.note(`workload stopped: ${JSON.stringify(res.counts)}; errors ${JSON.stringify(res.errors)}`);
  const history: Operation<KvInput, KvOutput>[] = res.history.map((op) => ({ ...op, return: op.return === null ? Infinity : op.return }));
  // For investigating a failure: BERTH_TEST_HISTORY_DIR=/some/dir keeps the recorded results.
  if (process.env.BERTH_TEST_HISTORY_DIR) {
    fs.writeFileSync(path.join(process.env.BERTH_TEST_HISTORY_DIR, `history-${c.opts.name}-${process.pid}.json`), JSON.stringify(res));
  }
  const acked = history.filter((op) => op.input.op !== 'get' && op.return !== Infinity).length;
  expect(acked).toBeGreaterThan(100);

  // Every acknowledged write to a key of its own is there, with its value.
  const unique = new Map(res.unique);
  const lost = res.uniqueAcked.filter((w) => unique.get(w.key) !== w.value);
  expect(lost).toEqual([]);
  // Nothing appears that nobody wrote.
  const written = new Set([...res.uniqueAcked, ...res.uniqueUnknown].map((w) => w.key));
  expect([...unique.keys()].filter((k) => !written.has(k))).toEqual([]);

  // The shared keys: the whole history, final reads included, is linearizable.
  const result = checkLinearizable(history, kvModel, { timeoutMs: 30_000 });
  if (!result.ok) throw new Error(`history of ${history.length} ops is not linearizable (${result.verdict}):\n${'explanation' in result ? result.explanation : JSON.stringify(result)}`);

  // Every member ends with the same data.
  await c.waitCaughtUp(members, 30_000);
  let views: Array<{ revision: number; kvs: Array<[string, string]> }> = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    views = await Promise.all(members.map((id) => c.agent<{ revision: number; kvs: Array<[string, string]> }>('get', { endpoint: c.clientAddr(id), key: '', prefix: true, serializable: true })));
    if (views.every((v) => v.revision === views[0]!.revision)) break;
    await sleep(200);
  }
  for (const v of views) expect(v).toEqual(views[0]);
  expect(views[0]!.kvs.length).toBeGreaterThanOrEqual(res.uniqueAcked.length);
  expect(c.crashed()).toEqual([]);
  return res;
}

function anyFollower(c: RaftCluster, leader: number, besides: number[] = []): number {
  const f = [...c.members.values()].find((m) => m.id !== leader && !m.removed && !besides.includes(m.id) && m.proc?.alive());
  if (!f) throw new Error('no follower');
  return f.id;
}

describe('raft-store: 3 member processes on 3 test hosts', () => {
  let c: RaftCluster | undefined;

  afterAll(async () => {
    await c?.destroy();
  });

  it('loses no acknowledged write and stays linearizable through kill -9, restarts and cut links', async () => {
    c = await RaftCluster.start({ size: 3, name: 'rs3', snapshotEntries: 300 });
    try {
      let leader = await c.waitLeader();
      c.note(`leader ${leader}`);
      await startWorkload(c, 6);
      await sleep(2_000);

      // kill -9 the leader, let the others elect, restart it.
      await c.kill9(leader);
      const old = leader;
      leader = await c.waitLeader(undefined, 10_000);
      c.note(`new leader ${leader}`);
      await sleep(1_500);
      await c.restart(old);
      await sleep(1_500);

      // kill -9 a follower, restart it.
      const f = anyFollower(c, leader);
      await c.kill9(f);
      await sleep(2_000);
      await c.restart(f);
      await sleep(1_500);

      // Cut the leader's link: the other two elect a new leader; heal.
      leader = await c.waitLeader();
      c.net.isolate(leader);
      c.note(`isolated leader ${leader}`);
      const rest = [...c.members.keys()].filter((id) => id !== leader);
      const next = await c.waitLeader(rest, 10_000);
      c.note(`leader of the majority: ${next}`);
      await sleep(1_500);
      c.net.heal();
      c.note('healed');
      await sleep(1_500);

      // Cut one follower off from the leader only (the client still reaches both).
      leader = await c.waitLeader();
      const g = anyFollower(c, leader);
      c.net.cut(leader, g);
      c.note(`cut ${leader} <-> ${g}`);
      await sleep(2_500);
      c.net.heal();
      c.note('healed');

      // Cut a follower's link while the others go on; heal.
      leader = await c.waitLeader();
      const h = anyFollower(c, leader);
      c.net.isolate(h);
      c.note(`isolated follower ${h}`);
      await sleep(1_500);
      c.net.heal();
      await sleep(1_500);

      await stopAndVerify(c, [...c.members.keys()]);
    } catch (e) {
      console.error(c.outputs());
      throw e;
    }
  });
});

describe('raft-store: 5 member processes, a member removed and one added', () => {
  let c: RaftCluster | undefined;

  afterAll(async () => {
    await c?.destroy();
  });

  it('loses no acknowledged write and stays linearizable through a minority partition, kill -9 and membership changes', async () => {
    c = await RaftCluster.start({ size: 5, name: 'rs5', snapshotEntries: 300 });
    try {
      let leader = await c.waitLeader();
      c.note(`leader ${leader}`);
      await startWorkload(c, 6);
      await sleep(2_000);

      // Minority partition with the leader in it: the majority elects, the old leader steps down.
      const all = [...c.members.keys()];
      const minority = [leader, anyFollower(c, leader)];
      const majority = all.filter((id) => !minority.includes(id));
      c.net.partition(minority, majority);
      c.note(`partition ${minority.join(',')} | ${majority.join(',')}`);
      const newLeader = await c.waitLeader(majority, 10_000);
      c.note(`majority leader ${newLeader}`);
      await sleep(2_000);
      c.net.heal();
      c.note('healed');
      await sleep(1_500);

      // kill -9 the leader, restart it.
      leader = await c.waitLeader();
      await c.kill9(leader);
      const killed = leader;
      leader = await c.waitLeader(undefined, 10_000);
      c.note(`new leader ${leader}`);
      await sleep(1_500);
      await c.restart(killed);
      await sleep(1_000);

      // Remove a follower; it keeps running for a while (it must not disturb), then stops.
      leader = await c.waitLeader();
      const gone = anyFollower(c, leader);
      await c.memberOp('remove', gone);
      c.member(gone).removed = true;
      c.note(`removed member ${gone}`);
      await sleep(1_500);
      await c.kill9(gone);

      // Add a new member on a new host as a learner, start it (it joins), promote it.
      const h = c.net.addHost();
      const newId = await c.memberOp<number>('add', `http://${h.address}:2380`, 5);
      c.note(`added member ${newId} (learner) at ${h.address}`);
      // Ids are random, as etcd's: a removed member's id is never given out again.
      expect(newId).not.toBe(gone);
      c.members.set(newId, { id: newId, host: h, dataDir: `${c.member(1).dataDir.replace(/m1$/, '')}m${newId}`, pastOutput: '' });
      await c.restart(newId);
      await c.waitCaughtUp([newId], 20_000);
      await c.memberOp('promote', newId);
      c.note(`promoted member ${newId}`);
      const list = await c.memberOp<Array<{ id: number; isLearner: boolean }>>('list');
      expect(list.map((m) => m.id).sort()).toEqual(all.filter((id) => id !== gone).concat(newId).sort());
      expect(list.every((m) => !m.isLearner)).toBe(true);
      await sleep(1_500);

      // kill -9 a follower with the new member voting, restart it.
      leader = await c.waitLeader();
      const f = anyFollower(c, leader);
      await c.kill9(f);
      await sleep(1_500);
      await c.restart(f);
      await sleep(1_500);

      const members = [...c.members.values()].filter((m) => !m.removed).map((m) => m.id);
      await stopAndVerify(c, members);
    } catch (e) {
      console.error(c.outputs());
      throw e;
    }
  });
});
