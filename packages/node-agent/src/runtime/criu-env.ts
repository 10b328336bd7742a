/**
 * The environment of every CRIU berth runs, through runc or directly (dumps, restores, page
 * servers, lazy-pages daemons, `criu check`): toolEnv() and the helpers preloaded into CRIU.
 *
 * CRIU runs `tar` from its PATH for the content of every tmpfs of a container: where setup-host
 * built it, deploy/criu-tar.c comes first (an empty tmpfs's archive made and unpacked in process).
 *
 * Always, where setup-host built it: deploy/criu-kdat-cache.c, with BERTH_CRIU_KDAT naming
 * CRIU's kernel-probe cache in a root-only folder on a tmpfs (/dev/shm/berth-criu). CRIU probes
 * the kernel at every start (30-40 ms here: a restore's and a lazy-pages daemon's count inside
 * a live move's downtime) unless it finds that cache, which it keeps only on a tmpfs: in
 * /run/criu.kdat, and /run is no tmpfs on this host. The folder must be a real directory owned
 * by this user with no access for others (another user could otherwise plant a cache for
 * CRIU, which runs as root, to load); else no cache is used and CRIU probes each time.
 *
 * With the cache's folder: GNUTLS_SYSTEM_PRIORITY_FILE naming criu-gnutls.conf there, which
 * turns off the 256-bit suites and ChaCha20 for CRIU's GnuTLS (page servers, dumps to them,
 * lazy pages): TLS 1.3 then takes AES-128-GCM, one of its mandatory suites, as berth's own data
 * links prefer (data-link.ts), instead of GnuTLS's first choice AES-256-GCM, ~15% more CPU per
 * byte here (openssl speed: 5.9 against 5.0 GB/s) on both ends of a move's page transfer.
 *
 * Always too: deploy/criu-nft-unlock.c with BERTH_CRIU_NFT_CLOSE_ASIDE=1. CRIU's removal of its
 * nftables network lock (end of a dump, before a restore's processes resume) waited 7-14 ms for
 * the kernel's clean-up of the deleted table when CRIU closed its netlink socket; a detached
 * grandchild now holds that socket's last reference and pays it (the lock is gone as before,
 * when the delete returns).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { criuKdatCacheLib, criuNftUnlockLib, criuTarDir, toolEnv } from '../host/paths';

const TMPFS_MAGIC = 0x01021994;

/** Where berth's CRIUs keep their kernel-probe cache (BERTH_CRIU_KDAT_DIR overrides it, for tests). */
export function criuKdatDir(): string {
  return process.env['BERTH_CRIU_KDAT_DIR'] ?? '/dev/shm/berth-criu';
}

let checked: { dir: string; file: string | undefined } | undefined;

/** The cache file to give CRIU, or undefined when its folder is not safe to use (or not a tmpfs). */
export function criuKdatFile(): string | undefined {
  const dir = criuKdatDir();
  if (checked?.dir === dir) return checked.file;
  let file: string | undefined;
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return remember(dir, undefined);
  }
  try {
    const st = fs.lstatSync(dir);
    const uid = process.getuid?.() ?? 0;
    if (st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0 && fs.statfsSync(dir).type === TMPFS_MAGIC) file = path.join(dir, 'criu.kdat');
  } catch {
    file = undefined;
  }
  return remember(dir, file);
}

function remember(dir: string, file: string | undefined): string | undefined {
  checked = { dir, file };
  return file;
}

/** What criu-gnutls.conf holds (GnuTLS's system configuration format, [overrides]). */
export const CRIU_GNUTLS_CONF = [
  '# written by berthd (runtime/criu-env.ts): CRIU\'s TLS takes AES-128-GCM',
  '[overrides]',
  ...['AES-256-GCM', 'CHACHA20-POLY1305', 'AES-256-CCM', 'AES-256-CBC'].map((c) => `tls-disabled-cipher = ${c}`),
  '',
].join('\n');

let gnutlsWritten: { dir: string; file: string | undefined } | undefined;

/**
 * criu-gnutls.conf in the (checked) cache folder, written once per process when missing or
 * different; undefined without that folder.
 */
function criuGnutlsConf(kdatFile: string | undefined): string | undefined {
  if (!kdatFile) return undefined;
  const dir = path.dirname(kdatFile);
  if (gnutlsWritten?.dir === dir) return gnutlsWritten.file;
  const f = path.join(dir, 'criu-gnutls.conf');
  let file: string | undefined = f;
  try {
    if (fs.readFileSync(f, 'utf8') !== CRIU_GNUTLS_CONF) throw new Error('stale');
  } catch {
    try {
      fs.writeFileSync(`${f}.${process.pid}`, CRIU_GNUTLS_CONF, { mode: 0o600 });
      fs.renameSync(`${f}.${process.pid}`, f);
    } catch {
      file = undefined;
    }
  }
  gnutlsWritten = { dir, file };
  return file;
}

/**
 * toolEnv() for a CRIU (or a runc that runs one), with `preload` (libraries; undefined ones
 * skipped) and the kdat cache's library in LD_PRELOAD, and `more` variables.
 */
export function criuToolEnv(preload: ReadonlyArray<string | undefined> = [], more: Record<string, string> = {}): NodeJS.ProcessEnv {
  const kdat = criuKdatCacheLib();
  const file = kdat ? criuKdatFile() : undefined;
  const nft = criuNftUnlockLib();
  const libs = [file ? kdat : undefined, nft, ...preload].filter((x): x is string => !!x);
  const env = toolEnv();
  const tar = criuTarDir();
  if (tar) env['PATH'] = `${tar}:${env['PATH'] ?? ''}`;
  const gnutls = criuGnutlsConf(criuKdatFile());
  return { ...env, ...(file ? { BERTH_CRIU_KDAT: file } : {}), ...(gnutls ? { GNUTLS_SYSTEM_PRIORITY_FILE: gnutls } : {}), ...(nft ? { BERTH_CRIU_NFT_CLOSE_ASIDE: '1' } : {}), ...(libs.length ? { LD_PRELOAD: libs.join(' ') } : {}), ...more };
}
