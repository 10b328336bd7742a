import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where deploy/setup-host puts what berth owns on a host: Debian 13's CRIU in a private
 * prefix (criu/) and a wrapper that runs it through its own loader (bin/criu).
 * BERTH_LIB_DIR overrides it (tests of setup-host use another folder).
 */
export function berthLibDir(): string {
  return process.env['BERTH_LIB_DIR'] ?? '/usr/local/lib/berth';
}

export function berthBinDir(): string {
  return path.join(berthLibDir(), 'bin');
}

/** One of berth's C helpers setup-host builds from deploy/ into lib/; undefined when this host has none. */
function builtHelper(file: string): string | undefined {
  const f = path.join(berthLibDir(), 'lib', file);
  return fs.existsSync(f) ? f : undefined;
}

/**
 * deploy/criu-tcp-push.c: preloaded into CRIU for a dump to a page server, whose client socket
 * otherwise ends every dump with the kernel's 200 ms cork timeout (without it: 0.2 s slower).
 */
export const criuTcpPushLib = (): string | undefined => builtHelper('criu-tcp-push.so');

/**
 * deploy/criu-pipe-clamp.c: preloaded into CRIU for a lazy dump (post-copy), whose page
 * server otherwise fails on its first page where nothing may hold CAP_SYS_RESOURCE (it asks
 * for a pipe above fs.pipe-max-size and ignores the refusal). Without it: no post-copy.
 */
export const criuPipeClampLib = (): string | undefined => builtHelper('criu-pipe-clamp.so');

/**
 * deploy/criu-late-freeze.c: preloaded into CRIU for a live move's dump, freezes the container
 * when CRIU is about to, not before runc starts (runtime/late-freeze.ts).
 */
export const criuLateFreezeLib = (): string | undefined => builtHelper('criu-late-freeze.so');

/**
 * deploy/criu-kdat-cache.c: preloaded into every CRIU berth runs, keeps CRIU's kernel-probe
 * cache on a tmpfs where /run is none (runtime/criu-env.ts). Without it: 30-40 ms per CRIU run.
 */
export const criuKdatCacheLib = (): string | undefined => builtHelper('criu-kdat-cache.so');

/**
 * deploy/criu-nft-unlock.c: preloaded into every CRIU berth runs (runtime/criu-env.ts): its
 * network lock's removal no longer waits 7-14 ms for the kernel's clean-up of the table.
 */
export const criuNftUnlockLib = (): string | undefined => builtHelper('criu-nft-unlock.so');

/**
 * deploy/criu-file-pool.c: preloaded into a live move's dump, whose CRIU then takes its image
 * files from a pool of empty files made before the freeze (host/file-pool.ts) instead of making
 * them while the instance is frozen (~0.35 ms each on this host's ext4).
 */
export const criuFilePoolLib = (): string | undefined => builtHelper('criu-file-pool.so');

/**
 * deploy/criu-tls-packet.c: preloaded into berth's `criu page-server --tls` (a stop-and-copy
 * move's target), which otherwise keeps every TLS record of the pages it received allocated
 * (CRIU 4.1's tls_recv_data_to_fd): ~0.4 GB held and ~0.15-0.25 s more frozen at 512 MB.
 */
export const criuTlsPacketLib = (): string | undefined => builtHelper('criu-tls-packet.so');

/**
 * deploy/criu-lazy-connect.c: preloaded into a post-copy restore's CRIU, whose connect to its
 * lazy-pages daemon then waits for the daemon's socket, so that both start together.
 */
export const criuLazyConnectLib = (): string | undefined => builtHelper('criu-lazy-connect.so');

/**
 * deploy/criu-tar.c, as `tar` in a folder of its own, first on the PATH of every CRIU berth
 * runs (runtime/criu-env.ts): CRIU's tar of an empty tmpfs made and unpacked without GNU tar.
 */
export const criuTarDir = (): string | undefined => {
  const tar = builtHelper('criu-bin/tar');
  return tar ? path.dirname(tar) : undefined;
};

/**
 * deploy/berth-timens-exec.c: run in an exec'd process to join its container init's time
 * namespace before the command (runtime/runc.ts).
 */
export const timensExecHelper = (): string | undefined => builtHelper('berth-timens-exec');

/** The system's usual root PATH, for daemons started from an environment without one. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment berth runs tools with: berth's bin folder first on PATH, because runc
 * execs `criu` from PATH and must find the CRIU that works on this kernel.
 */
export function toolEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const rest = base['PATH'] ?? DEFAULT_PATH;
  const bin = berthBinDir();
  const parts = [bin, ...rest.split(':').filter((p) => p && p !== bin)];
  return { ...base, PATH: parts.join(':') };
}

/**
 * The test-only migration fault hook: `<data dir>/BERTH_TEST_MIGRATION_FAULT` names one fault
 * (moves.ts: `dump`, `restore`; runtime/late-freeze.ts: `late-freeze-miss`). Never set outside tests.
 */
export function migrationTestFault(dataDir: string, what: 'dump' | 'restore' | 'late-freeze-miss'): boolean {
  try {
    return fs.readFileSync(path.join(dataDir, 'BERTH_TEST_MIGRATION_FAULT'), 'utf8').trim() === what;
  } catch {
    return false;
  }
}
