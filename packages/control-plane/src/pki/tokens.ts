// Join tokens, as LXD has them: base64url(JSON) carrying the new member's name, where the
// cluster is, which CA to trust, a one-time secret and an expiry. The cluster keeps only the
// secret's hash. See README.md in this folder.
import * as crypto from 'node:crypto';
import * as net from 'node:net';

export class JoinTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JoinTokenError';
  }
}

export interface JoinToken {
  memberName: string;
  /** The cluster members' addresses, `host:port` or `[v6]:port`. */
  addresses: string[];
  /** Lowercase hex SHA-256 of the cluster CA certificate (see certs.fingerprint). */
  caFingerprint: string;
  /** 32 random bytes as 64 lowercase hex characters. */
  secret: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface CreateJoinTokenOptions {
  memberName: string;
  addresses: string[];
  caFingerprint: string;
  ttlMs: number;
  /** Milliseconds since the epoch; default Date.now(). */
  now?: number;
}

export interface CreatedJoinToken {
  /** What the operator hands to the new member. */
  token: string;
  /** What the cluster stores (hashSecret(secret)). */
  secretHash: string;
  expiresAt: number;
}

/** What the cluster stored when it issued a token. */
export interface IssuedJoinToken {
  memberName: string;
  secretHash: string;
  expiresAt: number;
}

export const TOKEN_VERSION = 1;
export const MAX_TOKEN_LENGTH = 8192;
const FIELDS = ['version', 'memberName', 'addresses', 'caFingerprint', 'secret', 'expiresAt'] as const;
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const MAX_ADDRESSES = 64;

export function createJoinToken(opts: CreateJoinTokenOptions): CreatedJoinToken {
  const now = opts.now ?? Date.now();
  if (!Number.isFinite(now)) throw new JoinTokenError('now must be a number of milliseconds');
  if (!Number.isSafeInteger(opts.ttlMs) || opts.ttlMs <= 0) {
    throw new JoinTokenError(`ttlMs must be a positive integer, not ${JSON.stringify(opts.ttlMs)}`);
  }
  const expiresAt = now + opts.ttlMs;
  const secret = crypto.randomBytes(32).toString('hex');
  const body = {
    version: TOKEN_VERSION,
    memberName: checkMemberName(opts.memberName),
    addresses: checkAddresses(opts.addresses),
    caFingerprint: checkHex64(opts.caFingerprint, 'caFingerprint'),
    secret,
    expiresAt: isoTime(expiresAt),
  };
  const token = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
  if (token.length > MAX_TOKEN_LENGTH) throw new JoinTokenError(`the token would be longer than ${MAX_TOKEN_LENGTH} characters (too many addresses?)`);
  return { token, secretHash: hashSecret(secret), expiresAt: Date.parse(body.expiresAt) };
}

/** Decodes and validates a token; refuses, naming the field, anything malformed or expired. */
export function decodeJoinToken(token: string, opts: { now?: number } = {}): JoinToken {
  if (typeof token !== 'string') throw new JoinTokenError('token: not a string');
  const text = token.trim();
  if (text === '') throw new JoinTokenError('token: empty');
  if (text.length > MAX_TOKEN_LENGTH) throw new JoinTokenError(`token: longer than ${MAX_TOKEN_LENGTH} characters`);
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new JoinTokenError('token: not base64url (only A-Z a-z 0-9 - _, no padding)');
  const bytes = Buffer.from(text, 'base64url');
  if (text.length % 4 === 1 || bytes.toString('base64url') !== text) {
    throw new JoinTokenError('token: truncated or corrupted (not a whole base64url encoding)');
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new JoinTokenError('token: does not decode to JSON (truncated or corrupted?)');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new JoinTokenError('token: the JSON is not an object');
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw new JoinTokenError(`token: unknown field "${key}"`);
  }
  for (const key of FIELDS) {
    if (!(key in record)) throw new JoinTokenError(`token: missing field "${key}"`);
  }
  if (record.version !== TOKEN_VERSION) {
    throw new JoinTokenError(`token: version ${JSON.stringify(record.version)} is not supported (want ${TOKEN_VERSION})`);
  }
  const expiresAt = parseIsoTime(record.expiresAt);
  const decoded: JoinToken = {
    memberName: checkMemberName(record.memberName, 'token: memberName'),
    addresses: checkAddresses(record.addresses, 'token: addresses'),
    caFingerprint: checkHex64(record.caFingerprint, 'token: caFingerprint'),
    secret: checkHex64(record.secret, 'token: secret'),
    expiresAt,
  };
  const now = opts.now ?? Date.now();
  if (now >= expiresAt) {
    throw new JoinTokenError(`token: expired at ${new Date(expiresAt).toISOString()} (now ${new Date(now).toISOString()})`);
  }
  return decoded;
}

/** Lowercase hex SHA-256 of the 32 secret bytes. */
export function hashSecret(secret: string): string {
  checkHex64(secret, 'secret');
  return crypto.createHash('sha256').update(Buffer.from(secret, 'hex')).digest('hex');
}

/** Whether `secret` hashes to `secretHash`, in constant time. */
export function secretMatches(secret: string, secretHash: string): boolean {
  if (typeof secret !== 'string' || !HEX64.test(secret)) return false;
  return constantTimeEqual(hashSecret(secret), typeof secretHash === 'string' ? secretHash.toLowerCase() : '');
}

/**
 * Equality in time that does not depend on where the inputs differ (both sides are hashed
 * first, so their lengths do not leak either).
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/**
 * Checks a decoded token against what the cluster stored when it issued it: the secret (in
 * constant time), the member name and the expiry must all match. Throws a JoinTokenError
 * naming the first mismatch. Consuming the stored record (one-time use) is the caller's job.
 */
export function checkJoinToken(token: JoinToken, issued: IssuedJoinToken, now: number = Date.now()): void {
  if (!secretMatches(token.secret, issued.secretHash)) throw new JoinTokenError('token: the secret does not match the secret hash the token was issued with');
  if (token.memberName !== issued.memberName) {
    throw new JoinTokenError(`token: memberName "${token.memberName}" is not the name the token was issued for ("${issued.memberName}")`);
  }
  if (token.expiresAt !== issued.expiresAt) throw new JoinTokenError('token: expiresAt differs from the issued expiry');
  if (now >= issued.expiresAt) throw new JoinTokenError(`token: expired at ${new Date(issued.expiresAt).toISOString()}`);
}

// ---- validation ----

function checkMemberName(v: unknown, field = 'memberName'): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(v)) {
    throw new JoinTokenError(`${field}: ${JSON.stringify(v)} is not a member name (1..63 of [A-Za-z0-9-], not starting or ending with '-')`);
  }
  return v;
}

function checkHex64(v: unknown, field: string): string {
  if (typeof v !== 'string' || !HEX64.test(v)) throw new JoinTokenError(`${field}: expected 64 lowercase hex characters`);
  return v;
}

function checkAddresses(v: unknown, field = 'addresses'): string[] {
  if (!Array.isArray(v) || v.length === 0) throw new JoinTokenError(`${field}: expected a non-empty list of host:port`);
  if (v.length > MAX_ADDRESSES) throw new JoinTokenError(`${field}: more than ${MAX_ADDRESSES} addresses`);
  return v.map((a, i) => {
    if (typeof a !== 'string' || !isHostPort(a)) {
      throw new JoinTokenError(`${field}[${i}]: ${JSON.stringify(a)} is not host:port or [IPv6]:port`);
    }
    return a;
  });
}

function isHostPort(s: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return false;
  const port = Number(m[3]);
  if (port < 1 || port > 65535 || (m[3] ?? '').startsWith('0')) return false;
  if (m[1] !== undefined) return net.isIPv6(m[1]) && !m[1].includes('%');
  const host = m[2] ?? '';
  if (net.isIPv4(host)) return true;
  return host.length <= 253 && host.split('.').every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l)) && !/^[\d.]+$/.test(host);
}

function isoTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() > 9999) throw new JoinTokenError('expiresAt: out of range');
  return d.toISOString();
}

function parseIsoTime(v: unknown): number {
  if (typeof v !== 'string' || !ISO_UTC.test(v)) throw new JoinTokenError(`token: expiresAt ${JSON.stringify(v)} is not an ISO-8601 UTC time`);
  const ms = Date.parse(v);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== v.slice(0, 19)) {
    throw new JoinTokenError(`token: expiresAt ${JSON.stringify(v)} is not a valid date`);
  }
  return ms;
}
