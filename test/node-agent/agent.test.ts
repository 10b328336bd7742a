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

afterAll(async () => {
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
  });

  it('refuses bad names, unknown keys, bad values, a missing image and a duplicate, changing nothing', async () => {
    await expect(agent.launch({ name: '1bad', image: 'busybox' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    await expect(agent.launch({ name: 'c2', image: 'busybox', config: { 'limits.bogus': '1' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'config.limits.bogus' });
    await expect(agent.launch({ name: 'c2', image: 'busybox', config: { 'limits.memory': 'lots' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'config.limits.memory' });
    await expect(agent.launch({ name: 'c2', image: 'no-such-image' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'image' });
    await expect(agent.launch({ name: 'c1', image: 'busybox' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect((await agent.list()).map((i: { name: string }) => i.name)).toEqual(['c1']);
    expect(await agent.pool.listVolumes()).toEqual(['c1']);
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
    expect(await agent.pool.listVolumes()).toEqual([]);
  });
});
