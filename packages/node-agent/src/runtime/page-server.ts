/**
 * CRIU's page server, for a live move (design.md, "Memory to a CRIU page server"): the target
 * runs `criu page-server --tls` for ONE dump; the source's `runc checkpoint --page-server`
 * writes the memory pages into the target's images folder while it dumps, with a CRIU config
 * file naming the TLS files (runc passes no TLS options of its own; CRIU reads the file named
 * by CRIU_CONFIG_FILE in its RPC mode too).
 *
 * Contract:
 * - servePages resolves once the server listens (CRIU's status fd), with the port; `done`
 *   resolves when it exits 0 after a session, else rejects with the first error of its log;
 *   `stop()` kills it (idempotent). The log and work files stay out of the images folder.
 * - criuConfig writes a CRIU config file (criuTlsLines: the TLS part of a dump's) and answers its path.
 * - probePageServerTls: whether this host's CRIU speaks TLS (built with GnuTLS); never throws.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { InternalError } from '../errors';
import { criuTlsPacketLib } from '../host/paths';
import { criuToolEnv } from './criu-env';
import { describeExit, runWatched, type ToolExit } from './watched';

/** The TLS files CRIU uses: the cluster CA, this member's certificate and key (PEM). */
export interface CriuTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Where a dump sends its memory pages instead of its images folder. */
export interface PageServerTarget {
  address: string;
  port: number;
  tls: CriuTls;
  /** Check that the server's certificate names `address` (CRIU's default); else only the CA. */
  verifyName: boolean;
}

export interface PageServer {
  port: number;
  /** Resolves when the server exited 0 after its session; rejects naming CRIU's error. */
  done: Promise<void>;
  stop(): void;
}

/** Work folders of page servers (`<data dir>/.page-server-<move id>`) a berthd that died left: removed at start. */
export function sweepPageServers(dataDir: string): void {
  for (const n of fs.readdirSync(dataDir).filter((x) => x.startsWith('.page-server-'))) fs.rmSync(path.join(dataDir, n), { recursive: true, force: true });
}

/** A TCP port free on `address` now (the page server binds it a moment later). */
export async function freePort(address: string): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, address, () => resolve());
  });
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** The first errors of a CRIU log, without the ones this host always logs. */
export function criuLogErrors(logFile: string): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => /Error/.test(l) && !/RLIMIT_NOFILE|Unable to close fd/.test(l));
    return lines.slice(0, 3).map((l) => l.replace(/^\(\s*[\d.]+\)\s*/, '')).join(' | ');
  } catch {
    return '';
  }
}

/**
 * Runs `criu page-server` writing into `imagesDir` (which must exist), listening on `address`;
 * `workDir` (created, removed by stop()) holds its log. Without `tls`: plain TCP (the probe only).
 */
export async function servePages(imagesDir: string, workDir: string, opts: { address: string; tls?: CriuTls | undefined; criu?: string; readyTimeoutMs?: number }): Promise<PageServer> {
  await fsp.mkdir(workDir, { recursive: true, mode: 0o700 });
  const port = await freePort(opts.address);
  const log = path.join(workDir, 'page-server.log');
  // The client's certificate must come from the CA; its name cannot be checked (CRIU's server
  // would compare it with its own listening address), hence --tls-no-cn-verify here.
  const tls = opts.tls ? ['--tls', '--tls-cacert', opts.tls.caFile, '--tls-cert', opts.tls.certFile, '--tls-key', opts.tls.keyFile, '--tls-no-cn-verify'] : [];
  const args = ['page-server', '--images-dir', imagesDir, '--work-dir', workDir, '--address', opts.address, '--port', String(port), ...tls, '-o', log, '-v2', '--status-fd', '3'];
  // Killed with berthd: a server whose berthd died must not wait for a connection forever
  // (a restarted berthd also removes what such a server left: sweepPageServers).
  // With TLS, criu-tls-packet.so gives back each record once written (CRIU 4.1 keeps them all).
  const tool = runWatched(opts.criu ?? 'criu', args, { fds: ['pipe'], stderr: 'pipe', env: criuToolEnv(opts.tls ? [criuTlsPacketLib()] : []) });
  let stderr = '';
  (tool.stdio[2] as NodeJS.ReadableStream | null)?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const stop = (): void => {
    tool.kill();
    void tool.exit.then(() => fsp.rm(workDir, { recursive: true, force: true }));
  };
  const why = (r: ToolExit): string => `criu page-server ${describeExit(r)}: ${criuLogErrors(log) || stderr.trim().split('\n').pop() || 'no error logged'}`;
  // Ready: CRIU writes one byte to the status fd once it listens (or the fd closes as it exits).
  const ready = await new Promise<boolean>((resolve) => {
    const status = tool.stdio[3] as NodeJS.ReadableStream | null;
    const timer = setTimeout(() => resolve(false), opts.readyTimeoutMs ?? 10_000);
    status?.once('data', () => { clearTimeout(timer); resolve(true); });
    void tool.exit.then(() => { clearTimeout(timer); resolve(false); });
  });
  if (!ready) {
    const r = tool.exited() ? await tool.exit : { code: null, signal: null, error: 'not listening after 10 s' };
    stop();
    throw new InternalError(why(r));
  }
  const done = tool.exit.then((r) => {
    if (r.code !== 0) throw new InternalError(why(r));
  });
  done.catch(() => undefined);
  return { port, done, stop };
}

/** CRIU config lines for one dump to a page server over TLS (criuConfig writes them). */
export function criuTlsLines(t: PageServerTarget): string[] {
  return ['tls', `tls-cacert ${t.tls.caFile}`, `tls-cert ${t.tls.certFile}`, `tls-key ${t.tls.keyFile}`, ...(t.verifyName ? [] : ['tls-no-cn-verify'])];
}

/**
 * Writes a CRIU config file (read through CRIU_CONFIG_FILE, also in runc's RPC mode, where
 * runc's own options win) and answers its path.
 */
export async function criuConfig(file: string, lines: readonly string[]): Promise<string> {
  for (const l of lines) if (/[\s"']/.test(l.replace(/^\S+ /, ''))) throw new InternalError(`CRIU config: a value with spaces or quotes (${l})`);
  await fsp.writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

/**
 * Whether this host's CRIU speaks TLS: a page server with `--tls` and certificate files that
 * do not exist, on 127.0.0.1, gets one connection. Built with GnuTLS it logs a TLS error about
 * the files; without, "built without TLS support".
 */
export async function probePageServerTls(criu: string, scratch: string): Promise<{ supported: boolean; detail: string }> {
  const dir = await fsp.mkdtemp(path.join(scratch, 'berth-criu-ps-probe-'));
  try {
    const none = path.join(dir, 'absent');
    const ps = await servePages(dir, path.join(dir, 'work'), { address: '127.0.0.1', criu, tls: { caFile: none, certFile: none, keyFile: none }, readyTimeoutMs: 5_000 });
    try {
      await new Promise<void>((resolve) => {
        const s = net.connect(ps.port, '127.0.0.1', () => s.end());
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
      const said = await Promise.race([ps.done.then(() => 'exit 0', (e: Error) => e.message), new Promise<string>((r) => setTimeout(() => r('timeout'), 5_000).unref())]);
      if (/without TLS/i.test(said)) return { supported: false, detail: `criu page-server --tls: ${said}` };
      if (/tls:/.test(said)) return { supported: true, detail: 'criu page-server --tls: GnuTLS present (a certificate error was logged for the probe\'s absent files)' };
      return { supported: false, detail: `criu page-server --tls: unexpected: ${said}` };
    } finally {
      ps.stop();
    }
  } catch (e) {
    return { supported: false, detail: `criu page-server --tls: ${(e as Error).message}` };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
