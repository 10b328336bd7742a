// The cluster CA and the certificates it issues (X.509 v3, ECDSA P-256 with SHA-256), built
// with der.ts because Node's crypto cannot create certificates. See README.md in this folder.
import * as crypto from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import * as der from './der';

export class PkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}

export interface KeyPairPem {
  /** PEM "CERTIFICATE". */
  certPem: string;
  /** PEM "PRIVATE KEY" (PKCS#8). */
  keyPem: string;
}

export interface CaOptions {
  commonName: string;
  validDays: number;
  /** The O= attribute of the subject; '' leaves it out. Default 'berth'. */
  organization?: string;
  /** The issuing time (tests); default now. */
  now?: Date;
}

export type CertificateUsage = 'server-and-client' | 'client';

export interface IssueOptions {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  validDays: number;
  /** 'server-and-client' for members (serverAuth + clientAuth), 'client' for API clients. */
  usage: CertificateUsage;
  organization?: string;
  now?: Date;
  /**
   * The subject's own public key (SPKI PEM, EC P-256): the certificate is made for it and
   * the returned keyPem is empty, so the private key never leaves its owner (a joining
   * member sends only its public key). Without it a new key pair is made.
   */
  publicKeyPem?: string;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** How far notBefore is set in the past, for clock skew between members. */
export const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const UB_NAME = 64; // ub-common-name / ub-organization-name (RFC 5280 appendix A)

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

// keyUsage bit numbers (RFC 5280 4.2.1.3)
const KU = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

// ---- public API ----

export function createCertificateAuthority(opts: CaOptions): KeyPairPem {
  const now = issuingTime(opts.now);
  const name = encodeName(opts.commonName, opts.organization);
  return selfSigned(newKeyPair().privateKey, name, now, opts.validDays, [
    extension(OID.basicConstraints, true, der.sequence(der.boolean(true), der.integer(0))),
    extension(OID.keyUsage, true, der.namedBits([KU.keyCertSign, KU.cRLSign])),
  ]);
}

/** A certificate signed by its own key (subject = issuer = `name`), with a subjectKeyIdentifier after `extensions`. */
function selfSigned(privateKey: crypto.KeyObject, name: Buffer, now: Date, validDays: number, extensions: Buffer[]): KeyPairPem {
  const spki = crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const tbs = tbsCertificate({
    serial: randomSerial(),
    issuer: name,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: notAfter(now, validDays),
    subject: name,
    spki,
    extensions: [...extensions, extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(spki)))],
  });
  return { certPem: signCertificate(tbs, privateKey), keyPem: exportKey(privateKey) };
}

export function issueCertificate(ca: KeyPairPem, opts: IssueOptions): KeyPairPem {
  const now = issuingTime(opts.now);
  const subject = encodeName(opts.commonName, opts.organization);
  if (opts.usage !== 'server-and-client' && opts.usage !== 'client') {
    throw new PkiError(`usage must be 'server-and-client' or 'client', not ${JSON.stringify(opts.usage)}`);
  }
  const dnsNames = (opts.dnsNames ?? []).map(checkDnsName);
  const ips = (opts.ipAddresses ?? []).map(ipAddressBytes);
  if (opts.usage === 'server-and-client' && dnsNames.length + ips.length === 0) {
    throw new PkiError('a server-and-client certificate needs at least one DNS name or IP address (TLS clients check the subjectAltName)');
  }
  const issuer = loadCa(ca, now);
  // A certificate never outlives its CA: notAfter is clamped to the CA's notAfter.
  const requested = notAfter(now, opts.validDays);
  const notAfterDate = requested > issuer.notAfter ? issuer.notAfter : requested;
  const { privateKey, publicKey } = opts.publicKeyPem !== undefined ? { privateKey: undefined, publicKey: subjectPublicKey(opts.publicKeyPem) } : newKeyPair();
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const ekus = opts.usage === 'client' ? [OID.clientAuth] : [OID.serverAuth, OID.clientAuth];
  const extensions = [
    extension(OID.basicConstraints, true, der.sequence()),
    extension(OID.keyUsage, true, der.namedBits([KU.digitalSignature])),
    extension(OID.extKeyUsage, false, der.sequence(...ekus.map(der.oid))),
  ];
  if (dnsNames.length + ips.length > 0) {
    const generalNames = [
      ...dnsNames.map((n) => der.implicit(2, der.ia5String(n))), // dNSName [2] IA5String
      ...ips.map((b) => der.implicit(7, der.octetString(b))), // iPAddress [7] OCTET STRING
    ];
    extensions.push(extension(OID.subjectAltName, false, der.sequence(...generalNames)));
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(spki))));
  // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }
  extensions.push(extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, der.octetString(issuer.keyId)))));
  const tbs = tbsCertificate({
    serial: randomSerial(),
    issuer: issuer.subject,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: notAfterDate,
    subject,
    spki,
    extensions,
  });
  return { certPem: signCertificate(tbs, issuer.key), keyPem: privateKey ? exportKey(privateKey) : '' };
}

function subjectPublicKey(pem: string): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey(pem);
  } catch (e) {
    throw new PkiError(`publicKeyPem: not a PEM public key (${(e as Error).message})`);
  }
  if (/PRIVATE KEY/.test(pem)) throw new PkiError('publicKeyPem: a private key was given; send only the public key');
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw new PkiError(`publicKeyPem: wrong key type ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}, want EC P-256 (prime256v1)`);
  }
  return key;
}

/** A new EC P-256 key pair as PEM (PKCS#8 private, SPKI public): what a joining member makes. */
export function newKeyPairPem(): { keyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = newKeyPair();
  return { keyPem: exportKey(privateKey), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Lowercase hex SHA-256 of the certificate's DER: `openssl x509 -fingerprint -sha256` without colons. */
export function fingerprint(certPem: string): string {
  return fingerprintDer(parseCertificatePem(certPem).raw);
}

export function fingerprintDer(certDer: Buffer): string {
  return crypto.createHash('sha256').update(certDer).digest('hex');
}

/** Parses a PEM text holding exactly one CERTIFICATE block. */
export function parseCertificatePem(pem: string, what = 'certificate'): X509Certificate {
  const blocks = pemBlocks(pem, what);
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) {
    const labels = blocks.map((b) => b.label).join(', ');
    throw new PkiError(`${what}: expected a CERTIFICATE PEM block, found ${labels}`);
  }
  if (certs.length > 1) throw new PkiError(`${what}: expected exactly one certificate, found ${certs.length}`);
  const block = certs[0] as PemBlock;
  try {
    return new X509Certificate(block.der);
  } catch (e) {
    throw new PkiError(`${what}: the CERTIFICATE block is not a valid X.509 certificate (${(e as Error).message})`);
  }
}

/** Parses a PEM text holding one or more CERTIFICATE blocks (and nothing else). */
export function parseCertificateBundlePem(pem: string, what = 'certificates'): X509Certificate[] {
  return pemBlocks(pem, what).map((block, i) => {
    if (block.label !== 'CERTIFICATE') throw new PkiError(`${what}: PEM block ${i + 1} is ${block.label}, expected CERTIFICATE`);
    try {
      return new X509Certificate(block.der);
    } catch (e) {
      throw new PkiError(`${what}: PEM block ${i + 1} is not a valid X.509 certificate (${(e as Error).message})`);
    }
  });
}

/** Whether `certPem` was issued by `caPem` and both are valid at `now`; the first failure is named. */
export function verifyIssuedBy(certPem: string, caPem: string, now: Date = new Date()): VerifyResult {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = parseCertificatePem(certPem, 'certificate');
    ca = parseCertificatePem(caPem, 'CA certificate');
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  if (!ca.ca) return { ok: false, reason: `the CA certificate "${oneLine(ca.subject)}" is not a CA (basicConstraints CA:FALSE)` };
  if (!cert.checkIssued(ca)) {
    if (cert.issuer !== ca.subject) {
      return { ok: false, reason: `not issued by this CA: the certificate's issuer "${oneLine(cert.issuer)}" is not the CA's subject "${oneLine(ca.subject)}"` };
    }
    return {
      ok: false,
      reason: `not issued by this CA: the issuer name "${oneLine(cert.issuer)}" matches but the authority key identifier (or the CA's key usage) does not — another CA with the same name?`,
    };
  }
  if (!cert.verify(ca.publicKey)) {
    return { ok: false, reason: `not issued by this CA: the signature does not verify with the public key of "${oneLine(ca.subject)}"` };
  }
  for (const [what, x] of [['CA certificate', ca], ['certificate', cert]] as const) {
    const { notBefore, notAfter } = certificateValidity(x.raw);
    if (now < notBefore) return { ok: false, reason: `the ${what} is not valid yet (notBefore ${notBefore.toISOString()}, now ${now.toISOString()})` };
    if (now > notAfter) return { ok: false, reason: `the ${what} has expired (notAfter ${notAfter.toISOString()}, now ${now.toISOString()})` };
  }
  return { ok: true };
}

/** The validity window of a certificate, read from its DER (to the second). */
export function certificateValidity(certDer: Buffer): { notBefore: Date; notAfter: Date } {
  const v = tbsFields(certDer).validity;
  return { notBefore: der.readTime(der.child(v, 0, 'notBefore')), notAfter: der.readTime(der.child(v, 1, 'notAfter')) };
}

/** The network-order bytes of an IP address (4 for IPv4, 16 for IPv6), as in an iPAddress SAN. */
export function ipAddressBytes(ip: string): Buffer {
  if (typeof ip !== 'string') throw new PkiError(`invalid IP address ${JSON.stringify(ip)}`);
  if (ip.includes('%')) throw new PkiError(`invalid IP address "${ip}": zone ids (%...) cannot be in a certificate`);
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!net.isIPv6(ip)) throw new PkiError(`invalid IP address "${ip}"`);
  let text = ip;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // an embedded IPv4 address (::ffff:10.0.0.1) is the last two 16-bit groups
    const v4 = last.split('.').map(Number);
    tail.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const head = groups(halves[0]);
  const rest = [...groups(halves[1]), ...tail];
  const zeros = halves.length === 2 ? Math.max(0, 8 - head.length - rest.length) : 0;
  const all = [...head, ...new Array<number>(zeros).fill(0), ...rest];
  if (halves.length > 2 || all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) {
    throw new PkiError(`invalid IP address "${ip}"`);
  }
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

// ---- internals ----

interface PemBlock {
  label: string;
  der: Buffer;
}

function pemBlocks(text: string, what: string): PemBlock[] {
  if (Buffer.isBuffer(text)) text = (text as Buffer).toString('latin1');
  if (typeof text !== 'string') throw new PkiError(`${what}: expected PEM text, got ${typeof text}`);
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(re)) {
    const [, label = '', body = '', endLabel] = m;
    if (label !== endLabel) throw new PkiError(`${what}: PEM block BEGIN ${label} ends with END ${endLabel}`);
    const b64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new PkiError(`${what}: the ${label} PEM block is not valid base64`);
    }
    blocks.push({ label, der: Buffer.from(b64, 'base64') });
  }
  if (blocks.length === 0) throw new PkiError(`${what}: not PEM (no "-----BEGIN ...-----" / "-----END ...-----" block)`);
  return blocks;
}

function toPem(label: string, derBytes: Buffer): string {
  const lines = derBytes.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function issuingTime(now: Date | undefined): Date {
  const d = now ?? new Date();
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new PkiError('now: invalid date');
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

function notAfter(now: Date, validDays: number): Date {
  if (!Number.isSafeInteger(validDays) || validDays <= 0) {
    throw new PkiError(`validDays must be a positive integer, not ${JSON.stringify(validDays)}`);
  }
  const end = new Date(now.getTime() + validDays * DAY_MS);
  if (Number.isNaN(end.getTime()) || end.getUTCFullYear() > 9999) throw new PkiError(`validDays ${validDays} ends after the year 9999`);
  return end;
}

function checkNameText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new PkiError(`${field} must be a non-empty string`);
  if ([...value].length > UB_NAME) throw new PkiError(`${field} "${value}" is longer than ${UB_NAME} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new PkiError(`${field} ${JSON.stringify(value)} contains control characters`);
  return value;
}

/** Name ::= RDNSequence; one attribute per RDN: O (if any), then CN. UTF8String (RFC 5280 4.1.2.6). */
function encodeName(commonName: string, organization = 'berth'): Buffer {
  const cn = checkNameText(commonName, 'commonName');
  const rdns: Buffer[] = [];
  if (organization !== '') {
    const o = checkNameText(organization, 'organization');
    rdns.push(der.set(der.sequence(der.oid(OID.organization), der.utf8String(o))));
  }
  rdns.push(der.set(der.sequence(der.oid(OID.commonName), der.utf8String(cn))));
  return der.sequence(...rdns);
}

function checkDnsName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new PkiError(`invalid DNS name ${JSON.stringify(name)}: empty`);
  if (net.isIP(name)) throw new PkiError(`invalid DNS name "${name}": it is an IP address (put it in ipAddresses)`);
  if (name.length > 253) throw new PkiError(`invalid DNS name "${name}": longer than 253 characters`);
  const labels = name.split('.');
  labels.forEach((label, i) => {
    if (i === 0 && label === '*' && labels.length > 1) return; // wildcard, leftmost label only
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label)) {
      throw new PkiError(`invalid DNS name "${name}": label "${label}" must be 1..63 of [A-Za-z0-9-], not starting or ending with '-'`);
    }
  });
  return name;
}

function newKeyPair(): crypto.KeyPairKeyObjectResult {
  return crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function exportKey(key: crypto.KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** 16 random octets, top bit cleared (positive) and the next bit set (always 16 octets, never zero). */
export function randomSerial(): Buffer {
  const serial = crypto.randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  return serial;
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value (without the unused-bits octet). */
function keyIdentifier(spkiDer: Buffer): Buffer {
  const spki = der.readDer(spkiDer);
  const bits = der.child(spki, 1, 'subjectPublicKey');
  if (bits.tag !== der.Tag.BIT_STRING) throw new PkiError('SubjectPublicKeyInfo: subjectPublicKey is not a BIT STRING');
  return crypto.createHash('sha1').update(bits.content.subarray(1)).digest();
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  // critical BOOLEAN DEFAULT FALSE: DER leaves a default value out.
  return critical ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value)) : der.sequence(der.oid(id), der.octetString(value));
}

const SIGNATURE_ALGORITHM = der.sequence(der.oid(OID.ecdsaWithSha256)); // parameters absent (RFC 5758 3.2)

function tbsCertificate(t: {
  serial: Buffer;
  issuer: Buffer;
  notBefore: Date;
  notAfter: Date;
  subject: Buffer;
  spki: Buffer;
  extensions: Buffer[];
}): Buffer {
  return der.sequence(
    der.explicit(0, der.integer(2)), // version v3
    der.integer(t.serial),
    SIGNATURE_ALGORITHM,
    t.issuer,
    der.sequence(der.time(t.notBefore), der.time(t.notAfter)),
    t.subject,
    t.spki,
    der.explicit(3, der.sequence(...t.extensions)),
  );
}

function signCertificate(tbs: Buffer, key: crypto.KeyObject): string {
  const signature = crypto.sign('sha256', tbs, { key, dsaEncoding: 'der' });
  return toPem('CERTIFICATE', der.sequence(tbs, SIGNATURE_ALGORITHM, der.bitString(signature)));
}

interface TbsFields {
  validity: der.DerNode;
  subject: der.DerNode;
  extensions: der.DerNode[];
}

function tbsFields(certDer: Buffer): TbsFields {
  const cert = der.readDer(certDer);
  const tbs = der.child(cert, 0, 'tbsCertificate');
  const hasVersion = der.child(tbs, 0, 'serialNumber').tag === 0xa0;
  const at = (i: number, what: string): der.DerNode => der.child(tbs, i + (hasVersion ? 1 : 0), what);
  const exts = (tbs.children ?? []).find((c) => c.tag === 0xa3);
  return {
    validity: at(3, 'validity'),
    subject: at(4, 'subject'),
    extensions: exts?.children?.[0]?.children ?? [],
  };
}

interface LoadedCa {
  key: crypto.KeyObject;
  subject: Buffer;
  keyId: Buffer;
  notAfter: Date;
}

function loadCa(ca: KeyPairPem, now: Date): LoadedCa {
  if (!ca || typeof ca !== 'object') throw new PkiError('ca must be { certPem, keyPem }');
  const cert = parseCertificatePem(ca.certPem, 'CA certificate');
  if (!cert.ca) throw new PkiError(`CA certificate "${oneLine(cert.subject)}" is not a CA (basicConstraints CA:FALSE)`);
  pemBlocks(ca.keyPem, 'CA key');
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(ca.keyPem);
  } catch (e) {
    throw new PkiError(`CA key: not a PEM private key (${(e as Error).message})`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw new PkiError(`CA key: wrong key type ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}, want EC P-256 (prime256v1)`);
  }
  if (!cert.checkPrivateKey(key)) throw new PkiError('CA key does not match the CA certificate');
  const fields = tbsFields(cert.raw);
  const { notBefore, notAfter } = certificateValidity(cert.raw);
  if (now < notBefore || now > notAfter) {
    throw new PkiError(`CA certificate is not valid at ${now.toISOString()} (valid ${notBefore.toISOString()} .. ${notAfter.toISOString()})`);
  }
  let keyId: Buffer | undefined;
  for (const ext of fields.extensions) {
    if (ext.children?.[0] && der.readOid(ext.children[0]) === OID.subjectKeyIdentifier) {
      const value = ext.children[ext.children.length - 1];
      if (value) keyId = Buffer.from(der.readDer(value.content).content);
    }
  }
  keyId ??= keyIdentifier(cert.publicKey.export({ type: 'spki', format: 'der' }));
  return { key, subject: Buffer.from(fields.subject.raw), keyId, notAfter };
}

function oneLine(dn: string): string {
  return dn.split('\n').join(', ');
}

/**
 * A self-signed client certificate (an API client's own, as LXD's client.crt): subject =
 * issuer = `O=<organization>, CN=<commonName>`, `CA:FALSE`, keyUsage `digitalSignature`,
 * extKeyUsage `clientAuth`, signed by its own key. `keyPem` reuses an existing EC P-256 key;
 * without it a new key pair is made. The cluster trusts it by fingerprint (trust store); it
 * never chains to the cluster CA, so it opens nothing but the API listener.
 */
export function createSelfSignedClientCertificate(opts: { commonName: string; validDays: number; keyPem?: string; organization?: string; now?: Date }): KeyPairPem {
  const now = issuingTime(opts.now);
  const name = encodeName(opts.commonName, opts.organization);
  let privateKey: crypto.KeyObject;
  if (opts.keyPem !== undefined) {
    try {
      privateKey = crypto.createPrivateKey(opts.keyPem);
    } catch (e) {
      throw new PkiError(`keyPem: not a PEM private key (${(e as Error).message})`);
    }
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new PkiError('keyPem: want an EC P-256 (prime256v1) key');
  } else {
    privateKey = newKeyPair().privateKey;
  }
  return selfSigned(privateKey, name, now, opts.validDays, [
    extension(OID.basicConstraints, true, der.sequence()),
    extension(OID.keyUsage, true, der.namedBits([KU.digitalSignature])),
    extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.clientAuth))),
  ]);
}
