/**
 * Post-copy's CRIU parts (design.md, "Post-copy"): the source's lazy dump serves the memory
 * pages from its own page server after the dump; the target's `criu lazy-pages` daemon pulls
 * them (on fault, then the rest in the background) into the processes `runc restore
 * --lazy-pages` made, through userfaultfd.
 *
 * Contract:
 * - startLazyDaemon resolves once the daemon runs; its `ready` once the daemon's socket is there
 *   for the restore (else rejects naming CRIU's error; the daemon is killed); `pulled`
 *   resolves when it exits 0 (every page arrived), else rejects with its first error. A
 *   restore may start before `ready` only with criu-lazy-connect.so preloaded (its connect
 *   waits for the socket while the daemon's watchdog lives).
 * - withUffdWindow: for a restore whose processes open their userfaultfd inside a user
 *   namespace, on a host where vm.unprivileged_userfaultfd is 0 (the kernel then refuses them):
 *   1 only while `fn` runs, one window at a time per berthd, and 0 again even when fn fails.
 *   A marker file says a window is open; a berthd that died with one open closes it when it
 *   starts again (closeStaleUffdWindow). Turned off with BERTH_UFFD_WINDOW=0 (then post-copy
 *   of such containers is not offered: capabilities).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InternalError } from '../errors';
import { criuToolEnv } from './criu-env';
import { criuLogErrors } from './page-server';
import type { PageServerTarget } from './page-server';
import { describeExit, runWatched, waitFor, type ToolExit } from './watched';


export interface LazyDaemon {
  /** Resolves once its socket is there for a restore; rejects (it exited, or 10 s passed) naming why. */
  ready: Promise<void>;
  /** The pid of the daemon's watchdog shell: gone once the daemon and its onFail are. */
  pid: number;
  /** Resolves when every page arrived (the daemon exited 0); rejects naming CRIU's error. */
  pulled: Promise<void>;
  kill(): void;
}

/** The name CRIU's restore connects to, in its work folder, for its lazy-pages daemon. */
export const LAZY_SOCKET = 'lazy-pages.socket';

/**
 * `criu lazy-pages` for a restore from `imageDir`, pulling from the source's lazy page server
 * over TLS (the client's side: it checks the server's certificate against the cluster CA, and
 * its name unless verifyName is false). Its socket and log are in `workDir`, which the restore
 * must use as its own work path.
 *
 * A restored process whose daemon is gone does not fault: the pages that had not come read
 * as zeros (measured: it runs on, its memory silently wrong). So the daemon runs under a
 * shell that runs `onFail` (kill the container) the moment it exits non-zero, and neither
 * dies with berthd: a berthd killed mid-pull leaves the pull going, or the container killed.
 */
export async function startLazyDaemon(imageDir: string, workDir: string, from: PageServerTarget, onFail: string[]): Promise<LazyDaemon> {
  await fsp.mkdir(workDir, { recursive: true, mode: 0o700 });
  const log = path.join(workDir, 'lazy-pages.log');
  const tls = ['--tls', '--tls-cacert', from.tls.caFile, '--tls-cert', from.tls.certFile, '--tls-key', from.tls.keyFile, ...(from.verifyName ? [] : ['--tls-no-cn-verify'])];
  const criu = ['criu', 'lazy-pages', '--page-server', '--address', from.address, '--port', String(from.port), ...tls,
    '--images-dir', imageDir, '--work-dir', workDir, '-o', log, '-v2'];
  const script = `${criu.map(shellQuote).join(' ')}; rc=$?; [ $rc -eq 0 ] || ${onFail.map(shellQuote).join(' ')} >/dev/null 2>&1; exit $rc`;
  const tool = runWatched('/bin/sh', ['-c', script], { outliveBerthd: true, env: criuToolEnv() });
  const why = (r: ToolExit): string => `criu lazy-pages ${describeExit(r)}: ${criuLogErrors(log) || 'no error logged'}`;
  const ready = waitFor(() => fs.existsSync(path.join(workDir, LAZY_SOCKET)), tool, 10_000).then(async (got) => {
    if (got === 'ok') return;
    tool.kill();
    throw new InternalError(got === 'timeout' ? 'criu lazy-pages: no socket after 10 s' : why(await tool.exit));
  });
  ready.catch(() => undefined);
  const pulled = tool.exit.then((r) => {
    if (r.code !== 0) throw new InternalError(why(r));
  });
  pulled.catch(() => undefined);
  return { ready, pid: tool.pid, pulled, kill: () => tool.kill() };
}

/**
 * Removes a lazy restore's work folder. CRIU's restore mounts its cgroup yard in it
 * (`.criu.cgyard.*`) and unmounts it only as it ends, which a failed pull can race: such a
 * mount is detached (umount -l) and the removal tried again for up to 5 s. Never throws.
 */
export async function removeRestoreWork(dir: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    unmountYards(dir);
    try {
      await fsp.rm(dir, { recursive: true, force: true });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  process.stderr.write(`lazy restore: could not remove ${dir}\n`);
}

/** Detaches (umount -l) the cgroup yards CRIU mounted in a restore's work folder. */
function unmountYards(dir: string): void {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names.filter((x) => x.startsWith('.criu.cgyard.'))) spawnSync('umount', ['-l', path.join(dir, n)], { stdio: 'ignore' });
}

/** At start: the work folders lazy restores of a berthd that died left (their daemons ended with them or on their own). */
export function sweepRestoreWork(parent: string): void {
  for (const n of fs.existsSync(parent) ? fs.readdirSync(parent) : []) {
    const dir = path.join(parent, n);
    unmountYards(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A lazy dump's process group (runc and the CRIU it started: CRIU outlives a runc killed with
 * berthd, and goes on serving, then freezes the processes again as it found them) is written
 * to `file`; a berthd that comes back kills what is left of that group before it thaws the
 * dump (reapGroup). Only processes of that group that are runc or CRIU are killed (a process
 * group id can be reused).
 */
export function recordGroup(file: string, pgid: number): void {
  fs.writeFileSync(file, `${pgid}\n`);
}

export function reapGroup(file: string): void {
  let pgid = 0;
  try {
    pgid = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return;
  }
  if (pgid > 1) {
    for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) !== pgid) continue;
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (/criu|runc/.test(cmd)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  fs.rmSync(file, { force: true });
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const UFFD_SYSCTL = '/proc/sys/vm/unprivileged_userfaultfd';
let uffdChain: Promise<unknown> = Promise.resolve();

/** Whether berthd may open a userfaultfd window (BERTH_UFFD_WINDOW=0 forbids it). */
export function uffdWindowAllowed(): boolean {
  return process.env['BERTH_UFFD_WINDOW'] !== '0';
}

function readSysctl(): string {
  try {
    return fs.readFileSync(UFFD_SYSCTL, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Runs `fn` with vm.unprivileged_userfaultfd=1 when it is 0 (see the contract); `marker`: a file path of this berthd's. */
export function withUffdWindow<T>(marker: string, fn: () => Promise<T>): Promise<T> {
  const run = uffdChain.then(async () => {
    if (readSysctl() !== '0') return fn();
    if (!uffdWindowAllowed()) throw new InternalError('vm.unprivileged_userfaultfd is 0 and BERTH_UFFD_WINDOW=0 forbids opening it for a post-copy restore');
    await fsp.writeFile(marker, `${process.pid}\n`);
    fs.writeFileSync(UFFD_SYSCTL, '1');
    try {
      return await fn();
    } finally {
      fs.writeFileSync(UFFD_SYSCTL, '0');
      await fsp.rm(marker, { force: true });
    }
  });
  uffdChain = run.catch(() => undefined);
  return run;
}

/** At start: a window a dead berthd left open (its marker is there) is closed. */
export function closeStaleUffdWindow(marker: string): void {
  if (!fs.existsSync(marker)) return;
  try {
    fs.writeFileSync(UFFD_SYSCTL, '0');
  } finally {
    fs.rmSync(marker, { force: true });
  }
}
