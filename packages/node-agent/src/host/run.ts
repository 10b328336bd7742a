import { spawn } from 'node:child_process';
import { toolEnv } from './paths';

/** What one run of an external tool gave. `error` is set when it could not be started or timed out. */
export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ENOENT (not installed), 'timeout', or another spawn error code. */
  error?: string;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a tool with berth's PATH (berth's private bin folder first, so its CRIU wins)
 * and collects its output. Never throws: callers decide what a failure means.
 */
export function runTool(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let error: string | undefined;
    let settled = false;
    const child = spawn(cmd, args, { env: opts.env ?? toolEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      error = 'timeout';
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 15_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.stdin.on('error', () => { /* tool exited before reading its input */ });
    child.stdin.end(opts.input ?? '');
    const finish = (r: ToolResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish({ code: null, signal: null, stdout, stderr, error: e.code ?? e.message });
    });
    child.on('close', (code, signal) => {
      finish(error === undefined ? { code, signal, stdout, stderr } : { code, signal, stdout, stderr, error });
    });
  });
}

/** One line saying how a run ended, for reports and error messages. */
export function describeResult(cmd: string, r: ToolResult): string {
  if (r.error === 'ENOENT') return `${cmd}: not found`;
  if (r.error) return `${cmd}: ${r.error}`;
  const out = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-1)[0] ?? '';
  return r.code === 0 ? `${cmd}: ok` : `${cmd}: exit ${r.code ?? r.signal}${out ? `: ${out}` : ''}`;
}
