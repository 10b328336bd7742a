import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { createCertificateAuthority, fingerprint, issueCertificate } from '@berth/control-plane';
import type { MemberInfo } from '@berth/control-plane';
import { PeerAuth } from './peer-auth';

const ca = createCertificateAuthority({ commonName: 'berth-test-ca', validDays: 1 });
const issue = (cn: string): string => issueCertificate(ca, { commonName: cn, ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' }).certPem;
/** What TLS hands the server for a verified client certificate (the fields PeerAuth reads). */
const peer = (pem: string): PeerCertificate => {
  const x = new X509Certificate(pem);
  return { raw: x.raw, subject: { CN: /CN=([^\n,]+)/.exec(x.subject)?.[1] } } as unknown as PeerCertificate;
};
const member = (name: string, id: number, pem?: string): MemberInfo => ({ name, id, address: '', clusterAddress: '', joinedAt: 0, certFingerprint: pem && fingerprint(pem) });

describe('PeerAuth', () => {
  const m1 = issue('m1');
  const m2 = issue('m2');
  const m3 = issue('m3');

  it('admits every CA-verified certificate until its own record is in its view (a joiner catching up)', () => {
    const a = new PeerAuth({ name: 'm3', id: 3 });
    expect(a.verdict(peer(issue('anyone'))).ok).toBe(true);
    a.update([member('m1', 1, m1)], new Map());
    expect(a.verdict(peer(issue('anyone'))).ok).toBe(true);
  });

  it('then admits only the members\' certificates; another one signed by the CA, even named as a member, is refused', () => {
    const a = new PeerAuth({ name: 'm1', id: 1 });
    a.update([member('m1', 1, m1), member('m2', 2, m2)], new Map());
    expect(a.verdict(peer(m2)).ok).toBe(true);
    const minted = a.verdict(peer(issue('m2')));
    expect(minted).toMatchObject({ ok: false, details: expect.stringMatching(/certificate [0-9a-f]{16} \(CN=m2\) is not a member's of this cluster/) });
    expect(a.verdict(undefined)).toMatchObject({ ok: false, details: expect.stringMatching(/no member certificate/) });
    // A member admitted by this leader is answered before the store's view has it.
    expect(a.verdict(peer(m3)).ok).toBe(false);
    a.admit(fingerprint(m3));
    expect(a.verdict(peer(m3)).ok).toBe(true);
  });

  it('names a removed member\'s certificate as such', () => {
    const a = new PeerAuth({ name: 'm1', id: 1 });
    a.update([member('m1', 1, m1)], new Map([[fingerprint(m2), { fingerprint: fingerprint(m2), name: 'm2', id: 2, at: 0, force: false }]]));
    const v = a.verdict(peer(m2));
    expect(v).toMatchObject({ ok: false, removed: { name: 'm2' }, details: expect.stringMatching(/member m2 was removed from the cluster at 1970-01-01T00:00:00.000Z/) });
  });

  it('judges a member whose record has no fingerprint (older data) by its certificate\'s name', () => {
    const a = new PeerAuth({ name: 'm1', id: 1 });
    a.update([member('m1', 1, m1), member('m2', 2)], new Map());
    expect(a.verdict(peer(issue('m2'))).ok).toBe(true);
    expect(a.verdict(peer(issue('m9'))).ok).toBe(false);
  });
});
