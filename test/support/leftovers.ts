import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Everything a berth test makes on the host carries this mark in its name or path:
 * temp folders (/tmp/berth-test-*), network namespaces (berth-test-*), runc roots and
 * cgroups under those folders or names. That lets the suite's teardown find and remove
 * what a failed test left behind, and report it so the test gets fixed.
 */
export const TEST_MARK = 'berth-test';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? r.stdout : '';
}

export interface Leftover {
  kind: string;
  id: string;
  remove: () => void;
}

/** Finds what berth's tests left on this host. */
export function findLeftovers(): Leftover[] {
  const found: Leftover[] = [];
  const tmp = os.tmpdir();
  const tmpDirs = fs.readdirSync(tmp).filter((n) => n.startsWith(TEST_MARK)).map((n) => path.join(tmp, n));

  // Processes first: they hold mounts, namespaces and containers.
  for (const line of run('ps', ['-eo', 'pid=,args=']).split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m || Number(m[1]) === process.pid || !m[2]!.includes(`${tmp}/${TEST_MARK}`)) continue;
    if (/\b(ps|jest)\b/.test(m[2]!.split(' ')[0] ?? '')) continue;
    const pid = Number(m[1]);
    found.push({ kind: 'process', id: `${pid} ${m[2]!.slice(0, 120)}`, remove: () => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } });
  }
  for (const dir of tmpDirs) {
    for (const root of findRuncRoots(dir)) {
      for (const id of runcContainers(root)) {
        found.push({ kind: 'runc container', id: `${root}:${id}`, remove: () => { run('runc', ['--root', root, 'delete', '-f', id]); } });
      }
    }
  }
  for (const ns of run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(TEST_MARK))) {
    found.push({ kind: 'network namespace', id: ns, remove: () => { run('ip', ['netns', 'delete', ns]); } });
  }
  found.push(...mountsAndLoops(TEST_MARK));
  // Processes still in a test's cgroups (a container whose runc state went with its folder).
  const seen = new Set<number>();
  for (const cg of findTestCgroups()) {
    let pids: number[] = [];
    try {
      pids = fs.readFileSync(path.join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch { /* not readable */ }
    for (const pid of pids) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      found.push({ kind: 'process in a test cgroup', id: `${pid} (${cg})`, remove: () => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } });
    }
  }
  for (const cg of findTestCgroups()) found.push({ kind: 'cgroup', id: cg, remove: () => { try { fs.rmdirSync(cg); } catch { /* busy or gone */ } } });
  for (const dir of tmpDirs) found.push({ kind: 'temp folder', id: dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) });
  return found;
}

/**
 * Mounts whose mount point, and loop devices whose backing file, contain `mark` (deepest mount
 * first): for one test's own folder, pass that folder (`${dir}/`), so that nothing of another
 * suite running beside it is looked at.
 */
export function mountsAndLoops(mark: string): Leftover[] {
  const found: Leftover[] = [];
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '')
    .filter((mp) => mp.includes(mark)).sort((a, b) => b.length - a.length);
  for (const mp of mounts) found.push({ kind: 'mount', id: mp, remove: () => { run('umount', ['-l', mp]); } });
  for (const line of run('losetup', ['-a']).split('\n').filter((l) => l.includes(mark))) {
    const dev = line.split(':')[0] ?? '';
    found.push({ kind: 'loop device', id: line, remove: () => { run('losetup', ['-d', dev]); } });
  }
  return found;
}

/**
 * The containers of a runc root, read from its folders (each holds a state.json). Not `runc
 * list`: runc 1.1 makes its root, parents and all, when it is gone, so a leftover search run
 * by one suite while another removed its folder wrote that folder back (CI: local-cluster's
 * state folder "came back", berthd.test's "Directory not empty").
 */
export function runcContainers(root: string): string[] {
  try {
    return fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && fs.existsSync(path.join(root, e.name, 'state.json'))).map((e) => e.name);
  } catch {
    return [];
  }
}

function findRuncRoots(dir: string, depth = 0): string[] {
  if (depth > 3) return [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory()).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.name === 'runc' ? [p] : findRuncRoots(p, depth + 1);
  });
}

function findTestCgroups(): string[] {
  const out: string[] = [];
  const base = '/sys/fs/cgroup';
  let controllers: string[] = [];
  try {
    controllers = fs.readdirSync(base);
  } catch {
    return out;
  }
  // One walk: below a berth-test cgroup everything is taken (its containers' cgroups go
  // with it); elsewhere only the search for one goes on, to a bounded depth.
  const walk = (dir: string, depth: number, inTest: boolean): void => {
    if (!inTest && depth > 4) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      const test = inTest || e.name.includes(TEST_MARK);
      if (test) out.push(p);
      walk(p, depth + 1, test);
    }
  };
  for (const c of controllers) walk(path.join(base, c), 0, false);
  // Children before parents, so rmdir can succeed.
  return out.sort((a, b) => b.length - a.length);
}
