/**
 * `berthd join TOKEN`: the joining side (see packages/control-plane/design.md, "Join").
 * The token pins the cluster CA by fingerprint: the joiner reads the certificate chain a
 * member presents, accepts it only if the CA in it hashes to that fingerprint and the
 * member's certificate chains to it, and then talks gRPC with full verification against
 * that CA. Its private key never leaves it: it sends its public key and gets a certificate.
 */
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { loadBerthV1 } from '@berth/proto';
import type { ClusterJoinClient, JoinResponse__Output } from '@berth/proto';
import { decodeJoinToken, fingerprintDer, newKeyPairPem, verifyIssuedBy } from '@berth/control-plane';
import { hostOf, writeMember } from './files';
import type { MemberConfig } from './files';

export interface JoinOptions {
  token: string;
  /** Defaults to the name the token was made for; must equal it. */
  name?: string | undefined;
  address: string;
  clusterAddress: string;
  timeoutMs?: number;
}

/** Reads the CA a member at `address` presents, pinned by `caFingerprint`. */
export async function fetchPinnedCa(address: string, caFingerprint: string, timeoutMs: number): Promise<string> {
  const host = hostOf(address);
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  const chain = await new Promise<tls.DetailedPeerCertificate>((resolve, reject) => {
    // Not verified here on purpose: the CA is unknown until its fingerprint is checked below.
    const sock = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], timeout: timeoutMs }, () => {
      const c = sock.getPeerCertificate(true);
      sock.end();
      resolve(c);
    });
    sock.on('timeout', () => { sock.destroy(); reject(new Error(`no TLS answer from ${address} within ${timeoutMs} ms`)); });
    sock.on('error', (e) => reject(new Error(`cannot reach ${address}: ${e.message}`)));
  });
  const leaf = chain.raw;
  const ca = chain.issuerCertificate;
  if (!leaf || !ca || ca === chain || !ca.raw) throw new Error(`${address} presented no CA certificate with its own`);
  const got = fingerprintDer(ca.raw);
  if (got !== caFingerprint) throw new Error(`${address} presented CA ${got}, not the token's CA ${caFingerprint}: refusing to join`);
  const pem = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  const caPem = pem(ca.raw);
  const v = verifyIssuedBy(pem(leaf), caPem);
  if (!v.ok) throw new Error(`${address}'s certificate does not chain to the token's CA: ${v.reason}`);
  return caPem;
}

/** Joins: asks the members in the token in turn; writes this member's files on success. */
export async function joinCluster(dataDir: string, o: JoinOptions): Promise<MemberConfig> {
  const token = decodeJoinToken(o.token);
  const name = o.name ?? token.memberName;
  if (name !== token.memberName) throw new Error(`this token admits "${token.memberName}", not "${name}"`);
  hostOf(o.address);
  hostOf(o.clusterAddress);
  const timeoutMs = o.timeoutMs ?? 15_000;
  const keys = newKeyPairPem();
  const v1 = loadBerthV1();
  const failures: string[] = [];
  for (const address of token.addresses) {
    let client: ClusterJoinClient | undefined;
    try {
      const caPem = await fetchPinnedCa(address, token.caFingerprint, timeoutMs);
      client = new v1.ClusterJoin(address, grpc.credentials.createSsl(Buffer.from(caPem)));
      const c = client;
      const res = await new Promise<JoinResponse__Output>((resolve, reject) => {
        c.Join({ memberName: name, token: o.token, publicKeyPem: keys.publicKeyPem, address: o.address, clusterAddress: o.clusterAddress },
          { deadline: Date.now() + timeoutMs }, (e, r) => (e || !r ? reject(e ?? new Error('empty answer')) : resolve(r)));
      });
      if (res.caCertificatePem !== caPem) throw new Error('the member answered with another CA than the one it presented');
      const config: MemberConfig = {
        name, memberId: Number(res.memberId), clusterId: res.clusterId, address: o.address, clusterAddress: o.clusterAddress,
        peers: res.peers.map((p) => ({ id: Number(p.id), name: p.name, clusterAddress: p.clusterAddress })),
      };
      writeMember(dataDir, config, { caPem, caKeyPem: res.caKeyPem, certPem: res.certificatePem, keyPem: keys.keyPem });
      return config;
    } catch (e) {
      const err = e as Error & { code?: number; details?: string };
      // A refusal of the token itself is final; an unreachable or non-leading member is not.
      if (err.code === grpc.status.PERMISSION_DENIED || err.code === grpc.status.ALREADY_EXISTS || err.code === grpc.status.INVALID_ARGUMENT) {
        throw new Error(`${address} refused the join: ${err.details ?? err.message}`);
      }
      failures.push(`${address}: ${err.details ?? err.message}`);
    } finally {
      client?.close();
    }
  }
  throw new Error(`could not join through any member of the token:\n  ${failures.join('\n  ')}`);
}
