/**
 * Instances in a cluster of three berthd members on test hosts: the API writes an intent to
 * the store, the leader places it, the owner's agent runs it (real runc containers), and any
 * member can list, stop, start and delete it.
 */
import { spawn } from 'node:child_process';
import { BERTH } from '../support/berthd';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BerthCluster, waitFor } from '../support/berth-cluster';

jest.setTimeout(240_000);

interface Listed { name: string; status: string; location: string }

let c: BerthCluster;
const memberIndex = (name: string): number => Number(name.replace('member', ''));

const runcStatus = (i: number, name: string): string | undefined => c.runc(i, name)?.status;

const instances = (i: number): Listed[] => c.instances(i);

beforeAll(async () => {
  c = BerthCluster.create(3, 'inst');
  await c.form(3);
});

afterAll(async () => {
  await c.destroy();
});

describe('instances in a cluster', () => {
  it('spreads launches over the members; each runs on its member only; every member lists them with their location', async () => {
    const t0 = Date.now();
    for (const n of ['c1', 'c2', 'c3']) {
      const r = c.berth(2, ['launch', 'busybox', n]);
      expect(r.err).toBe('');
      expect(r.out).toMatch(new RegExp(`Launched ${n} from busybox on member\\d`));
    }
    console.log(`3 cluster launches (first use of busybox on each member included): ${Date.now() - t0} ms`);
    const listed = instances(1);
    expect(listed.map((i) => [i.name, i.status])).toEqual([['c1', 'Running'], ['c2', 'Running'], ['c3', 'Running']]);
    expect(new Set(listed.map((i) => i.location)).size).toBe(3);
    expect(instances(3)).toEqual(listed);
    for (const i of listed) {
      const at = memberIndex(i.location);
      expect(runcStatus(at, i.name)).toBe('running');
      for (const other of [1, 2, 3].filter((x) => x !== at)) expect(runcStatus(other, i.name)).toBeUndefined();
      // On its own member it is an ordinary local instance: exec runs in it.
      expect(c.berth(at, ['exec', i.name, '--', 'hostname']).out).toBe(`${i.name}\n`);
    }
    const ms = c.list(1)!;
    expect(ms.map((m) => m.instances)).toEqual([1, 1, 1]);
  });

  it('places on --target; refuses an unknown target or a taken name, changing nothing', async () => {
    expect(c.berth(1, ['launch', 'busybox', 't1', '--target', 'member3']).out).toMatch(/on member3/);
    expect(runcStatus(3, 't1')).toBe('running');
    const bad = c.berth(1, ['launch', 'busybox', 't2', '--target', 'nosuch']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/no member named "nosuch"/);
    const dup = c.berth(2, ['launch', 'busybox', 't1']);
    expect(dup.code).not.toBe(0);
    expect(dup.err).toMatch(/instance "t1" already exists/);
    expect(c.berth(1, ['launch', 'busybox', 'Bad_Name']).err).toMatch(/name/);
    // The launch was an operation: its failure, with the reason, is in the store for every member.
    const ops = JSON.parse(c.berth(3, ['operation', 'list', '--format', 'json']).out) as Array<{ description: string; status: string; err: string; location: string }>;
    expect(ops.find((o) => o.description === 'launch t2')).toMatchObject({ status: 'failure', err: expect.stringMatching(/no member named "nosuch"/), location: 'member1' });
    expect(ops.find((o) => o.description === 'launch t1')).toMatchObject({ status: 'success' });
    // The refused target left a record that says why; deleting it needs nobody.
    expect(instances(2).find((i) => i.name === 't2')?.status).toBe('Error');
    expect(c.berth(2, ['delete', 't2']).code).toBe(0);
    expect(instances(1).map((i) => i.name)).toEqual(['c1', 'c2', 'c3', 't1']);
  });

  it('stops, starts and deletes from any member; the owner carries it out; a deleted instance is gone everywhere', async () => {
    const at = memberIndex(instances(1).find((i) => i.name === 'c1')!.location);
    const elsewhere = at === 1 ? 2 : 1;
    expect(c.berth(elsewhere, ['stop', 'c1']).code).toBe(0);
    expect(runcStatus(at, 'c1')).not.toBe('running');
    expect(instances(3).find((i) => i.name === 'c1')?.status).toBe('Stopped');
    expect(c.berth(elsewhere, ['start', 'c1']).code).toBe(0);
    expect(runcStatus(at, 'c1')).toBe('running');
    // exec through another member reaches the owner's agent (forwarded over the members' mTLS).
    expect(c.berth(elsewhere, ['exec', 'c1', '--', 'hostname']).out).toBe('c1\n');
    expect(c.berth(elsewhere, ['exec', 'c1', '--', 'sh', '-c', 'echo oops >&2; exit 3'])).toMatchObject({ code: 3, err: 'oops\n' });
    expect(c.berth(elsewhere, ['snapshot', 'c1', 's0']).code).toBe(0);
    expect(c.berth(elsewhere, ['exec', 'nosuch', '--', 'true']).err).toMatch(/instance "nosuch" not found/);
    const running = c.berth(elsewhere, ['delete', 'c1']);
    expect(running.err).toMatch(/is running: stop it first or use --force/);
    expect(c.berth(elsewhere, ['delete', 'c1', '--force']).code).toBe(0);
    expect(runcStatus(at, 'c1')).toBeUndefined();
    for (const i of [1, 2, 3]) expect(instances(i).map((x) => x.name)).toEqual(['c2', 'c3', 't1']);
  });

  it('an instance whose start fails (its init gone) stays known to its member: deleted with --force, its record and volume go too', async () => {
    expect(c.berth(1, ['launch', 'busybox', 'broken', '--target', 'member2']).code).toBe(0);
    expect(c.berth(1, ['stop', 'broken']).code).toBe(0);
    // Its init gone from its root: every start now fails (runc cannot exec it).
    fs.rmSync(path.join(c.dir(2), 'storage', 'default', 'volumes', 'broken', 'sbin', 'init'), { force: true });
    const start = c.berth(1, ['start', 'broken']);
    expect(start.code).not.toBe(0);
    await waitFor('broken listed in Error', () => (instances(1).find((i) => i.name === 'broken')?.status === 'Error' ? true : undefined), 30_000);
    const del = c.berth(3, ['delete', 'broken', '--force']);
    expect(del.err).toBe('');
    expect(del.code).toBe(0);
    for (const i of [1, 2, 3]) expect(instances(i).map((x) => x.name)).not.toContain('broken');
    // Before, the failed start had taken the container's bundle with it, the member's agent took
    // the instance for gone, and the delete dropped the intent but left these behind.
    expect(fs.existsSync(path.join(c.dir(2), 'storage', 'default', 'volumes', 'broken'))).toBe(false);
    expect(fs.existsSync(path.join(c.dir(2), 'instances', 'broken.json'))).toBe(false);
  });

  it('explains a placement with --dry-run, creating nothing', () => {
    const r = c.berth(3, ['launch', 'busybox', 'dry', '--dry-run']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/dry would go to member\d/);
    // MEMBER | VERDICT | SCORE | WHY
    for (const m of ['member1', 'member2', 'member3']) expect(r.out).toMatch(new RegExp(`\\| ${m} +\\| (chosen|eligible) +\\| -?\\d+ +\\| spread: \\d+ instance`));
    const t = c.berth(3, ['launch', 'busybox', 'dry', '--dry-run', '--target', 'nosuch']);
    expect(t.out).toMatch(/dry fits nowhere: no member named "nosuch"/);
    expect(instances(1).map((i) => i.name)).not.toContain('dry');
  });

  it('berth monitor on one member tells the lifecycle of an instance launched through another', async () => {
    const mon = spawn(process.execPath, [BERTH, 'monitor', '--type', 'lifecycle'], { env: { ...process.env, BERTH_DIR: c.dir(3) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    mon.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((r) => mon.on('exit', (code) => r(code)));
    try {
      // The monitor is watching once it reports an instance made after it started (its start
      // takes a while on a loaded host): probe with stopped instances until one is seen.
      for (let k = 0; ; k++) {
        expect(c.berth(1, ['init', 'busybox', `probe${k}`]).code).toBe(0);
        const seen = await waitFor(`probe${k}`, () => (out.includes(`"probe${k}"`) ? true : undefined), 3000).catch(() => false);
        expect(c.berth(1, ['delete', `probe${k}`, '--force']).code).toBe(0);
        if (seen) break;
        if (k >= 20) throw new Error(`berth monitor never reported an event:\n${out}`);
      }
      const launched = c.berth(1, ['launch', 'busybox', 'ev1']);
      expect(launched.err).toBe('');
      const at = /on (member\d)/.exec(launched.out)![1];
      expect(c.berth(2, ['delete', 'ev1', '--force']).code).toBe(0);
      const seen = await waitFor('the deletion event', () => {
        const evs = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; location: string; metadata: { action: string; name: string } });
        return evs.some((e) => e.metadata.action === 'instance-deleted' && e.metadata.name === 'ev1') ? evs : undefined;
      }, 20_000);
      const mine = seen.filter((e) => e.metadata.name === 'ev1');
      expect(mine.map((e) => e.metadata.action)).toEqual(['instance-created', 'instance-placed', 'instance-started', 'instance-deleted']);
      expect(mine.every((e) => e.type === 'lifecycle')).toBe(true);
      expect(mine.find((e) => e.metadata.action === 'instance-started')!.location).toBe(at);
    } finally {
      mon.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('applies a config change from any member on the owner, live; one it cannot apply is refused and undone', () => {
    const c2 = instances(1).find((i) => i.name === 'c2')!;
    const at = memberIndex(c2.location);
    const elsewhere = at === 1 ? 2 : 1;
    const limitFile = path.join('/sys/fs/cgroup/memory', `berth-${path.basename(c.dir(at))}`, 'c2', 'memory.limit_in_bytes');
    const r = c.berth(elsewhere, ['config', 'set', 'c2', 'limits.memory=64MiB']);
    expect(r.err).toBe('');
    // The kernel's limit on the owner's container, not just the record.
    expect(require('node:fs').readFileSync(limitFile, 'utf8').trim()).toBe(String(64 * 1024 * 1024));
    expect((JSON.parse(c.berth(3, ['list', '--format', 'json']).out) as Array<{ name: string; config: Record<string, string> }>).find((i) => i.name === 'c2')!.config['limits.memory']).toBe('64MiB');
    // security.privileged only changes while stopped: refused by the owner, the intent undone.
    const bad = c.berth(elsewhere, ['config', 'set', 'c2', 'security.privileged=true']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/only change while the instance is stopped/);
    const after = (JSON.parse(c.berth(3, ['list', '--format', 'json']).out) as Array<{ name: string; config: Record<string, string> }>).find((i) => i.name === 'c2')!;
    expect(after.config['security.privileged']).toBeUndefined();
    expect(c.berth(elsewhere, ['config', 'set', 'c2', 'limits.memory=']).code).toBe(0);
  });

  it('places only on online members; a member that comes back still runs its instances', async () => {
    const ms = c.list(1)!;
    const victim = ms.find((m) => !m.leader)!.server_name;
    const v = memberIndex(victim);
    const mine = instances(1).filter((i) => i.location === victim).map((i) => i.name);
    await c.kill9(v);
    const asker = v === 1 ? 2 : 1;
    await waitFor(`${victim} offline`, () => (c.list(asker)?.find((m) => m.server_name === victim)?.status === 'Offline' ? true : undefined), 20_000);
    for (const n of ['o1', 'o2', 'o3']) {
      const r = c.berth(asker, ['launch', 'busybox', n]);
      expect(r.err).toBe('');
      expect(r.out).not.toMatch(new RegExp(`on ${victim}`));
    }
    // A stop its owner cannot carry out now waits as a running operation; cancelled, the
    // instance is asked for what it was before, and the waiting CLI says so.
    const waiting = spawn(process.execPath, [BERTH, 'stop', mine[0]!], { env: { ...process.env, BERTH_DIR: c.dir(asker) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    waiting.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((r) => waiting.on('exit', (code) => r(code)));
    const op = await waitFor('the stop operation', () => {
      const l = JSON.parse(c.berth(asker, ['operation', 'list', '--format', 'json']).out) as Array<{ id: string; description: string; status: string }>;
      return l.find((o) => o.description === `stop ${mine[0]}` && o.status === 'running');
    });
    // Cancelled through the third member: the request reaches the member running it via the store.
    const cancel = c.berth([1, 2, 3].find((i) => i !== v && i !== asker)!, ['operation', 'cancel', op.id]);
    expect(cancel.err).toBe('');
    expect(JSON.parse(cancel.out)).toMatchObject({ id: op.id, status: 'cancelled' });
    expect(await exited).not.toBe(0);
    expect(err).toMatch(/was cancelled/);
    // Its containers ran on while its berthd was down; back, it adopts them.
    for (const n of mine) expect(runcStatus(v, n)).toBe('running');
    await c.start(v);
    await waitFor(`${victim} online`, () => (c.list(asker)?.find((m) => m.server_name === victim)?.status === 'Online' ? true : undefined), 20_000);
    for (const n of mine) expect(c.berth(v, ['exec', n, '--', 'hostname']).out).toBe(`${n}\n`);
  });
});
