// A minimal DER (X.690) encoder, and a strict reader, for the ASN.1 that X.509 certificates
// need (RFC 5280). Every encoder returns one complete TLV. See README.md in this folder.

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

// Universal tags used here.
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** The length octets: short form below 128, else long form with the minimal number of octets. */
export function encodeLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new DerError(`invalid DER length ${length}`);
  if (length < 0x80) return Buffer.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/** One TLV with a single-octet tag. */
export function tlv(tag: number, content: Buffer): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new DerError(`unsupported tag ${tag} (only single-octet tags)`);
  }
  return Buffer.concat([Buffer.of(tag), encodeLength(content.length), content]);
}

// ---- INTEGER ----

/**
 * INTEGER. A Buffer is an unsigned big-endian magnitude (e.g. a serial number) and always
 * encodes a non-negative value; bigint and number may be negative (two's complement).
 */
export function integer(value: bigint | number | Buffer): Buffer {
  if (Buffer.isBuffer(value)) {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    let magnitude = value.length === 0 ? Buffer.of(0) : value.subarray(start);
    if ((magnitude[0] ?? 0) & 0x80) magnitude = Buffer.concat([Buffer.of(0), magnitude]);
    return tlv(Tag.INTEGER, Buffer.from(magnitude));
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new DerError(`INTEGER: ${value} is not a safe integer`);
    value = BigInt(value);
  }
  return tlv(Tag.INTEGER, twosComplement(value));
}

function twosComplement(v: bigint): Buffer {
  const octets: number[] = [];
  if (v >= 0n) {
    let n = v;
    do {
      octets.unshift(Number(n & 0xffn));
      n >>= 8n;
    } while (n > 0n);
    if ((octets[0] ?? 0) & 0x80) octets.unshift(0);
  } else {
    let n = v;
    // Emit octets until the remaining value is -1 and the sign bit of the last octet is set.
    for (;;) {
      const octet = Number(n & 0xffn);
      octets.unshift(octet);
      n >>= 8n; // arithmetic shift for negative bigints
      if (n === -1n && octet & 0x80) break;
    }
  }
  return Buffer.from(octets);
}

// ---- OBJECT IDENTIFIER ----

export function oid(dotted: string): Buffer {
  if (typeof dotted !== 'string' || !/^\d+(\.\d+)+$/.test(dotted)) {
    throw new DerError(`OID: "${String(dotted)}" is not a dotted OID with at least two arcs`);
  }
  const arcs = dotted.split('.').map((a) => {
    if (a.length > 1 && a.startsWith('0')) throw new DerError(`OID: arc "${a}" in ${dotted} has a leading zero`);
    return BigInt(a);
  });
  const [first, second, ...rest] = arcs as [bigint, bigint, ...bigint[]];
  if (first > 2n) throw new DerError(`OID: first arc of ${dotted} must be 0, 1 or 2`);
  if (first < 2n && second > 39n) throw new DerError(`OID: second arc of ${dotted} must be 0..39 under arc ${first}`);
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) out.push(...base128(arc));
  return tlv(Tag.OID, Buffer.from(out));
}

function base128(v: bigint): number[] {
  const groups: number[] = [Number(v & 0x7fn)];
  for (let n = v >> 7n; n > 0n; n >>= 7n) groups.unshift(Number(n & 0x7fn) | 0x80);
  return groups;
}

// ---- constructed ----

export function sequence(...items: Buffer[]): Buffer {
  return tlv(Tag.SEQUENCE, Buffer.concat(items));
}

/** SET OF: DER orders the elements by their encodings (X.690 11.6). */
export function set(...items: Buffer[]): Buffer {
  const sorted = [...items].sort(Buffer.compare);
  return tlv(Tag.SET, Buffer.concat(sorted));
}

/** [n] EXPLICIT: a constructed context-specific tag around the complete inner TLV. */
export function explicit(tagNumber: number, inner: Buffer): Buffer {
  checkTagNumber(tagNumber);
  return tlv(0xa0 | tagNumber, inner);
}

/** [n] IMPLICIT: the inner TLV's tag replaced by a context-specific one, keeping primitive/constructed. */
export function implicit(tagNumber: number, inner: Buffer): Buffer {
  checkTagNumber(tagNumber);
  const first = inner[0];
  if (first === undefined) throw new DerError('IMPLICIT: empty inner encoding');
  if ((first & 0x1f) === 0x1f) throw new DerError('IMPLICIT: inner has a multi-octet tag');
  const out = Buffer.from(inner);
  out[0] = 0x80 | (first & 0x20) | tagNumber;
  return out;
}

function checkTagNumber(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new DerError(`context tag number ${n} is not in 0..30`);
}

// ---- primitives ----

export function boolean(value: boolean): Buffer {
  return tlv(Tag.BOOLEAN, Buffer.of(value ? 0xff : 0x00));
}

export function nul(): Buffer {
  return tlv(Tag.NULL, Buffer.alloc(0));
}

export function octetString(bytes: Buffer | Uint8Array): Buffer {
  return tlv(Tag.OCTET_STRING, Buffer.from(bytes));
}

export function bitString(bytes: Buffer | Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
    throw new DerError(`BIT STRING: unused bits ${unusedBits} not in 0..7`);
  }
  const data = Buffer.from(bytes);
  if (data.length === 0 && unusedBits !== 0) throw new DerError('BIT STRING: an empty string has no unused bits');
  const last = data[data.length - 1];
  if (last !== undefined && (last & ((1 << unusedBits) - 1)) !== 0) {
    throw new DerError('BIT STRING: unused bits must be zero in DER');
  }
  return tlv(Tag.BIT_STRING, Buffer.concat([Buffer.of(unusedBits), data]));
}

/**
 * A named-bit-list BIT STRING (e.g. keyUsage): bit 0 is the most significant bit of the first
 * octet; DER drops trailing zero bits (X.690 11.2.2).
 */
export function namedBits(bitNumbers: number[]): Buffer {
  for (const b of bitNumbers) {
    if (!Number.isInteger(b) || b < 0 || b > 1024) throw new DerError(`named bit ${b} is not a bit number`);
  }
  if (bitNumbers.length === 0) return bitString(Buffer.alloc(0), 0);
  const highest = Math.max(...bitNumbers);
  const data = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const b of bitNumbers) data[b >> 3] = (data[b >> 3] ?? 0) | (0x80 >> (b & 7));
  return bitString(data, 7 - (highest & 7));
}

export function utf8String(s: string): Buffer {
  if (typeof s !== 'string') throw new DerError('UTF8String: not a string');
  if (/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
    throw new DerError('UTF8String: lone surrogate');
  }
  return tlv(Tag.UTF8_STRING, Buffer.from(s, 'utf8'));
}

export function printableString(s: string): Buffer {
  if (typeof s !== 'string' || !/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s)) {
    throw new DerError(`PrintableString: "${String(s)}" has characters outside A-Z a-z 0-9 space '()+,-./:=?`);
  }
  return tlv(Tag.PRINTABLE_STRING, Buffer.from(s, 'latin1'));
}

export function ia5String(s: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (typeof s !== 'string' || !/^[\x00-\x7f]*$/.test(s)) throw new DerError(`IA5String: "${String(s)}" is not ASCII`);
  return tlv(Tag.IA5_STRING, Buffer.from(s, 'latin1'));
}

// ---- time ----

function checkDate(d: Date, what: string): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new DerError(`${what}: invalid date`);
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

function hhmmss(d: Date): string {
  return pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) + pad(d.getUTCHours(), 2) +
    pad(d.getUTCMinutes(), 2) + pad(d.getUTCSeconds(), 2) + 'Z';
}

/** UTCTime YYMMDDHHMMSSZ (RFC 5280 4.1.2.5.1): years 1950..2049 only. */
export function utcTime(d: Date): Buffer {
  checkDate(d, 'UTCTime');
  const year = d.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new DerError(`UTCTime: year ${year} is outside 1950..2049`);
  return tlv(Tag.UTC_TIME, Buffer.from(pad(year % 100, 2) + hhmmss(d), 'latin1'));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ, no fractional seconds (RFC 5280 4.1.2.5.2). */
export function generalizedTime(d: Date): Buffer {
  checkDate(d, 'GeneralizedTime');
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new DerError(`GeneralizedTime: year ${year} is outside 0000..9999`);
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(pad(year, 4) + hhmmss(d), 'latin1'));
}

/** The certificate Time choice of RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
export function time(d: Date): Buffer {
  checkDate(d, 'Time');
  const year = d.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(d) : generalizedTime(d);
}

// ---- reading ----

export interface DerNode {
  /** The identifier octet. */
  tag: number;
  tagClass: 'universal' | 'application' | 'context' | 'private';
  tagNumber: number;
  constructed: boolean;
  /** The value octets. */
  content: Buffer;
  /** The whole TLV. */
  raw: Buffer;
  /** For constructed nodes: the TLVs inside. */
  children?: DerNode[];
}

const CLASSES = ['universal', 'application', 'context', 'private'] as const;

/** Parses exactly one TLV (recursively for constructed ones). Strict: definite minimal lengths, no trailing bytes. */
export function readDer(buf: Buffer): DerNode {
  const [node, end] = readAt(buf, 0, 0);
  if (end !== buf.length) throw new DerError(`DER: ${buf.length - end} trailing bytes`);
  return node;
}

function readAt(buf: Buffer, offset: number, depth: number): [DerNode, number] {
  if (depth > 32) throw new DerError('DER: nested too deeply');
  const tag = buf[offset];
  if (tag === undefined) throw new DerError('DER: truncated (no tag)');
  if ((tag & 0x1f) === 0x1f) throw new DerError('DER: multi-octet tags are not supported');
  const first = buf[offset + 1];
  if (first === undefined) throw new DerError('DER: truncated (no length)');
  let length: number;
  let pos = offset + 2;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    throw new DerError('DER: indefinite length');
  } else {
    const count = first & 0x7f;
    if (count > 4) throw new DerError('DER: length too large');
    if (pos + count > buf.length) throw new DerError('DER: truncated (length octets)');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[pos + i] ?? 0);
    if (buf[pos] === 0 || length < 0x80) throw new DerError('DER: non-minimal length');
    pos += count;
  }
  const end = pos + length;
  if (end > buf.length) throw new DerError(`DER: truncated (need ${length} bytes of value)`);
  const content = buf.subarray(pos, end);
  const constructed = (tag & 0x20) !== 0;
  const node: DerNode = {
    tag,
    tagClass: CLASSES[tag >> 6] ?? 'universal',
    tagNumber: tag & 0x1f,
    constructed,
    content,
    raw: buf.subarray(offset, end),
  };
  if (constructed) {
    const children: DerNode[] = [];
    let p = pos;
    while (p < end) {
      const [child, next] = readAt(buf.subarray(0, end), p, depth + 1);
      children.push(child);
      p = next;
    }
    node.children = children;
  }
  return [node, end];
}

/** The i-th child of a constructed node, or a DerError naming what was expected. */
export function child(node: DerNode, i: number, what: string): DerNode {
  const c = node.children?.[i];
  if (!c) throw new DerError(`DER: missing ${what}`);
  return c;
}

export function readOid(node: DerNode): string {
  if (node.tag !== Tag.OID) throw new DerError('DER: not an OID');
  const arcs: bigint[] = [];
  let v = 0n;
  for (const octet of node.content) {
    v = (v << 7n) | BigInt(octet & 0x7f);
    if (!(octet & 0x80)) {
      arcs.push(v);
      v = 0n;
    }
  }
  const firstSub = arcs.shift();
  if (firstSub === undefined) throw new DerError('DER: empty OID');
  const first = firstSub < 40n ? 0n : firstSub < 80n ? 1n : 2n;
  return [first, firstSub - first * 40n, ...arcs].join('.');
}

export function readTime(node: DerNode): Date {
  const s = node.content.toString('latin1');
  let m: RegExpMatchArray | null;
  let year: number;
  if (node.tag === Tag.UTC_TIME && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (node.tag === Tag.GENERALIZED_TIME && (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    year = Number(m[1]);
  } else {
    throw new DerError(`DER: "${s}" is not an RFC 5280 UTCTime or GeneralizedTime`);
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  date.setUTCFullYear(year); // Date.UTC maps years 0..99 to 1900..1999
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    throw new DerError(`DER: "${s}" is not a valid date`);
  }
  return date;
}
