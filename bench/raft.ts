#!/usr/bin/env node
/**
 * npm run bench:raft — raft-store (berth's Raft + LevelDB store) against etcd 3.4, one after
 * the other in one run, 3 members each on 127.0.0.1, the same client for both (bench/etcd-wire.ts,
 * driven from a child process, bench/load-worker.ts). See bench/README.md.
 *
 *   npm run bench:raft -- [--duration 10] [--warmup 1] [--first-warmup 5] [--trials 5] [--keys 200000]
 *                         [--only raft-store|etcd] [--skip seq,put,read,failover,big]
 *                         [--transport raw|node] [--conns 1] [--levels 16,64,256]
 *   npm run bench:raft -- --profile [--profile-out DIR] [--profile-phase put|read]   (raft-store
 *                         only: CPU profile of the members during the 64-client put or read phase)
 *
 * Output: progress on stderr; a table, then one JSON line (the last line) on stdout.
 *
 * Environment: BENCH_RAFT_BIN (another build's raft-store.js, for A/B runs of two builds),
 * BENCH_RAFT_NODE_OPTIONS (extra node flags for the members), BENCH_TRACE_KILL=1 (log the
 * wall-clock ms of each failover kill, to line up with the members' logs under --keep),
 * BENCH_PUT_LEADER_ONLY=1 (the put levels send every write to the leader instead of spreading
 * the clients over all members: a diagnostic of what follower-received writes cost),
 * BENCH_LAT_DUMP=PREFIX (the load worker writes PREFIX-<clients>: one line per measured
 * operation, "start-ms latency-ms connection", connections in member order).
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { connect, decodeRange, decodeStatus, EMPTY, encodePut, encodeRange } from './etcd-wire';
import type { Conn, StatusResult, TransportKind } from './etcd-wire';
import type { BulkResult, BulkSpec, LoadResult, LoadSpec } from './load';
import { benchKey, benchValue } from './load';
import { formatSummary, summarize } from './cpuprofile';

// ---------------------------------------------------------------- options

const REPO = path.resolve(__dirname, '..', '..');
/** BENCH_RAFT_BIN: another build's raft-store.js (A/B runs of two builds on the same host). */
const RAFT_BIN = process.env.BENCH_RAFT_BIN ?? path.join(REPO, 'packages/raft-store/dist/bin/raft-store.js');
const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';

/**
 * The node flags a launcher's first line names (`#!/usr/bin/env -S node FLAGS`): members run
 * the way `raft-store start` runs them, whichever build BENCH_RAFT_BIN points at.
 */
function launcherFlags(bin: string): string[] {
  const first = fs.readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*\benv\s+(?:-S\s+)?node((?:\s+\S+)*)\s*$/.exec(first) ?? /^#!\S*\/node((?:\s+\S+)*)\s*$/.exec(first);
  return m ? m[1]!.split(/\s+/).filter(Boolean) : [];
}
/** RAFT_BIN's node flags, read once. */
const RAFT_NODE_FLAGS = launcherFlags(RAFT_BIN);

interface Options {
  durationMs: number; warmupMs: number; firstWarmupMs: number; trials: number; keys: number; batch: number;
  only: SystemName | undefined; skip: Set<string>; transport: TransportKind; conns: number; levels: number[];
  valueSize: number; keySpace: number; profile: boolean; profileOut: string | undefined; keep: boolean;
  /** What --profile measures: 64 clients putting, or (after a put phase fills the keys) 64 clients reading. */
  profilePhase: 'put' | 'read';
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    durationMs: 10_000, warmupMs: 1_000, firstWarmupMs: 5_000, trials: 5, keys: 200_000, batch: 128, only: undefined, skip: new Set(), transport: 'raw', conns: 1,
    levels: [16, 64, 256], valueSize: 256, keySpace: 10_000, profile: false, profileOut: undefined, keep: false, profilePhase: 'put',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => { const x = argv[++i]; if (x === undefined) throw new Error(`${a} needs a value`); return x; };
    switch (a) {
      case '--duration': o.durationMs = Number(v()) * 1000; break;
      case '--warmup': o.warmupMs = Number(v()) * 1000; break;
      case '--first-warmup': o.firstWarmupMs = Number(v()) * 1000; break;
      case '--trials': o.trials = Number(v()); break;
      case '--keys': o.keys = Number(v()); break;
      case '--batch': o.batch = Number(v()); break;
      case '--only': { const s = v(); if (s !== 'raft-store' && s !== 'etcd') throw new Error('--only raft-store|etcd'); o.only = s; break; }
      case '--skip': for (const s of v().split(',')) o.skip.add(s); break;
      case '--transport': { const s = v(); if (s !== 'raw' && s !== 'node') throw new Error('--transport raw|node'); o.transport = s; break; }
      case '--conns': o.conns = Number(v()); break;
      case '--levels': o.levels = v().split(',').map(Number); break;
      case '--value-size': o.valueSize = Number(v()); break;
      case '--profile': o.profile = true; break;
      case '--profile-out': o.profileOut = path.resolve(v()); break;
      case '--profile-phase': { const s = v(); if (s !== 'put' && s !== 'read') throw new Error('--profile-phase put|read'); o.profilePhase = s; break; }
      case '--keep': o.keep = true; break;
      case '--help': case '-h':
        console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(2, 14).map((l) => l.replace(/^ \* ?/, '')).join('\n'));
        process.exit(0);
      // falls through (unreachable)
      default: throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  return o;
}

// ---------------------------------------------------------------- process and temp-dir hygiene

const children = new Set<ChildProcess>();
const tmpDirs: string[] = [];
let keepTmp = false;

function cleanup(): void {
  for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
  children.clear();
  if (!keepTmp) for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => { log(`\n${sig}: stopping everything`); cleanup(); process.exit(130); });
}

function log(s: string): void { process.stderr.write(`${s}\n`); }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch { return NaN; }
}

function duMb(dir: string): number {
  const r = spawnSync('du', ['-sk', dir], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.split('\t')[0]) / 1024 : NaN;
}

/** CPU seconds (user + system) a process has used, from /proc. */
function procCpuSec(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return NaN; }
}

// ---------------------------------------------------------------- clusters

type SystemName = 'raft-store' | 'etcd';

class Member {
  proc: ChildProcess | undefined;
  exited: Promise<void> = Promise.resolve();
  starts = 0;
  constructor(readonly idx: number, readonly peerPort: number, readonly clientPort: number, readonly dataDir: string, readonly logPath: string) {}
  get endpoint(): string { return `127.0.0.1:${this.clientPort}`; }
  get pid(): number | undefined { return this.proc?.pid; }
}

class Cluster {
  readonly members: Member[] = [];
  constructor(readonly system: SystemName, readonly dir: string, ports: number[], readonly cpuProfDir?: string) {
    for (let i = 0; i < 3; i++) {
      const dataDir = path.join(dir, `m${i + 1}`);
      this.members.push(new Member(i, ports[2 * i]!, ports[2 * i + 1]!, dataDir, path.join(dir, `m${i + 1}.log`)));
    }
  }

  static async create(system: SystemName, root: string, cpuProfDir?: string): Promise<Cluster> {
    const ports: number[] = [];
    while (ports.length < 6) { const p = await freePort(); if (!ports.includes(p)) ports.push(p); }
    const dir = path.join(root, `${system}-${Date.now().toString(36)}`);
    fs.mkdirSync(dir, { recursive: true });
    return new Cluster(system, dir, ports, cpuProfDir);
  }

  private command(m: Member): [string, string[]] {
    if (this.system === 'raft-store') {
      const args = [RAFT_BIN, 'start', '--id', String(m.idx + 1), '--cluster', 'berth-bench', '--data-dir', m.dataDir,
        '--peer-listen', `127.0.0.1:${m.peerPort}`, '--client-listen', m.endpoint, '--tick-ms', '100', '--election-ticks', '10'];
      for (const p of this.members) args.push('--peer', `${p.idx + 1}=127.0.0.1:${p.peerPort}=${p.endpoint}`);
      const node = [...RAFT_NODE_FLAGS];
      if (this.cpuProfDir) node.push('--cpu-prof', `--cpu-prof-dir=${path.join(this.cpuProfDir, `m${m.idx + 1}`)}`);
      if (process.env.BENCH_RAFT_NODE_OPTIONS) node.push(...process.env.BENCH_RAFT_NODE_OPTIONS.split(' ').filter(Boolean));
      return [process.execPath, [...node, ...args]];
    }
    const initial = this.members.map((p) => `m${p.idx + 1}=http://127.0.0.1:${p.peerPort}`).join(',');
    return [ETCD_BIN, ['--name', `m${m.idx + 1}`, '--data-dir', m.dataDir,
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--listen-client-urls', `http://${m.endpoint}`, '--advertise-client-urls', `http://${m.endpoint}`,
      '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', `berth-bench-${path.basename(this.dir)}`,
      '--heartbeat-interval', '100', '--election-timeout', '1000', '--logger', 'zap', '--log-level', 'warn']];
  }

  start(i: number): void {
    const m = this.members[i]!;
    const [cmd, args] = this.command(m);
    const fd = fs.openSync(m.logPath, 'a');
    const proc = spawn(cmd, args, { stdio: ['ignore', fd, fd], cwd: this.dir });
    fs.closeSync(fd);
    children.add(proc);
    m.proc = proc;
    m.starts++;
    m.exited = new Promise((resolve) => proc.once('exit', () => { children.delete(proc); resolve(); }));
  }

  startAll(): void { for (let i = 0; i < 3; i++) this.start(i); }

  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.members[i]!;
    if (!m.proc || m.proc.exitCode !== null || m.proc.signalCode !== null) return;
    m.proc.kill(signal);
    await m.exited;
    m.proc = undefined;
  }

  async stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.kill(i, signal)));
  }

  alive(i: number): boolean { const p = this.members[i]!.proc; return !!p && p.exitCode === null && p.signalCode === null; }

  logTail(i: number, n = 15): string {
    try { return fs.readFileSync(this.members[i]!.logPath, 'utf8').trim().split('\n').slice(-n).join('\n'); } catch { return '(no log)'; }
  }
}

// ---------------------------------------------------------------- control client (same wire code as the load)

const ctlConns = new Map<string, Conn>();
let ctlTransport: TransportKind = 'raw';
function ctl(ep: string): Conn {
  let c = ctlConns.get(ep);
  if (!c || c.closed) { c = connect(ctlTransport, ep); ctlConns.set(ep, c); }
  return c;
}
function closeCtl(): void { for (const c of ctlConns.values()) c.close(); ctlConns.clear(); }

async function status(ep: string, timeoutMs = 1000): Promise<StatusResult> {
  return decodeStatus(await ctl(ep).call('status', EMPTY, timeoutMs));
}

/** The index of the member all live members agree leads, or -1. */
async function leaderIndex(c: Cluster): Promise<number> {
  const live = c.members.filter((m) => c.alive(m.idx));
  const st = await Promise.all(live.map((m) => status(m.endpoint).catch(() => undefined)));
  if (st.some((s) => !s || s.leader === 0n)) return -1;
  const leader = st[0]!.leader;
  if (st.some((s) => s!.leader !== leader)) return -1;
  const i = st.findIndex((s) => s!.memberId === leader);
  return i >= 0 ? live[i]!.idx : -1;
}

/** Waits until every live member agrees on a leader and serves a write and a linearizable read. */
async function waitReady(c: Cluster, timeoutMs = 60_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const key = Buffer.from('berth-bench/ready');
  let last = '';
  while (performance.now() < deadline) {
    try {
      const leader = await leaderIndex(c);
      if (leader >= 0) {
        const v = Buffer.from(`ready-${Date.now()}`);
        await ctl(c.members[leader]!.endpoint).call('put', encodePut(key, v), 3000);
        for (const m of c.members) {
          if (!c.alive(m.idx)) continue;
          const r = decodeRange(await ctl(m.endpoint).call('range', encodeRange(key), 3000));
          if (!r.values[0]?.equals(v)) throw new Error(`member ${m.idx + 1} read ${r.values[0]?.toString() ?? 'nothing'} after writing ${v.toString()}`);
        }
        return leader;
      }
      last = 'no agreed leader';
    } catch (e) { last = (e as Error).message; }
    for (let i = 0; i < 3; i++) {
      if (c.members[i]!.proc && !c.alive(i)) throw new Error(`${c.system} member ${i + 1} exited:\n${c.logTail(i)}`);
    }
    await sleep(100);
  }
  throw new Error(`${c.system} cluster not ready within ${timeoutMs} ms (${last})`);
}

/** A put through one member, then a linearizable get through each, with both transports. */
async function verify(c: Cluster): Promise<void> {
  for (const kind of ['raw', 'node'] as const) {
    const value = benchValue(256);
    const key = Buffer.from(`berth-bench/verify-${kind}`);
    const conns = c.members.map((m) => connect(kind, m.endpoint));
    try {
      await conns[1]!.call('put', encodePut(key, value), 5000);
      for (const conn of conns) {
        const r = decodeRange(await conn.call('range', encodeRange(key), 5000));
        if (r.count !== 1 || !r.values[0]?.equals(value)) throw new Error(`${c.system} via ${conn.endpoint} (${kind}): get after put returned count ${r.count}, ${r.values[0]?.length ?? 0} bytes`);
      }
      // An error must come back as an error: Range of a bad path.
      const bad = await conns[0]!.call('range', Buffer.from([0x0a]), 3000).then(() => 'no error', (e: Error) => e.message);
      if (bad === 'no error') throw new Error(`${c.system} (${kind}): a malformed request was not refused`);
    } finally { for (const x of conns) x.close(); }
  }
  log(`  verified: put then linearizable get returns the 256-byte value on all 3 members (raw and node:http2 transports); a malformed request comes back as an error`);
}

// ---------------------------------------------------------------- load worker

class Worker {
  private readonly proc: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  constructor() {
    this.proc = fork(path.join(__dirname, 'load-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(this.proc);
    this.proc.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error !== undefined) w.reject(new Error(m.error)); else w.resolve(m.result);
    });
    this.proc.on('exit', (code) => {
      children.delete(this.proc);
      for (const w of this.waiting.values()) w.reject(new Error(`load worker exited (${code})`));
    });
  }
  private request<T>(kind: 'load' | 'bulk', spec: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: unknown) => void, reject });
      this.proc.send({ id, kind, spec });
    });
  }
  load(spec: LoadSpec): Promise<LoadResult> { return this.request('load', spec); }
  bulk(spec: BulkSpec): Promise<BulkResult> { return this.request('bulk', spec); }
  stop(): void { this.proc.disconnect(); }
}

// ---------------------------------------------------------------- phases

type Figures = Record<string, number>;
interface SystemReport { figures: Figures; notes: string[]; failoverTrialsMs: number[]; errors: Record<string, string[]> }

function fmtLoad(r: LoadResult): string {
  return `${r.opsPerSec.toFixed(0)} ops/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}, client ${r.cpuUsPerOp.toFixed(0)} µs CPU/op (user ${r.cpuUserUsPerOp.toFixed(0)}; ${(r.cpuCores * 100).toFixed(0)}% of a core)`;
}

/**
 * `warmupMs`: the first measured phase of a freshly started cluster gets --first-warmup (both
 * systems alike): a new member's first seconds are slower (raft-store: V8 still compiling the
 * hot paths; at 1 client, ~600 puts in the usual 1 s warm-up, 24% of the first 500 ms measured
 * were over 3 ms against 2-3% after 5 s).
 */
async function phaseLoad(o: Options, w: Worker, c: Cluster, rep: SystemReport, name: string, op: 'put' | 'range', clients: number, endpoints: string[], warmupMs = o.warmupMs): Promise<LoadResult> {
  const r = await w.load({
    transport: o.transport, endpoints, connsPerEndpoint: o.conns, op, clients, warmupMs, durationMs: o.durationMs,
    valueSize: o.valueSize, keySpace: o.keySpace, keyPrefix: 'bench/', timeoutMs: 10_000,
  });
  log(`  ${name}: ${fmtLoad(r)}${r.hitRatio !== undefined ? `, ${(r.hitRatio * 100).toFixed(0)}% of reads found their key` : ''}`);
  if (r.errors) rep.errors[name] = r.errorSamples;
  rep.figures[`${name}_ops_per_s`] = r.opsPerSec;
  rep.figures[`${name}_p50_ms`] = r.p50Ms;
  rep.figures[`${name}_p99_ms`] = r.p99Ms;
  rep.figures[`${name}_errors`] = r.errors;
  rep.figures[`${name}_client_cpu_us_per_op`] = r.cpuUsPerOp;
  for (const m of c.members) if (!c.alive(m.idx)) throw new Error(`${c.system} member ${m.idx + 1} died during ${name}:\n${c.logTail(m.idx)}`);
  return r;
}

/** kill -9 the leader; the time until a put through a survivor succeeds. Probes every 20 ms, alternating survivors. */
async function failoverTrial(c: Cluster): Promise<number> {
  const leader = await waitReady(c);
  await sleep(300);
  const survivors = c.members.filter((m) => m.idx !== leader).map((m) => m.endpoint);
  for (const ep of survivors) await status(ep); // connections open before the clock starts
  const msg = encodePut(Buffer.from('berth-bench/failover'), benchValue(256));
  const t0 = performance.now();
  c.members[leader]!.proc!.kill('SIGKILL');
  if (process.env.BENCH_TRACE_KILL) log(`  killed member ${leader + 1} at ${Date.now()}`);
  const ms = await new Promise<number>((resolve, reject) => {
    let done = false;
    let k = 0;
    const errs = new Set<string>();
    const probe = (): void => {
      if (done) return;
      if (performance.now() - t0 > 30_000) { done = true; clearInterval(timer); reject(new Error(`no successful write within 30 s of killing the leader (${[...errs].slice(0, 5).join(' | ')})`)); return; }
      ctl(survivors[k++ % survivors.length]!).call('put', msg, 10_000).then(() => {
        if (!done) { done = true; clearInterval(timer); resolve(performance.now() - t0); }
      }, (e: Error) => { errs.add(e.message); });
    };
    const timer = setInterval(probe, 20);
    probe();
  });
  await c.kill(leader);
  c.start(leader);
  await waitReady(c);
  return ms;
}

async function phaseFailover(o: Options, c: Cluster, rep: SystemReport): Promise<void> {
  const trials: number[] = [];
  for (let t = 0; t < o.trials; t++) {
    const ms = await failoverTrial(c);
    trials.push(ms);
    log(`  failover trial ${t + 1}: ${ms.toFixed(0)} ms`);
  }
  const sorted = [...trials].sort((a, b) => a - b);
  rep.failoverTrialsMs = trials;
  rep.figures.failover_median_ms = sorted[Math.floor(sorted.length / 2)]!;
  rep.figures.failover_min_ms = sorted[0]!;
  rep.figures.failover_max_ms = sorted[sorted.length - 1]!;
}

/** A fresh cluster loaded with o.keys keys of 100 bytes; RSS, disk, and a follower's restart until it serves a linearizable read. */
async function phaseBig(o: Options, w: Worker, root: string, system: SystemName, rep: SystemReport): Promise<void> {
  const c = await Cluster.create(system, root);
  try {
    c.startAll();
    const leader = await waitReady(c);
    rep.figures.big_rss_empty_mb = rssMb(c.members[leader]!.pid);
    const r = await w.bulk({
      transport: o.transport, endpoints: [c.members[leader]!.endpoint], clients: 8, totalKeys: o.keys, batch: o.batch,
      valueSize: 100, keyPrefix: 'big/', timeoutMs: 20_000, deadlineMs: 300_000,
    });
    log(`  loaded ${r.keys} keys of 100 bytes in ${r.seconds.toFixed(1)} s (${r.keysPerSec.toFixed(0)} keys/s, Txns of ${o.batch} puts, ${r.retries} retries${r.partial ? ', STOPPED AT THE 300 s DEADLINE' : ''})`);
    if (r.partial) rep.notes.push(`bulk load stopped at the deadline after ${r.keys} keys`);
    rep.figures.big_keys = r.keys;
    rep.figures.big_load_s = r.seconds;
    rep.figures.big_load_keys_per_s = r.keysPerSec;
    await waitReady(c);
    await sleep(2000);
    const follower = c.members.find((m) => m.idx !== leader)!;
    rep.figures.big_rss_leader_mb = rssMb(c.members[leader]!.pid);
    rep.figures.big_rss_follower_mb = rssMb(follower.pid);
    rep.figures.big_disk_follower_mb = duMb(follower.dataDir);
    // A key that exists, read linearizably through the restarted follower.
    const probeMsg = encodeRange(benchKey('big/', Math.max(0, r.keys - 1)));
    await c.kill(follower.idx);
    const t0 = performance.now();
    c.start(follower.idx);
    let ms = NaN;
    while (performance.now() - t0 < 120_000) {
      try {
        const res = decodeRange(await ctl(follower.endpoint).call('range', probeMsg, 2000));
        if (res.count === 1) { ms = performance.now() - t0; break; }
      } catch { /* not up yet */ }
      if (!c.alive(follower.idx)) throw new Error(`${system} member ${follower.idx + 1} exited on restart:\n${c.logTail(follower.idx)}`);
      await sleep(20);
    }
    rep.figures.big_restart_ms = ms;
    rep.figures.big_rss_follower_after_restart_mb = rssMb(follower.pid);
    const cpu = procCpuSec(follower.pid);
    rep.figures.big_restart_cpu_s = cpu;
    log(`  RSS: leader ${rep.figures.big_rss_leader_mb.toFixed(0)} MB, follower ${rep.figures.big_rss_follower_mb.toFixed(0)} MB (empty: ${rep.figures.big_rss_empty_mb.toFixed(0)} MB); follower data ${rep.figures.big_disk_follower_mb.toFixed(0)} MB on disk`);
    log(`  follower kill -9 + restart until it serves a linearizable read: ${ms.toFixed(0)} ms (${cpu.toFixed(2)} s CPU), RSS then ${rep.figures.big_rss_follower_after_restart_mb.toFixed(0)} MB`);
  } finally {
    await c.stopAll();
    if (!o.keep) fs.rmSync(c.dir, { recursive: true, force: true });
  }
}

async function runSystem(o: Options, w: Worker, root: string, system: SystemName): Promise<SystemReport> {
  const rep: SystemReport = { figures: {}, notes: [], failoverTrialsMs: [], errors: {} };
  log(`\n== ${system} ==`);
  const c = await Cluster.create(system, root);
  try {
    const t0 = performance.now();
    c.startAll();
    let leader = await waitReady(c);
    rep.figures.startup_ms = performance.now() - t0;
    log(`  3 members up, leader member ${leader + 1}, in ${rep.figures.startup_ms.toFixed(0)} ms; logs in ${c.dir}`);
    await verify(c);
    const all = c.members.map((m) => m.endpoint);
    let first = true;
    const warmup = (): number => { const ms = first ? Math.max(o.warmupMs, o.firstWarmupMs) : o.warmupMs; first = false; return ms; };
    if (!o.skip.has('seq')) {
      leader = await waitReady(c);
      await phaseLoad(o, w, c, rep, 'seq_put_c1', 'put', 1, [c.members[leader]!.endpoint], warmup());
    }
    if (!o.skip.has('put')) {
      for (const n of o.levels) {
        const cpu0 = c.members.map((m) => procCpuSec(m.pid));
        const t = performance.now();
        await phaseLoad(o, w, c, rep, `put_c${n}`, 'put', n, process.env.BENCH_PUT_LEADER_ONLY ? [c.members[leader]!.endpoint] : all, warmup());
        const secs = (performance.now() - t) / 1000;
        const cpu = c.members.map((m, i) => procCpuSec(m.pid) - cpu0[i]!);
        rep.figures[`put_c${n}_server_cores`] = cpu.reduce((a, b) => a + b, 0) / secs;
        log(`    server CPU: ${cpu.map((x) => (x / secs * 100).toFixed(0) + '%').join(' / ')} of a core per member`);
      }
    }
    if (!o.skip.has('read')) await phaseLoad(o, w, c, rep, 'read_c64', 'range', 64, all, warmup());
    if (!o.skip.has('failover')) await phaseFailover(o, c, rep);
  } finally {
    await c.stopAll();
    closeCtl();
    if (!o.keep) fs.rmSync(c.dir, { recursive: true, force: true });
  }
  if (!o.skip.has('big')) await phaseBig(o, w, root, system, rep);
  closeCtl();
  return rep;
}

// ---------------------------------------------------------------- profile mode

async function runProfile(o: Options, w: Worker, root: string): Promise<void> {
  const profDir = path.join(root, 'cpu-prof');
  const c = await Cluster.create('raft-store', root, profDir);
  const rep: SystemReport = { figures: {}, notes: [], failoverTrialsMs: [], errors: {} };
  let leader = -1;
  let window = { fromUs: 0, toUs: 0 };
  let cpuShare: string[] = [];
  try {
    c.startAll();
    leader = await waitReady(c);
    log(`raft-store members running under --cpu-prof; leader member ${leader + 1}`);
    if (o.profilePhase === 'read') await phaseLoad(o, w, c, rep, 'put_c64', 'put', 64, c.members.map((m) => m.endpoint));
    const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
    const fromUs = nowUs() + o.warmupMs * 1000 + 100_000;
    window = { fromUs, toUs: fromUs + o.durationMs * 1000 - 200_000 };
    const cpu0 = c.members.map((m) => procCpuSec(m.pid));
    const t = performance.now();
    if (o.profilePhase === 'read') await phaseLoad(o, w, c, rep, 'read_c64', 'range', 64, c.members.map((m) => m.endpoint));
    else await phaseLoad(o, w, c, rep, 'put_c64', 'put', 64, process.env.BENCH_PUT_LEADER_ONLY ? [c.members[leader]!.endpoint] : c.members.map((m) => m.endpoint));
    const secs = (performance.now() - t) / 1000;
    cpuShare = c.members.map((m, i) => `${((procCpuSec(m.pid) - cpu0[i]!) / secs * 100).toFixed(0)}%`);
  } finally {
    closeCtl();
    await c.stopAll('SIGTERM'); // a clean exit writes the profile
  }
  const out: string[] = [];
  for (const m of c.members) {
    const dir = path.join(profDir, `m${m.idx + 1}`);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
    if (!files.length) { out.push(`member ${m.idx + 1}: no profile written`); continue; }
    const file = path.join(dir, files[0]!);
    if (o.profileOut) { fs.mkdirSync(o.profileOut, { recursive: true }); fs.copyFileSync(file, path.join(o.profileOut, `raft-store-m${m.idx + 1}${m.idx === leader ? '-leader' : ''}.cpuprofile`)); }
    out.push(formatSummary(summarize(file, m.idx === leader ? 30 : 15, window), `member ${m.idx + 1}${m.idx === leader ? ' (LEADER)' : ' (follower)'}, samples of the measured window only`));
  }
  if (o.profilePhase === 'read') console.log(`raft-store under --cpu-prof, 64 clients reading (linearizable) for ${o.durationMs / 1000} s: ${rep.figures.read_c64_ops_per_s!.toFixed(0)} gets/s (profiler on); member CPU ${cpuShare.join(' / ')} of a core`);
  else console.log(`raft-store under --cpu-prof, 64 clients putting 256-byte values for ${o.durationMs / 1000} s: ${rep.figures.put_c64_ops_per_s!.toFixed(0)} puts/s (profiler on); member CPU ${cpuShare.join(' / ')} of a core`);
  console.log(out.join('\n\n'));
  if (o.profileOut) console.log(`profiles copied to ${o.profileOut} (open in Chrome DevTools or speedscope)`);
}

// ---------------------------------------------------------------- report

const LABELS: Record<string, string> = {
  startup_ms: 'cluster start until ready, ms',
  failover_median_ms: 'failover (kill -9 leader -> next write), median ms',
  failover_min_ms: 'failover, min ms',
  failover_max_ms: 'failover, max ms',
  big_keys: 'big: keys loaded (100-byte values)',
  big_load_s: 'big: load time, s (Txns of 128 puts)',
  big_load_keys_per_s: 'big: load rate, keys/s',
  big_rss_empty_mb: 'big: leader RSS when empty, MB',
  big_rss_leader_mb: 'big: leader RSS loaded, MB',
  big_rss_follower_mb: 'big: follower RSS loaded, MB',
  big_disk_follower_mb: 'big: follower data dir, MB',
  big_restart_ms: 'big: follower restart -> linearizable read, ms',
  big_restart_cpu_s: 'big: CPU used by that restart, s',
  big_rss_follower_after_restart_mb: 'big: follower RSS after restart, MB',
};

function label(k: string): string {
  if (LABELS[k]) return LABELS[k];
  const m = /^(seq_put|put|read)_c(\d+)_(.*)$/.exec(k);
  if (!m) return k.replace(/_/g, ' ');
  const what = m[1] === 'seq_put' ? 'sequential put, 1 client' : m[1] === 'put' ? `put, ${m[2]} clients` : `linearizable get, ${m[2]} clients`;
  const unit = ({
    ops_per_s: m[1] === 'read' ? 'gets/s' : 'puts/s', p50_ms: 'p50 ms', p99_ms: 'p99 ms', errors: 'errors',
    client_cpu_us_per_op: 'client CPU µs/op', server_cores: 'server CPU, cores (3 members)',
  } as Record<string, string>)[m[3]!] ?? m[3]!;
  return `${what}: ${unit}`;
}

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  if (Number.isInteger(v) || Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function report(o: Options, reps: Partial<Record<SystemName, SystemReport>>): void {
  const b = reps['raft-store']?.figures ?? {};
  const e = reps.etcd?.figures ?? {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(e)])];
  const order = (k: string): number => {
    const idx = ['startup', 'seq_put', 'put_c', 'read_c', 'failover', 'big'].findIndex((p) => k.startsWith(p));
    return idx < 0 ? 99 : idx;
  };
  const clientCpu = keys.filter((k) => k.endsWith('client_cpu_us_per_op'));
  const main = keys.filter((k) => !clientCpu.includes(k));
  const levelOf = (k: string): number => Number(/_c(\d+)_/.exec(k)?.[1] ?? 0);
  main.sort((x, y) => order(x) - order(y) || levelOf(x) - levelOf(y));
  const rows: string[][] = [['metric', 'berth (raft-store)', 'etcd 3.4', 'berth/etcd']];
  const ratio = (k: string): number => (b[k] !== undefined && e[k] !== undefined && e[k] !== 0 ? b[k]! / e[k]! : NaN);
  for (const k of [...main, ...clientCpu]) rows.push([label(k), fmt(b[k]), fmt(e[k]), fmt(ratio(k))]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log('');
  console.log(`raft-store vs etcd ${etcdVersion()}: 3 members each on 127.0.0.1, fsync on, election 1000 ms / heartbeat 100 ms, ${o.valueSize}-byte values,`);
  console.log(`${o.durationMs / 1000} s per load level after ${o.warmupMs / 1000} s warm-up (the first: ${Math.max(o.warmupMs, o.firstWarmupMs) / 1000} s), client: ${o.transport === 'raw' ? 'raw HTTP/2 + hand-encoded protobuf' : 'node:http2'} in a child process, ${o.conns} connection(s) per member; ${os.cpus().length} cores`);
  console.log(`raft-store members: node ${[...RAFT_NODE_FLAGS, ...(process.env.BENCH_RAFT_NODE_OPTIONS ?? '').split(' ').filter(Boolean)].join(' ') || '(no flags)'} ${RAFT_BIN}`);
  console.log(line(rows[0]!));
  console.log(widths.map((x) => '-'.repeat(x)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
  for (const [name, rep] of Object.entries(reps)) {
    if (rep.failoverTrialsMs.length) console.log(`${name} failover trials (ms): ${rep.failoverTrialsMs.map((x) => x.toFixed(0)).join(', ')}`);
    for (const [phase, errs] of Object.entries(rep.errors)) console.log(`${name} ${phase} error samples: ${errs.join(' | ')}`);
    for (const n of rep.notes) console.log(`${name}: ${n}`);
  }
  const json: Record<string, unknown> = {
    bench: 'raft', date: new Date().toISOString(), host: { cores: os.cpus().length, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) },
    config: { durationS: o.durationMs / 1000, warmupS: o.warmupMs / 1000, firstWarmupS: Math.max(o.warmupMs, o.firstWarmupMs) / 1000, valueSize: o.valueSize, keySpace: o.keySpace, levels: o.levels, trials: o.trials, bigKeys: o.keys, bigValueSize: 100, transport: o.transport, connsPerMember: o.conns, etcd: etcdVersion(), memberNodeFlags: RAFT_NODE_FLAGS },
    figures: Object.fromEntries(keys.map((k) => [k, { berth: round(b[k]), etcd: round(e[k]), ratio: round(ratio(k)) }])),
    failoverTrialsMs: Object.fromEntries(Object.entries(reps).map(([n, r]) => [n === 'raft-store' ? 'berth' : n, r.failoverTrialsMs.map((x) => Math.round(x))])),
  };
  console.log(JSON.stringify(json));
}

function round(v: number | undefined): number | null {
  if (v === undefined || !Number.isFinite(v)) return null;
  return Number(v.toPrecision(4));
}

let etcdVer: string | undefined;
function etcdVersion(): string {
  if (etcdVer === undefined) {
    const r = spawnSync(ETCD_BIN, ['--version'], { encoding: 'utf8' });
    etcdVer = /etcd Version: (\S+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
  }
  return etcdVer;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  keepTmp = o.keep;
  ctlTransport = o.transport;
  if (!fs.existsSync(RAFT_BIN)) throw new Error(`${RAFT_BIN} is missing: run npm run build`);
  if (!o.profile && o.only !== 'raft-store' && !fs.existsSync(ETCD_BIN)) throw new Error(`${ETCD_BIN} is missing: run bash deploy/setup-host --with-bench-tools (or set ETCD_BIN)`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  tmpDirs.push(root);
  const w = new Worker();
  const t0 = performance.now();
  try {
    if (o.profile) { await runProfile(o, w, root); return; }
    const reps: Partial<Record<SystemName, SystemReport>> = {};
    for (const s of ['raft-store', 'etcd'] as const) if (!o.only || o.only === s) reps[s] = await runSystem(o, w, root, s);
    log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    report(o, reps);
  } finally {
    w.stop();
    closeCtl();
  }
}

main().then(() => { cleanup(); process.exit(0); }, (e: unknown) => {
  log(`bench:raft failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  cleanup();
  process.exit(1);
});

