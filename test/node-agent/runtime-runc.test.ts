// The runc driver against real runc containers on this host. Every claim is checked by
// looking at the effect (the kernel's view of the process, files, cgroup counters), never
// at the config.json that was written.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RuncDriver, cgroupMounts } from '@berth/node-agent/dist/runtime';
import type { ContainerSpec, ExecSpec, RuntimeDriver } from '@berth/node-agent/dist/runtime';
import { makeBusyboxRootfs } from './busybox-rootfs';

jest.setTimeout(60_000);

let tmp: string;
let driver: RuncDriver;
const cgroupParent = `/berth-test-runtime-${process.pid}`;
const timings: Record<string, number> = {};

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-runtime-'));
  fs.chmodSync(tmp, 0o711); // container root (uid 1000000) must reach its rootfs
  driver = new RuncDriver({ dataDir: path.join(tmp, 'data'), cgroupParent });
});

afterAll(() => {
  // Whatever a failed test left: containers, bundles, rootfs copies, cgroups.
  const root = path.join(tmp, 'data', 'runc');
  const ids = spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? [];
  for (const id of ids) spawnSync('runc', ['--root', root, 'delete', '-f', id]);
  for (const mount of new Set(cgroupMounts().values())) {
    const dir = path.join(mount, cgroupParent);
    if (!fs.existsSync(dir)) continue;
    for (const child of fs.readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) fs.rmdirSync(path.join(dir, child.name));
    fs.rmdirSync(dir);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  // eslint-disable-next-line no-console
  console.log(`runc driver timings (ms): ${JSON.stringify(timings)}`);
});

function rootfs(name: string, opts: { withInit?: boolean } = {}): string {
  return makeBusyboxRootfs(path.join(tmp, 'rootfs', name), opts);
}

async function run(d: RuntimeDriver, name: string, p: ExecSpec | string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  const e = d.exec(name, Array.isArray(p) ? { args: p } : p);
  let out = '';
  let err = '';
  e.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  e.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  e.stdin.end(input ?? '');
  const r = await e.exited;
  return { code: r.exitCode, out, err };
}

async function launch(spec: Partial<ContainerSpec> & { name: string }): Promise<number> {
  const t0 = performance.now();
  await driver.create({ rootfs: rootfs(spec.name), ...spec });
  await driver.start(spec.name);
  return performance.now() - t0;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('runc driver on this host', () => {
  const hostFile = (): string => path.join(tmp, 'host-owned.txt');

  beforeAll(async () => {
    fs.writeFileSync(hostFile(), 'host data\n', { mode: 0o644 });
    timings['create+start (incl. rootfs shift)'] = Math.round(await launch({
      name: 'c1', mounts: [{ source: hostFile(), destination: '/mnt/host-owned.txt' }],
    }));
  });

  it('runs busybox init as PID 1 and only the container\'s processes are visible', async () => {
    const st = await driver.state('c1');
    expect(st.status).toBe('Running');
    expect(st.pid).toBeGreaterThan(0);
    const ps = await run(driver, 'c1', ['ps', '-o', 'pid,comm']);
    expect(ps.code).toBe(0);
    const procs = ps.out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(procs.find(([pid]) => pid === '1')?.[1]).toBe('init');
    // init, its respawned sleep, and ps itself: nothing of the host (no node, no jest).
    expect(procs.map((p) => p[1]).sort()).toEqual(['init', 'ps', 'sleep']);
    expect(fs.readlinkSync(`/proc/${st.pid}/exe`)).toMatch(/busybox/);
    expect(st.processes).toBeGreaterThanOrEqual(2);
    expect(st.memoryBytes).toBeGreaterThan(0);
    expect(st.cpuNs).toBeGreaterThan(0);
  });

  it('is unprivileged: root inside is uid/gid 1000000 on the host, and the rootfs is owned by that range', async () => {
    const { pid } = await driver.state('c1');
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(/^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual(['1000000', '1000000', '1000000', '1000000']);
    expect(/^Gid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual(['1000000', '1000000', '1000000', '1000000']);
    expect(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '1000000', '65536']);
    const r = path.join(tmp, 'rootfs', 'c1');
    for (const p of ['.', 'bin/busybox', 'etc/inittab', 'tmp']) expect(fs.statSync(path.join(r, p)).uid).toBe(1000000);
    expect(fs.lstatSync(path.join(r, 'sbin/init')).gid).toBe(1000000);
    // A file the container makes belongs to the range on the host too.
    expect((await run(driver, 'c1', ['sh', '-c', 'echo hi > /tmp/made-inside && id -u'])).out.trim()).toBe('0');
    expect(fs.statSync(path.join(r, 'tmp/made-inside')).uid).toBe(1000000);
  });

  it('has its own network namespace with loopback only', async () => {
    const { pid } = await driver.state('c1');
    expect(fs.readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(fs.readlinkSync('/proc/self/ns/net'));
    for (const ns of ['pid', 'mnt', 'ipc', 'uts', 'user', 'cgroup']) {
      expect(fs.readlinkSync(`/proc/${pid}/ns/${ns}`)).not.toBe(fs.readlinkSync(`/proc/self/ns/${ns}`));
    }
    const links = await run(driver, 'c1', ['ls', '/sys/class/net']);
    expect(links.out.trim().split(/\s+/)).toEqual(['lo']);
    expect((await run(driver, 'c1', ['hostname'])).out.trim()).toBe('c1');
  });

  it('exec: stdin, stdout and stderr apart, exit codes, env, user and cwd', async () => {
    const r = await run(driver, 'c1', ['sh', '-c', 'cat; echo to-err >&2; exit 7'], 'from stdin\n');
    expect(r).toEqual({ code: 7, out: 'from stdin\n', err: 'to-err\n' });
    expect((await run(driver, 'c1', ['true'])).code).toBe(0);
    expect((await run(driver, 'c1', ['false'])).code).toBe(1);
    const who = await run(driver, 'c1', { args: ['sh', '-c', 'echo "$(id -u):$(id -g) $PWD $GREETING"'], uid: 65534, gid: 65534, cwd: '/tmp', env: ['GREETING=hello', 'PATH=/bin'] });
    expect(who.out.trim()).toBe('65534:65534 /tmp hello');
    // A signal ends the process; runc reports 128+n.
    const e = driver.exec('c1', { args: ['sleep', '30'] });
    await sleep(200);
    e.kill('SIGKILL');
    expect((await e.exited).exitCode).toBe(137);
    await expect(run(driver, 'c1', ['/no/such/program'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(run(driver, 'nope', ['true'])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('exec with a terminal: a pty inside, its size set and resized', async () => {
    const e = driver.exec('c1', { args: ['sh'], tty: true, columns: 100, rows: 30 });
    let out = '';
    e.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const waitFor = async (re: RegExp): Promise<void> => {
      for (let i = 0; i < 100 && !re.test(out); i++) await sleep(50);
      expect(out).toMatch(re);
    };
    // Typed-ahead input can be dropped when the shell sets up line editing: wait for its prompt.
    await waitFor(/\/ # /);
    e.stdin.write('tty; stty size\n');
    await waitFor(/30 100/);
    expect(out).toMatch(/\/dev\/pts\/\d+/);
    await e.resize(132, 43);
    e.stdin.write('stty size; exit 4\n');
    await waitFor(/43 132/);
    expect((await e.exited).exitCode).toBe(4);
    const plain = driver.exec('c1', { args: ['true'] });
    await expect(plain.resize(80, 24)).rejects.toMatchObject({ code: 'NOT_SUPPORTED', capability: 'exec.resize' });
    await plain.exited;
  });

  it('root inside cannot write a host-root file mounted read-write, load a module, or reach masked /proc', async () => {
    const w = await run(driver, 'c1', ['sh', '-c', 'echo evil >> /mnt/host-owned.txt']);
    expect(w.code).not.toBe(0);
    expect(w.err).toMatch(/Permission denied|Operation not permitted|Read-only/);
    expect(fs.readFileSync(hostFile(), 'utf8')).toBe('host data\n');
    // insmod -> init_module/finit_module: refused by the seccomp filter with ENOSYS (38)
    // before the kernel's capability check (which would say EPERM).
    const m = await run(driver, 'c1', ['sh', '-c', 'echo notamodule > /tmp/dummy.ko; insmod /tmp/dummy.ko']);
    expect(m.code).not.toBe(0);
    expect(m.err).toMatch(/kernel does not support requested operation|Function not implemented/);
    const p = await run(driver, 'c1', ['sh', '-c', 'head -c 16 /proc/kcore | wc -c; echo 1 > /proc/sys/kernel/domainname']);
    expect(p.out.trim()).toBe('0');
    expect(p.err).toMatch(/Read-only file system|Permission denied/);
    // no_new_privs is set for exec'd processes.
    expect((await run(driver, 'c1', ['grep', 'NoNewPrivs', '/proc/self/status'])).out).toMatch(/NoNewPrivs:\s+1/);
  });

  it('freeze stops the container\'s processes advancing; unfreeze resumes them', async () => {
    const counter = path.join(tmp, 'rootfs', 'c1', 'tmp', 'counter');
    // Written to a side file and renamed over: the freeze may land between `>`'s truncate and
    // its write, and a file left empty for the whole freeze would tell nothing.
    const r = await run(driver, 'c1', ['sh', '-c', `sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/counter.new; mv /tmp/counter.new /tmp/counter; usleep 20000; done' >/dev/null 2>&1 &`]);
    expect(r.code).toBe(0);
    const read = (): number => {
      const t = fs.readFileSync(counter, 'utf8').trim();
      if (!/^\d+$/.test(t)) throw new Error(`the counter file holds ${JSON.stringify(t)}`);
      return Number(t);
    };
    await sleep(300);
    await driver.freeze('c1');
    expect((await driver.state('c1')).status).toBe('Frozen');
    await sleep(100);
    const frozenAt = read();
    await sleep(500);
    expect(read()).toBe(frozenAt);
    await expect(driver.freeze('c1')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await driver.unfreeze('c1');
    expect((await driver.state('c1')).status).toBe('Running');
    await sleep(300);
    expect(read()).toBeGreaterThan(frozenAt);
  });

  it('init\'s output goes to the console log; a clean stop powers busybox init off', async () => {
    const t0 = performance.now();
    await driver.stop('c1', { force: false, timeoutMs: 10_000 });
    timings['stop (clean, SIGUSR2 to busybox init)'] = Math.round(performance.now() - t0);
    expect((await driver.state('c1')).status).toBe('Stopped');
    // busybox init said what it did: proof the stop was clean, not a SIGKILL.
    expect(fs.readFileSync(driver.consoleLogPath('c1'), 'utf8')).toMatch(/The system is going down NOW!/);
    // The cgroup is gone with runc's state; the bundle stays for the next start.
    expect(fs.existsSync(driver.cgroupDir('c1', 'memory'))).toBe(false);
    const t1 = performance.now();
    await driver.start('c1');
    timings['start of a stopped container'] = Math.round(performance.now() - t1);
    expect((await run(driver, 'c1', ['cat', '/mnt/host-owned.txt'])).out).toBe('host data\n');
    await expect(driver.start('c1')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('a new driver over the same data folder adopts the running container, stops it by force and deletes it', async () => {
    const { pid } = await driver.state('c1');
    const adopter = new RuncDriver({ dataDir: path.join(tmp, 'data'), cgroupParent });
    const seen = await adopter.list();
    expect(seen.find((s) => s.name === 'c1')).toMatchObject({ status: 'Running', pid });
    expect((await run(adopter, 'c1', ['echo', 'adopted'])).out).toBe('adopted\n');
    const t0 = performance.now();
    await adopter.stop('c1', { force: true, timeoutMs: 0 });
    timings['stop --force'] = Math.round(performance.now() - t0);
    expect(fs.existsSync(`/proc/${pid}`) && !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))).toBe(false);
    await adopter.delete('c1');
    expect(fs.existsSync(adopter.bundleDir('c1'))).toBe(false);
    expect(await driver.list()).toEqual([]);
    await expect(driver.state('c1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('create with start: one runc process (runc run --detach)', () => {
  it('runs init at once, writes the console log, and the container outlives the driver that made it', async () => {
    const t0 = performance.now();
    await driver.create({ name: 'one', rootfs: rootfs('one') }, { start: true });
    timings['create with start (run --detach, incl. rootfs shift)'] = Math.round(performance.now() - t0);
    const st = await driver.state('one');
    expect(st.status).toBe('Running');
    expect(fs.readFileSync(`/proc/${st.pid}/cmdline`, 'utf8').split('\0')[0]).toBe('init');
    expect(fs.existsSync(path.join(driver.bundleDir('one'), 'init.pid'))).toBe(false);
    const other = new RuncDriver({ dataDir: path.join(tmp, 'data'), cgroupParent });
    expect((await run(other, 'one', ['echo', 'still here'])).out).toBe('still here\n');
    await other.stop('one', { force: false, timeoutMs: 10_000 });
    expect(fs.readFileSync(driver.consoleLogPath('one'), 'utf8')).toMatch(/The system is going down NOW!/);
    await driver.start('one');
    expect((await driver.state('one')).status).toBe('Running');
    await driver.delete('one');
  });

  it('an init that exits at once: create fails with the console\'s words and leaves nothing, ownership shifted back', async () => {
    const dir = rootfs('quitter2');
    await expect(driver.create({ name: 'quitter2', rootfs: dir, init: ['/bin/sh', '-c', 'echo init giving up; exit 3'] }, { start: true })).rejects.toThrow(/did not stay up.*init giving up/);
    expect(fs.existsSync(driver.bundleDir('quitter2'))).toBe(false);
    expect(fs.existsSync(path.join(driver.root, 'quitter2'))).toBe(false);
    for (const c of cgroupMounts().keys()) expect(fs.existsSync(driver.cgroupDir('quitter2', c))).toBe(false);
    expect(fs.statSync(path.join(dir, 'bin', 'busybox')).uid).toBe(0);
    await expect(driver.state('quitter2')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('limits', () => {
  afterAll(async () => {
    for (const s of await driver.list()) await driver.delete(s.name);
  });

  it('memory: 8 MB fits under 64 MB, 200 MB is OOM-killed; a live update changes that', async () => {
    await launch({ name: 'mem', limits: { memoryBytes: 64 << 20, memorySwapBytes: 64 << 20 } });
    // busybox tail keeps input without newlines in memory: it really allocates.
    const small = await run(driver, 'mem', ['sh', '-c', 'head -c 8m /dev/zero | tail | wc -c']);
    expect(small.out.trim()).toBe(String(8 << 20));
    // The kernel's own count: how often the memory cgroup's OOM killer acted. Which process it
    // picks (tail, or the shell that would print "Killed") is its choice: count, do not parse.
    const oomKills = (): number => Number(/oom_kill (\d+)/.exec(fs.readFileSync(path.join(driver.cgroupDir('mem', 'memory'), 'memory.oom_control'), 'utf8'))?.[1]);
    const big = await run(driver, 'mem', ['sh', '-c', 'head -c 200m /dev/zero | tail | wc -c']);
    expect(big.out.trim()).not.toBe(String(200 << 20));
    expect(oomKills()).toBeGreaterThan(0);
    await driver.update('mem', { memoryBytes: 512 << 20, memorySwapBytes: 512 << 20 });
    const after = await run(driver, 'mem', ['sh', '-c', 'head -c 200m /dev/zero | tail | wc -c']);
    expect(after.out.trim()).toBe(String(200 << 20));
    await driver.update('mem', { memoryBytes: 16 << 20, memorySwapBytes: 16 << 20 });
    const killsBefore = oomKills();
    const again = await run(driver, 'mem', ['sh', '-c', 'head -c 32m /dev/zero | tail | wc -c']);
    expect(again.out.trim()).not.toBe(String(32 << 20));
    expect(oomKills()).toBeGreaterThan(killsBefore);
    await driver.delete('mem');
  });

  it('processes: forks beyond limits.processes fail', async () => {
    await launch({ name: 'pids', limits: { processes: 12 } });
    const r = await run(driver, 'pids', ['sh', '-c', 'for i in $(seq 1 30); do sleep 30 >/dev/null 2>&1 & echo $! >> /tmp/started; done']);
    expect(r.err).toMatch(/can't fork|Resource temporarily unavailable/);
    const started = fs.readFileSync(path.join(tmp, 'rootfs', 'pids', 'tmp', 'started'), 'utf8').trim().split('\n').length;
    expect(started).toBeLessThan(12);
    expect((await driver.state('pids')).processes).toBeLessThanOrEqual(12);
    await driver.delete('pids');
  });

  it('cpu: a busy loop under a 20% quota gets about 20% of one cpu', async () => {
    await launch({ name: 'cpu', limits: { cpuQuotaUs: 20_000, cpuPeriodUs: 100_000 } });
    const busy = driver.exec('cpu', { args: ['sh', '-c', 'while :; do :; done'] });
    await sleep(300);
    const a = await driver.state('cpu');
    const t0 = performance.now();
    await sleep(2_000);
    const b = await driver.state('cpu');
    const share = (b.cpuNs - a.cpuNs) / ((performance.now() - t0) * 1e6);
    timings['cpu share under 20% quota (x1000)'] = Math.round(share * 1000);
    expect(share).toBeGreaterThan(0.10);
    expect(share).toBeLessThan(0.35);
    busy.kill('SIGKILL');
    await busy.exited;
    await driver.delete('cpu');
  });
});

describe('failures leave nothing behind', () => {
  it('a rootfs without /sbin/init: no bundle, runc state, cgroup or process remains, and ownership is shifted back', async () => {
    const dir = rootfs('noinit', { withInit: false });
    let failed: unknown;
    try {
      await driver.create({ name: 'noinit', rootfs: dir });
      await driver.start('noinit');
    } catch (e) {
      failed = e;
    }
    if (!failed) await driver.delete('noinit'); // create passed: start must have failed; leave nothing either way
    expect(failed).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/sbin\/init/) });
    const remaining = await driver.list();
    // create() undoes itself; if create succeeded and start failed, the container is at most "Created/Stopped".
    expect(remaining.filter((s) => s.name === 'noinit' && s.status !== 'Stopped')).toEqual([]);
    if (remaining.some((s) => s.name === 'noinit')) await driver.delete('noinit');
    expect(fs.existsSync(driver.bundleDir('noinit'))).toBe(false);
    expect(fs.existsSync(path.join(driver.root, 'noinit'))).toBe(false);
    for (const c of cgroupMounts().keys()) expect(fs.existsSync(driver.cgroupDir('noinit', c))).toBe(false);
    const ps = spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).stdout;
    expect(ps.split('\n').filter((l) => l.includes(driver.bundleDir('noinit')))).toEqual([]);
    expect(fs.statSync(dir).uid).toBe(0);
    expect(fs.statSync(path.join(dir, 'bin', 'busybox')).uid).toBe(0);
  });

  it('an init that exits at once: start fails with the console\'s words, and the container is left Stopped with no process or cgroup', async () => {
    await driver.create({ name: 'quitter', rootfs: rootfs('quitter'), init: ['/bin/sh', '-c', 'echo init giving up; exit 3'] });
    await expect(driver.start('quitter')).rejects.toThrow(/did not stay up.*init giving up/);
    expect((await driver.state('quitter')).status).toBe('Stopped');
    expect(fs.existsSync(path.join(driver.root, 'quitter'))).toBe(false);
    for (const c of cgroupMounts().keys()) expect(fs.existsSync(driver.cgroupDir('quitter', c))).toBe(false);
    await driver.delete('quitter');
  });

  it('refuses bad input before touching anything, with stable codes', async () => {
    await expect(driver.create({ name: '9bad', rootfs: rootfs('bad') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    await expect(driver.create({ name: 'nofs', rootfs: path.join(tmp, 'nowhere') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'rootfs' });
    await expect(driver.stop('ghost', { force: true, timeoutMs: 0 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(driver.delete('ghost')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(fs.existsSync(driver.bundleDir('nofs'))).toBe(false);
  });

  it('rename: stopped containers only', async () => {
    await launch({ name: 'old' });
    await expect(driver.rename('old', 'new')).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await driver.stop('old', { force: true, timeoutMs: 0 });
    await driver.rename('old', 'new');
    await driver.start('new');
    expect((await driver.state('new')).status).toBe('Running');
    expect(fs.existsSync(driver.cgroupDir('new', 'memory'))).toBe(true);
    await expect(driver.state('old')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await driver.delete('new');
    expect(await driver.list()).toEqual([]);
  });
});
