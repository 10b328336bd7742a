#!/usr/bin/env node
/**
 * npm run bench:migration — live moves of a running container, in one run on this host:
 *
 * 1. The floor, by hand: a busybox container (made by berth on member1, stateful, holding
 *    SIZE MB in a shell variable, a counter process appending "i mtime" to a file every
 *    10 ms) is checkpointed with `runc checkpoint` (CRIU 4.1.1 through berth's wrapper), the
 *    image files copied (`cp -a`), and restored with `runc restore -d` into another runc root
 *    from a copy of its bundle (a move, minus the network). Downtime = the counter's gap.
 *    With post-copy (below): its floor by hand too, `runc checkpoint --lazy-pages`, `criu
 *    lazy-pages` and `runc restore --lazy-pages` (lazyByHand), CRIU's fixed costs alone.
 * 2. berth: the same container moved with `berth move NAME --target member2` on a 2-member
 *    cluster (test/support/berth-cluster.ts: each berthd in its own network namespace on a
 *    bridge with no uplink; build the tests first), for each technique this machine allows
 *    (stop-and-copy; post-copy when both members report criu-lazy-pages; pre-copy needs
 *    soft-dirty tracking, which this kernel lacks): downtime (the counter's gap, read from the
 *    file on the target), total (the CLI's wall time: for post-copy until every page arrived),
 *    and where the downtime went (berthd's own line on its stderr).
 *
 *   npm run bench:migration -- [--sizes 64,512] [--trials 3]
 *
 * Output: progress on stderr; a table, then one JSON line (the last line) on stdout.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { criuKdatCacheLib, criuKdatFile } from '@berth/node-agent';
import { median } from './common';

const REPO = path.resolve(__dirname, '..', '..');
const CLUSTER_JS = path.join(REPO, 'test/dist/support/berth-cluster.js');
/** berth's CRIU wrapper first on runc's PATH, as berthd runs it (deploy/setup-host). */
const TOOL_PATH = `/usr/local/lib/berth/bin:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
/**
 * CRIU's kernel-probe cache, which CRIU keeps by itself on a host whose /run is a tmpfs and
 * berth gives its CRIUs here (deploy/criu-kdat-cache.c, /dev/shm/berth-criu): the floors'
 * CRIUs get it too, so that neither side pays CRIU's 30-40 ms probe per run.
 */
function floorEnv(preload: string[] = []): NodeJS.ProcessEnv {
  const lib = criuKdatCacheLib();
  const file = lib ? criuKdatFile() : undefined;
  const libs = [...(file ? [lib!] : []), ...preload];
  return { ...process.env, PATH: TOOL_PATH, ...(file ? { BERTH_CRIU_KDAT: file } : {}), ...(libs.length ? { LD_PRELOAD: libs.join(' ') } : {}) };
}

interface Options { sizes: number[]; trials: number }

/** The part of test/support/berth-cluster.ts used here (loaded at run time from test/dist). */
interface Cluster {
  dir(i: number): string;
  berth(i: number, args: string[], timeoutMs?: number): { code: number | null; out: string; err: string };
  form(n: number): Promise<void>;
  destroy(): Promise<void>;
  procs: Map<number, { output(): string }>;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: [64, 512], trials: 3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => { const x = argv[++i]; if (x === undefined) throw new Error(`${a} needs a value`); return x; };
    switch (a) {
      case '--sizes': o.sizes = v().split(',').map(Number); break;
      case '--trials': o.trials = Number(v()); break;
      default: throw new Error(`unknown option ${a} (see the header of bench/migration.ts)`);
    }
  }
  if (o.sizes.some((s) => !(s > 0)) || !(o.trials > 0)) throw new Error('--sizes and --trials take positive numbers');
  return o;
}

function log(s: string): void { process.stderr.write(`${s}\n`); }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 600_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Post-copy by hand, on loopback without TLS: runc pause, `runc checkpoint --lazy-pages
 * --leave-running --page-server` (CRIU with berth's pipe clamp, deploy/criu-pipe-clamp.c),
 * the images copied into `root-NAME`'s neighbours, `criu lazy-pages` started, and `runc
 * restore --lazy-pages` into another runc root (vm.unprivileged_userfaultfd 1 around it, as
 * berthd does). CRIU's network lock through nftables on both sides, as berth uses it. Answers
 * the steps' times (s); returns once every page arrived.
 */
async function lazyByHand(name: string, root1: string, bundleSrc: string, scratch: string): Promise<{ pause: number; dump: number; copy: number; daemon: number; restore: number }> {
  const root2 = path.join(scratch, `root-${name}`);
  const images = path.join(scratch, `img-${name}`);
  const copy = path.join(scratch, `copy-${name}`);
  const bundle = path.join(scratch, `bundle-${name}`);
  const conf = path.join(scratch, `criu-${name}.conf`);
  const status = path.join(scratch, `status-${name}`);
  const clamp = '/usr/local/lib/berth/lib/criu-pipe-clamp.so';
  if (!fs.existsSync(clamp)) throw new Error(`${clamp} is missing: run deploy/setup-host`);
  const env = floorEnv();
  run('cp', ['-a', bundleSrc, bundle]);
  fs.mkdirSync(images);
  fs.mkdirSync(`${copy}.work`, { recursive: true });
  fs.writeFileSync(conf, 'network-lock nftables\n');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const ends = (child: ReturnType<typeof spawn>): Promise<number | null> => new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const until = async (test: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`post-copy floor: ${what} not within 60 s`);
      await sleep(2);
    }
  };
  const children: Array<ReturnType<typeof spawn>> = [];
  try {
    const pause = timed(() => run('runc', ['--root', root1, 'pause', name], env));
    const t0 = performance.now();
    const fd = fs.openSync(status, 'a');
    const dumper = spawn('runc', ['--root', root1, 'checkpoint', '--lazy-pages', '--leave-running', '--page-server', `127.0.0.1:${port}`, '--status-fd', '3',
      '--image-path', images, '--work-path', `${images}.work`, name], { env: { ...floorEnv([clamp]), CRIU_CONFIG_FILE: conf }, stdio: ['ignore', 'ignore', 'ignore', fd] });
    fs.closeSync(fd);
    children.push(dumper);
    const dumped = ends(dumper);
    await until(() => fs.statSync(status).size > 0, 'the lazy dump');
    const dump = (performance.now() - t0) / 1000;
    const cp = timed(() => {
      run('cp', ['-a', images, copy]);
      run('chown', ['-R', '1000000:1000000', copy]);
      run('chmod', ['-R', 'a+rX', copy]);
    });
    const t1 = performance.now();
    const daemon = spawn('criu', ['lazy-pages', '--page-server', '--address', '127.0.0.1', '--port', String(port), '--images-dir', copy, '--work-dir', `${copy}.work`], { env, stdio: 'ignore' });
    children.push(daemon);
    const pulled = ends(daemon);
    await until(() => fs.existsSync(path.join(`${copy}.work`, 'lazy-pages.socket')), 'the lazy-pages daemon');
    const up = (performance.now() - t1) / 1000;
    const uffd = '/proc/sys/vm/unprivileged_userfaultfd';
    const was = fs.readFileSync(uffd, 'utf8').trim();
    let restore = 0;
    fs.writeFileSync(uffd, '1');
    try {
      restore = timed(() => run('runc', ['--root', root2, 'restore', '--detach', '--lazy-pages', '--image-path', copy, '--work-path', `${copy}.work`, '--bundle', bundle, name], { ...env, CRIU_CONFIG_FILE: conf }));
    } finally {
      fs.writeFileSync(uffd, was);
    }
    if (await pulled !== 0) throw new Error('post-copy floor: criu lazy-pages failed');
    if (await dumped !== 0) throw new Error('post-copy floor: the lazy dump failed');
    return { pause, dump, copy: cp, daemon: up, restore };
  } catch (e) {
    for (const ch of children) if (ch.exitCode === null) ch.kill('SIGKILL');
    throw e;
  } finally {
    for (const p of [images, copy, bundle, `${images}.work`, `${copy}.work`, conf, status]) fs.rmSync(p, { recursive: true, force: true });
  }
}

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

const COUNTER = '(i=0; while :; do i=$((i+1)); echo "$i $(stat -c %y /root/counter 2>/dev/null)" >> /root/counter; sleep 0.01; done) </dev/null >/dev/null 2>&1 &';
const holder = (mb: number): string => `(x=$(head -c ${mb * 1024 * 1024} /dev/zero | tr '\\0' x); touch /root/held; while :; do sleep 3600; done) </dev/null >/dev/null 2>&1 &`;

/** The counter's longest gap (s) in a volume's file, checking it never went back. */
function gapOf(volume: string): number {
  // "i mtime": the wall clock (the restored processes' monotonic clocks are CRIU's time namespace's).
  const rows = fs.readFileSync(path.join(volume, 'root', 'counter'), 'utf8').trim().split('\n').slice(1).map((l) => {
    const [n, date, time] = l.split(' ');
    return [Number(n), Date.parse(`${date}T${(time ?? '').slice(0, 12)}Z`) / 1000];
  });
  let gap = 0;
  for (let k = 1; k < rows.length; k++) {
    if (rows[k]![0] !== rows[k - 1]![0]! + 1) throw new Error(`the counter went from ${rows[k - 1]![0]} to ${rows[k]![0]}: the processes restarted`);
    gap = Math.max(gap, rows[k]![1]! - rows[k - 1]![1]!);
  }
  return gap;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(CLUSTER_JS)) throw new Error(`${CLUSTER_JS} is missing: run npx tsc --build`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BerthCluster } = require(CLUSTER_JS) as { BerthCluster: { create(n: number, label: string): Cluster } };
  const c = BerthCluster.create(2, 'benchmig');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-benchmig-floor-'));
  let downed = false;
  const down = async (): Promise<void> => {
    if (downed) return;
    downed = true;
    for (const n of fs.readdirSync(scratch).filter((x) => x.startsWith('root-'))) {
      const root = path.join(scratch, n);
      for (const id of spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) spawnSync('runc', ['--root', root, 'delete', '--force', id]);
    }
    fs.rmSync(scratch, { recursive: true, force: true });
    await c.destroy();
  };
  process.on('SIGINT', () => { void down().finally(() => process.exit(130)); });
  const m = (i: number): string => c.dir(i);
  const berth = (args: string[], on = 1): string => {
    const r = c.berth(on, args, 600_000);
    if (r.code !== 0) throw new Error(`berth ${args.join(' ')}: ${r.err}${r.out}`);
    return r.out;
  };
  const volume = (i: number, name: string): string => path.join(m(i), 'storage', 'default', 'volumes', name);
  const figures: Record<string, number | string | null> = {};
  const table: string[][] = [['size', 'technique', 'downtime s', 'total s', 'downtime / floor', 'breakdown']];
  try {
    log('cluster: 2 members on test hosts');
    await c.form(2);
    const caps = JSON.parse(berth(['cluster', 'list', '--format', 'json'])) as Array<{ server_name: string; capabilities: string[] }>;
    const both = (f: string): boolean => caps.every((c) => c.capabilities.includes(f));
    const techniques = ['stop-and-copy', ...(both('criu-lazy-pages') ? ['post-copy'] : [])];
    figures['pre_copy'] = both('criu-dirty-tracking') ? 'not built' : 'impossible here (no mem_dirty_track)';
    if (!both('criu-lazy-pages')) figures['post_copy'] = 'impossible here (lazy pages unusable: see berth cluster list capabilities)';

    /** A running stateful instance on member1 holding `mb` MB, its counter going. */
    const prepare = async (name: string, mb: number): Promise<void> => {
      berth(['launch', 'busybox', name, '--target', 'member1', '-c', 'migration.stateful=true']);
      berth(['exec', name, '--', 'sh', '-c', holder(mb)]);
      berth(['exec', name, '--', 'sh', '-c', COUNTER]);
      const deadline = Date.now() + 300_000;
      while (!fs.existsSync(path.join(volume(1, name), 'root', 'held'))) {
        if (Date.now() > deadline) throw new Error(`${name} did not fill ${mb} MB`);
        await sleep(200);
      }
      await sleep(1000);
    };

    for (const mb of o.sizes) {
      // ---- the floor, by hand
      const floor: Array<{ down: number; checkpoint: number; copy: number; restore: number; imageMb: number }> = [];
      for (let t = 0; t < o.trials; t++) {
        const name = `floor${mb}x${t}`;
        log(`floor ${mb} MB, trial ${t + 1}`);
        await prepare(name, mb);
        const root1 = path.join(m(1), 'runc');
        const root2 = path.join(scratch, `root-${name}`);
        const images = path.join(scratch, `img-${name}`);
        const copy = path.join(scratch, `copy-${name}`);
        const bundle = path.join(scratch, `bundle-${name}`);
        const toolEnv = floorEnv();
        run('cp', ['-a', path.join(m(1), 'bundles', name), bundle]);
        const checkpoint = timed(() => run('runc', ['--root', root1, 'checkpoint', '--image-path', images, '--work-path', `${images}.work`, name], toolEnv));
        // Copied, then made readable by the container's root (CRIU restores from inside its user
        // namespace), as berth does with its images.
        const cp = timed(() => {
          run('cp', ['-a', images, copy]);
          run('chown', ['-R', '1000000:1000000', copy]);
          run('chmod', ['-R', 'a+rX', copy]);
        });
        let restore = 0;
        try {
          restore = timed(() => run('runc', ['--root', root2, 'restore', '--detach', '--image-path', copy, '--work-path', `${copy}.work`, '--bundle', bundle, name], toolEnv));
        } catch (e) {
          const tail = fs.readFileSync(path.join(`${copy}.work`, 'restore.log'), 'utf8').split('\n').filter((l) => /Error/.test(l)).slice(0, 5).join('\n');
          throw new Error(`the floor's restore failed: ${tail || (e as Error).message.slice(0, 400)}`);
        }
        await sleep(500);
        const imageMb = Number(run('du', ['-sm', images]).split('\t')[0]);
        floor.push({ down: gapOf(volume(1, name)), checkpoint, copy: cp, restore, imageMb });
        run('runc', ['--root', root2, 'delete', '--force', name]);
        berth(['delete', name, '--force']);
        for (const p of [images, copy, bundle, root2, `${images}.work`, `${copy}.work`]) fs.rmSync(p, { recursive: true, force: true });
      }
      const floorDown = median(floor.map((f) => f.down));
      const floorSum = median(floor.map((f) => f.checkpoint + f.copy + f.restore));
      figures[`floor_${mb}mb_downtime_s`] = r3(floorDown);
      figures[`floor_${mb}mb_downtimes_s`] = floor.map((f) => r3(f.down)).join(' ');
      figures[`floor_${mb}mb_checkpoint_s`] = r3(median(floor.map((f) => f.checkpoint)));
      figures[`floor_${mb}mb_copy_s`] = r3(median(floor.map((f) => f.copy)));
      figures[`floor_${mb}mb_restore_s`] = r3(median(floor.map((f) => f.restore)));
      figures[`floor_${mb}mb_image_mb`] = median(floor.map((f) => f.imageMb));
      table.push([`${mb} MB`, 'floor (runc + CRIU by hand)', floorDown.toFixed(3), floorSum.toFixed(3), '1.00', `checkpoint ${figures[`floor_${mb}mb_checkpoint_s`]} + cp ${figures[`floor_${mb}mb_copy_s`]} + restore ${figures[`floor_${mb}mb_restore_s`]} s`]);

      // ---- post-copy's floor, by hand: what runc + CRIU's lazy pages cost with nothing of berth's
      if (techniques.includes('post-copy')) {
        const lazy: Array<{ down: number; pause: number; dump: number; copy: number; daemon: number; restore: number }> = [];
        for (let t = 0; t < o.trials; t++) {
          const name = `lfloor${mb}x${t}`;
          log(`post-copy floor ${mb} MB, trial ${t + 1}`);
          await prepare(name, mb);
          lazy.push({ ...await lazyByHand(name, path.join(m(1), 'runc'), path.join(m(1), 'bundles', name), scratch), down: 0 });
          await sleep(500);
          lazy[lazy.length - 1]!.down = gapOf(volume(1, name));
          spawnSync('runc', ['--root', path.join(scratch, `root-${name}`), 'delete', '--force', name]);
          berth(['delete', name, '--force']);
        }
        const key = `post_copy_floor_${mb}mb`;
        const med = (k: keyof typeof lazy[number]): number => r3(median(lazy.map((x) => x[k])));
        figures[`${key}_downtime_s`] = med('down');
        figures[`${key}_downtimes_s`] = lazy.map((x) => r3(x.down)).join(' ');
        figures[`${key}_downtime_over_floor`] = r3(median(lazy.map((x) => x.down)) / floorDown);
        for (const k of ['pause', 'dump', 'copy', 'daemon', 'restore'] as const) figures[`${key}_${k}_s`] = med(k);
        table.push([`${mb} MB`, 'post-copy floor (runc + CRIU lazy by hand)', med('down').toFixed(3), '', String(figures[`${key}_downtime_over_floor`]),
          `pause ${med('pause')} + lazy dump ${med('dump')} + cp ${med('copy')} + lazy daemon up ${med('daemon')} + restore ${med('restore')} s (nftables lock, no TLS)`]);
      }

      // ---- berth, each technique
      for (const tech of techniques) {
        const runs: Array<{ down: number; total: number; line: string }> = [];
        for (let t = 0; t < o.trials; t++) {
          const name = `${tech === 'post-copy' ? 'pc' : 'mv'}${mb}x${t}`;
          log(`berth move --mode ${tech}, ${mb} MB, trial ${t + 1}`);
          await prepare(name, mb);
          const total = timed(() => berth(['move', name, '--target', 'member2', '--mode', tech]));
          await sleep(500);
          const logText = c.procs.get(1)?.output() ?? '';
          const line = [...logText.matchAll(new RegExp(`live move ${name} to member2[^:]*: (.*)`, 'g'))].map((x) => x[1]).join('; ');
          runs.push({ down: gapOf(volume(2, name)), total, line });
          berth(['delete', name, '--force']);
        }
        const down = median(runs.map((r) => r.down));
        const key = `${tech.replace(/-/g, '_')}_${mb}mb`;
        figures[`${key}_downtime_s`] = r3(down);
        figures[`${key}_downtimes_s`] = runs.map((r) => r3(r.down)).join(' ');
        figures[`${key}_total_s`] = r3(median(runs.map((r) => r.total)));
        figures[`${key}_downtime_over_floor`] = r3(down / floorDown);
        figures[`${key}_breakdown`] = runs.map((r) => r.line).join(' | ');
        table.push([`${mb} MB`, `berth ${tech}`, down.toFixed(3), String(figures[`${key}_total_s`]), (down / floorDown).toFixed(2), runs[0]?.line ?? '']);
      }
    }
  } finally {
    await down();
  }
  const widths = table[0]!.map((_, k) => Math.max(...table.map((r) => r[k]!.length)));
  for (const r of table) console.log(r.map((c, k) => c.padEnd(widths[k]!)).join('  '));
  console.log(JSON.stringify({ bench: 'migration', date: new Date().toISOString(), host: { cores: os.cpus().length, loadavg: os.loadavg() }, config: o, figures }));
}

main().catch((e: unknown) => {
  log(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exit(1);
});
