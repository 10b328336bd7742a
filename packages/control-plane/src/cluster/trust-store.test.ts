import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InMemNetwork, RaftNode } from '@berth/raft-store';
import { createCertificateAuthority, createSelfSignedClientCertificate, fingerprint } from '../pki/certs';
import { TrustStore } from './trust-store';

let dir: string;
let node: RaftNode;
let trust: TrustStore;
const CA_FP = 'a'.repeat(64);
const cert = (cn: string): string => createSelfSignedClientCertificate({ commonName: cn, validDays: 1 }).certPem;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-trust-'));
  node = await RaftNode.start({ id: 1, clusterId: 'c', dataDir: dir, transport: new InMemNetwork().transport(1), bootstrap: [{ id: 1, address: 'x:1' }], tickMs: 10 });
  for (let i = 0; i < 200 && !node.isLeader; i++) await new Promise((r) => setTimeout(r, 10));
  trust = new TrustStore(node);
  trust.start();
});

afterEach(async () => {
  trust.stop();
  await node.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('TrustStore', () => {
  it('adds, finds and removes certificates; removal is seen by the next isTrusted at once', async () => {
    const pem = cert('laptop-1');
    const rec = await trust.add('laptop', pem);
    expect(rec.fingerprint).toBe(fingerprint(pem));
    expect(await trust.isTrusted(rec.fingerprint)).toBe(true);
    await expect(trust.add('other', pem)).rejects.toThrow(/trusted already, as "laptop"/);
    await expect(trust.add('laptop', cert('laptop-2'))).rejects.toThrow(/a client named "laptop" is trusted already/);
    await expect(trust.add('twin', cert('laptop-1'))).rejects.toThrow(/same subject/);
    await expect(trust.add('ca', createCertificateAuthority({ commonName: 'x', validDays: 1 }).certPem)).rejects.toThrow(/CA certificate/);
    await expect(trust.add('bad', 'not pem')).rejects.toThrow(/certificate/);
    await expect(trust.find(rec.fingerprint.slice(0, 4))).rejects.toThrow(/too short/);
    expect((await trust.find(rec.fingerprint.slice(0, 8))).name).toBe('laptop');
    expect((await trust.remove('laptop')).fingerprint).toBe(rec.fingerprint);
    await new Promise((r) => setTimeout(r, 20));
    expect(await trust.isTrusted(rec.fingerprint)).toBe(false);
    expect(await trust.list()).toEqual([]);
    await expect(trust.remove('laptop')).rejects.toThrow(/no trusted client named "laptop"/);
  });

  it('a token trusts one certificate once: altered, reused, expired or raced tokens are refused and change nothing', async () => {
    const t = await trust.createToken({ name: 'phone', addresses: ['10.0.0.1:8443'], caFingerprint: CA_FP });
    await expect(trust.createToken({ name: 'phone', addresses: ['10.0.0.1:8443'], caFingerprint: CA_FP })).rejects.toThrow(/already has a trust token/);
    const body = JSON.parse(Buffer.from(t.token, 'base64url').toString()) as { secret: string };
    const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(t.token, 'base64url').toString()), secret: body.secret.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) })).toString('base64url');
    await expect(trust.redeem(altered, cert('p1'))).rejects.toThrow(/secret does not match/);
    // Two redemptions racing: one wins.
    const results = await Promise.allSettled([trust.redeem(t.token, cert('p2')), trust.redeem(t.token, cert('p3'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.message).toMatch(/trust token refused/);
    expect((await trust.list()).map((r) => r.name)).toEqual(['phone']);
    await expect(trust.redeem(t.token, cert('p4'))).rejects.toThrow(/no trust token is outstanding for "phone"/);
    // Expired.
    const now = Date.now();
    const e = await trust.createToken({ name: 'late', addresses: ['10.0.0.1:8443'], caFingerprint: CA_FP, ttlMs: 1000, now });
    await expect(trust.redeem(e.token, cert('l1'), now + 2000)).rejects.toThrow(/expired/);
    expect((await trust.list()).map((r) => r.name)).toEqual(['phone']);
    await expect(trust.createToken({ name: 'Bad_Name', addresses: ['10.0.0.1:8443'], caFingerprint: CA_FP })).rejects.toThrow(/invalid client name/);
    await expect(trust.createToken({ name: 'phone', addresses: ['10.0.0.1:8443'], caFingerprint: CA_FP })).rejects.toThrow(/trusted already/);
  });
});
