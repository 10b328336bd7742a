// The agent on one host, with real runc containers from the built-in busybox image.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { agent as agentNs } from '@berth/node-agent';

const { Agent } = agentNs;
type AgentT = Awaited<ReturnType<typeof Agent.open>>;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-agent-'));
fs.chmodSync(tmp, 0o711);
const cgroupParent = `/${path.basename(tmp)}`;
let agent: AgentT;

async function run(name: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = agent.exec(name, { args });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  p.stdin.end();
  const { exitCode } = await p.exited;
  return { code: exitCode, out, err };
}

beforeAll(async () => {
  agent = await Agent.open({ dataDir: path.join(tmp, 'data'), cgroupParent });
});

/** The pool's volumes but the spares made ahead of launches. */
const instanceVolumes = async (): Promise<string[]> => (await agent.pool.listVolumes()).filter((v) => !v.startsWith('berth-spare-'));

afterAll(async () => {
  await agent.quiesce();
  for (const i of await agent.list().catch(() => [])) await agent.delete(i.name, { force: true }).catch(() => undefined);
  await agent.pool.deletePool().catch(() => undefined);
  for (const c of fs.readdirSync('/sys/fs/cgroup')) {
    try {
      fs.rmdirSync(path.join('/sys/fs/cgroup', c, cgroupParent));
    } catch { /* not there */ }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('agent: instances on one host', () => {
  it('launches busybox (building the image on first use), runs init as PID 1, lists, execs', async () => {
    const t0 = Date.now();
    const v = await agent.launch({ name: 'c1', image: 'busybox', config: { 'limits.memory': '64MiB' } });
    expect(v.status).toBe('Running');
    const ps = await run('c1', ['ps']);
    expect(ps.code).toBe(0);
    expect(ps.out).toMatch(/^\s*1 .*init/m);
    const list = await agent.list();
    expect(list.map((i: { name: string; status: string }) => [i.name, i.status])).toEqual([['c1', 'Running']]);
    const st = await agent.state('c1');
    expect(st.pid).toBeGreaterThan(0);
    expect(st.diskBytes).toBeGreaterThan(0);
    console.log(`agent launch of c1 (first, with image build): ${Date.now() - t0} ms`);
    // The instance's files belong to the unprivileged range.
    expect(fs.statSync(path.join(await agent.pool.volumePath('c1'), 'bin', 'busybox')).uid).toBe(1_000_000);
  });

  it('gives a privileged instance host ids (root inside is root outside)', async () => {
    await agent.launch({ name: 'p1', image: 'busybox', config: { 'security.privileged': 'true' } });
    try {
      expect(fs.statSync(path.join(await agent.pool.volumePath('p1'), 'bin', 'busybox')).uid).toBe(0);
      const st = await agent.state('p1');
      expect(fs.readFileSync(`/proc/${st.pid}/status`, 'utf8')).toMatch(/^Uid:\s+0\s/m);
    } finally {
      await agent.delete('p1', { force: true });
    }
  });

  it('refuses bad names, unknown keys, bad values, a missing image and a duplicate, changing nothing', async () => {
    await expect(agent.launch({ name: '1bad', image: 'busybox' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    await expect(agent.launch({ name: 'c2', image: 'busybox', config: { 'limits.bogus': '1' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'config.limits.bogus' });
    await expect(agent.launch({ name: 'c2', image: 'busybox', config: { 'limits.memory': 'lots' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'config.limits.memory' });
    await expect(agent.launch({ name: 'c2', image: 'no-such-image' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'image' });
    await expect(agent.launch({ name: 'c1', image: 'busybox' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect((await agent.list()).map((i: { name: string }) => i.name)).toEqual(['c1']);
    expect(await instanceVolumes()).toEqual(['c1']);
  });

  it('applies limits from config and changes them live', async () => {
    const small = await run('c1', ['sh', '-c', 'head -c 100m /dev/zero | tail >/dev/null']);
    expect(small.code).not.toBe(0);
    await agent.updateConfig('c1', { 'limits.memory': '256MiB' });
    const big = await run('c1', ['sh', '-c', 'head -c 100m /dev/zero | tail >/dev/null']);
    expect(big.code).toBe(0);
    expect((await agent.get('c1')).config['limits.memory']).toBe('256MiB');
  });

  it('limits.write / limits.read throttle the root disk: direct I/O takes about size/rate, and live changes take effect', async () => {
    // cgroup v1 blkio (this host; no io controller on its cgroup2) throttles only I/O the
    // container's processes issue themselves: buffered writes are written back later by the
    // kernel's flusher threads, outside the container's cgroup, and buffered reads may come from
    // the page cache. So dd uses O_DIRECT (oflag/iflag=direct), which the test pool's
    // filesystem (ext4 on /dev/vda here) supports; the limit is on that device (major:minor of
    // the root volume). Times are wall times of the exec seen from here: a lower bound with
    // margin (>= 0.7 x size/rate) and a much faster run without the limit.
    const MB = 8;
    const bytes = MB << 20;
    const timedDd = async (cmd: string): Promise<number> => {
      const t0 = performance.now();
      const r = await run('io1', ['sh', '-c', cmd]);
      expect({ code: r.code, err: r.err.includes('records out') ? 'ok' : r.err }).toEqual({ code: 0, err: 'ok' });
      return (performance.now() - t0) / 1000;
    };
    const write = `dd if=/dev/zero of=/root/io bs=1M count=${MB} oflag=direct`;
    const read = `dd if=/root/io of=/dev/null bs=1M iflag=direct`;
    const seconds: Record<string, number> = {};
    await agent.launch({ name: 'io1', image: 'busybox', config: { 'limits.write': '4MB' } });
    try {
      const rate = 4_000_000; // LXD's MB: 10^6 bytes
      seconds['write at 4MB/s (from launch)'] = await timedDd(write);
      expect(seconds['write at 4MB/s (from launch)']).toBeGreaterThanOrEqual(0.7 * (bytes / rate));
      await agent.updateConfig('io1', { 'limits.write': '' });
      seconds['write, limit removed live'] = await timedDd(write);
      expect(seconds['write, limit removed live']).toBeLessThan(0.5 * (bytes / rate));
      seconds['read, no limit'] = await timedDd(read);
      expect(seconds['read, no limit']).toBeLessThan(0.5 * (bytes / rate));
      await agent.updateConfig('io1', { 'limits.read': '4MB' });
      seconds['read at 4MB/s (set live)'] = await timedDd(read);
      expect(seconds['read at 4MB/s (set live)']).toBeGreaterThanOrEqual(0.7 * (bytes / rate));
      // Operations per second: 50 direct reads of 4 KiB under 25 iops take about 2 s.
      await agent.updateConfig('io1', { 'limits.read': '25iops' });
      seconds['50 reads of 4 KiB at 25 iops (set live)'] = await timedDd('dd if=/root/io of=/dev/null bs=4k count=50 iflag=direct');
      expect(seconds['50 reads of 4 KiB at 25 iops (set live)']).toBeGreaterThanOrEqual(0.7 * (50 / 25));
      // The bytes/s limit went with the switch to iops: a big read is fast again.
      await agent.updateConfig('io1', { 'limits.read': '' });
      seconds['read, limit removed live'] = await timedDd(read);
      expect(seconds['read, limit removed live']).toBeLessThan(0.5 * (bytes / rate));
    } finally {
      console.log(`disk I/O of ${MB} MiB under limits (s): ${JSON.stringify(Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, Number(v.toFixed(2))])))}`);
      await agent.delete('io1', { force: true });
    }
  });

  it('snapshots, restores and deletes snapshots', async () => {
    await run('c1', ['sh', '-c', 'echo before > /root-file']);
    const s = await agent.snapshot('c1');
    expect(s.name).toBe('snap0');
    await run('c1', ['sh', '-c', 'echo after > /root-file']);
    await agent.restoreSnapshot('c1', 'snap0');
    expect((await agent.get('c1')).status).toBe('Running');
    expect((await run('c1', ['cat', '/root-file'])).out.trim()).toBe('before');
    await agent.deleteSnapshot('c1', 'snap0');
    expect((await agent.get('c1')).snapshots).toEqual([]);
  });

  it('stops, starts again, refuses to delete a running instance without force, deletes', async () => {
    await agent.stop('c1', { force: true });
    expect((await agent.get('c1')).status).toBe('Stopped');
    await agent.start('c1');
    expect((await agent.get('c1')).status).toBe('Running');
    await expect(agent.delete('c1')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await agent.delete('c1', { force: true });
    expect(await agent.list()).toEqual([]);
    expect(await instanceVolumes()).toEqual([]);
  });
});

describe('agent: rename', () => {
  it('renames a stopped instance with its files and snapshots; refuses a running one, a taken name or a bad one, changing nothing', async () => {
    await agent.launch({ name: 'rn1', image: 'busybox' });
    expect((await run('rn1', ['sh', '-c', 'echo mine > /root/note'])).code).toBe(0);
    await agent.snapshot('rn1', 's0');
    await expect(agent.rename('rn1', 'rn2')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/stop it before renaming/) });
    await agent.stop('rn1', { force: true });
    await agent.launch({ name: 'taken', image: 'busybox', start: false });
    await expect(agent.rename('rn1', 'taken')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(agent.rename('rn1', '9bad')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'new_name' });
    await expect(agent.rename('nosuch', 'rn3')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await agent.list()).map((i: { name: string }) => i.name)).toEqual(['rn1', 'taken']);
    await agent.rename('rn1', 'rn2');
    await expect(agent.get('rn1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await agent.get('rn2')).toMatchObject({ name: 'rn2', snapshots: [expect.objectContaining({ name: 's0' })] });
    await agent.start('rn2');
    expect((await run('rn2', ['sh', '-c', 'hostname; cat /root/note'])).out).toBe('rn2\nmine\n');
    await agent.delete('rn2', { force: true });
    await agent.delete('taken', { force: true });
    expect(await instanceVolumes()).toEqual([]);
  });
});

describe('agent: copy', () => {
  it('copies a running instance (files, config, snapshots) or one of its snapshots into new, independent instances', async () => {
    await agent.launch({ name: 'cp1', image: 'busybox', config: { 'limits.memory': '64MiB', 'user.team': 'a' } });
    expect((await run('cp1', ['sh', '-c', 'echo first > /root/note'])).code).toBe(0);
    await agent.snapshot('cp1', 's0');
    expect((await run('cp1', ['sh', '-c', 'echo second > /root/note'])).code).toBe(0);
    await expect(agent.copy('cp1', 'cp1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(agent.copy('nosuch', 'x1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(agent.copy('cp1/nosnap', 'x1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(agent.copy('cp1', 'x1', { config: { 'limits.memory': 'lots' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await agent.copy('cp1', 'cp2', { config: { 'user.team': 'b' } });
    expect(await agent.get('cp2')).toMatchObject({ status: 'Created', config: { 'limits.memory': '64MiB', 'user.team': 'b' }, snapshots: [expect.objectContaining({ name: 's0' })] });
    await expect(agent.copy('cp1', 'cp2')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await agent.copy('cp1/s0', 'cp3', { start: true });
    await agent.copy('cp1', 'cp4', { instanceOnly: true });
    expect((await agent.get('cp4')).snapshots).toEqual([]);
    expect((await agent.get('cp1')).status).toBe('Running');
    await agent.start('cp2');
    expect((await run('cp2', ['cat', '/root/note'])).out).toBe('second\n');
    expect((await run('cp3', ['cat', '/root/note'])).out).toBe('first\n');
    // Independent: a write in the copy is not in the source.
    expect((await run('cp2', ['sh', '-c', 'echo copy > /root/note'])).code).toBe(0);
    expect((await run('cp1', ['cat', '/root/note'])).out).toBe('second\n');
    for (const n of ['cp1', 'cp2', 'cp3', 'cp4']) await agent.delete(n, { force: true });
    expect(await instanceVolumes()).toEqual([]);
  });
});

describe('agent: spare volumes made ahead of launches', () => {
  it('keeps a few shifted copies of a launched image; launches rename them into place and the pool refills; a new agent adopts them', async () => {
    await agent.sparesSettled();
    const spares = async (): Promise<string[]> => (await agent.pool.listVolumes()).filter((v) => v.startsWith('berth-spare-') && !v.endsWith('-master'));
    const inode = async (vol: string): Promise<number> => fs.statSync(path.join(await agent.pool.volumePath(vol), 'bin', 'busybox')).ino;
    const ready = await spares();
    expect(ready.length).toBe(3);
    // Already shifted to the unprivileged range: a launch has nothing left to chown.
    for (const v of ready) expect(fs.lstatSync(path.join(await agent.pool.volumePath(v), 'bin', 'sh')).uid).toBe(1_000_000);
    const inodes = await Promise.all(ready.map(inode));
    // Back to back: each launch takes a ready spare (the same files, not a copy of them).
    const t0 = performance.now();
    for (const n of ['sp1', 'sp1b', 'sp1c']) await agent.launch({ name: n, image: 'busybox' });
    const ms = (performance.now() - t0) / 3;
    const taken = await Promise.all(['sp1', 'sp1b', 'sp1c'].map(inode));
    expect([...taken].sort()).toEqual([...inodes].sort());
    expect((await run('sp1', ['hostname'])).out).toBe('sp1\n');
    expect((await run('sp1c', ['sh', '-c', 'echo x > /root/f && stat -c %u /root/f'])).out).toBe('0\n');
    await agent.sparesSettled();
    const refilled = await spares();
    expect(refilled.length).toBe(3);
    for (const v of refilled) expect(inodes).not.toContain(await inode(v));
    console.log(`launch from a spare volume: ${ms.toFixed(0)} ms (mean of 3 back to back)`);
    for (const n of ['sp1', 'sp1b', 'sp1c']) await agent.delete(n, { force: true });
    // Reserved: no instance may take a spare's name.
    await expect(agent.launch({ name: refilled[0]!, image: 'busybox' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    // Another agent over the same folder keeps the spares of an image it has, and removes half-made ones.
    const left = await Promise.all(refilled.map(inode));
    const half = (await agent.pool.createVolume(`${refilled[0]!.replace(/-\d+$/, '')}-m99`, { image: (await agent.pool.listImages())[0]! }));
    expect(fs.existsSync(half)).toBe(true);
    const again = await Agent.open({ dataDir: path.join(tmp, 'data'), cgroupParent, sparesPerImage: 3 });
    expect(fs.existsSync(half)).toBe(false);
    await again.launch({ name: 'sp2', image: 'busybox' });
    expect(left).toContain(fs.statSync(path.join(await again.pool.volumePath('sp2'), 'bin', 'busybox')).ino);
    await again.quiesce();
    await again.delete('sp2', { force: true });
    // The first agent's list of ready spares is stale now (the other took one): its launch still works.
    await agent.launch({ name: 'sp3', image: 'busybox' });
    expect((await run('sp3', ['hostname'])).out).toBe('sp3\n');
    await agent.delete('sp3', { force: true });
  });
});

describe('agent: an instance in its stream form (cold moves)', () => {
  it('exports a stopped instance; another host imports it whole or not at all, marked incoming until settled', async () => {
    const other = await Agent.open({ dataDir: path.join(tmp, 'other'), cgroupParent: `${cgroupParent}-other` });
    try {
      await agent.launch({ name: 'mv1', image: 'busybox' });
      expect((await run('mv1', ['sh', '-c', 'echo moved > /root/note'])).code).toBe(0);
      await agent.snapshot('mv1', 's0');
      await expect(agent.exportInstance('mv1')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/is running: a cold move needs it stopped/) });
      await agent.stop('mv1', { force: true });
      const exp = await agent.exportInstance('mv1', 'tar');
      const chunks: Buffer[] = [];
      for await (const c of exp.volume) chunks.push(c as Buffer);
      const whole = Buffer.concat(chunks);
      const staging = path.join(tmp, 'other', 'storage', 'default', '.staging');
      // A stream cut short, or one with a flipped byte, makes nothing.
      for (const bad of [whole.subarray(0, Math.floor(whole.length / 2)), Buffer.concat([whole.subarray(0, 4000), Buffer.from([whole[4000]! ^ 0xff]), whole.subarray(4001)])]) {
        await expect(other.importInstance(exp.record, Readable.from([bad]), 'move-1')).rejects.toThrow();
        expect(await other.list()).toEqual([]);
        expect(await other.pool.listVolumes().then((v) => v.filter((x) => !x.startsWith('berth-spare-')))).toEqual([]);
        expect(fs.readdirSync(staging)).toEqual([]);
      }
      await other.importInstance(exp.record, Readable.from([whole]), 'move-1');
      expect(await other.get('mv1')).toMatchObject({ status: 'Created', incoming: 'move-1', snapshots: [expect.objectContaining({ name: 's0' })] });
      expect([...(await other.incomingInstances())]).toEqual([['mv1', 'move-1']]);
      // The same move tried again replaces its incoming copy; another move's id drops nothing.
      await other.importInstance(exp.record, Readable.from([whole]), 'move-2');
      expect(await other.dropIncoming('mv1', 'move-1')).toBe(false);
      await other.settleIncoming('mv1');
      expect((await other.get('mv1')).incoming).toBeUndefined();
      // Settled, it is the host's own: never dropped, never replaced by an import.
      expect(await other.dropIncoming('mv1')).toBe(false);
      await expect(other.importInstance(exp.record, Readable.from([whole]), 'move-3')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
      await other.start('mv1');
      const p = other.exec('mv1', { args: ['cat', '/root/note'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      p.stdin.end();
      await p.exited;
      expect(out).toBe('moved\n');
      await other.delete('mv1', { force: true });
      await agent.delete('mv1', { force: true });
    } finally {
      await other.quiesce();
      for (const i of await other.list().catch(() => [])) await other.delete(i.name, { force: true }).catch(() => undefined);
      await other.pool.deletePool().catch(() => undefined);
      for (const c of fs.readdirSync('/sys/fs/cgroup')) {
        try {
          fs.rmdirSync(path.join('/sys/fs/cgroup', c, `${cgroupParent}-other`));
        } catch { /* not there */ }
      }
    }
  });
});

describe('agent: stateful stop and snapshots (CRIU through runc)', () => {
  // A counter that advances every 100 ms: after a restore it goes on from where it was,
  // a fresh start would begin again at 1.
  // The counter is written to a side file and renamed over /tmp/n, so a checkpoint taken
  // between a truncate and a write never leaves /tmp/n empty.
  const counter = async (name: string): Promise<number> => {
    const t = (await run(name, ['cat', '/tmp/n'])).out.trim();
    if (!/^\d+$/.test(t)) throw new Error(`/tmp/n holds ${JSON.stringify(t)}`);
    return Number(t);
  };
  afterAll(async () => {
    for (const n of ['s0', 's1']) await agent.delete(n, { force: true }).catch(() => undefined);
  });

  it('refuses stateful operations without migration.stateful, naming the key', async () => {
    await agent.launch({ name: 's0', image: 'busybox' });
    await expect(agent.stop('s0', { stateful: true })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('config.migration.stateful=true') });
    await expect(agent.snapshot('s0', 'x', { stateful: true })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect((await agent.get('s0')).status).toBe('Running');
    await agent.delete('s0', { force: true });
  });

  it('stop --stateful then start resumes the processes where they stopped', async () => {
    await agent.launch({ name: 's1', image: 'busybox', config: { 'migration.stateful': 'true' } });
    await run('s1', ['sh', '-c', '(i=0; while :; do i=$((i+1)); echo $i > /tmp/n.new; mv /tmp/n.new /tmp/n; sleep 0.1; done) </dev/null >/dev/null 2>&1 &']);
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    await agent.stop('s1', { stateful: true });
    const stopMs = Date.now() - t0;
    expect((await agent.get('s1')).status).toBe('Stopped');
    const atStop = Number(fs.readFileSync(path.join(await agent.pool.volumePath('s1'), 'tmp', 'n'), 'utf8').trim());
    expect(atStop).toBeGreaterThanOrEqual(5);
    await new Promise((r) => setTimeout(r, 1000));
    const t1 = Date.now();
    await agent.start('s1');
    const startMs = Date.now() - t1;
    await new Promise((r) => setTimeout(r, 500));
    const after = await counter('s1');
    // Resumed: on from the stop value (a fresh start would be near 5 after 500 ms, from 1).
    expect(after).toBeGreaterThan(atStop);
    expect(after).toBeLessThan(atStop + 15);
    console.log(`stateful stop ${stopMs} ms, start (restore) ${startMs} ms; counter ${atStop} -> ${after}`);
  });

  it('a stateful snapshot restores memory and filesystem together', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const snap = await agent.snapshot('s1', 'live', { stateful: true });
    expect(snap.stateful).toBe(true);
    const atSnap = await counter('s1');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await counter('s1')).toBeGreaterThan(atSnap + 5);
    await agent.restoreSnapshot('s1', 'live');
    expect((await agent.get('s1')).status).toBe('Running');
    await new Promise((r) => setTimeout(r, 200));
    const after = await counter('s1');
    // Back near the snapshot's value (the counter's process came back from the checkpoint).
    expect(after).toBeLessThan(atSnap + 8);
    await agent.delete('s1', { force: true });
    expect(fs.existsSync(path.join(agent.dataDir, 'checkpoints', 's1'))).toBe(false);
  });
});
