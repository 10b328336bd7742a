import * as crypto from 'node:crypto';
import {
  checkJoinToken,
  constantTimeEqual,
  createJoinToken,
  decodeJoinToken,
  hashSecret,
  JoinTokenError,
  secretMatches,
} from './tokens';

const NOW = Date.parse('2030-05-06T07:08:09.000Z');
const FP = 'ab'.repeat(32);
const base = { memberName: 'm4', addresses: ['10.0.0.1:8443', '[fd00::2]:8443', 'm3.berth.test:8443'], caFingerprint: FP, ttlMs: 3_600_000, now: NOW };

/** Decodes a token's JSON, lets `edit` change it, and encodes it again. */
function tamper(token: string, edit: (body: Record<string, unknown>) => void): string {
  const body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
  edit(body);
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

describe('join tokens', () => {
  it('round-trips: the token carries name, addresses, CA fingerprint, secret and expiry', () => {
    const created = createJoinToken(base);
    expect(created.token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(created.expiresAt).toBe(NOW + 3_600_000);
    const t = decodeJoinToken(created.token, { now: NOW });
    expect(t).toEqual({
      memberName: 'm4',
      addresses: base.addresses,
      caFingerprint: FP,
      secret: expect.stringMatching(/^[0-9a-f]{64}$/),
      expiresAt: NOW + 3_600_000,
    });
    expect(hashSecret(t.secret)).toBe(created.secretHash);
    expect(created.secretHash).toBe(crypto.createHash('sha256').update(Buffer.from(t.secret, 'hex')).digest('hex'));
    expect(() => checkJoinToken(t, { memberName: 'm4', secretHash: created.secretHash, expiresAt: created.expiresAt }, NOW)).not.toThrow();
    // the JSON is readable, with the expiry as ISO-8601 like LXD's expires_at
    const body = JSON.parse(Buffer.from(created.token, 'base64url').toString()) as Record<string, unknown>;
    expect(body.expiresAt).toBe('2030-05-06T08:08:09.000Z');
    expect(body.version).toBe(1);
  });

  it('makes a new 32-byte secret every time', () => {
    const a = decodeJoinToken(createJoinToken(base).token, { now: NOW });
    const b = decodeJoinToken(createJoinToken(base).token, { now: NOW });
    expect(a.secret).not.toBe(b.secret);
    expect(Buffer.from(a.secret, 'hex')).toHaveLength(32);
  });

  it('refuses bad input to createJoinToken, naming the field', () => {
    expect(() => createJoinToken({ ...base, memberName: '' })).toThrow(/memberName: "" is not a member name/);
    expect(() => createJoinToken({ ...base, memberName: '-m' })).toThrow(/memberName/);
    expect(() => createJoinToken({ ...base, addresses: [] })).toThrow(/addresses: expected a non-empty list/);
    expect(() => createJoinToken({ ...base, addresses: ['10.0.0.1'] })).toThrow(/addresses\[0\]: "10.0.0.1" is not host:port/);
    expect(() => createJoinToken({ ...base, addresses: ['10.0.0.1:8443', 'fd00::2:8443'] })).toThrow(/addresses\[1\]/);
    expect(() => createJoinToken({ ...base, addresses: ['10.0.0.1:70000'] })).toThrow(/addresses\[0\]/);
    expect(() => createJoinToken({ ...base, caFingerprint: 'AB'.repeat(32) })).toThrow(/caFingerprint: expected 64 lowercase hex/);
    expect(() => createJoinToken({ ...base, ttlMs: 0 })).toThrow(/ttlMs must be a positive integer/);
  });

  describe('tampered tokens are refused, naming what is wrong', () => {
    let good: string;
    beforeAll(() => {
      good = createJoinToken(base).token;
    });
    const refused = (token: string, message: RegExp): void => {
      let error: unknown;
      try {
        decodeJoinToken(token, { now: NOW });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(JoinTokenError);
      expect((error as Error).message).toMatch(message);
    };

    it('a changed field with an invalid value', () => {
      refused(tamper(good, (b) => (b.memberName = 'm4 evil')), /^token: memberName: "m4 evil" is not a member name/);
      refused(tamper(good, (b) => (b.addresses = 'x:1')), /^token: addresses: expected a non-empty list/);
      refused(tamper(good, (b) => (b.addresses = ['x:1', 7])), /^token: addresses\[1\]: 7 is not host:port/);
      refused(tamper(good, (b) => (b.caFingerprint = 'cd'.repeat(31))), /^token: caFingerprint: expected 64 lowercase hex/);
      refused(tamper(good, (b) => (b.secret = 'zz'.repeat(32))), /^token: secret: expected 64 lowercase hex/);
      refused(tamper(good, (b) => (b.expiresAt = 'tomorrow')), /^token: expiresAt "tomorrow" is not an ISO-8601 UTC time/);
      refused(tamper(good, (b) => (b.expiresAt = '2030-02-30T00:00:00Z')), /^token: expiresAt "2030-02-30T00:00:00Z" is not a valid date/);
      refused(tamper(good, (b) => (b.expiresAt = Date.now())), /^token: expiresAt \d+ is not an ISO-8601 UTC time/);
      refused(tamper(good, (b) => (b.version = 2)), /^token: version 2 is not supported/);
      refused(tamper(good, (b) => delete b.secret), /^token: missing field "secret"/);
      refused(tamper(good, (b) => (b.admin = true)), /^token: unknown field "admin"/);
    });

    it('a changed field with a valid value: refused by the check against what was issued', () => {
      const created = createJoinToken(base);
      const issued = { memberName: 'm4', secretHash: created.secretHash, expiresAt: created.expiresAt };
      const renamed = decodeJoinToken(tamper(created.token, (b) => (b.memberName = 'm9')), { now: NOW });
      expect(() => checkJoinToken(renamed, issued, NOW)).toThrow(/memberName "m9" is not the name the token was issued for \("m4"\)/);
      const extended = decodeJoinToken(tamper(created.token, (b) => (b.expiresAt = '2031-01-01T00:00:00.000Z')), { now: NOW });
      expect(() => checkJoinToken(extended, issued, NOW)).toThrow(/expiresAt differs from the issued expiry/);
      const guessed = decodeJoinToken(tamper(created.token, (b) => (b.secret = crypto.randomBytes(32).toString('hex'))), { now: NOW });
      expect(() => checkJoinToken(guessed, issued, NOW)).toThrow(/the secret does not match/);
      const t = decodeJoinToken(created.token, { now: NOW });
      expect(() => checkJoinToken(t, issued, created.expiresAt)).toThrow(/expired/);
    });

    it('truncated', () => {
      for (let cut = 1; cut <= 8; cut++) {
        refused(good.slice(0, good.length - cut), /^token: (truncated or corrupted|does not decode to JSON \(truncated or corrupted\?\))/);
      }
      refused(good.slice(0, 40), /^token: (truncated or corrupted|does not decode to JSON)/);
    });

    it('bad base64, empty, too long, not an object', () => {
      refused(good.slice(0, 10) + '!' + good.slice(11), /^token: not base64url/);
      refused(good + '==', /^token: not base64url/);
      refused(Buffer.from(JSON.stringify({})).toString('base64'), /^token: (not base64url|missing field)/);
      refused('', /^token: empty/);
      refused('A'.repeat(9000), /longer than 8192/);
      refused(Buffer.from('[1,2]').toString('base64url'), /^token: the JSON is not an object/);
      refused(Buffer.from('null').toString('base64url'), /^token: the JSON is not an object/);
      refused(Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url'), /^token: does not decode to JSON/);
    });

    it('expired', () => {
      expect(() => decodeJoinToken(createJoinToken({ ...base, ttlMs: 1000 }).token, { now: NOW + 5000 })).toThrow(
        /^token: expired at 2030-05-06T07:08:10.000Z \(now 2030-05-06T07:08:14.000Z\)$/,
      );
      expect(() => decodeJoinToken(createJoinToken({ ...base, ttlMs: 1000 }).token, { now: NOW + 1000 })).toThrow(/expired/);
      expect(decodeJoinToken(createJoinToken({ ...base, ttlMs: 1000 }).token, { now: NOW + 999 }).memberName).toBe('m4');
    });
  });

  it('compares secrets and strings in constant time helpers', () => {
    const secret = crypto.randomBytes(32).toString('hex');
    const h = hashSecret(secret);
    expect(secretMatches(secret, h)).toBe(true);
    expect(secretMatches(secret, h.toUpperCase())).toBe(true);
    expect(secretMatches(secret.replace(/^./, (c) => (c === '0' ? '1' : '0')), h)).toBe(false);
    expect(secretMatches('not hex', h)).toBe(false);
    expect(secretMatches(secret, 'short')).toBe(false);
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual(Buffer.from('abc'), 'abc')).toBe(true);
    expect(() => hashSecret('xyz')).toThrow(/secret: expected 64 lowercase hex/);
  });
});
