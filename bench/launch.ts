#!/usr/bin/env node
/**
 * npm run bench:launch — container lifecycle latency and footprint, in one run on this host:
 * the runc floor (runc run -d / delete -f of a prepared busybox bundle), berth (a real berthd
 * on its own data folder, driven through BerthClient over its unix socket, and the CLI
 * process), 50 launches one after another with berthd's RSS, and LXD 5.0 when it can run.
 *
 *   npm run bench:launch -- [--trials 10] [--count 50] [--skip floor,berth,cli,many,lxd] [--keep]
 *
 * Output: progress on stderr; a table, then one JSON line (the last line) on stdout.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { BerthClient } from '@berth/cli';
import { images } from '@berth/node-agent';
import { median } from './common';

// ---------------------------------------------------------------- options

const REPO = path.resolve(__dirname, '..', '..');
const BERTHD_BIN = path.join(REPO, 'packages/node-agent/dist/bin/berthd.js');
const BERTH_BIN = path.join(REPO, 'packages/cli/dist/bin/berth.js');
const RUNC = process.env.RUNC_BIN ?? 'runc';

interface Options { trials: number; count: number; skip: Set<string>; keep: boolean; lxdWaitS: number }

function parseArgs(argv: string[]): Options {
  const o: Options = { trials: 10, count: 50, skip: new Set(), keep: false, lxdWaitS: 120 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => { const x = argv[++i]; if (x === undefined) throw new Error(`${a} needs a value`); return x; };
    switch (a) {
      case '--trials': o.trials = Number(v()); break;
      case '--count': o.count = Number(v()); break;
      case '--skip': for (const s of v().split(',')) o.skip.add(s); break;
      case '--keep': o.keep = true; break;
      case '--help': case '-h':
        console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(2, 10).map((l) => l.replace(/^ \* ?/, '')).join('\n'));
        process.exit(0);
      // falls through (unreachable)
      default: throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  return o;
}

// ---------------------------------------------------------------- hygiene

function log(s: string): void { process.stderr.write(`${s}\n`); }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Everything to undo, newest first; each step is synchronous so it also runs from 'exit' and signals. */
const undo: Array<{ what: string; fn: () => void }> = [];
let cleaned = false;
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  while (undo.length) {
    const u = undo.pop()!;
    try { u.fn(); } catch (e) { log(`cleanup (${u.what}) failed: ${e instanceof Error ? e.message : String(e)}`); }
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => { log(`\n${sig}: stopping everything`); cleanup(); process.exit(130); });
}

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, input: opts.input });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function must(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): string {
  const r = sh(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.err.trim() || r.out.trim()}`);
  return r.out;
}

/** Runs a command asynchronously (so timers stay honest) and returns its wall time in ms. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    c.on('error', reject);
    c.on('exit', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}


function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

interface Proc { pid: number; ppid: number; cmd: string; cgroup: string; rssKb: number }
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const cgroup = fs.readFileSync(`/proc/${d}/cgroup`, 'utf8');
      out.push({ pid: Number(d), ppid, cmd, cgroup, rssKb: rssKb(Number(d)) });
    } catch { /* gone */ }
  }
  return out;
}

function descendants(all: Proc[], root: number): Set<number> {
  const kids = new Map<number, number[]>();
  for (const p of all) { const k = kids.get(p.ppid) ?? []; k.push(p.pid); kids.set(p.ppid, k); }
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length) { const x = stack.pop()!; for (const k of kids.get(x) ?? []) if (!seen.has(k)) { seen.add(k); stack.push(k); } }
  return seen;
}

function rmdirCgroups(parent: string): void {
  // parent like "berth-bench-x": remove /sys/fs/cgroup/<controller>/<parent> depth-first.
  for (const ctl of fs.readdirSync('/sys/fs/cgroup')) {
    const dir = path.join('/sys/fs/cgroup', ctl, parent);
    if (!fs.existsSync(dir)) continue;
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
      fs.rmdirSync(d);
    };
    try { walk(dir); } catch (e) { log(`  cannot rmdir ${dir}: ${(e as Error).message}`); }
  }
}

function leftCgroups(parent: string): string[] {
  return fs.readdirSync('/sys/fs/cgroup').map((c) => path.join('/sys/fs/cgroup', c, parent)).filter((d) => fs.existsSync(d));
}

function runcList(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  const r = sh(RUNC, ['--root', root, 'list', '-q']);
  return r.out.split('\n').map((l) => l.trim()).filter(Boolean);
}

// ---------------------------------------------------------------- figures

type Figures = Record<string, number>;
const figures: Figures = {};
const samples: Record<string, number[]> = {};
const notes: string[] = [];
const verify: string[] = [];

function sample(key: string, ms: number): void { (samples[key] ??= []).push(ms); }

// ---------------------------------------------------------------- setup

async function buildImage(root: string): Promise<{ tarball: string; rootfs: string }> {
  const tarball = path.join(root, 'busybox.tar.gz');
  await images.buildBusyboxImage({ out: tarball });
  const x = path.join(root, 'unpacked');
  fs.mkdirSync(x);
  must('tar', ['-xzf', tarball, '-C', x, '--numeric-owner']);
  return { tarball, rootfs: path.join(x, 'rootfs') };
}

// ---------------------------------------------------------------- 1. the runc floor

class Floor {
  readonly runcRoot: string;
  readonly bundle: string;
  readonly cgroupParent: string;
  private n = 0;
  constructor(root: string, rootfs: string, readonly userns = false) {
    this.runcRoot = path.join(root, userns ? 'runc-floor-userns' : 'runc-floor');
    this.bundle = path.join(root, userns ? 'floor-bundle-userns' : 'floor-bundle');
    this.cgroupParent = `berth-bench-floor${userns ? 'u' : ''}-${path.basename(root).replace(/^berth-bench-/, '')}`;
    fs.mkdirSync(this.bundle);
    must('cp', ['-a', rootfs, path.join(this.bundle, 'rootfs')]);
    must(RUNC, ['spec', '--bundle', this.bundle]);
    const cfgPath = path.join(this.bundle, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
    cfg.process.terminal = false;
    cfg.process.args = ['/bin/sh', '-c', 'sleep 1000'];
    cfg.root.readonly = true;
    if (userns) {
      // As berth runs them: a user namespace 0 -> 1000000 (65536), the rootfs owned by 1000000.
      must('chown', ['-R', '-h', '1000000:1000000', path.join(this.bundle, 'rootfs')]);
      cfg.linux.namespaces.push({ type: 'user' });
      cfg.linux.uidMappings = [{ containerID: 0, hostID: 1000000, size: 65536 }];
      cfg.linux.gidMappings = [{ containerID: 0, hostID: 1000000, size: 65536 }];
    }
    this.cfg = cfg;
    this.cfgPath = cfgPath;
    const rr = this.runcRoot;
    undo.push({ what: `runc floor containers ${rr}`, fn: () => { for (const id of runcList(rr)) sh(RUNC, ['--root', rr, 'delete', '-f', id]); } });
    const cg = this.cgroupParent;
    undo.push({ what: 'floor cgroups', fn: () => rmdirCgroups(cg) });
  }
  private readonly cfg: { linux: { cgroupsPath?: string; namespaces: Array<{ type: string }>; uidMappings?: unknown; gidMappings?: unknown } };
  private readonly cfgPath: string;

  async trial(): Promise<void> {
    const id = `floor${this.userns ? 'u' : ''}${this.n++}`;
    this.cfg.linux.cgroupsPath = `/${this.cgroupParent}/${id}`;
    fs.writeFileSync(this.cfgPath, JSON.stringify(this.cfg));
    const run = await timed(RUNC, ['--root', this.runcRoot, 'run', '-d', '--bundle', this.bundle, id]);
    const st = JSON.parse(must(RUNC, ['--root', this.runcRoot, 'state', id])) as { status: string };
    if (st.status !== 'running') throw new Error(`floor container ${id} is ${st.status} after runc run -d`);
    const del = await timed(RUNC, ['--root', this.runcRoot, 'delete', '-f', id]);
    sample(this.userns ? 'flooru_run' : 'floor_run', run);
    sample(this.userns ? 'flooru_delete' : 'floor_delete', del);
  }
}

// ---------------------------------------------------------------- 2./3. berth

class Berthd {
  proc: ChildProcess | undefined;
  readonly dataDir: string;
  readonly socket: string;
  readonly cgroupParent: string;
  client!: BerthClient;
  readonly env: NodeJS.ProcessEnv;
  constructor(root: string) {
    this.dataDir = path.join(root, `bd-${path.basename(root).replace(/^berth-bench-/, '')}`);
    this.socket = path.join(this.dataDir, 'unix.socket');
    this.cgroupParent = `berth-${path.basename(this.dataDir)}`;
    this.env = { ...process.env, BERTH_DIR: this.dataDir };
  }

  async start(): Promise<void> {
    const logFd = fs.openSync(path.join(path.dirname(this.dataDir), 'berthd.log'), 'a');
    this.proc = spawn(process.execPath, [BERTHD_BIN, '--data-dir', this.dataDir], { stdio: ['ignore', logFd, logFd], detached: true }); // own process group: a terminal's Ctrl-C reaches only the bench, which tears down in order
    fs.closeSync(logFd);
    const self = this;
    undo.push({ what: 'berthd', fn: () => self.teardown() });
    const t0 = performance.now();
    this.client = new BerthClient(this.socket);
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`berthd exited ${this.proc.exitCode}: ${this.logTail()}`);
      try { await this.client.serverInfo(1000); break; } catch { /* not up */ }
      if (performance.now() - t0 > 60_000) throw new Error(`berthd not serving after 60 s: ${this.logTail()}`);
      await sleep(50);
    }
    figures.berthd_start_ms = performance.now() - t0;
  }

  logTail(): string {
    try { return fs.readFileSync(path.join(path.dirname(this.dataDir), 'berthd.log'), 'utf8').split('\n').slice(-20).join('\n'); } catch { return ''; }
  }

  /** Synchronous: force-deletes what is left through the CLI, SIGTERMs berthd, then runc/cgroup leftovers. */
  teardown(): void {
    try { this.client?.close(); } catch { /* closed */ }
    const pid = this.proc?.pid;
    const alive = pid !== undefined && this.proc!.exitCode === null && this.proc!.signalCode === null;
    if (alive && fs.existsSync(path.join(this.dataDir, 'instances'))) {
      const names = fs.readdirSync(path.join(this.dataDir, 'instances')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
      for (const n of names) {
        const r = sh(process.execPath, [BERTH_BIN, 'delete', '--force', n], { env: this.env, timeoutMs: 60_000 });
        if (r.code !== 0) log(`  berth delete --force ${n}: ${r.err.trim()}`);
      }
    }
    if (alive) {
      process.kill(pid!, 'SIGTERM');
      const t0 = Date.now();
      while (Date.now() - t0 < 10_000 && isAlive(pid!)) sh('sleep', ['0.05']);
      try { process.kill(pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    const rr = path.join(this.dataDir, 'runc');
    for (const id of runcList(rr)) sh(RUNC, ['--root', rr, 'delete', '-f', id]);
    rmdirCgroups(this.cgroupParent);
  }

  rpc<T>(method: string, req: object): Promise<T> { return this.client.rpc<T>(method, req); }

  launch(name: string): Promise<unknown> { return this.rpc('CreateInstance', { name, image: 'busybox', config: {}, start: true }); }
  stopForce(name: string): Promise<unknown> { return this.rpc('ChangeState', { name, action: 'stop', force: true, stateful: false, timeoutSeconds: 0 }); }
  del(name: string, force = false): Promise<unknown> { return this.rpc('DeleteInstance', { name, force }); }
  async status(name: string): Promise<string> { return (await this.rpc<{ status: string }>('GetInstance', { name })).status; }
  async execTrue(name: string): Promise<void> {
    const sink = new Writable({ write(_c, _e, cb) { cb(); } });
    const code = await this.client.exec(name, ['true'], { stdin: null, stdout: sink, stderr: sink });
    if (code !== 0) throw new Error(`exec true in ${name} exited ${code}`);
  }
}

async function berthTrial(b: Berthd, i: number, cli: boolean): Promise<void> {
  const name = `c${i}`;
  sample('berth_launch', await timeIt(() => b.launch(name)));
  const st = await b.status(name);
  if (st !== 'Running') throw new Error(`berth ${name} is ${st} after CreateInstance(start)`);
  sample('berth_exec_true', await timeIt(() => b.execTrue(name)));
  sample('berth_stop_force', await timeIt(() => b.stopForce(name)));
  sample('berth_delete', await timeIt(() => b.del(name)));
  if (cli) {
    const cn = `cli${i}`;
    sample('berth_cli_launch', await timed(process.execPath, [BERTH_BIN, 'launch', 'busybox', cn], b.env));
    const st2 = await b.status(cn);
    if (st2 !== 'Running') throw new Error(`berth ${cn} is ${st2} after the CLI's launch`);
    await b.del(cn, true);
  }
}

async function berthMany(b: Berthd, count: number): Promise<void> {
  const bpid = b.proc!.pid!;
  if (global.gc) global.gc();
  await sleep(2000);
  const before = processes();
  const beforePids = new Set(before.map((p) => p.pid));
  figures.berthd_rss_idle_mb = rssKb(bpid) / 1024;
  const names = Array.from({ length: count }, (_, i) => `m${i}`);
  const t0 = performance.now();
  const each: number[] = [];
  for (const n of names) each.push(await timeIt(() => b.launch(n)));
  figures.many_launch_total_s = (performance.now() - t0) / 1000;
  // Does a launch get slower as more run? Median of the first and of the last tenth.
  const tenth = Math.max(1, Math.floor(count / 10));
  figures.many_launch_first_tenth_median_ms = median(each.slice(0, tenth));
  figures.many_launch_last_tenth_median_ms = median(each.slice(-tenth));
  samples.many_launch_each = each;
  log(`  ${count} launches one after another: ${figures.many_launch_total_s.toFixed(2)} s`);
  await sleep(2000);
  const list = await b.rpc<{ instances: Array<{ status: string }> }>('ListInstances', {});
  const running = list.instances.filter((x) => x.status === 'Running').length;
  figures.many_running = running;
  const after = processes();
  const mine = `/${b.cgroupParent}/`;
  const fresh = after.filter((p) => !beforePids.has(p.pid));
  const inContainers = fresh.filter((p) => p.cgroup.includes(mine));
  const desc = descendants(after, bpid);
  // Berth's: berthd's descendants, or anything naming its data folder or working in it (runc runs in the bundle).
  const cwdIn = (pid: number): boolean => { try { return fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(b.dataDir); } catch { return false; } };
  const berthSide = fresh.filter((p) => !p.cgroup.includes(mine) && (desc.has(p.pid) || p.cmd.includes(b.dataDir) || cwdIn(p.pid)));
  figures.berthd_rss_50_mb = rssKb(bpid) / 1024;
  figures.container_processes = inContainers.length;
  figures.container_processes_rss_mb = inContainers.reduce((a, p) => a + p.rssKb, 0) / 1024;
  figures.berth_side_extra_processes = berthSide.length;
  figures.berth_side_extra_rss_mb = berthSide.reduce((a, p) => a + p.rssKb, 0) / 1024;
  figures.berth_extra_mb_per_container = (figures.berthd_rss_50_mb - figures.berthd_rss_idle_mb + figures.berth_side_extra_rss_mb) / count;
  if (berthSide.length) notes.push(`processes berth left besides the containers' own: ${berthSide.map((p) => `${p.pid} ${p.cmd.slice(0, 80)} (${(p.rssKb / 1024).toFixed(1)} MB)`).join('; ')}`);
  log(`  berthd RSS idle ${figures.berthd_rss_idle_mb.toFixed(1)} MB, with ${running} running ${figures.berthd_rss_50_mb.toFixed(1)} MB; `
    + `${inContainers.length} container processes (${figures.container_processes_rss_mb.toFixed(1)} MB), ${berthSide.length} other new processes of berth's`);
  const t1 = performance.now();
  for (const n of names) await b.del(n, true);
  figures.many_delete_force_total_s = (performance.now() - t1) / 1000;
  log(`  ${count} delete --force: ${figures.many_delete_force_total_s.toFixed(2)} s`);
}

// ---------------------------------------------------------------- 4. LXD

class Lxd {
  proc: ChildProcess | undefined;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  version = '';
  /** lxc.* cgroups (liblxc's lxc.pivot, lxc.monitor.*, lxc.payload.*) present before: only newer ones are ours to remove. */
  private readonly lxcCgroupsBefore = new Set(lxcCgroups());
  constructor() {
    this.dir = fs.mkdtempSync('/tmp/berth-bench-lxd-');
    fs.chmodSync(this.dir, 0o711);
    this.env = { ...process.env, LXD_DIR: this.dir };
    const self = this;
    undo.push({ what: 'LXD', fn: () => self.teardown() });
  }

  lxc(args: string[], timeoutMs = 120_000): string { return must('lxc', args, { env: this.env, timeoutMs }); }

  async start(waitS: number): Promise<void> {
    const logFd = fs.openSync(path.join(this.dir, 'lxd.stdout'), 'a');
    this.proc = spawn('lxd', ['--group', 'root', '--logfile', path.join(this.dir, 'lxd.log')], { env: this.env, stdio: ['ignore', logFd, logFd], detached: true });
    fs.closeSync(logFd);
    const t0 = performance.now();
    const r = await new Promise<number>((resolve) => {
      const w = spawn('lxd', ['waitready', '--timeout', String(waitS)], { env: this.env, stdio: 'ignore' });
      w.on('exit', (c) => resolve(c ?? -1));
    });
    if (r !== 0) throw new Error(`lxd waitready failed (${r}): ${this.logTail()}`);
    figures.lxd_start_ms = performance.now() - t0;
    // `lxd init --auto` with a dir pool, as a preseed so that no bridge (lxdbr0) is made:
    // berth's containers have loopback only, and the host's network is left alone.
    must('lxd', ['init', '--preseed'], { env: this.env, input: 'storage_pools:\n- name: default\n  driver: dir\nprofiles:\n- name: default\n  devices:\n    root:\n      path: /\n      pool: default\n      type: disk\n' });
    this.version = sh('lxd', ['--version'], { env: this.env }).out.trim();
  }

  logTail(): string {
    try { return fs.readFileSync(path.join(this.dir, 'lxd.log'), 'utf8').split('\n').slice(-15).join('\n'); } catch { return ''; }
  }

  teardown(): void {
    const alive = this.proc?.pid !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
    if (alive) {
      const r = sh('lxc', ['list', '--format', 'csv', '-c', 'n'], { env: this.env, timeoutMs: 30_000 });
      for (const n of r.out.split('\n').map((l) => l.trim()).filter(Boolean)) sh('lxc', ['delete', '--force', n], { env: this.env, timeoutMs: 60_000 });
      const imgs = sh('lxc', ['image', 'list', '--format', 'csv', '-c', 'f'], { env: this.env, timeoutMs: 30_000 });
      for (const f of imgs.out.split('\n').map((l) => l.trim()).filter(Boolean)) sh('lxc', ['image', 'delete', f], { env: this.env, timeoutMs: 30_000 });
      sh('lxd', ['shutdown', '--timeout', '30'], { env: this.env, timeoutMs: 40_000 });
      const pid = this.proc!.pid!;
      const t0 = Date.now();
      while (Date.now() - t0 < 10_000 && isAlive(pid)) sh('sleep', ['0.1']);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    // Mounts LXD made under its folder (shmounts, devlxd, pool), deepest first.
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m === this.dir || m.startsWith(`${this.dir}/`)).sort((a, b) => b.length - a.length);
    for (const m of mounts) sh('umount', ['-l', m]);
    fs.rmSync(this.dir, { recursive: true, force: true });
    for (const c of lxcCgroups().filter((x) => !this.lxcCgroupsBefore.has(x))) {
      try { fs.rmdirSync(path.join('/sys/fs/cgroup', c)); } catch (e) { log(`  cannot rmdir /sys/fs/cgroup/${c}: ${(e as Error).message}`); }
    }
  }
}

function lxcCgroups(): string[] {
  return fs.readdirSync('/sys/fs/cgroup').flatMap((c) => {
    try { return fs.readdirSync(path.join('/sys/fs/cgroup', c)).filter((d) => d.startsWith('lxc.')).map((d) => `${c}/${d}`); } catch { return []; }
  });
}

async function runLxd(o: Options, tarball: string): Promise<void> {
  if (!sh('sh', ['-c', 'command -v lxc && command -v lxd']).out.trim()) {
    log('  lxc/lxd not installed: apt-get install -y lxd');
    const r = sh('apt-get', ['install', '-y', '--no-install-recommends', 'lxd', 'lxd-client'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 600_000 });
    if (r.code !== 0) { notes.push(`LXD skipped: apt-get install -y lxd failed: ${r.err.trim().split('\n').slice(-2).join(' ')}`); return; }
  }
  const lxd = new Lxd();
  log(`  LXD_DIR=${lxd.dir}`);
  await lxd.start(o.lxdWaitS);
  log(`  LXD ${lxd.version} up in ${figures.lxd_start_ms!.toFixed(0)} ms (started by hand, no systemd)`);
  lxd.lxc(['image', 'import', tarball, '--alias', 'bench-busybox']);
  const env = lxd.env;
  const lifecycle = async (n: string, rec: boolean): Promise<void> => {
    const l = await timed('lxc', ['launch', 'bench-busybox', n], env);
    const st = lxd.lxc(['list', n, '--format', 'csv', '-c', 's']).trim();
    if (st !== 'RUNNING') throw new Error(`LXD ${n} is ${st} after lxc launch: ${lxd.logTail()}`);
    const e = await timed('lxc', ['exec', n, '--', 'true'], env);
    const s = await timed('lxc', ['stop', '--force', n], env);
    const d = await timed('lxc', ['delete', '--force', n], env);
    if (rec) { sample('lxd_launch', l); sample('lxd_exec_true', e); sample('lxd_stop_force', s); sample('lxd_delete', d); }
  };
  await lifecycle('warm', false);
  for (let i = 0; i < o.trials; i++) {
    await lifecycle(`l${i}`, true);
    log(`  LXD trial ${i + 1}: launch ${samples.lxd_launch!.at(-1)!.toFixed(0)} ms, exec ${samples.lxd_exec_true!.at(-1)!.toFixed(0)}, stop -f ${samples.lxd_stop_force!.at(-1)!.toFixed(0)}, delete ${samples.lxd_delete!.at(-1)!.toFixed(0)}`);
  }
  // RSS of the daemon, idle, for reference.
  figures.lxd_rss_idle_mb = rssKb(lxd.proc!.pid!) / 1024;
  figures.lxd_dir_storage = 1;
  const i = undo.findIndex((u) => u.what === 'LXD');
  undo.splice(i, 1);
  lxd.teardown();
  verify.push(`LXD: ${fs.existsSync(lxd.dir) ? `${lxd.dir} STILL THERE` : 'LXD_DIR removed'}, lxd process ${isAlive(lxd.proc!.pid!) ? 'STILL RUNNING' : 'gone'}`);
}

/** A live process (a zombie child not reaped yet counts as gone). */
function isAlive(pid: number): boolean {
  try { return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

// ---------------------------------------------------------------- report

const ROWS: Array<[string, string, number]> = [
  ['floor_run', 'runc floor: runc run -d until running, ms', 1],
  ['floor_delete', 'runc floor: runc delete -f, ms', 1],
  ['floor_total', 'runc floor: run + delete, ms', 1],
  ['flooru_run', 'runc floor with userns (as berth): run -d until running, ms', 1],
  ['flooru_delete', 'runc floor with userns: delete -f, ms', 1],
  ['flooru_total', 'runc floor with userns: run + delete, ms', 1],
  ['berth_launch', 'berth launch (API CreateInstance+start until running), ms', 1],
  ['berth_cli_launch', 'berth launch through the CLI process, ms', 1],
  ['berth_exec_true', 'berth exec true (API), ms', 1],
  ['berth_stop_force', 'berth stop --force (API), ms', 1],
  ['berth_delete', 'berth delete of a stopped instance (API), ms', 1],
  ['lxd_launch', 'LXD lxc launch, ms', 1],
  ['lxd_exec_true', 'LXD lxc exec true, ms', 1],
  ['lxd_stop_force', 'LXD lxc stop --force, ms', 1],
  ['lxd_delete', 'LXD lxc delete --force, ms', 1],
];

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function round(v: number | undefined): number | null {
  if (v === undefined || !Number.isFinite(v)) return null;
  return Number(v.toPrecision(4));
}

function report(o: Options, t0: number): void {
  if (samples.floor_run && samples.floor_delete) samples.floor_total = samples.floor_run.map((x, i) => x + samples.floor_delete![i]!);
  if (samples.flooru_run && samples.flooru_delete) samples.flooru_total = samples.flooru_run.map((x, i) => x + samples.flooru_delete![i]!);
  const med: Record<string, number> = {};
  for (const [k, xs] of Object.entries(samples)) med[k] = median(xs);
  const ratios: Record<string, number> = {
    berth_launch_over_runc_floor: med.berth_launch! / med.floor_run!,
    lxd_launch_over_berth_launch: med.lxd_launch! / med.berth_launch!,
    berth_cli_launch_over_api_launch: med.berth_cli_launch! / med.berth_launch!,
    berth_launch_over_runc_floor_userns: med.berth_launch! / med.flooru_run!,
  };
  const targets: Record<string, { value: number | null; target: string; met: boolean | null }> = {};
  const tgt = (k: string, v: number | undefined, target: string, ok: (x: number) => boolean): void => {
    targets[k] = { value: round(v), target, met: v === undefined || !Number.isFinite(v) ? null : ok(v) };
  };
  tgt('berth_launch_over_runc_floor', ratios.berth_launch_over_runc_floor, '<= 1.5', (x) => x <= 1.5);
  tgt('lxd_launch_over_berth_launch', ratios.lxd_launch_over_berth_launch, '>= 2', (x) => x >= 2);
  tgt('berth_stop_force_s', med.berth_stop_force! / 1000, '< 0.2', (x) => x < 0.2);
  tgt('berth_delete_s', med.berth_delete! / 1000, '< 0.2', (x) => x < 0.2);
  tgt('many_launch_total_s', figures.many_launch_total_s, '< 10', (x) => x < 10);
  tgt('berthd_rss_idle_mb', figures.berthd_rss_idle_mb, '< 100', (x) => x < 100);
  tgt('berth_extra_mb_per_container', figures.berth_extra_mb_per_container, '< 2', (x) => x < 2);

  const rows: string[][] = [['figure', 'median', 'min', 'max', 'n']];
  for (const [k, lbl] of ROWS) {
    const xs = samples[k];
    if (!xs?.length) continue;
    rows.push([lbl, fmt(med[k]), fmt(Math.min(...xs)), fmt(Math.max(...xs)), String(xs.length)]);
  }
  const single: Array<[string, string]> = [
    ['berthd_start_ms', 'berthd start until serving, ms'],
    ['many_launch_total_s', `${o.count} launches one after another (API), total s`],
    ['many_launch_first_tenth_median_ms', `  median launch of the first ${Math.max(1, Math.floor(o.count / 10))}, ms`],
    ['many_launch_last_tenth_median_ms', `  median launch of the last ${Math.max(1, Math.floor(o.count / 10))} (${o.count - Math.max(1, Math.floor(o.count / 10))}+ running), ms`],
    ['many_delete_force_total_s', `${o.count} delete --force one after another (API), total s`],
    ['berthd_rss_idle_mb', 'berthd RSS idle, MB'],
    ['berthd_rss_50_mb', `berthd RSS with ${o.count} running, MB`],
    ['berth_side_extra_processes', 'other processes berth left per run (besides containers\' own)'],
    ['berth_side_extra_rss_mb', '  their RSS sum, MB'],
    ['berth_extra_mb_per_container', 'extra MB per running container (berthd delta + those)'],
    ['container_processes', `containers' own processes (${o.count} inits)`],
    ['container_processes_rss_mb', '  their RSS sum, MB (not counted above)'],
    ['lxd_start_ms', 'LXD daemon start until ready, ms'],
    ['lxd_rss_idle_mb', 'LXD daemon RSS after the trials, MB'],
  ];
  for (const [k, lbl] of single) if (figures[k] !== undefined) rows.push([lbl, fmt(figures[k]), '', '', '1']);
  for (const [k, v] of Object.entries(ratios)) if (Number.isFinite(v)) rows.push([`ratio ${k.replace(/_/g, ' ')}`, fmt(v), '', '', '']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log('');
  console.log(`commit ${gitHead}${gitDirty.length ? ` + uncommitted changes in ${gitDirty.join(', ')}` : ''}`);
  console.log(`berth launch bench: ${o.trials} trials (medians), busybox, ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log(line(rows[0]!));
  console.log(widths.map((x) => '-'.repeat(x)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log('targets:');
  for (const [k, t] of Object.entries(targets)) console.log(`  ${k} ${t.target}: ${t.value ?? '-'} ${t.met === null ? '(not measured)' : t.met ? 'MET' : 'NOT MET'}`);
  for (const n of notes) console.log(`note: ${n}`);
  for (const v of verify) console.log(`cleanup check: ${v}`);
  const json = {
    bench: 'launch', date: new Date().toISOString(), host: { cores: os.cpus().length, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) },
    config: { commit: gitHead, dirty: gitDirty, trials: o.trials, count: o.count, runc: sh(RUNC, ['--version']).out.split('\n')[0] ?? '', lxd: lxdVersion || null },
    medians_ms: Object.fromEntries(Object.entries(med).map(([k, v]) => [k, round(v)])),
    figures: Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round(v)])),
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v)])),
    targets,
    samples_ms: Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, xs.map((x) => Math.round(x))])),
    notes, cleanup: verify,
  };
  console.log(JSON.stringify(json));
}

let lxdVersion = '';
// Read-only: which tree was measured (dist is built from the working tree, changes included).
const gitHead = sh('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']).out.trim();
const gitDirty = sh('git', ['-C', REPO, 'status', '--porcelain', '--', 'packages', 'proto']).out.split('\n').filter(Boolean).map((l) => l.slice(3));

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  for (const f of [BERTHD_BIN, BERTH_BIN]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npm run build`);
  const t0 = performance.now();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  fs.chmodSync(root, 0o711); // unprivileged rootfs below must be reachable
  undo.push({ what: 'temp dir', fn: () => { if (!o.keep) fs.rmSync(root, { recursive: true, force: true }); } });
  log(`bench:launch in ${root}`);
  const { tarball, rootfs } = await buildImage(root);
  const floor = new Floor(root, rootfs);
  const flooru = new Floor(root, rootfs, true);
  const b = new Berthd(root);
  const phases: Array<[string, () => Promise<void>]> = [];
  try {
    log('== berthd ==');
    await b.start();
    log(`  berthd pid ${b.proc!.pid} serving on ${b.socket} after ${figures.berthd_start_ms!.toFixed(0)} ms`);
    // Warm-up: builds and imports the busybox image, unpacks it into the pool; the CLI too.
    const w = await timeIt(() => b.launch('warm'));
    await b.execTrue('warm');
    await b.stopForce('warm');
    await b.del('warm');
    await timed(process.execPath, [BERTH_BIN, 'launch', 'busybox', 'warmcli'], b.env);
    await b.del('warmcli', true);
    await floor.trial();
    await flooru.trial();
    for (const k of ['floor_run', 'floor_delete', 'flooru_run', 'flooru_delete']) delete samples[k];
    log(`  warm-up launch (image build + import): ${w.toFixed(0)} ms`);
    log(`== ${o.trials} trials, interleaved: runc floor, berth API, berth CLI ==`);
    for (let i = 0; i < o.trials; i++) {
      if (!o.skip.has('floor')) { await floor.trial(); await flooru.trial(); }
      if (!o.skip.has('berth')) await berthTrial(b, i, !o.skip.has('cli'));
      const last = (k: string): string => (samples[k]?.length ? samples[k]!.at(-1)!.toFixed(0) : '-');
      log(`  trial ${i + 1}: floor run ${last('floor_run')} / delete ${last('floor_delete')} ms, with userns ${last('flooru_run')} / ${last('flooru_delete')}; berth launch ${last('berth_launch')}, exec ${last('berth_exec_true')}, stop -f ${last('berth_stop_force')}, delete ${last('berth_delete')}, CLI launch ${last('berth_cli_launch')} ms`);
    }
    if (!o.skip.has('many')) { log(`== ${o.count} containers ==`); await berthMany(b, o.count); }
  } finally {
    const i = undo.findIndex((u) => u.what === 'berthd');
    if (i >= 0) { undo.splice(i, 1); b.teardown(); }
    for (const f of [flooru, floor]) {
      const j = undo.findIndex((u) => u.what === `runc floor containers ${f.runcRoot}`);
      if (j >= 0) for (const u of undo.splice(j, 2).reverse()) u.fn();
    }
    const rr = path.join(b.dataDir, 'runc');
    const left = runcList(rr).concat(runcList(floor.runcRoot), runcList(flooru.runcRoot));
    const cgs = leftCgroups(b.cgroupParent).concat(leftCgroups(floor.cgroupParent), leftCgroups(flooru.cgroupParent));
    verify.push(`berth: runc list of ${rr}, ${floor.runcRoot} and ${flooru.runcRoot}: ${left.length ? left.join(',') : 'empty'}; berthd ${b.proc?.pid && isAlive(b.proc.pid) ? 'STILL RUNNING' : 'stopped'}; cgroup parents ${cgs.length ? cgs.join(',') + ' LEFT' : 'removed'}`);
  }
  void phases;
  if (!o.skip.has('lxd')) {
    log('== LXD ==');
    try {
      await runLxd(o, tarball);
      lxdVersion = figures.lxd_start_ms !== undefined ? sh('lxd', ['--version']).out.trim() : '';
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      notes.push(`LXD failed: ${msg.split('\n').slice(0, 6).join(' | ')}`);
      log(`  LXD failed: ${msg}`);
      for (const k of Object.keys(samples)) if (k.startsWith('lxd_')) delete samples[k];
      const i = undo.findIndex((u) => u.what === 'LXD');
      if (i >= 0) { const u = undo.splice(i, 1)[0]!; try { u.fn(); } catch (e2) { log(`  LXD cleanup: ${String(e2)}`); } }
      const leftLxd = fs.readdirSync('/tmp').filter((f) => f.startsWith('berth-bench-lxd-'));
      verify.push(`LXD: ${leftLxd.length ? leftLxd.join(',') + ' LEFT' : 'LXD_DIR removed'}`);
    }
  }
  // Undo everything now, then check that nothing is left, before the report.
  cleanup();
  const tmpLeft = fs.readdirSync('/tmp').filter((f) => f === path.basename(root) || f.startsWith('berth-bench-lxd-'));
  const procsLeft = processes().filter((p) => p.pid !== process.pid && (p.cmd.includes(root) || p.cmd.includes('berth-bench-lxd-') || p.cgroup.includes(b.cgroupParent) || p.cgroup.includes(floor.cgroupParent) || p.cgroup.includes(flooru.cgroupParent)));
  const cgLeft = leftCgroups(b.cgroupParent).concat(leftCgroups(floor.cgroupParent), leftCgroups(flooru.cgroupParent));
  const lxcCg = lxcCgroups();
  verify.push(`after cleanup: /tmp ${tmpLeft.length ? tmpLeft.join(',') + ' LEFT' : `has no ${path.basename(root)} nor berth-bench-lxd-*`}; processes ${procsLeft.length ? procsLeft.map((p) => `${p.pid} ${p.cmd.slice(0, 60)}`).join('; ') + ' LEFT' : 'none left'}; `
    + `cgroups ${cgLeft.length ? cgLeft.join(',') + ' LEFT' : 'removed'}${lxcCg.length ? `; LXD cgroups left: ${lxcCg.join(',')}` : ''}`);
  report(o, t0);
}

main().then(() => { cleanup(); process.exit(0); }, (e: unknown) => {
  log(`bench:launch failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  cleanup();
  process.exit(1);
});
