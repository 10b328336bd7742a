// grpc-js credentials for mutual TLS between members, from a member's certificate and key and
// the cluster CA. See README.md in this folder.
import * as grpc from '@grpc/grpc-js';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { fingerprintDer, parseCertificateBundlePem, parseCertificatePem, PkiError, verifyIssuedBy } from './certs';

export interface MemberPki {
  /** The cluster CA certificate (PEM); a bundle of several CA certificates is allowed. */
  caPem: string;
  /** This member's certificate (PEM), issued by the CA with usage 'server-and-client'. */
  certPem: string;
  /** This member's private key (PEM). */
  keyPem: string;
}

/** Server side: presents the member certificate and requires a client certificate from the CA. */
export function serverCredentials(pki: MemberPki): grpc.ServerCredentials {
  const { ca, cert, key } = buffers(pki);
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true /* checkClientCertificate */);
}

/**
 * Client side: trusts only the cluster CA and presents the member certificate. The server is
 * checked by the host it is dialled at (IP or DNS name) against its certificate's
 * subjectAltName, by Node's tls.checkServerIdentity.
 */
export function channelCredentials(pki: MemberPki): grpc.ChannelCredentials {
  const { ca, cert, key } = buffers(pki);
  return grpc.credentials.createSsl(ca, key, cert);
}

/**
 * Channel options. Without `serverName` there is nothing to set: a member is dialled at an
 * address its certificate carries. With `serverName`, the server certificate is checked against
 * that name instead of the dialled host (`grpc.ssl_target_name_override`), for when the address
 * dialled is not in the certificate (NAT, proxy); the name must be one of the certificate's
 * DNS names or IP addresses.
 */
export function channelOptions(opts: { serverName?: string } = {}): grpc.ChannelOptions {
  if (opts.serverName === undefined) return {};
  if (typeof opts.serverName !== 'string' || opts.serverName === '') throw new PkiError('serverName must be a non-empty string');
  return { 'grpc.ssl_target_name_override': opts.serverName };
}

/** What a grpc-js server call offers (ServerUnaryCall, ServerReadableStream, ... since grpc-js 1.10). */
export interface CallWithAuthContext {
  getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * The lowercase hex SHA-256 fingerprint of the client certificate of a server call, or null
 * when there is none. grpc-js only reports the certificate of a TLS connection whose client
 * certificate verified against the server's CA (with serverCredentials, every connection).
 */
export function peerCertificateFingerprint(call: CallWithAuthContext): string | null {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  return raw && raw.length > 0 ? fingerprintDer(raw) : null;
}

function buffers(pki: MemberPki): { ca: Buffer; cert: Buffer; key: Buffer } {
  if (!pki || typeof pki !== 'object') throw new PkiError('pki must be { caPem, certPem, keyPem }');
  for (const field of ['caPem', 'certPem', 'keyPem'] as const) {
    if (typeof pki[field] !== 'string' || !pki[field].includes('-----BEGIN ')) throw new PkiError(`${field}: not PEM`);
  }
  const cert = parseCertificatePem(pki.certPem, 'certPem');
  if (!cert.checkPrivateKey(createKey(pki.keyPem))) throw new PkiError('keyPem does not match certPem');
  // A wrong CA file or an expired certificate would otherwise show up as opaque TLS failures
  // on the peers; refuse it here with the reason.
  const cas = parseCertificateBundlePem(pki.caPem, 'caPem');
  const results = cas.map((ca) => verifyIssuedBy(pki.certPem, ca.toString()));
  if (!results.some((r) => r.ok)) {
    const reasons = results.map((r) => (r.ok ? '' : r.reason)).join('; ');
    throw new PkiError(`certPem does not verify against caPem: ${reasons}`);
  }
  return { ca: Buffer.from(pki.caPem), cert: Buffer.from(pki.certPem), key: Buffer.from(pki.keyPem) };
}

function createKey(keyPem: string): KeyObject {
  try {
    return createPrivateKey(keyPem);
  } catch (e) {
    throw new PkiError(`keyPem: not a PEM private key (${(e as Error).message})`);
  }
}
