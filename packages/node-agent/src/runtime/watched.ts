/**
 * Long-running tools of a live move (CRIU's page server, a lazy dump, the lazy-pages daemon):
 * each in its own process group, killed with berthd unless told otherwise.
 *
 * Contract:
 * - runWatched: `exit` resolves with how the tool ended (never rejects); `kill()` kills the
 *   whole group (runc and the CRIU it started), idempotent; `stdio` gives the pipes asked for.
 *   Killed with berthd through setpriv --pdeathsig (when the host has setpriv; Debian does).
 * - waitFor polls a condition until it holds, the tool exits or the time is up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { toolEnv } from '../host/paths';

/** util-linux's setpriv, when this host has it (Debian always does). */
export const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));

export interface ToolExit { code: number | null; signal: NodeJS.Signals | null; error?: string }

export interface Watched {
  pid: number;
  exit: Promise<ToolExit>;
  exited(): boolean;
  kill(): void;
  /** The child's stdio: stderr and fds 3 on are pipes where asked for. */
  stdio: ChildProcess['stdio'];
}

export interface WatchedOptions {
  env?: NodeJS.ProcessEnv;
  /** Passed as fd 3 on: a descriptor of ours, or 'pipe' for a new pipe (read it through `stdio`). */
  fds?: Array<number | 'pipe'>;
  /** 'pipe' to read the tool's stderr; else it goes nowhere. */
  stderr?: 'pipe';
  cwd?: string;
  /** Not killed with berthd (a daemon that must finish its work, or undo it, on its own). */
  outliveBerthd?: boolean;
}

export function runWatched(cmd: string, args: string[], opts: WatchedOptions = {}): Watched {
  const [c, a] = SETPRIV && !opts.outliveBerthd ? [SETPRIV, ['--pdeathsig', 'KILL', '--', cmd, ...args]] : [cmd, args];
  const child = spawn(c, a, { env: opts.env ?? toolEnv(), stdio: ['ignore', 'ignore', opts.stderr ?? 'ignore', ...(opts.fds ?? [])], detached: true, cwd: opts.cwd });
  let done = false;
  const exit = new Promise<ToolExit>((resolve) => {
    child.on('error', (e: NodeJS.ErrnoException) => { done = true; resolve({ code: null, signal: null, error: e.code ?? e.message }); });
    child.on('exit', (code, signal) => { done = true; resolve({ code, signal }); });
  });
  return {
    pid: child.pid ?? 0,
    exit,
    exited: () => done,
    stdio: child.stdio,
    kill: () => {
      if (done || !child.pid) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    },
  };
}

export function describeExit(r: ToolExit): string {
  return r.error ?? (r.signal ? `killed (${r.signal})` : `exit ${r.code}`);
}

/**
 * Waits until `test()` holds (polled), the watched tool exits, or `timeoutMs` passes. Polled
 * every millisecond for the first 300 ms, every 5 ms after: both waits (a lazy dump's status
 * byte, a lazy-pages daemon's socket) are inside a post-copy move's downtime, and usually
 * end within tens of milliseconds.
 */
export async function waitFor(test: () => boolean, tool: Watched, timeoutMs: number): Promise<'ok' | 'exited' | 'timeout'> {
  const start = Date.now();
  const until = start + timeoutMs;
  for (;;) {
    if (test()) return 'ok';
    if (tool.exited()) return test() ? 'ok' : 'exited';
    const now = Date.now();
    if (now > until) return 'timeout';
    await new Promise((r) => setTimeout(r, now - start < 300 ? 1 : 5));
  }
}
