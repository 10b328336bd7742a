// The agent on one host, with real runc containers from the built-in busybox image.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

describe('agent: spare volumes made ahead of launches', () => {
  it('copies the image once more after a launch; the next launch takes that copy (a rename), and a new agent adopts it', async () => {
    await agent.sparesSettled();
    const spares = async (): Promise<string[]> => (await agent.pool.listVolumes()).filter((v) => v.startsWith('berth-spare-'));
    const [spare] = await spares();
    expect(spare).toBeDefined();
    const ino = fs.statSync(path.join(await agent.pool.volumePath(spare!), 'bin', 'busybox')).ino;
    const t0 = performance.now();
    await agent.launch({ name: 'sp1', image: 'busybox' });
    const ms = performance.now() - t0;
    // The spare became sp1's volume: the same file, not a copy of it.
    expect(fs.statSync(path.join(await agent.pool.volumePath('sp1'), 'bin', 'busybox')).ino).toBe(ino);
    expect((await run('sp1', ['hostname'])).out).toBe('sp1\n');
    await agent.sparesSettled();
    const [next] = await spares();
    expect(next).toBe(spare);
    expect(fs.statSync(path.join(await agent.pool.volumePath(next!), 'bin', 'busybox')).ino).not.toBe(ino);
    console.log(`launch from a spare volume: ${ms.toFixed(0)} ms`);
    await agent.delete('sp1', { force: true });
    // Reserved: no instance may take a spare's name.
    await expect(agent.launch({ name: spare!, image: 'busybox' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    // Another agent over the same folder keeps the spare of an image it has.
    const left = fs.statSync(path.join(await agent.pool.volumePath(next!), 'bin', 'busybox')).ino;
    const again = await Agent.open({ dataDir: path.join(tmp, 'data'), cgroupParent });
    await again.launch({ name: 'sp2', image: 'busybox' });
    expect(fs.statSync(path.join(await again.pool.volumePath('sp2'), 'bin', 'busybox')).ino).toBe(left);
    await again.quiesce();
    await again.delete('sp2', { force: true });
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
