/**
 * A move to a member whose disk is full (issue 6, point 3): member2's storage pool and its
 * CRIU images folder are small tmpfs mounts, so its import of a volume (or of memory pages)
 * bigger than what is left really runs out of space. (Its Raft store stays on the real disk: a
 * member whose store cannot write drops out of the cluster, which is another test.)
 * The move must fail saying so, the instance must go on where it was (a live move never
 * stopped it; a cold one starts it again), and member2 must keep nothing of it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BerthCluster, readCounter, sleep, waitFor } from '../support/berth-cluster';

jest.setTimeout(600_000);

let c: BerthCluster;
const mounted: string[] = [];

const where = (name: string): { status: string; location: string } | undefined => c.instances(1).find((x) => x.name === name);

/** What member i holds of instance `name` (record, volume, images, work in progress). */
function held(i: number, name: string): string[] {
  const d = c.dir(i);
  const staging = path.join(d, 'storage', 'default', '.staging');
  const work = fs.existsSync(staging) ? fs.readdirSync(staging).map((n) => path.join(staging, n)) : [];
  const pageServers = fs.readdirSync(d).filter((n) => n.startsWith('.page-server-')).map((n) => path.join(d, n));
  return [path.join(d, 'instances', `${name}.json`), path.join(d, 'storage', 'default', 'volumes', name), path.join(d, 'checkpoints', name), ...work, ...pageServers]
    .filter((p) => fs.existsSync(p)).map((p) => path.relative(d, p));
}

const memVolume = (): string => path.join(c.dir(1), 'storage', 'default', 'volumes', 'mem', 'root');
const memCount = (): number => Number(fs.readFileSync(path.join(memVolume(), 'n'), 'utf8'));

function freeMiB(dir: string): number {
  const out = spawnSync('df', ['--output=avail', '-BM', dir], { encoding: 'utf8' }).stdout;
  return Number(/(\d+)M/.exec(out.split('\n')[1] ?? '')?.[1] ?? 0);
}

beforeAll(async () => {
  c = BerthCluster.create(2, 'diskfull');
  // member2's pool and images folders: 96 MiB each, searchable by others as berthd makes them
  // (an unprivileged container's root must reach its rootfs and images through them).
  const mode = '711';
  for (const sub of ['storage', 'checkpoints']) {
    const d = path.join(c.dir(2), sub);
    fs.mkdirSync(d);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=96m,mode=${mode}`, 'berth-test-diskfull', d], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`mount tmpfs: ${m.stderr}`);
    mounted.push(d);
  }
  await c.form(2);
});

afterAll(async () => {
  delete process.env['BERTH_MOVE_PAGES_TAIL'];
  delete process.env['BERTH_MOVE_PAGE_SERVER'];
  // Lazily: berthd (and its containers) may still hold files there until destroy() ends them.
  for (const d of mounted) spawnSync('umount', ['-l', d]);
  await c.destroy();
});

describe('a target whose disk is full', () => {
  it('a live move fails saying so; the instance runs on at the source; the target keeps nothing', async () => {
    expect(c.berth(1, ['launch', 'busybox', 'fat', '--target', 'member1', '-c', 'migration.stateful=true']).err).toBe('');
    // More than member2 has left: 128 MiB that compress to nothing would not do (tmpfs stores
    // bytes as they are), random bytes are what they are anywhere.
    expect(c.berth(1, ['exec', 'fat', '--', 'sh', '-c', 'head -c 134217728 /dev/urandom > /root/big']).code).toBe(0);
    expect(c.berth(1, ['exec', 'fat', '--', 'sh', '-c', '(i=0; while :; do i=$((i+1)); echo $i > /root/n; sleep 0.05; done) </dev/null >/dev/null 2>&1 &']).code).toBe(0);
    const pool = path.join(c.dir(2), 'storage');
    const free = freeMiB(pool);
    expect(free).toBeLessThan(128);
    const r = c.berth(1, ['move', 'fat', '--target', 'member2']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/moving fat from member1 to member2: .*No space left on device/);
    expect(where('fat')).toMatchObject({ location: 'member1', status: 'Running' });
    // It never stopped: its loop goes on.
    const n = (): number => readCounter(path.join(c.dir(1), 'storage', 'default', 'volumes', 'fat', 'root', 'n'));
    const n0 = n();
    await sleep(500);
    expect(n()).toBeGreaterThan(n0);
    // member2 keeps nothing: no record, volume, images or import work, and its space is back.
    await waitFor('member2 to drop what it had taken', () => (held(2, 'fat').length === 0 ? true : undefined));
    await waitFor('member2\'s space to come back', () => (freeMiB(pool) >= free - 2 ? true : undefined));
    // The cluster still works on member2 (a small instance fits).
    expect(c.berth(1, ['launch', 'busybox', 'thin', '--target', 'member2']).err).toBe('');
    expect(c.berth(1, ['delete', 'thin', '--force']).code).toBe(0);
    expect(c.berth(1, ['delete', 'fat', '--force']).code).toBe(0);
  });

  it('a live move whose memory does not fit member2\'s page server: the dump fails, the instance never stopped', async () => {
    expect(c.berth(1, ['launch', 'busybox', 'mem', '--target', 'member1', '-c', 'migration.stateful=true']).err).toBe('');
    // A small volume, 128 MiB of memory (a shell variable), a loop counting in memory.
    expect(c.berth(1, ['exec', 'mem', '--', 'sh', '-c', '(x=$(head -c 134217728 /dev/zero | tr "\\0" x); touch /root/held; while :; do sleep 3600; done) </dev/null >/dev/null 2>&1 &']).code).toBe(0);
    expect(c.berth(1, ['exec', 'mem', '--', 'sh', '-c', '(i=0; while :; do i=$((i+1)); echo $i > /root/n; sleep 0.05; done) </dev/null >/dev/null 2>&1 &']).code).toBe(0);
    await waitFor('128 MiB held', () => (fs.existsSync(path.join(memVolume(), 'held')) ? true : undefined), 120_000);
    await waitFor('the loop to count', () => (memCount() > 30 ? true : undefined));
    const r = c.berth(1, ['move', 'mem', '--target', 'member2', '--mode', 'stop-and-copy']);
    expect(r.code).not.toBe(0);
    // member2's CRIU page server ran out of space while CRIU dumped on member1.
    expect(r.err).toMatch(/moving mem from member1 to member2: member2 refused it: the memory pages did not arrive whole: criu page-server .*no space left on device/i);
    expect(c.procs.get(1)!.output()).not.toMatch(/live move mem to member2/);
    // CRIU gave the processes back when its dump failed: the loop never stopped.
    const n0 = memCount();
    await sleep(500);
    expect(memCount()).toBeGreaterThan(n0);
    expect(where('mem')).toMatchObject({ location: 'member1', status: 'Running' });
    expect(c.runc(1, 'mem')?.status).toBe('running');
    await waitFor('member2 to drop what it had taken', () => (held(2, 'mem').length === 0 ? true : undefined));
  });

  it('the same with the pages sent by berth during the dump: after the checkpoint, the source restores it from its own images', async () => {
    // member1 (the source) again, now sending the pages itself while CRIU dumps (pages-tail.ts:
    // by default only on hosts with more than 2 cores and without page servers).
    process.env['BERTH_MOVE_PAGE_SERVER'] = '0';
    process.env['BERTH_MOVE_PAGES_TAIL'] = '1';
    await c.kill9(1);
    await c.start(1);
    await waitFor('member1 to see mem running', () => (where('mem')?.status === 'Running' ? true : undefined), 60_000);
    const before = memCount();
    const r = c.berth(1, ['move', 'mem', '--target', 'member2', '--mode', 'stop-and-copy']);
    expect(r.code).not.toBe(0);
    // (The pages, or the other images beside them, whichever found the disk full first.)
    expect(r.err).toMatch(/moving mem from member1 to member2: member2 refused it: .*no space left on device/i);
    // Restored on member1 from its checkpoint: the loop goes on from where it was (not from 1).
    const n0 = memCount();
    await waitFor('the loop to go on on member1', () => (memCount() > n0 + 5 ? true : undefined));
    expect(memCount()).toBeGreaterThan(before);
    expect(where('mem')).toMatchObject({ location: 'member1', status: 'Running' });
    expect(c.runc(1, 'mem')?.status).toBe('running');
    await waitFor('member2 to drop what it had taken', () => (held(2, 'mem').length === 0 ? true : undefined));
    expect(c.berth(1, ['delete', 'mem', '--force']).code).toBe(0);
  });
});
