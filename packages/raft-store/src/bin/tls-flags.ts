/**
 * The `raft-store` command's TLS flags, named as etcd's and etcdctl's are, turned into
 * `MemberOptions.clientTls` / `peerTls` and a client's gRPC credentials.
 *
 * Contract: every file is read and checked (PEM of the right kind; a key that belongs to its
 * certificate) before anything starts; a missing partner flag, a flag that would have no
 * effect, an unreadable file or a wrong PEM is a `TlsFlagError` naming the flag, the file and
 * what is wrong. No flag: plain TCP, as before.
 *
 *   member:  --cert-file F --key-file F                the client port serves TLS
 *            --client-cert-auth --trusted-ca-file F    ... and requires a client certificate of that CA
 *            --peer-cert-file F --peer-key-file F --peer-trusted-ca-file F
 *                                                      mutual TLS between members (needs the client
 *                                                      port on TLS too: Member refuses plain TCP there)
 *   client:  --cacert F [--cert F --key F]             TLS to the endpoints; a client certificate
 */
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { MemberOptions } from '../member';

export class TlsFlagError extends Error {
  override readonly name = 'TlsFlagError';
}

export interface MemberTlsFlags {
  'cert-file'?: string | undefined;
  'key-file'?: string | undefined;
  'client-cert-auth'?: boolean | undefined;
  'trusted-ca-file'?: string | undefined;
  'peer-cert-file'?: string | undefined;
  'peer-key-file'?: string | undefined;
  'peer-trusted-ca-file'?: string | undefined;
}

export interface ClientTlsFlags {
  cacert?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

type Kind = 'certificate' | 'key';

/** A PEM file's bytes, after checking it holds a PEM of `kind`. */
function readPem(flag: string, file: string, kind: Kind): Buffer {
  let b: Buffer;
  try {
    b = fs.readFileSync(file);
  } catch (e) {
    throw new TlsFlagError(`--${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const text = b.toString('latin1');
  const ok = kind === 'certificate' ? text.includes('-----BEGIN CERTIFICATE-----') : /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text);
  if (!ok) throw new TlsFlagError(`--${flag} ${file}: not a PEM ${kind === 'certificate' ? 'certificate' : 'private key'} (no "-----BEGIN ${kind === 'certificate' ? 'CERTIFICATE' : '... PRIVATE KEY'}-----" line)`);
  return b;
}

/** Both flags or neither; a certificate and the key that belongs to it. */
function pair(flags: Record<string, string | undefined>, certFlag: string, keyFlag: string): { cert: Buffer; key: Buffer } | undefined {
  const certFile = flags[certFlag];
  const keyFile = flags[keyFlag];
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) throw new TlsFlagError(`--${keyFlag} needs --${certFlag} (the certificate of that key)`);
  if (keyFile === undefined) throw new TlsFlagError(`--${certFlag} needs --${keyFlag} (the certificate's private key)`);
  const cert = readPem(certFlag, certFile, 'certificate');
  const key = readPem(keyFlag, keyFile, 'key');
  try {
    tls.createSecureContext({ cert, key });
  } catch (e) {
    throw new TlsFlagError(`--${certFlag} ${certFile} and --${keyFlag} ${keyFile}: ${(e as Error).message}`);
  }
  return { cert, key };
}

/** A member's TLS options from its start flags (empty: plain TCP on both ports). */
export function memberTls(f: MemberTlsFlags): Pick<MemberOptions, 'clientTls' | 'peerTls'> {
  const flags = f as Record<string, string | undefined>;
  const client = pair(flags, 'cert-file', 'key-file');
  const caFile = f['trusted-ca-file'];
  if (f['client-cert-auth'] && caFile === undefined) throw new TlsFlagError('--client-cert-auth needs --trusted-ca-file (the CA whose client certificates are accepted)');
  if (caFile !== undefined && !f['client-cert-auth']) throw new TlsFlagError('--trusted-ca-file is used only with --client-cert-auth (client certificates of that CA required); give both or neither');
  if (f['client-cert-auth'] && !client) throw new TlsFlagError('--client-cert-auth needs --cert-file and --key-file (the client port\'s own certificate)');
  const out: Pick<MemberOptions, 'clientTls' | 'peerTls'> = {};
  if (client) {
    out.clientTls = { cert: client.cert, key: client.key };
    if (caFile !== undefined) Object.assign(out.clientTls, { ca: readPem('trusted-ca-file', caFile, 'certificate'), requestCert: true, rejectUnauthorized: true });
  }
  const peer = pair(flags, 'peer-cert-file', 'peer-key-file');
  const peerCa = f['peer-trusted-ca-file'];
  if (peer && peerCa === undefined) throw new TlsFlagError('--peer-cert-file needs --peer-trusted-ca-file (the CA of the other members\' certificates)');
  if (!peer && peerCa !== undefined) throw new TlsFlagError('--peer-trusted-ca-file needs --peer-cert-file and --peer-key-file (this member\'s own certificate)');
  if (peer) {
    if (!client) throw new TlsFlagError('--peer-cert-file needs --cert-file and --key-file too: with TLS between members, the client port must not serve plain TCP');
    out.peerTls = { cert: peer.cert, key: peer.key, ca: readPem('peer-trusted-ca-file', peerCa!, 'certificate') };
  }
  return out;
}

/** A client's credentials from --cacert/--cert/--key (none given: plain TCP). */
export function clientCredentials(f: ClientTlsFlags): grpc.ChannelCredentials {
  const own = pair(f as Record<string, string | undefined>, 'cert', 'key');
  if (f.cacert === undefined && !own) return grpc.credentials.createInsecure();
  const ca = f.cacert !== undefined ? readPem('cacert', f.cacert, 'certificate') : null;
  return grpc.credentials.createSsl(ca, own?.key ?? null, own?.cert ?? null);
}
