/**
 * Protobuf wire primitives for the hand-written codecs of hot messages (raft-wire.ts for the
 * member transport, api/kv-wire.ts for etcd's Put and Range): measure first (the *Size /
 * *Field helpers), then write into one buffer of exactly that size (PbWriter); read fields
 * in place (PbReader, bytes as views into the buffer read). Integers are JS numbers: uint64
 * values must stay below 2^53; int64 fields may be negative (10-byte two's complement, as
 * protobuf writes them).
 */
export const WIRE = { VARINT: 0, LEN: 2 } as const;
const { VARINT, LEN } = WIRE;

/** Thrown by the decoders on bytes that are not a well-formed message. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

// ---------------------------------------------------------------- sizes

export function varintSize(n: number): number {
  if (n < 0) return 10; // int64 below zero: two's complement, sign-extended
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x20_0000) return 3;
  if (n < 0x1000_0000) return 4;
  let s = 4;
  n = Math.floor(n / 0x1000_0000);
  while (n > 0) { s++; n = Math.floor(n / 0x80); }
  return s;
}

/** Bytes of a uint64/uint32/bool field (tag of one byte: field numbers < 16). 0 when default. */
export const numField = (n: number): number => (n === 0 ? 0 : 1 + varintSize(n));
export const lenField = (len: number): number => 1 + varintSize(len) + len;

// ---------------------------------------------------------------- writer

export class PbWriter {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(n: number): void {
    const b = this.buf;
    if (n > 0xffff_ffff || n < 0) {
      if (!Number.isSafeInteger(n)) throw new WireFormatError(`cannot encode ${n} as a 64-bit integer`);
      if (n < 0) {
        let v = BigInt.asUintN(64, BigInt(n));
        for (let i = 0; i < 9; i++, v >>= 7n) b[this.pos++] = Number(v & 0x7fn) | 0x80;
        b[this.pos++] = Number(v);
        return;
      }
      while (n >= 0x80) {
        b[this.pos++] = (n % 0x80) | 0x80;
        n = Math.floor(n / 0x80);
      }
      b[this.pos++] = n;
      return;
    }
    while (n >= 0x80) {
      b[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[this.pos++] = n;
  }

  tag(field: number, wire: number): void { this.varint(field * 8 + wire); }

  num(field: number, n: number): void {
    if (n === 0) return;
    this.tag(field, VARINT);
    this.varint(n);
  }

  bool(field: number, v: boolean): void {
    if (!v) return;
    this.tag(field, VARINT);
    this.buf[this.pos++] = 1;
  }

  bytes(field: number, data: Uint8Array): void {
    if (data.byteLength === 0) return;
    this.tag(field, LEN);
    this.varint(data.byteLength);
    this.buf.set(data, this.pos);
    this.pos += data.byteLength;
  }

  /** A string already measured (`len` UTF-8 bytes). */
  str(field: number, s: string, len: number): void {
    if (len === 0) return;
    this.tag(field, LEN);
    this.varint(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }
}

// ---------------------------------------------------------------- reader

export class PbReader {
  pos: number;
  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) { this.pos = start; }

  varint(): number {
    const b = this.buf;
    let lo = 0;
    let shift = 0;
    let byte: number;
    // The first 4 bytes (28 bits) in int arithmetic, the rest as float (values < 2^53).
    do {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint');
      byte = b[this.pos++]!;
      if (shift < 28) lo |= (byte & 0x7f) << shift;
      else lo += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 70) throw new WireFormatError('varint too long');
    } while (byte & 0x80);
    return lo;
  }

  /** An int64 field: as varint(), but a 10-byte value is a negative number (two's complement). */
  int64(): number {
    const start = this.pos;
    const v = this.varint();
    if (this.pos - start < 10) return v;
    let big = 0n;
    for (let i = this.pos - 1; i >= start; i--) big = (big << 7n) | BigInt(this.buf[i]! & 0x7f);
    return Number(BigInt.asIntN(64, big));
  }

  len(): number {
    const n = this.varint();
    if (this.pos + n > this.end) throw new WireFormatError(`field of ${n} bytes runs past the end of its message`);
    return n;
  }

  bytes(): Buffer {
    const n = this.len();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  str(): string {
    const n = this.len();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  skip(wire: number): void {
    switch (wire) {
      case 0: this.varint(); return;
      case 1: this.pos += 8; break;
      case 2: { const n = this.len(); this.pos += n; return; }
      case 5: this.pos += 4; break;
      default: throw new WireFormatError(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new WireFormatError('truncated field');
  }

  /** A repeated uint64 field: packed (one length-delimited run) or one value per tag. */
  repeated(wire: number, into: number[]): void {
    if (wire === VARINT) { into.push(this.varint()); return; }
    if (wire !== LEN) throw new WireFormatError(`repeated integer with wire type ${wire}`);
    const n = this.len();
    const end = this.pos + n;
    while (this.pos < end) into.push(this.varint());
    if (this.pos !== end) throw new WireFormatError('packed field overruns its length');
  }
}

