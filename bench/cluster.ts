#!/usr/bin/env node
/**
 * npm run bench:cluster — berth on a 3-member cluster against the runc floor and LXD, in one run.
 *
 * 1. The references, from bench:launch in the same run (`launch.js --skip berth,cli,many`):
 *    `runc run -d` of a prepared busybox bundle (the floor) and, where it runs, LXD's launch.
 * 2. A 3-member berth cluster from deploy/local-cluster (each berthd in its own network
 *    namespace on a bridge with no uplink), busybox imported on every member by a warm-up.
 * 3. Launch through the API of member1 (BerthClient on its socket): intent -> placement by
 *    the leader -> the owner's agent starts it -> observed state; both Raft commits included.
 *    The same through the CLI (`berth launch`, Node's start-up included). Delete --force too.
 *    Each API launch starts on a settled cluster: `--gap` ms (default 1000) after the one
 *    before, whose member meanwhile makes its next spare volume (as bench:launch's
 *    interleaved trials give the single host time to); `--gap 0`: back to back.
 * 4. `berth list` with 100 instances (created stopped), CLI wall time and CPU time against
 *    `node -e 0` interleaved; the API call alone.
 *
 *   npm run bench:cluster -- [--trials 10] [--gap 1000] [--instances 100] [--keep]
 *   npm run bench:cluster -- --only list [--members 1] [--runs 20]   # just step 4: the CLI's list
 *     on a single-member cluster (no references, no launches), with `berth --help` and the API
 *     call alone, interleaved, `--runs` times each (medians)
 *
 * Output: progress on stderr; a table, then one JSON line (the last line) on stdout.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BerthClient } from '@berth/cli';
import { median, positiveInt } from './common';

const REPO = path.resolve(__dirname, '..', '..');
const LOCAL_CLUSTER = path.join(REPO, 'deploy', 'local-cluster');
const BERTH_BIN = path.join(REPO, 'packages/cli/dist/bin/berth.js');
const LAUNCH_BENCH = path.join(__dirname, 'launch.js');

interface Options { trials: number; instances: number; keep: boolean; only: 'all' | 'list'; members: number; runs: number; gapMs: number }

function parseArgs(argv: string[]): Options {
  const o: Options = { trials: 10, instances: 100, keep: false, only: 'all', members: 0, runs: 0, gapMs: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const n = (): number => positiveInt(a, argv[++i]);
    if (a === '--trials') o.trials = n();
    else if (a === '--instances') o.instances = n();
    else if (a === '--keep') o.keep = true;
    else if (a === '--members') o.members = n();
    else if (a === '--runs') o.runs = n();
    else if (a === '--gap') {
      o.gapMs = Number(argv[++i]);
      if (!Number.isInteger(o.gapMs) || o.gapMs < 0) throw new Error('--gap needs a whole number of ms >= 0');
    }
    else if (a === '--only') {
      const v = argv[++i];
      if (v !== 'list' && v !== 'all') throw new Error('--only: list (or all)');
      o.only = v;
    }
    else if (a === '--help' || a === '-h') {
      console.log('npm run bench:cluster -- [--trials 10] [--gap 1000] [--instances 100] [--keep] [--only list [--members 1] [--runs 20]]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.members === 0) o.members = o.only === 'list' ? 1 : 3;
  if (o.runs === 0) o.runs = o.only === 'list' ? 20 : 5;
  return o;
}

const log = (s: string): void => { process.stderr.write(`${s}\n`); };

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function cli(env: NodeJS.ProcessEnv, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BERTH_BIN, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`berth ${args.join(' ')}: ${r.stderr}`);
  return ms;
}

/** `node -e 0`: Node's own start-up, the floor of any CLI written for it. */
function nodeBare(): number {
  const t = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - t;
}

/**
 * CPU time (user + system) of the children this process has waited for, ms. /proc counts in
 * 10 ms ticks, so one run is coarse; the sum over a step's runs gives an exact enough mean, and
 * CPU time depends far less on the machine's other load than wall time does.
 */
function childCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10; // cutime, cstime (fields 16, 17), USER_HZ 100
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  for (const f of [BERTH_BIN, LAUNCH_BENCH, LOCAL_CLUSTER]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npm run build`);

  let refJson: { medians_ms?: Record<string, number | null>; config?: { lxd?: string | null } } = {};
  if (o.only === 'all') {
    log(`references: bench:launch --skip berth,cli,many --trials ${o.trials}`);
    const ref = spawnSync(process.execPath, [LAUNCH_BENCH, '--skip', 'berth,cli,many', '--trials', String(o.trials)], { encoding: 'utf8', timeout: 900_000, stdio: ['ignore', 'pipe', 'inherit'] });
    refJson = JSON.parse(ref.stdout.trim().split('\n').pop() ?? '{}') as typeof refJson;
  }
  const floor = refJson.medians_ms?.['floor_run'] ?? NaN;
  const lxd = refJson.medians_ms?.['lxd_launch'] ?? null;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-cluster-'));
  fs.rmSync(dir, { recursive: true });
  const env = { ...process.env, BERTH_LOCAL_CLUSTER_DIR: dir, BERTH_LOCAL_CLUSTER_PREFIX: `berth-bench-lc${process.pid.toString(36)}` };
  const lc = (args: string[]): string => {
    const r = spawnSync(LOCAL_CLUSTER, args, { env, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`local-cluster ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const down = (): void => {
    if (o.keep) return log(`kept the cluster at ${dir}: deploy/local-cluster down (with BERTH_LOCAL_CLUSTER_DIR=${dir} BERTH_LOCAL_CLUSTER_PREFIX=${env.BERTH_LOCAL_CLUSTER_PREFIX})`);
    spawnSync(LOCAL_CLUSTER, ['down'], { env, stdio: 'ignore', timeout: 300_000 });
  };
  process.on('SIGINT', () => { down(); process.exit(130); });
  const figures: Record<string, number | null> = { runc_floor_run_ms: floor, lxd_launch_ms: lxd };
  try {
    log(`local cluster: up ${o.members}`);
    const t0 = performance.now();
    lc(['up', String(o.members)]);
    figures.cluster_up_s = (performance.now() - t0) / 1000;
    const member1 = path.join(dir, 'member1');
    const berthEnv = { ...process.env, BERTH_DIR: member1 };
    const client = new BerthClient(path.join(member1, 'unix.socket'));
    try {
      log('warm-up: busybox imported on every member');
      for (const m of Array.from({ length: o.members }, (_, i) => `member${i + 1}`)) {
        await client.rpc('CreateInstance', { name: `warm-${m}`, image: 'busybox', config: {}, start: true, target: m });
        await client.rpc('DeleteInstance', { name: `warm-${m}`, force: true });
      }
      const launch: number[] = [];
      const del: number[] = [];
      for (let i = 0; i < (o.only === 'all' ? o.trials : 0); i++) {
        if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
        launch.push(await timeIt(() => client.rpc('CreateInstance', { name: `a${i}`, image: 'busybox', config: {}, start: true })));
      }
      if (launch.length) log(`API launches (${o.gapMs} ms apart): ${launch.map((x) => x.toFixed(0)).join(' ')} ms`);
      for (let i = 0; i < launch.length; i++) del.push(await timeIt(() => client.rpc('DeleteInstance', { name: `a${i}`, force: true })));
      if (launch.length) log(`API launch median ${median(launch).toFixed(0)} ms`);
      const cliLaunch: number[] = [];
      for (let i = 0; i < launch.length; i++) cliLaunch.push(cli(berthEnv, ['launch', 'busybox', `b${i}`]));
      for (let i = 0; i < launch.length; i++) cli(berthEnv, ['delete', `b${i}`, '--force']);
      figures.berth_launch_api_ms = median(launch);
      figures.berth_launch_cli_ms = median(cliLaunch);
      figures.berth_delete_force_api_ms = median(del);
      log(`${o.instances} instances, created stopped, 8 at a time`);
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < o.instances) {
          const i = next++;
          await client.rpc('CreateInstance', { name: `l${String(i).padStart(3, '0')}`, image: 'busybox', config: {}, start: false });
        }
      }));
      const listCli: number[] = [];
      const listApi: number[] = [];
      const help: number[] = [];
      const bare: number[] = [];
      log(`berth list, berth --help, node -e 0 and the API call, interleaved, ${o.runs} runs each`);
      const cpu = { list: 0, help: 0, bare: 0 };
      const cpuOf = <T>(k: keyof typeof cpu, fn: () => T): T => {
        const before = childCpuMs();
        const r = fn();
        cpu[k] += childCpuMs() - before;
        return r;
      };
      for (let i = 0; i < o.runs; i++) {
        listCli.push(cpuOf('list', () => cli(berthEnv, ['list'])));
        help.push(cpuOf('help', () => cli(berthEnv, ['--help'])));
        bare.push(cpuOf('bare', nodeBare));
        listApi.push(await timeIt(() => client.rpc('ListInstances', { location: '' })));
      }
      figures.berth_list_cli_cpu_ms = cpu.list / o.runs;
      figures.berth_help_cli_cpu_ms = cpu.help / o.runs;
      figures.node_bare_cpu_ms = cpu.bare / o.runs;
      figures.berth_list_cli_ms = median(listCli);
      figures.berth_list_cli_min_ms = Math.min(...listCli);
      figures.berth_list_api_ms = median(listApi);
      figures.berth_help_cli_ms = median(help);
      figures.node_bare_start_ms = median(bare);
      figures.node_cli_start_ms = median(Array.from({ length: 5 }, () => cli(berthEnv, ['--version'])));
    } finally {
      client.close();
    }
  } finally {
    down();
  }
  const ratios = {
    launch_api_over_runc_floor: (figures.berth_launch_api_ms ?? NaN) / floor,
    launch_cli_over_runc_floor: (figures.berth_launch_cli_ms ?? NaN) / floor,
    lxd_over_launch_api: lxd ? lxd / (figures.berth_launch_api_ms ?? NaN) : null,
    list_cli_over_target_200ms: (figures.berth_list_cli_ms ?? NaN) / 200,
    list_cli_over_node_bare: (figures.berth_list_cli_ms ?? NaN) / (figures.node_bare_start_ms ?? NaN),
    list_cli_cpu_over_node_bare_cpu: (figures.berth_list_cli_cpu_ms ?? NaN) / (figures.node_bare_cpu_ms ?? NaN),
  };
  const rows: Array<[string, string]> = [
    ['runc run -d (floor), median ms', floor.toFixed(1)],
    ['LXD launch (single host), median ms', lxd === null ? 'not run' : lxd.toFixed(0)],
    ['berth launch on a 3-member cluster, API, median ms', (figures.berth_launch_api_ms ?? NaN).toFixed(0)],
    ['berth launch, CLI (Node start-up included), median ms', (figures.berth_launch_cli_ms ?? NaN).toFixed(0)],
    ['berth delete --force, API, median ms', (figures.berth_delete_force_api_ms ?? NaN).toFixed(0)],
    [`berth list with ${o.instances} instances (${o.members} member(s)), CLI wall, median ms`, (figures.berth_list_cli_ms ?? NaN).toFixed(0)],
    ['  the ListInstances call alone, median ms', (figures.berth_list_api_ms ?? NaN).toFixed(1)],
    ['  berth --help, median ms', (figures.berth_help_cli_ms ?? NaN).toFixed(0)],
    ['  berth --version, median ms', (figures.node_cli_start_ms ?? NaN).toFixed(0)],
    ['  node -e 0 (Node\'s own start-up), median ms', (figures.node_bare_start_ms ?? NaN).toFixed(0)],
    ['  CPU (user+sys), mean ms: berth list / --help / node -e 0', [figures.berth_list_cli_cpu_ms, figures.berth_help_cli_cpu_ms, figures.node_bare_cpu_ms].map((x) => (x ?? NaN).toFixed(0)).join(' / ')],
    ['  berth list / node -e 0: wall (medians), CPU (means)', `${ratios.list_cli_over_node_bare.toFixed(2)}, ${ratios.list_cli_cpu_over_node_bare_cpu.toFixed(2)}`],
    ['launch (API) / runc floor (target <= 2)', ratios.launch_api_over_runc_floor.toFixed(2)],
    ['LXD launch / berth launch (target > 1)', ratios.lxd_over_launch_api === null ? '-' : ratios.lxd_over_launch_api.toFixed(2)],
    ['berth list / 200 ms (target < 1)', ratios.list_cli_over_target_200ms.toFixed(2)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  console.log(JSON.stringify({ bench: 'cluster', date: new Date().toISOString(), host: { cores: os.cpus().length, loadavg: os.loadavg() }, config: { ...o, lxd: refJson.config?.lxd ?? null }, figures, ratios }));
}

main().catch((e: unknown) => {
  console.error(`bench:cluster failed: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
