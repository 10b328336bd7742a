/**
 * A compact, deterministic binary encoding for the plain values the store keeps and
 * replicates: null/undefined, booleans, numbers (safe integers and doubles), strings,
 * Buffers, arrays and plain objects (keys in insertion order). The same value always
 * encodes to the same bytes, on every member, independent of the Node version, which
 * v8.serialize does not promise.
 *
 * Layout: one tag byte, then the payload. Integers are varints of their magnitude (the
 * sign is in the tag); lengths are varints.
 */

const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_INT = 3;
const T_DOUBLE = 4;
const T_STRING = 5;
const T_BYTES = 6;
const T_ARRAY = 7;
const T_OBJECT = 8;
const T_NEGINT = 9;

export type Plain = null | undefined | boolean | number | string | Buffer | Plain[] | { [k: string]: Plain };

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  varint(n: number): void {
    // n is a non-negative safe integer.
    this.ensure(8);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }
  bytes(b: Buffer): void {
    this.varint(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  string(s: string): void {
    const len = Buffer.byteLength(s);
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}

function write(w: Writer, v: Plain): void {
  if (v === null || v === undefined) {
    w.byte(T_NULL);
  } else if (v === false) {
    w.byte(T_FALSE);
  } else if (v === true) {
    w.byte(T_TRUE);
  } else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) {
      // Sign in the tag, not zigzag: zigzag of a safe integer can exceed 2^53.
      w.byte(v >= 0 ? T_INT : T_NEGINT);
      w.varint(v >= 0 ? v : -v);
    } else {
      w.byte(T_DOUBLE);
      w.ensure(8);
      w.buf.writeDoubleLE(v, w.pos);
      w.pos += 8;
    }
  } else if (typeof v === 'string') {
    w.byte(T_STRING);
    w.string(v);
  } else if (Buffer.isBuffer(v)) {
    w.byte(T_BYTES);
    w.bytes(v);
  } else if (Array.isArray(v)) {
    w.byte(T_ARRAY);
    w.varint(v.length);
    for (const x of v) write(w, x);
  } else if (typeof v === 'object') {
    // Own keys in insertion order (for-in: no prototype of a plain value enumerates any),
    // those holding undefined left out; counted first, without arrays of keys.
    let n = 0;
    for (const k in v) if (v[k] !== undefined) n++;
    w.byte(T_OBJECT);
    w.varint(n);
    for (const k in v) {
      const x = v[k];
      if (x === undefined) continue;
      w.string(k);
      write(w, x);
    }
  } else {
    throw new TypeError(`cannot encode a ${typeof v}`);
  }
}

/**
 * Where encode() writes before copying out the exact bytes: one copy per value, instead of
 * a 256-byte start doubled (and copied) for every value larger than that (a 256-byte put's
 * command, log entry and history record each grew twice). encode() is synchronous and
 * never re-entered, so one buffer serves every call; it keeps a grown size up to 1 MiB.
 */
const writer = new Writer(Buffer.allocUnsafe(16 << 10));

export function encode(v: Plain): Buffer {
  const w = writer;
  const start = w.buf;
  w.pos = 0;
  try {
    write(w, v);
    const out = Buffer.allocUnsafe(w.pos);
    w.buf.copy(out, 0, 0, w.pos);
    return out;
  } finally {
    // A grown buffer is kept up to 1 MiB; a larger one goes back to the previous size.
    if (w.buf.length > 1 << 20) w.buf = start;
  }
}

/** Thrown when bytes are not a valid encoding (a corrupt record or entry). */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly code = 'CORRUPT';
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new DecodeError(`truncated at byte ${this.pos}`);
    return this.buf[this.pos++]!;
  }
  varint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
      if (mul > 2 ** 56) throw new DecodeError(`varint too long at byte ${this.pos}`);
    }
  }
  take(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DecodeError(`truncated: need ${n} bytes at ${this.pos}, have ${this.buf.length - this.pos}`);
  }
  /** A UTF-8 string of n bytes, read in place (no view object made for it). */
  utf8(n: number): string {
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  /** A copy of n bytes, so a decoded value does not pin the whole input buffer. */
  copy(n: number): Buffer {
    this.need(n);
    const out = Buffer.allocUnsafe(n);
    this.buf.copy(out, 0, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function read(r: Reader): Plain {
  const tag = r.byte();
  switch (tag) {
    case T_NULL: return null;
    case T_FALSE: return false;
    case T_TRUE: return true;
    case T_INT: return r.varint();
    case T_NEGINT: return -r.varint();
    case T_DOUBLE: return r.take(8).readDoubleLE(0);
    case T_STRING: return r.utf8(r.varint());
    case T_BYTES: return r.copy(r.varint());
    case T_ARRAY: {
      const n = r.varint();
      const out: Plain[] = [];
      for (let i = 0; i < n; i++) out.push(read(r));
      return out;
    }
    case T_OBJECT: {
      const n = r.varint();
      const out: { [k: string]: Plain } = {};
      for (let i = 0; i < n; i++) {
        const k = r.utf8(r.varint());
        out[k] = read(r);
      }
      return out;
    }
    default: throw new DecodeError(`unknown tag ${tag} at byte ${r.pos - 1}`);
  }
}

export function decode(buf: Buffer): Plain {
  const r = new Reader(buf);
  const v = read(r);
  if (r.pos !== buf.length) throw new DecodeError(`${buf.length - r.pos} trailing bytes`);
  return v;
}
