import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const packageDir = (name: string): string => path.dirname(require.resolve(`${name}/package.json`));
export const BERTHD = path.join(packageDir('@berth/node-agent'), 'dist', 'bin', 'berthd.js');
export const BERTH = path.join(packageDir('@berth/cli'), 'dist', 'bin', 'berth.js');

/** A temp folder whose name marks it as berth's test debris, removed by the returned function. */
export function tempDir(label: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `berth-test-${label}-`));
  // (Retried, up to ~10 s: a folder written back during the removal makes its final rmdir fail
  // with ENOTEMPTY. Seen in CI; the writer found was another suite's leftover search running
  // `runc list` on this folder's runc root, which runc 1.1 makes again: fixed in leftovers.ts.)
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 50, retryDelay: 200 }) };
}

export interface RunningBerthd {
  proc: ChildProcess;
  dataDir: string;
  output: () => string;
  /**
   * Waits until the output matches (a line printed after "serving on" may arrive in a later
   * chunk of the pipe than the line the start waited for) and returns the match.
   */
  waitForOutput: (re: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
  /** Sends SIGTERM and waits for the exit; SIGKILL after the timeout. */
  stop: (timeoutMs?: number) => Promise<number | null>;
}

/** Starts a real berthd process and waits until its socket answers. */
export async function startBerthd(dataDir: string, timeoutMs = 20_000, args: string[] = []): Promise<RunningBerthd> {
  const proc = spawn(process.execPath, [BERTHD, '--data-dir', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const stop = async (ms = 10_000): Promise<number | null> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const deadline = Date.now() + timeoutMs;
  while (!/serving on/.test(out)) {
    if (proc.exitCode !== null) throw new Error(`berthd exited ${proc.exitCode} before serving:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`berthd did not serve within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const waitForOutput = async (re: RegExp, ms = 10_000): Promise<RegExpExecArray> => {
    const until = Date.now() + ms;
    for (;;) {
      const m = re.exec(out);
      if (m) return m;
      if (proc.exitCode !== null || Date.now() > until) throw new Error(`berthd never printed ${String(re)}:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { proc, dataDir, output: () => out, waitForOutput, stop };
}

/** Runs the berth CLI against a data folder's daemon. */
export function berth(dataDir: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BERTH, ...args], { encoding: 'utf8', env: { ...process.env, BERTH_DIR: dataDir }, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * Removes a per-agent cgroup parent (berthd uses /berth-<basename of its data folder>) from
 * every hierarchy, children first; a cgroup a container just left may take a moment to empty.
 */
export async function removeCgroupParent(dataDir: string): Promise<void> {
  const name = `berth-${path.basename(dataDir)}`;
  const remove = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) remove(path.join(dir, e.name));
    fs.rmdirSync(dir);
  };
  for (const c of fs.readdirSync('/sys/fs/cgroup')) {
    const dir = path.join('/sys/fs/cgroup', c, name);
    for (let attempt = 0; attempt < 20 && fs.existsSync(dir); attempt++) {
      try {
        remove(dir);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/**
 * Leaves nothing of a single-host berthd test: its instances deleted through the daemon (they
 * outlive it by design), the daemon stopped, whatever runc still holds deleted, the cgroup
 * parent and the folder removed.
 */
export async function cleanUpSingleHost(tmp: { dir: string; remove: () => void }, daemon: RunningBerthd | undefined): Promise<void> {
  if (daemon && daemon.proc.exitCode === null) {
    const list = berth(tmp.dir, ['list', '--format', 'json']);
    for (const i of (JSON.parse(list.out || '[]') as Array<{ name: string }>)) berth(tmp.dir, ['delete', i.name, '--force']);
  }
  await daemon?.stop();
  const root = path.join(tmp.dir, 'runc');
  for (const id of spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? []) {
    spawnSync('runc', ['--root', root, 'delete', '-f', id]);
  }
  await removeCgroupParent(tmp.dir);
  tmp.remove();
}
