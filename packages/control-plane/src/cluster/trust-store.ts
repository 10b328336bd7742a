/**
 * The cluster's trust store for API clients (see ../../design.md, "API clients and trust"):
 * certificates trusted by fingerprint, and one-time trust tokens that add one. Records live in
 * the replicated store as JSON; every write is one txn, every read here is linearizable except
 * `localCertificates()` (this member's applied state, for the TLS listener's trust anchors).
 */
import { X509Certificate } from 'node:crypto';
import type { CommandResult, RaftNode, TxnRequest } from '@berth/raft-store';
import { checkJoinToken, createJoinToken, decodeJoinToken } from '../pki/tokens';
import { fingerprintDer, parseCertificatePem } from '../pki/certs';
import { ClusterError } from './cluster-store';
import { b, json, prefixEnd } from './keys';

export const P_TRUST = '/berth/trust/';
export const P_TRUST_NAMES = '/berth/trust-names/';
export const P_TRUST_TOKENS = '/berth/trust-tokens/';

export interface TrustRecord {
  /** Lowercase hex SHA-256 of the certificate's DER. */
  fingerprint: string;
  name: string;
  type: 'client';
  addedAt: number;
  certificatePem: string;
}

export interface TrustTokenRecord {
  name: string;
  secretHash: string;
  expiresAt: number;
}

/** A trusted client's name: what a token can carry (a DNS label, any case). */
const TRUST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export const DEFAULT_TRUST_TOKEN_TTL_MS = 24 * 3600_000;
/** How long isTrusted() may answer from memory (changes seen by the watch drop it at once). */
export const TRUST_CACHE_MS = 1000;

export function checkTrustName(name: unknown): string {
  if (typeof name !== 'string' || !TRUST_NAME.test(name)) {
    throw new ClusterError('INVALID_ARGUMENT', `invalid client name ${JSON.stringify(name)}: use 1-63 of [A-Za-z0-9-], starting and ending with a letter or digit`);
  }
  return name;
}

/**
 * Checks a client certificate offered for trust: one PEM certificate, valid now, not a CA.
 * Returns its fingerprint and common name.
 */
export function checkClientCertificate(certPem: unknown, now = Date.now()): { fingerprint: string; commonName: string; certificatePem: string } {
  if (typeof certPem !== 'string' || certPem.trim() === '') throw new ClusterError('INVALID_ARGUMENT', 'certificate: empty (want one PEM CERTIFICATE)');
  let cert: X509Certificate;
  try {
    cert = parseCertificatePem(certPem, 'certificate');
  } catch (e) {
    throw new ClusterError('INVALID_ARGUMENT', (e as Error).message);
  }
  if (cert.ca) throw new ClusterError('INVALID_ARGUMENT', 'certificate: it is a CA certificate; trust a client certificate instead');
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (!(now >= from && now <= to)) throw new ClusterError('INVALID_ARGUMENT', `certificate: not valid now (valid from ${cert.validFrom} to ${cert.validTo})`);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '';
  const pem = `-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  return { fingerprint: fingerprintDer(cert.raw), commonName: cn, certificatePem: pem };
}


export class TrustStore {
  private readonly cache = new Map<string, { trusted: boolean; at: number }>();
  private readonly listeners = new Set<() => void>();
  private watchId: number | undefined;
  private poll: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(readonly node: RaftNode) {}

  /**
   * Starts following changes under /berth/trust/ (drops the cache, tells the listeners). A watch
   * that fails (e.g. the member installed a snapshot) is made again; a poll of the applied
   * state every 2 s is the safety net for the listeners.
   */
  start(): void {
    if (this.watchId !== undefined || this.stopped) return;
    const changed = (): void => {
      this.cache.clear();
      for (const l of this.listeners) l();
    };
    this.watchId = this.node.watch({ key: b(P_TRUST), rangeEnd: prefixEnd(P_TRUST) }, changed, () => {
      this.watchId = undefined;
      changed();
      if (!this.stopped) setTimeout(() => this.start(), 200).unref();
    });
    if (!this.poll) {
      let last = -1;
      this.poll = setInterval(() => {
        this.node.serializableRead({ key: b(P_TRUST), rangeEnd: prefixEnd(P_TRUST), keysOnly: true }).then((r) => {
          const rev = r.kvs.reduce((m, kv) => Math.max(m, kv.modRevision), 0) * 1e6 + r.kvs.length;
          if (last !== -1 && rev !== last) changed();
          last = rev;
        }, () => undefined);
      }, 2000);
      this.poll.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.watchId !== undefined) this.node.cancelWatch(this.watchId);
    this.watchId = undefined;
    if (this.poll) clearInterval(this.poll);
    this.listeners.clear();
  }

  /** `fn` runs after each change of the trusted set this member applies; returns an unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private async get<T>(key: string): Promise<{ value: T; modRevision: number } | undefined> {
    const r = await this.node.read({ key: b(key) });
    const kv = r.kvs[0];
    return kv ? { value: JSON.parse(kv.value.toString('utf8')) as T, modRevision: kv.modRevision } : undefined;
  }

  private async txn(t: TxnRequest): Promise<boolean> {
    const r: CommandResult = await this.node.submit({ txn: t });
    if (!r.ok) throw new ClusterError('FAILED_PRECONDITION', `the store refused: ${r.message}`);
    if (!r.txn) throw new Error('the store answered a txn without a txn result');
    return r.txn.succeeded;
  }

  async list(): Promise<TrustRecord[]> {
    const r = await this.node.read({ key: b(P_TRUST), rangeEnd: prefixEnd(P_TRUST) });
    return r.kvs.map((kv) => JSON.parse(kv.value.toString('utf8')) as TrustRecord).sort((x, y) => x.name.localeCompare(y.name));
  }

  /** The trusted certificates as this member has applied them (no quorum needed): TLS anchors. */
  async localCertificates(): Promise<string[]> {
    const r = await this.node.serializableRead({ key: b(P_TRUST), rangeEnd: prefixEnd(P_TRUST) });
    return r.kvs.map((kv) => (JSON.parse(kv.value.toString('utf8')) as TrustRecord).certificatePem);
  }

  /** Whether `fingerprint` is in the store: linearizable, or from a cache at most TRUST_CACHE_MS old. */
  async isTrusted(fingerprint: string, now = Date.now()): Promise<boolean> {
    const c = this.cache.get(fingerprint);
    if (c && now - c.at < TRUST_CACHE_MS && this.watchId !== undefined) return c.trusted;
    const trusted = (await this.node.read({ key: b(P_TRUST + fingerprint), countOnly: true })).count > 0;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(fingerprint, { trusted, at: now });
    return trusted;
  }

  /**
   * The TLS listener finds a trusted certificate among its anchors by subject name: two with
   * the same subject would hide each other (OpenSSL matches the first). Refuse the second.
   */
  private async checkDistinctSubject(certPem: string): Promise<void> {
    const subject = new X509Certificate(certPem).subject;
    const clash = (await this.list()).find((r) => new X509Certificate(r.certificatePem).subject === subject);
    if (clash) throw new ClusterError('ALREADY_EXISTS', `trusted client "${clash.name}" has a certificate with the same subject (${subject.replace(/\n/g, ', ')}): a client certificate needs a subject of its own (make a new one)`);
  }

  /** Trusts a certificate under `name` (default: its common name); refused when either is taken. */
  async add(name: string, certPem: string, now = Date.now()): Promise<TrustRecord> {
    const cert = checkClientCertificate(certPem, now);
    checkTrustName(name || cert.commonName);
    if (await this.get(P_TRUST + cert.fingerprint)) throw await this.takenError({ fingerprint: cert.fingerprint, name });
    await this.checkDistinctSubject(cert.certificatePem);
    const rec: TrustRecord = { fingerprint: cert.fingerprint, name: checkTrustName(name || cert.commonName), type: 'client', addedAt: now, certificatePem: cert.certificatePem };
    const ok = await this.txn({
      compare: [
        { key: b(P_TRUST + rec.fingerprint), target: 'VERSION', result: 'EQUAL', version: 0 },
        { key: b(P_TRUST_NAMES + rec.name), target: 'VERSION', result: 'EQUAL', version: 0 },
      ],
      success: [
        { requestPut: { key: b(P_TRUST + rec.fingerprint), value: json(rec) } },
        { requestPut: { key: b(P_TRUST_NAMES + rec.name), value: json({ fingerprint: rec.fingerprint }) } },
      ],
      failure: [],
    });
    if (!ok) throw await this.takenError(rec);
    return rec;
  }

  private async takenError(rec: { fingerprint: string; name: string }): Promise<ClusterError> {
    const same = await this.get<TrustRecord>(P_TRUST + rec.fingerprint);
    if (same) return new ClusterError('ALREADY_EXISTS', `this certificate (${rec.fingerprint.slice(0, 12)}) is trusted already, as "${same.value.name}"`);
    return new ClusterError('ALREADY_EXISTS', `a client named "${rec.name}" is trusted already: pick another name, or remove it first (berth config trust remove ${rec.name})`);
  }

  /** Finds one record by name, full fingerprint or unique fingerprint prefix (>= 8 hex characters). */
  async find(ref: string): Promise<TrustRecord> {
    if (typeof ref !== 'string' || ref.trim() === '') throw new ClusterError('INVALID_ARGUMENT', 'name a trusted client: its name or fingerprint (prefix)');
    const all = await this.list();
    const byName = all.find((r) => r.name === ref);
    if (byName) return byName;
    const lower = ref.toLowerCase();
    if (/^[0-9a-f]+$/.test(lower)) {
      const hits = all.filter((r) => r.fingerprint.startsWith(lower));
      if (hits.length === 1 && (lower.length >= 8 || lower.length === 64)) return hits[0]!;
      if (hits.length > 1) throw new ClusterError('INVALID_ARGUMENT', `fingerprint prefix "${ref}" matches ${hits.length} certificates (${hits.map((h) => h.name).join(', ')}): give more characters`);
      if (hits.length === 1) throw new ClusterError('INVALID_ARGUMENT', `fingerprint prefix "${ref}" is too short: give at least 8 hex characters`);
    }
    throw new ClusterError('NOT_FOUND', `no trusted client named "${ref}" or with a fingerprint starting with it (see: berth config trust list)`);
  }

  /** Removes one trusted certificate (see find); its next call is refused. */
  async remove(ref: string): Promise<TrustRecord> {
    const rec = await this.find(ref);
    await this.txn({
      compare: [],
      success: [
        { requestDeleteRange: { key: b(P_TRUST + rec.fingerprint) } },
        { requestDeleteRange: { key: b(P_TRUST_NAMES + rec.name) } },
      ],
      failure: [],
    });
    return rec;
  }

  /**
   * A one-time trust token for a client to be called `name`: join-token format (tokens.ts) with
   * the members' API addresses and the CA fingerprint. Only the secret's hash is stored.
   * Refused when `name` is trusted already or has an unexpired token.
   */
  async createToken(o: { name: string; addresses: string[]; caFingerprint: string; ttlMs?: number; now?: number }): Promise<{ token: string; expiresAt: number }> {
    const name = checkTrustName(o.name);
    const now = o.now ?? Date.now();
    const ttlMs = o.ttlMs ?? DEFAULT_TRUST_TOKEN_TTL_MS;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1000 || ttlMs > 366 * 24 * 3600_000) throw new ClusterError('INVALID_ARGUMENT', `token lifetime must be between 1 s and 366 days, not ${ttlMs} ms`);
    const existing = await this.get<TrustTokenRecord>(P_TRUST_TOKENS + name);
    if (existing && existing.value.expiresAt > now) {
      throw new ClusterError('ALREADY_EXISTS', `"${name}" already has a trust token, valid until ${new Date(existing.value.expiresAt).toISOString()}: use it, or pick another name`);
    }
    const t = createJoinToken({ memberName: name, addresses: o.addresses, caFingerprint: o.caFingerprint, ttlMs, now });
    const rec: TrustTokenRecord = { name, secretHash: t.secretHash, expiresAt: t.expiresAt };
    const ok = await this.txn({
      compare: [
        { key: b(P_TRUST_NAMES + name), target: 'VERSION', result: 'EQUAL', version: 0 },
        existing
          ? { key: b(P_TRUST_TOKENS + name), target: 'MOD', result: 'EQUAL', modRevision: existing.modRevision }
          : { key: b(P_TRUST_TOKENS + name), target: 'VERSION', result: 'EQUAL', version: 0 },
      ],
      success: [{ requestPut: { key: b(P_TRUST_TOKENS + name), value: json(rec) } }],
      failure: [],
    });
    if (!ok) {
      if (await this.get(P_TRUST_NAMES + name)) throw new ClusterError('ALREADY_EXISTS', `a client named "${name}" is trusted already: pick another name, or remove it first (berth config trust remove ${name})`);
      throw new ClusterError('ALREADY_EXISTS', `"${name}" got another trust token at the same time`);
    }
    return { token: t.token, expiresAt: t.expiresAt };
  }

  /** Outstanding (unexpired) trust tokens: names and expiries, never secrets. */
  async tokens(now = Date.now()): Promise<Array<{ name: string; expiresAt: number }>> {
    const r = await this.node.read({ key: b(P_TRUST_TOKENS), rangeEnd: prefixEnd(P_TRUST_TOKENS) });
    return r.kvs.map((kv) => JSON.parse(kv.value.toString('utf8')) as TrustTokenRecord).filter((t) => t.expiresAt > now).map((t) => ({ name: t.name, expiresAt: t.expiresAt }));
  }

  async revokeToken(name: string): Promise<boolean> {
    const r = await this.node.submit({ deleteRange: { key: b(P_TRUST_TOKENS + checkTrustName(name)) } });
    return r.ok && (r.deleteRange?.deleted ?? 0) > 0;
  }

  /**
   * Spends a trust token and trusts `certPem` under the token's name, in ONE txn: the token
   * works once (two redemptions racing: one wins), never after its expiry, never altered.
   */
  async redeem(token: string, certPem: string, now = Date.now()): Promise<TrustRecord> {
    let name: string;
    let decoded: ReturnType<typeof decodeJoinToken>;
    try {
      decoded = decodeJoinToken(token, { now });
      name = decoded.memberName;
    } catch (e) {
      throw new ClusterError('PERMISSION_DENIED', `trust token refused: ${(e as Error).message}`);
    }
    const cert = checkClientCertificate(certPem, now);
    const rec = await this.get<TrustTokenRecord>(P_TRUST_TOKENS + name);
    if (!rec) throw new ClusterError('PERMISSION_DENIED', `trust token refused: no trust token is outstanding for "${name}" (used already, revoked, or never made)`);
    try {
      checkJoinToken(decoded, { memberName: rec.value.name, secretHash: rec.value.secretHash, expiresAt: rec.value.expiresAt }, now);
    } catch (e) {
      throw new ClusterError('PERMISSION_DENIED', `trust token refused: ${(e as Error).message}`);
    }
    if (await this.get(P_TRUST + cert.fingerprint)) throw await this.takenError({ fingerprint: cert.fingerprint, name });
    await this.checkDistinctSubject(cert.certificatePem);
    const trusted: TrustRecord = { fingerprint: cert.fingerprint, name, type: 'client', addedAt: now, certificatePem: cert.certificatePem };
    const ok = await this.txn({
      compare: [
        { key: b(P_TRUST_TOKENS + name), target: 'MOD', result: 'EQUAL', modRevision: rec.modRevision },
        { key: b(P_TRUST + trusted.fingerprint), target: 'VERSION', result: 'EQUAL', version: 0 },
        { key: b(P_TRUST_NAMES + name), target: 'VERSION', result: 'EQUAL', version: 0 },
      ],
      success: [
        { requestDeleteRange: { key: b(P_TRUST_TOKENS + name) } },
        { requestPut: { key: b(P_TRUST + trusted.fingerprint), value: json(trusted) } },
        { requestPut: { key: b(P_TRUST_NAMES + name), value: json({ fingerprint: trusted.fingerprint }) } },
      ],
      failure: [],
    });
    if (!ok) {
      const still = await this.get<TrustTokenRecord>(P_TRUST_TOKENS + name);
      if (!still || still.modRevision !== rec.modRevision) throw new ClusterError('PERMISSION_DENIED', `trust token refused: the token for "${name}" was used by another redemption at the same time`);
      throw await this.takenError(trusted);
    }
    return trusted;
  }
}
