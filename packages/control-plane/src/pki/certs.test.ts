import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BACKDATE_MS,
  certificateValidity,
  createCertificateAuthority,
  fingerprint,
  ipAddressBytes,
  issueCertificate,
  newKeyPairPem,
  KeyPairPem,
  parseCertificatePem,
  PkiError,
  verifyIssuedBy,
} from './certs';

const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

describe('certificates', () => {
  let ca: KeyPairPem;
  let member: KeyPairPem;
  let client: KeyPairPem;
  let otherCa: KeyPairPem; // a second cluster whose CA has the same name
  let otherMember: KeyPairPem;
  const started = Date.now();

  beforeAll(() => {
    ca = createCertificateAuthority({ commonName: 'berth-ca', validDays: 3650 });
    member = issueCertificate(ca, {
      commonName: 'm1',
      dnsNames: ['m1.berth.test', 'localhost'],
      ipAddresses: ['10.0.0.1', '::1', '2001:db8::ff00:42:8329'],
      validDays: 365,
      usage: 'server-and-client',
    });
    client = issueCertificate(ca, { commonName: 'operator', validDays: 30, usage: 'client' });
    otherCa = createCertificateAuthority({ commonName: 'berth-ca', validDays: 3650 });
    otherMember = issueCertificate(otherCa, { commonName: 'm1', ipAddresses: ['10.0.0.1'], validDays: 365, usage: 'server-and-client' });
  });

  it('makes a CA that node:crypto parses as a self-signed CA', () => {
    const x = new X509Certificate(ca.certPem);
    expect(x.ca).toBe(true);
    expect(x.subject).toBe('O=berth\nCN=berth-ca');
    expect(x.issuer).toBe(x.subject);
    expect(x.checkIssued(x)).toBe(true);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.publicKey.asymmetricKeyType).toBe('ec');
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(x.checkPrivateKey(crypto.createPrivateKey(ca.keyPem))).toBe(true);
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('issues a member certificate with its SANs, CA:false, server+client usage, signed by the CA', () => {
    const x = new X509Certificate(member.certPem);
    const caX = new X509Certificate(ca.certPem);
    expect(x.ca).toBe(false);
    expect(x.subject).toBe('O=berth\nCN=m1');
    expect(x.issuer).toBe(caX.subject);
    expect(x.subjectAltName).toBe(
      'DNS:m1.berth.test, DNS:localhost, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:0:FF00:42:8329',
    );
    expect(x.checkHost('m1.berth.test')).toBe('m1.berth.test');
    expect(x.checkIP('10.0.0.1')).toBe('10.0.0.1');
    expect(x.checkIP('::1')).toBe('::1');
    expect(x.checkIP('10.0.0.2')).toBeUndefined();
    expect(x.keyUsage).toEqual([OID_SERVER_AUTH, OID_CLIENT_AUTH]); // Node reports the extKeyUsage here
    expect(x.checkIssued(caX)).toBe(true);
    expect(x.verify(caX.publicKey)).toBe(true);
    expect(x.checkPrivateKey(crypto.createPrivateKey(member.keyPem))).toBe(true);
    expect(verifyIssuedBy(member.certPem, ca.certPem)).toEqual({ ok: true });
  });

  it('issues client certificates with clientAuth only and no SAN', () => {
    const x = new X509Certificate(client.certPem);
    expect(x.ca).toBe(false);
    expect(x.keyUsage).toEqual([OID_CLIENT_AUTH]);
    expect(x.subjectAltName).toBeUndefined();
    expect(verifyIssuedBy(client.certPem, ca.certPem)).toEqual({ ok: true });
  });

  it('uses random positive 16-byte serials and backdates notBefore by a few minutes', () => {
    const serials = [member, client, otherMember].map((c) => new X509Certificate(c.certPem).serialNumber);
    for (const s of serials) {
      expect(s).toMatch(/^[0-9A-F]{32}$/);
      expect(parseInt(s[0] as string, 16)).toBeLessThan(8); // top bit clear: positive without a 00 octet
    }
    expect(new Set(serials).size).toBe(serials.length);
    const { notBefore, notAfter } = certificateValidity(new X509Certificate(member.certPem).raw);
    expect(started - notBefore.getTime()).toBeGreaterThanOrEqual(BACKDATE_MS - 1000);
    expect(started - notBefore.getTime()).toBeLessThan(BACKDATE_MS + 60_000);
    expect(notAfter.getTime() - notBefore.getTime()).toBe(365 * 86_400_000 + BACKDATE_MS);
  });

  it('fingerprints as lowercase hex SHA-256 of the DER', () => {
    const x = new X509Certificate(member.certPem);
    expect(fingerprint(member.certPem)).toBe(x.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(fingerprint(member.certPem)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a certificate from another CA of the same name, naming the key identifier', () => {
    const r = verifyIssuedBy(otherMember.certPem, ca.certPem);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/not issued by this CA: .*authority key identifier/);
  });

  it('refuses a certificate from a CA of another name, naming both names', () => {
    const third = createCertificateAuthority({ commonName: 'elsewhere', validDays: 10 });
    const r = verifyIssuedBy(member.certPem, third.certPem);
    expect(!r.ok && r.reason).toMatch(/issuer "O=berth, CN=berth-ca" is not the CA's subject "O=berth, CN=elsewhere"/);
  });

  it('refuses a bad signature', () => {
    // Same CA name and key identifier (same key), but the certificate body is altered after signing.
    const der = Buffer.from(new X509Certificate(member.certPem).raw);
    const idx = der.indexOf(Buffer.from('m1.berth.test'));
    der[idx] = 'x'.charCodeAt(0);
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    const r = verifyIssuedBy(pem, ca.certPem);
    expect(!r.ok && r.reason).toMatch(/signature does not verify/);
  });

  it('refuses outside the validity window and when the "CA" is not a CA', () => {
    const now = new Date();
    expect(verifyIssuedBy(member.certPem, ca.certPem, new Date(now.getTime() + 400 * 86_400_000))).toEqual({
      ok: false,
      reason: expect.stringMatching(/^the certificate has expired \(notAfter /),
    });
    expect(verifyIssuedBy(member.certPem, ca.certPem, new Date(now.getTime() - 3_600_000))).toEqual({
      ok: false,
      reason: expect.stringMatching(/not valid yet/),
    });
    expect(verifyIssuedBy(member.certPem, ca.certPem, new Date(now.getTime() + 4000 * 86_400_000))).toEqual({
      ok: false,
      reason: expect.stringMatching(/^the CA certificate has expired/),
    });
    expect(verifyIssuedBy(client.certPem, member.certPem)).toEqual({ ok: false, reason: expect.stringMatching(/is not a CA/) });
    expect(verifyIssuedBy('hello', ca.certPem)).toEqual({ ok: false, reason: expect.stringMatching(/^certificate: not PEM/) });
  });

  it('issues certificates in the past (now option) that verify at that time only', () => {
    const then = new Date('2031-03-04T05:06:07Z');
    const oldCa = createCertificateAuthority({ commonName: 'old', validDays: 10, now: then });
    const old = issueCertificate(oldCa, { commonName: 'x', ipAddresses: ['10.1.1.1'], validDays: 1, usage: 'server-and-client', now: then });
    expect(verifyIssuedBy(old.certPem, oldCa.certPem, new Date('2031-03-04T12:00:00Z'))).toEqual({ ok: true });
    expect(verifyIssuedBy(old.certPem, oldCa.certPem, new Date('2031-03-06T00:00:00Z')).ok).toBe(false);
    expect(new X509Certificate(old.certPem).validFrom).toBe('Mar  4 05:01:07 2031 GMT');
    expect(() => issueCertificate(oldCa, { commonName: 'y', ipAddresses: ['10.1.1.1'], validDays: 1, usage: 'server-and-client' })).toThrow(
      /CA certificate is not valid at/,
    );
  });

  it('never issues a certificate that outlives its CA (notAfter clamped)', () => {
    const shortCa = createCertificateAuthority({ commonName: 'short', validDays: 2 });
    const long = issueCertificate(shortCa, { commonName: 'x', ipAddresses: ['10.1.1.1'], validDays: 365, usage: 'server-and-client' });
    expect(new X509Certificate(long.certPem).validTo).toBe(new X509Certificate(shortCa.certPem).validTo);
  });

  it('uses GeneralizedTime for dates from 2050 on, which Node and OpenSSL read back', () => {
    const longCa = createCertificateAuthority({ commonName: 'long', validDays: 365 * 40, now: new Date('2030-01-01T00:00:00Z') });
    const x = new X509Certificate(longCa.certPem);
    expect(x.validTo).toBe('Dec 22 00:00:00 2069 GMT');
    expect(certificateValidity(x.raw).notAfter.toISOString()).toBe('2069-12-22T00:00:00.000Z');
    // notBefore (2029) as UTCTime, notAfter (2069) as GeneralizedTime
    expect(x.raw.includes(Buffer.concat([Buffer.of(0x17, 13), Buffer.from('291231235500Z')]))).toBe(true);
    expect(x.raw.includes(Buffer.concat([Buffer.of(0x18, 15), Buffer.from('20691222000000Z')]))).toBe(true);
  });

  it('encodes IPv4 and IPv6 addresses (compressed, embedded IPv4) as SAN bytes', () => {
    const h = (ip: string): string => ipAddressBytes(ip).toString('hex');
    expect(h('10.0.0.1')).toBe('0a000001');
    expect(h('::')).toBe('0'.repeat(32));
    expect(h('::1')).toBe('0'.repeat(31) + '1');
    expect(h('1::')).toBe('0001' + '0'.repeat(28));
    expect(h('2001:db8::ff00:42:8329')).toBe('20010db8000000000000ff0000428329');
    expect(h('1:2:3:4:5:6:7:8')).toBe('00010002000300040005000600070008');
    expect(h('::ffff:192.0.2.128')).toBe('00000000000000000000ffffc0000280');
    expect(h('1:2:3:4:5:6:10.0.0.1')).toBe('0001000200030004000500060a000001');
    expect(h('FE80::1')).toBe('fe80' + '0'.repeat(27) + '1');
  });

  describe('bad input', () => {
    const issue = (over: Partial<Parameters<typeof issueCertificate>[1]>, issuer: KeyPairPem = ca): KeyPairPem =>
      issueCertificate(issuer, { commonName: 'm', ipAddresses: ['10.0.0.1'], validDays: 1, usage: 'server-and-client', ...over });

    it('names the bad field of a CA or certificate request', () => {
      expect(() => createCertificateAuthority({ commonName: '', validDays: 1 })).toThrow(/commonName must be a non-empty string/);
      expect(() => createCertificateAuthority({ commonName: 'x'.repeat(65), validDays: 1 })).toThrow(/longer than 64/);
      expect(() => createCertificateAuthority({ commonName: 'ca', validDays: 0 })).toThrow(/validDays must be a positive integer/);
      expect(() => createCertificateAuthority({ commonName: 'ca', validDays: 1.5 })).toThrow(/validDays/);
      expect(() => createCertificateAuthority({ commonName: 'ca', validDays: 4_000_000 })).toThrow(/after the year 9999/);
      expect(() => issue({ commonName: '  ' })).toThrow(/commonName must be a non-empty string/);
      expect(() => issue({ ipAddresses: ['10.0.0.256'] })).toThrow(/invalid IP address "10.0.0.256"/);
      expect(() => issue({ ipAddresses: ['fe80::1%eth0'] })).toThrow(/zone ids/);
      expect(() => issue({ ipAddresses: ['host'] })).toThrow(/invalid IP address "host"/);
      expect(() => issue({ dnsNames: ['bad_name.test'] })).toThrow(/invalid DNS name "bad_name.test": label "bad_name"/);
      expect(() => issue({ dnsNames: ['10.0.0.1'] })).toThrow(/it is an IP address/);
      expect(() => issue({ dnsNames: [], ipAddresses: [] })).toThrow(/needs at least one DNS name or IP address/);
      expect(() => issue({ usage: 'server' as never })).toThrow(/usage must be/);
      expect(issue({ dnsNames: ['*.berth.test'], ipAddresses: [] }).certPem).toMatch(/BEGIN CERTIFICATE/);
    });

    it('names what is wrong with the CA given to issueCertificate', () => {
      expect(() => issue({}, { certPem: 'not a cert', keyPem: ca.keyPem })).toThrow(/CA certificate: not PEM/);
      expect(() => issue({}, { certPem: ca.certPem, keyPem: 'garbage' })).toThrow(/CA key: not PEM/);
      expect(() => issue({}, { certPem: member.certPem, keyPem: member.keyPem })).toThrow(/is not a CA/);
      expect(() => issue({}, { certPem: ca.certPem, keyPem: otherCa.keyPem })).toThrow(/CA key does not match the CA certificate/);
      const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect(() => issue({}, { certPem: ca.certPem, keyPem: rsa })).toThrow(/wrong key type rsa, want EC P-256/);
      const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect(() => issue({}, { certPem: ca.certPem, keyPem: p384 })).toThrow(/wrong key type ec \(secp384r1\)/);
    });

    it('names what is wrong with PEM text', () => {
      expect(() => fingerprint('hello')).toThrow(PkiError);
      expect(() => fingerprint('hello')).toThrow(/not PEM/);
      expect(() => fingerprint(member.keyPem)).toThrow(/expected a CERTIFICATE PEM block, found PRIVATE KEY/);
      expect(() => fingerprint(member.certPem + ca.certPem)).toThrow(/expected exactly one certificate, found 2/);
      expect(() => fingerprint('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n')).toThrow(/not valid base64/);
      expect(() => fingerprint('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow(/not a valid X.509 certificate/);
      expect(() => parseCertificatePem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END X-----\n')).toThrow(/not PEM|ends with/);
    });
  });

  const opensslPath = ['/usr/bin/openssl', '/usr/local/bin/openssl'].find((p) => fs.existsSync(p));
  (opensslPath ? describe : describe.skip)('with openssl', () => {
    let dir: string;
    const openssl = (...args: string[]): { status: number | null; out: string } => {
      const r = spawnSync(opensslPath as string, args, { cwd: dir, encoding: 'utf8' });
      return { status: r.status, out: r.stdout + r.stderr };
    };

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-pki-'));
      fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
      fs.writeFileSync(path.join(dir, 'member.pem'), member.certPem);
      fs.writeFileSync(path.join(dir, 'client.pem'), client.certPem);
      fs.writeFileSync(path.join(dir, 'other.pem'), otherMember.certPem);
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('verifies member and client certificates against the CA (strict RFC 5280 checks, purposes)', () => {
      expect(openssl('verify', '-x509_strict', '-CAfile', 'ca.pem', 'member.pem')).toEqual({ status: 0, out: 'member.pem: OK\n' });
      expect(openssl('verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'member.pem').status).toBe(0);
      expect(openssl('verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', 'ca.pem', 'member.pem').status).toBe(0);
      expect(openssl('verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', 'ca.pem', 'client.pem')).toEqual({ status: 0, out: 'client.pem: OK\n' });
      const notServer = openssl('verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'client.pem');
      expect(notServer.status).not.toBe(0);
      expect(notServer.out).toMatch(/unsuitable certificate purpose/);
      const other = openssl('verify', '-CAfile', 'ca.pem', 'other.pem');
      expect(other.status).not.toBe(0);
      expect(other.out).toMatch(/unable to get local issuer certificate/);
    });

    it('shows the extensions in x509 -text and the same fingerprint', () => {
      const caText = openssl('x509', '-in', 'ca.pem', '-noout', '-text').out;
      expect(caText).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      expect(caText).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
      expect(caText).toMatch(/X509v3 Subject Key Identifier:/);
      expect(caText).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
      const text = openssl('x509', '-in', 'member.pem', '-noout', '-text').out;
      expect(text).toMatch(/Version: 3 \(0x2\)/);
      expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
      expect(text).toMatch(/X509v3 Extended Key Usage:\s*\n\s+TLS Web Server Authentication, TLS Web Client Authentication/);
      expect(text).toMatch(/DNS:m1.berth.test, DNS:localhost, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:0:FF00:42:8329/);
      expect(text).toMatch(/X509v3 Authority Key Identifier:/);
      const caSki = /Subject Key Identifier:\s*\n\s+([0-9A-F:]+)/.exec(caText)?.[1];
      expect(caSki).toBeDefined();
      expect(text).toContain(caSki as string); // the member's AKI is the CA's SKI
      const fp = execFileSync(opensslPath as string, ['x509', '-in', 'member.pem', '-noout', '-fingerprint', '-sha256'], { cwd: dir, encoding: 'utf8' });
      expect(fp.trim().split('=')[1]?.replace(/:/g, '').toLowerCase()).toBe(fingerprint(member.certPem));
    });

    it('parses as strict DER (asn1parse -strictpem, x509 -inform DER round trip)', () => {
      expect(openssl('asn1parse', '-in', 'member.pem', '-strictpem').status).toBe(0);
      const derOut = path.join(dir, 'member.der');
      expect(openssl('x509', '-in', 'member.pem', '-outform', 'DER', '-out', derOut).status).toBe(0);
      expect(fs.readFileSync(derOut).equals(new X509Certificate(member.certPem).raw)).toBe(true);
    });
  });
});

describe('issuing for a key the subject keeps', () => {
  it('certifies the given public key and returns no private key; refuses a private key or another curve', () => {
    const ca = createCertificateAuthority({ commonName: 'berth-test-ca', validDays: 30 });
    const mine = newKeyPairPem();
    const issued = issueCertificate(ca, { commonName: 'm2', ipAddresses: ['10.0.0.2'], validDays: 30, usage: 'server-and-client', publicKeyPem: mine.publicKeyPem });
    expect(issued.keyPem).toBe('');
    const cert = new crypto.X509Certificate(issued.certPem);
    expect(cert.checkPrivateKey(crypto.createPrivateKey(mine.keyPem))).toBe(true);
    expect(verifyIssuedBy(issued.certPem, ca.certPem)).toEqual({ ok: true });
    expect(() => issueCertificate(ca, { commonName: 'm2', ipAddresses: ['10.0.0.2'], validDays: 30, usage: 'server-and-client', publicKeyPem: mine.keyPem })).toThrow(/send only the public key/);
    const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => issueCertificate(ca, { commonName: 'm2', ipAddresses: ['10.0.0.2'], validDays: 30, usage: 'server-and-client', publicKeyPem: p384 })).toThrow(/want EC P-256/);
    expect(() => issueCertificate(ca, { commonName: 'm2', ipAddresses: ['10.0.0.2'], validDays: 30, usage: 'server-and-client', publicKeyPem: 'nope' })).toThrow(/not a PEM public key/);
  });
});
