/**
 * The CLI's remotes, as `lxc remote`: servers it knows, in `<conf>/config.json`, where <conf>
 * is $BERTH_CONF or ~/.config/berth, with this client's own certificate beside it
 * (`client.crt`, `client.key` mode 0600), made on first use.
 *
 * - `local` is always there: the unix socket of the daemon in BERTH_DIR (or /var/lib/berth).
 * - A remote is `{address, caPem}`: its API address and the cluster CA pinned when it was added.
 * - Which server a command talks to: `--remote NAME`; else `local` when BERTH_DIR is set (scripts
 *   and tests that name a data folder keep working); else the default remote (`remote switch`).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type * as Certs from '@berth/control-plane/dist/pki/certs';
import { BerthClient, localDataDir } from './client';
import type { TlsRemote } from './client';
import { UsageError } from './exit';

// The PKI code is loaded only by the commands that need it (the CLI's start-up time).
const certs = (): typeof Certs => require('@berth/control-plane/dist/pki/certs') as typeof Certs;

// grpc-js sets the TLS servername to the dialled host even when it is an IP; Node then warns
// (DEP0123) once per process. The connection and its checks are unaffected: keep the CLI quiet.
const emitWarning = process.emitWarning.bind(process) as (...a: unknown[]) => void;
process.emitWarning = ((...a: unknown[]) => {
  if (a.includes('DEP0123') || (a[1] as { code?: string } | undefined)?.code === 'DEP0123') return;
  emitWarning(...a);
}) as typeof process.emitWarning;

export interface RemoteEntry {
  /** host:port of a member's API listener; an image server's URL. */
  address: string;
  /** The cluster CA certificate, pinned when the remote was added ('' for an image server). */
  caPem: string;
  /** The other members' API addresses, as the cluster told them (informational). */
  addresses?: string[];
  /** berth (default): a berth cluster's API; simplestreams: an image server (images only). */
  protocol?: 'berth' | 'simplestreams' | undefined;
  /** simplestreams over https: the server certificate's SHA-256, when it was accepted as is. */
  certFingerprint?: string | undefined;
}

export interface CliConfig {
  defaultRemote: string;
  remotes: Record<string, RemoteEntry>;
}

export const LOCAL = 'local';
const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export class RemoteError extends Error {
  override readonly name: string = 'RemoteError';
}

/** A remote that does not answer at all (exit code 3, as an unreachable daemon). */
export class RemoteUnreachableError extends RemoteError {
  override readonly name = 'RemoteUnreachableError';
}

export function confDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['BERTH_CONF'] || path.join(env['HOME'] || os.homedir(), '.config', 'berth');
}

export function loadConfig(dir = confDir()): CliConfig {
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { defaultRemote: LOCAL, remotes: {} };
    throw new RemoteError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new RemoteError(`${file} is not JSON: fix or remove it`);
  }
  const c = v as Partial<CliConfig>;
  if (typeof c !== 'object' || c === null || typeof c.remotes !== 'object' || c.remotes === null || typeof c.defaultRemote !== 'string') {
    throw new RemoteError(`${file} is not a berth CLI config ({defaultRemote, remotes}): fix or remove it`);
  }
  for (const [name, r] of Object.entries(c.remotes)) {
    if (typeof r?.address !== 'string' || typeof r.caPem !== 'string') throw new RemoteError(`${file}: remote "${name}" lacks its address or CA`);
  }
  return { defaultRemote: c.defaultRemote, remotes: c.remotes };
}

/** Writes the config atomically (a temp file renamed over it). */
export function saveConfig(cfg: CliConfig, dir = confDir()): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'config.json');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function checkRemoteName(name: string): string {
  if (typeof name !== 'string' || !REMOTE_NAME.test(name)) throw new RemoteError(`invalid remote name ${JSON.stringify(name)}: use 1-63 of [A-Za-z0-9_.-], starting with a letter or digit`);
  return name;
}

/** `host:port`, `[v6]:port`, `host` (port 8443) or `https://...`; returns host:port. */
export function normalizeAddress(input: string): string {
  let a = String(input ?? '').trim().replace(/^https:\/\//, '').replace(/\/+$/, '');
  if (a === '' || /[/\s@]/.test(a)) throw new RemoteError(`invalid address ${JSON.stringify(input)}: want HOST:PORT (e.g. 10.0.0.1:8443)`);
  if (net.isIPv6(a)) a = `[${a}]:8443`;
  else if (!/:\d+$/.test(a)) a = `${a}:8443`;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(a);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535 || (m[1] !== undefined && !net.isIPv6(m[1]))) throw new RemoteError(`invalid address ${JSON.stringify(input)}: want HOST:PORT (e.g. 10.0.0.1:8443)`);
  return a;
}

/** This client's certificate and key, made on first use (self-signed, ECDSA P-256, clientAuth). */
export function clientCertificate(dir = confDir()): { certPem: string; keyPem: string; certFile: string; fingerprint: string } {
  const certFile = path.join(dir, 'client.crt');
  const keyFile = path.join(dir, 'client.key');
  if (!fs.existsSync(certFile) || !fs.existsSync(keyFile)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A subject of its own: the cluster finds trusted certificates by subject (see the pki README).
    const cn = `berth client ${os.userInfo().username}@${os.hostname()}`.slice(0, 55) + ` ${crypto.randomBytes(4).toString('hex')}`;
    const kp = certs().createSelfSignedClientCertificate({ commonName: cn, validDays: 3650 });
    fs.writeFileSync(keyFile, kp.keyPem, { mode: 0o600 });
    fs.chmodSync(keyFile, 0o600);
    fs.writeFileSync(certFile, kp.certPem, { mode: 0o644 });
  }
  const certPem = fs.readFileSync(certFile, 'utf8');
  return { certPem, keyPem: fs.readFileSync(keyFile, 'utf8'), certFile, fingerprint: certs().fingerprint(certPem) };
}

let selected: string | undefined;

/** The global `--remote` option (yargs middleware). */
export function selectRemote(name: string | undefined): void {
  selected = name === undefined || name === '' ? undefined : name;
}

/** Which remote a command uses now (see the header). */
export function currentRemote(env: NodeJS.ProcessEnv = process.env): string {
  if (selected !== undefined) return selected;
  if (env['BERTH_DIR']) return LOCAL;
  return loadConfig().defaultRemote;
}

/** A remote name (from --remote or a `REMOTE:` prefix) this CLI does not know: a usage error. */
export function unknownRemote(name: string, remotes: string[], where = ''): UsageError {
  const known = [LOCAL, ...[...remotes].sort()].join(', ');
  return new UsageError(`no remote named "${name}"${where} (the remotes: ${known}; see: berth remote list; add one with: berth remote add ${name} ADDRESS --token TOKEN)`);
}

export function tlsRemote(name: string, cfg = loadConfig()): TlsRemote {
  const r = cfg.remotes[name];
  if (!r) throw unknownRemote(name, Object.keys(cfg.remotes));
  if (r.protocol === 'simplestreams') {
    throw new UsageError(`remote "${name}" is an image server (simplestreams, ${r.address}): it serves images only (berth image copy ${name}:IMAGE local:, berth launch ${name}:IMAGE NAME)`);
  }
  // The PEM files only: the fingerprint (and the PKI code behind it) is not needed for a call.
  const dir = confDir();
  let pems: { certPem: string; keyPem: string };
  try {
    pems = { certPem: fs.readFileSync(path.join(dir, 'client.crt'), 'utf8'), keyPem: fs.readFileSync(path.join(dir, 'client.key'), 'utf8') };
  } catch {
    const made = clientCertificate(dir);
    pems = { certPem: made.certPem, keyPem: made.keyPem };
  }
  return { name, address: r.address, caPem: r.caPem, ...pems };
}

/** A client of the current remote: the local socket or a remote over TLS. */
export function openClient(name = currentRemote()): BerthClient {
  if (name === LOCAL) return new BerthClient();
  return new BerthClient(tlsRemote(name));
}

/** Runs fn with a client of the current remote (or the local daemon), closing it after. */
export async function withClient<T>(fn: (c: BerthClient) => Promise<T>): Promise<T> {
  const c = openClient();
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

const pemOf = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

/**
 * The CA a server at `address` presents with its certificate (read over TLS without verifying,
 * then checked: the server's certificate must chain to it). Pinning is the caller's: compare
 * `fingerprint` with what the token (or the operator) says.
 */
export async function presentedCa(address: string, timeoutMs = 10_000): Promise<{ caPem: string; fingerprint: string }> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(i + 1));
  const chain = await new Promise<tls.DetailedPeerCertificate>((resolve, reject) => {
    const sock = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], timeout: timeoutMs, ...(net.isIP(host) ? {} : { servername: host }) }, () => {
      const c = sock.getPeerCertificate(true);
      sock.end();
      resolve(c);
    });
    sock.on('timeout', () => { sock.destroy(); reject(new RemoteUnreachableError(`cannot reach ${address}: no TLS answer within ${timeoutMs} ms (is berthd running there? is this its API address, e.g. HOST:8443?)`)); });
    sock.on('error', (e) => reject(new RemoteUnreachableError(`cannot reach ${address}: ${e.message} (is berthd running there? is this its API address, e.g. HOST:8443?)`)));
  });
  const ca = chain.issuerCertificate;
  if (!chain.raw || !ca || ca === chain || !ca.raw) throw new RemoteError(`${address} presented no CA certificate with its own: is it a berth member's API address?`);
  const caPem = pemOf(ca.raw);
  const v = certs().verifyIssuedBy(pemOf(chain.raw), caPem);
  if (!v.ok) throw new RemoteError(`${address}'s certificate does not chain to the CA it presented: ${v.reason}`);
  return { caPem, fingerprint: certs().fingerprintDer(ca.raw) };
}

/**
 * `REMOTE:IMAGE` naming an image on an image server (a simplestreams remote): the server and
 * the image; undefined when `ref` has no prefix or names a berth remote (its images are its own).
 */
export function imageServerRef(ref: string, cfg = loadConfig()): { remote: string; server: string; certFingerprint: string; image: string } | undefined {
  const i = ref.indexOf(':');
  if (i < 0) return undefined;
  const remote = ref.slice(0, i);
  const image = ref.slice(i + 1);
  if (remote === LOCAL) return undefined;
  const r = cfg.remotes[remote];
  if (!r) throw unknownRemote(remote, Object.keys(cfg.remotes), ` in "${ref}"`);
  if (r.protocol !== 'simplestreams') return undefined;
  if (!image) throw new UsageError(`${ref}: the image (an alias or fingerprint on ${remote}) is missing after "${remote}:"`);
  return { remote, server: r.address, certFingerprint: r.certFingerprint ?? '', image };
}

export function remoteDescription(name: string, cfg: CliConfig): string {
  if (name === LOCAL) return `unix://${path.join(localDataDir(), 'unix.socket')}`;
  return cfg.remotes[name]?.address ?? '?';
}
