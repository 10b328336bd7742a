/**
 * Offline recovery from a lost majority (recover.ts), on real LevelDB folders: a cluster of
 * RaftNodes over an in-process network loses two of three members for good; the survivor's
 * folder is recovered and it runs alone with everything it held.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MvccStore } from '../kv/mvcc-store';
import { InMemNetwork } from '../node/inmem-transport';
import { RaftNode, encodeCommand } from '../node/raft-node';
import type { Entry } from '../core/messages';
import { LevelLogStore } from './level-log-store';
import { recoverAsSoleMember, describeRecovery } from './recover';

const b = (s: string): Buffer => Buffer.from(s);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-recover-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let seq = 0;
const members = [1, 2, 3].map((id) => ({ id, address: `127.0.0.1:${7100 + id}` }));

async function waitLeader(n: RaftNode, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!n.isLeader) {
    if (Date.now() > deadline) throw new Error(`member ${n.id} did not become leader`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a member alone on its folder (a fresh network: nobody else is there). */
function startAlone(id: number, dir: string): Promise<RaftNode> {
  return RaftNode.start({ id, clusterId: 'rec', dataDir: dir, transport: new InMemNetwork().transport(id), tickMs: 10 });
}

async function keys(n: RaftNode, prefix: string): Promise<string[]> {
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return (await n.read({ key: b(prefix), rangeEnd: b(end) }, 3000)).kvs.map((kv) => kv.key.toString()).sort();
}

describe('recoverAsSoleMember', () => {
  it('turns the survivor of a lost majority into a working one-member cluster with all it held, its unacknowledged tail committed', async () => {
    const base = path.join(root, `c${++seq}`);
    const net = new InMemNetwork();
    const dir = (id: number): string => path.join(base, `m${id}`);
    const nodes = new Map<number, RaftNode>();
    try {
      for (const m of members) nodes.set(m.id, await RaftNode.start({ id: m.id, clusterId: 'rec', dataDir: dir(m.id), transport: net.transport(m.id), bootstrap: members, tickMs: 10 }));
      const deadline = Date.now() + 5000;
      while (![...nodes.values()].some((n) => n.isLeader)) {
        if (Date.now() > deadline) throw new Error('no leader');
        await new Promise((r) => setTimeout(r, 10));
      }
      const leader = [...nodes.values()].find((n) => n.isLeader)!;
      const acked: string[] = [];
      for (let i = 0; i < 30; i++) {
        const k = `acked/${String(i).padStart(2, '0')}`;
        expect(await leader.propose({ put: { key: b(k), value: b(String(i)) } })).toMatchObject({ ok: true });
        acked.push(k);
      }
      // Cut off from the others, the leader appends a write it can never commit.
      net.isolate(leader.id);
      await expect(leader.propose({ put: { key: b('tail/1'), value: b('x') } }, { timeoutMs: 300 })).rejects.toThrow();
      const survivor = leader.id;
      const lost = members.map((m) => m.id).filter((id) => id !== survivor);
      for (const id of lost) {
        await nodes.get(id)!.stop();
        nodes.delete(id);
      }
      // While the member runs, its folder is locked: refused, nothing written.
      await expect(recoverAsSoleMember(dir(survivor))).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringMatching(/is in use .* stop it first/) });
      await leader.stop();
      nodes.delete(survivor);

      const dry = await recoverAsSoleMember(dir(survivor), { dryRun: true });
      expect(dry).toMatchObject({ dryRun: true, removed: lost, after: { voters: [survivor] } });
      const r = await recoverAsSoleMember(dir(survivor));
      // The dry run wrote nothing: the real run found the same folder.
      expect(r.before).toEqual(dry.before);
      expect(r).toMatchObject({ memberId: survivor, clusterId: 'rec', removed: lost, promoted: [], resetToState: false, after: { voters: [survivor], learners: [] } });
      expect(r.before.voters).toEqual([1, 2, 3]);
      expect(r.committedByRecovery).toBeGreaterThanOrEqual(1);
      expect(r.after.term).toBeGreaterThan(r.before.term);
      expect(describeRecovery(r)).toMatch(/beyond its commit index are committed by the recovery/);

      const alone = await startAlone(survivor, dir(survivor));
      nodes.set(survivor, alone);
      await waitLeader(alone);
      expect(alone.term).toBeGreaterThan(r.after.term);
      const st = alone.status();
      expect(st.voters).toEqual([survivor]);
      expect(st.learners).toEqual([]);
      // The removed members' records (addresses) went with them.
      expect(st.members.map((m) => m.id)).toEqual([survivor]);
      // Linearizable reads see every acknowledged write, and the tail the recovery committed.
      expect(await keys(alone, 'acked/')).toEqual(acked);
      expect(await keys(alone, 'tail/')).toEqual(['tail/1']);
      expect(await alone.propose({ put: { key: b('after/1'), value: b('y') } })).toMatchObject({ ok: true });
      await alone.stop();
      nodes.delete(survivor);

      // A second recovery is harmless: nothing to remove, a new term, the data as it was.
      const again = await recoverAsSoleMember(dir(survivor));
      expect(again).toMatchObject({ removed: [], committedByRecovery: 0, before: { voters: [survivor], learners: [] }, after: { voters: [survivor] } });
      const back = await startAlone(survivor, dir(survivor));
      nodes.set(survivor, back);
      await waitLeader(back);
      expect(await keys(back, 'acked/')).toEqual(acked);
      expect(await keys(back, 'after/')).toEqual(['after/1']);
      expect(await back.propose({ put: { key: b('after/2'), value: b('z') } })).toMatchObject({ ok: true });
    } finally {
      for (const n of nodes.values()) await n.stop();
    }
  });

  it('keeps the given survivors as voters: they elect a leader together and the lost ones are out', async () => {
    const base = path.join(root, `c${++seq}`);
    const five = [1, 2, 3, 4, 5].map((id) => ({ id, address: `127.0.0.1:${7200 + id}` }));
    const dir = (id: number): string => path.join(base, `m${id}`);
    let net = new InMemNetwork();
    const nodes = new Map<number, RaftNode>();
    try {
      for (const m of five) nodes.set(m.id, await RaftNode.start({ id: m.id, clusterId: 'rec', dataDir: dir(m.id), transport: net.transport(m.id), bootstrap: five, tickMs: 10 }));
      const deadline = Date.now() + 5000;
      while (![...nodes.values()].some((n) => n.isLeader)) {
        if (Date.now() > deadline) throw new Error('no leader');
        await new Promise((r) => setTimeout(r, 10));
      }
      const leader = [...nodes.values()].find((n) => n.isLeader)!;
      for (let i = 0; i < 10; i++) await leader.propose({ put: { key: b(`k/${i}`), value: b('v') } });
      // Everyone has it all before three are lost.
      for (const n of nodes.values()) await n.waitApplied(leader.status().commitIndex, 3000);
      for (const n of nodes.values()) await n.stop();
      nodes.clear();
      // Recover 1 keeping 1 and 2; 2's folder is used as it is (it follows the recovered 1).
      const r = await recoverAsSoleMember(dir(1), { voters: [1, 2] });
      expect(r).toMatchObject({ removed: [3, 4, 5], after: { voters: [1, 2] } });
      net = new InMemNetwork();
      for (const id of [1, 2]) nodes.set(id, await RaftNode.start({ id, clusterId: 'rec', dataDir: dir(id), transport: net.transport(id), peers: five.slice(0, 2), tickMs: 10 }));
      const d2 = Date.now() + 5000;
      let l: RaftNode | undefined;
      while (!(l = [...nodes.values()].find((n) => n.isLeader))) {
        if (Date.now() > d2) throw new Error('no leader of the two');
        await new Promise((res) => setTimeout(res, 10));
      }
      expect(await l.propose({ put: { key: b('k/new'), value: b('v') } })).toMatchObject({ ok: true });
      for (const n of nodes.values()) {
        await n.waitApplied(l.status().commitIndex, 3000);
        expect(n.status().voters).toEqual([1, 2]);
        expect((await n.read({ key: b('k/'), rangeEnd: b('k0') })).count).toBe(11);
      }
      await expect(recoverAsSoleMember(dir(1), { voters: [2] })).rejects.toMatchObject({ code: 'LOCKED' });
    } finally {
      for (const n of nodes.values()) await n.stop();
    }
  });

  it('restarts the log at the state machine when the state is ahead of the log (a snapshot installed, then a stop)', async () => {
    const d = path.join(root, `c${++seq}`);
    // A log with only the founding configuration (3 voters, committed) ...
    const log = await LevelLogStore.open(path.join(d, 'log'), { clusterId: 'rec', memberId: 1 });
    await log.bootstrap([1, 2, 3]);
    await log.close();
    // ... and a state machine that applied up to 20 (as from a leader's snapshot at term 4).
    const state = await MvccStore.open(path.join(d, 'state'));
    await state.apply(Array.from({ length: 20 }, (_, i) => ({ index: i + 1, term: 4, ...(i >= 3 ? { command: { put: { key: b(`s/${String(i).padStart(2, '0')}`), value: b('v') } } } : {}) })));
    await state.sync();
    await state.close();
    const r = await recoverAsSoleMember(d);
    expect(r).toMatchObject({ resetToState: true, before: { lastIndex: 3, applied: 20, voters: [1, 2, 3] }, after: { voters: [1], commit: 20, term: 5 }, removed: [2, 3] });
    const n = await startAlone(1, d);
    try {
      await waitLeader(n);
      expect(n.status().voters).toEqual([1]);
      expect((await keys(n, 's/')).length).toBe(17);
      expect(await n.propose({ put: { key: b('s/zz'), value: b('new') } })).toMatchObject({ ok: true });
      expect((await keys(n, 's/')).length).toBe(18);
    } finally {
      await n.stop();
    }
  });

  it('commits the entries a member held beyond its commit index, including a conf change among them', async () => {
    const d = path.join(root, `c${++seq}`);
    const log = await LevelLogStore.open(path.join(d, 'log'), { clusterId: 'rec', memberId: 2 });
    await log.bootstrap([1, 2, 3]);
    const tail: Entry[] = [
      { index: 4, term: 2, type: 'normal', data: encodeCommand({ put: { key: b('t/a'), value: b('1') } }) },
      { index: 5, term: 2, type: 'conf-change', data: new Uint8Array(), confChange: { type: 'add-learner', nodeId: 9 } },
      { index: 6, term: 3, type: 'normal', data: encodeCommand({ put: { key: b('t/b'), value: b('2') } }) },
    ];
    await log.save({ entries: tail, hardState: { term: 3, vote: 1, commit: 3 }, sync: true });
    await log.close();
    await (await MvccStore.open(path.join(d, 'state'))).close();
    const r = await recoverAsSoleMember(d);
    expect(r).toMatchObject({ committedByRecovery: 3, before: { commit: 3, lastIndex: 6, lastTerm: 3, voters: [1, 2, 3], learners: [9] }, removed: [1, 3, 9], after: { voters: [2], term: 4, commit: 9 } });
    const n = await startAlone(2, d);
    try {
      await waitLeader(n);
      expect(await keys(n, 't/')).toEqual(['t/a', 't/b']);
      expect(n.status()).toMatchObject({ voters: [2], learners: [] });
    } finally {
      await n.stop();
    }
  });

  it('refuses a folder that is not a raft-store, another member\'s folder, bad voters, and a folder locked by another process; nothing is written', async () => {
    const empty = path.join(root, `empty${++seq}`);
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'notes.txt'), 'hello');
    await expect(recoverAsSoleMember(empty)).rejects.toMatchObject({ code: 'NOT_A_RAFT_STORE', message: expect.stringMatching(/is not a raft-store data folder: no Raft log/) });
    expect(fs.readdirSync(empty)).toEqual(['notes.txt']);
    const missing = path.join(root, 'no-such-folder');
    await expect(recoverAsSoleMember(missing)).rejects.toMatchObject({ code: 'NOT_A_RAFT_STORE' });
    expect(fs.existsSync(missing)).toBe(false);
    // A log without a state machine is not a raft-store folder either.
    const halfway = path.join(root, `half${seq}`);
    await (await LevelLogStore.open(path.join(halfway, 'log'), { clusterId: 'rec', memberId: 1 })).close();
    await expect(recoverAsSoleMember(halfway)).rejects.toMatchObject({ code: 'NOT_A_RAFT_STORE', message: expect.stringMatching(/no state machine/) });
    expect(fs.existsSync(path.join(halfway, 'state'))).toBe(false);

    const d = path.join(root, `c${++seq}`);
    const log = await LevelLogStore.open(path.join(d, 'log'), { clusterId: 'rec', memberId: 1 });
    await log.bootstrap([1, 2, 3]);
    await log.close();
    await (await MvccStore.open(path.join(d, 'state'))).close();
    await expect(recoverAsSoleMember(d, { memberId: 2 })).rejects.toMatchObject({ code: 'FOREIGN_CLUSTER' });
    await expect(recoverAsSoleMember(d, { clusterId: 'other' })).rejects.toMatchObject({ code: 'FOREIGN_CLUSTER' });
    await expect(recoverAsSoleMember(d, { voters: [2] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/must include this member/) });
    await expect(recoverAsSoleMember(d, { voters: [1, 7] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/member 7 is not in the configuration/) });

    // Another process holds the log's LevelDB (as a running member does).
    const holder = spawn(process.execPath, ['-e', `
      const { Level } = require(${JSON.stringify(require.resolve('level'))});
      const db = new Level(${JSON.stringify(path.join(d, 'log'))});
      db.open().then(() => console.log('locked'));
      setTimeout(() => {}, 60000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (x: Buffer) => { if (x.toString().includes('locked')) resolve(); });
        holder.on('exit', () => reject(new Error('the lock holder exited')));
      });
      await expect(recoverAsSoleMember(d)).rejects.toMatchObject({ code: 'LOCKED' });
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    // Nothing was written by the refusals: the folder is as founded.
    const r = await recoverAsSoleMember(d, { dryRun: true });
    expect(r.before).toMatchObject({ term: 1, commit: 3, lastIndex: 3, voters: [1, 2, 3] });
  });
});
