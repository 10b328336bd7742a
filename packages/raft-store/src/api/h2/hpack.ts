/**
 * HPACK (RFC 7541), what an HTTP/2 server needs of it: a decoder with the dynamic table and
 * Huffman strings (Go's and nghttp2's clients Huffman-encode and index their headers), and
 * a stateless encoder (static-table indexes and literals that are never indexed, so the
 * server keeps no encoder state and never has to follow the peer's table size).
 *
 * Names and values are handled as latin1 strings: one char per octet, so sizes are octets.
 */
import { HUFFMAN_CODES, HUFFMAN_LENGTHS, STATIC_TABLE } from './hpack-tables';

/** A header block the decoder cannot accept: a COMPRESSION_ERROR for the connection. */
export class HpackError extends Error {
  constructor(message: string) {
    super(`HPACK: ${message}`);
    this.name = 'HpackError';
  }
}

// ------------------------------------------------------------------ Huffman

/**
 * The decoding tree: node n has children tree[2n] (bit 0) and tree[2n+1] (bit 1); a
 * child > 0 is another node, a child <= 0 is the leaf of symbol -child (EOS is 256).
 */
const TREE = buildTree();

function buildTree(): Int32Array {
  const t = new Int32Array(2 * 512);
  let nodes = 1;
  for (let sym = 0; sym <= 256; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    const len = HUFFMAN_LENGTHS[sym]!;
    let n = 0;
    for (let i = len - 1; i >= 0; i--) {
      const slot = 2 * n + ((code >>> i) & 1);
      if (i === 0) { t[slot] = -sym; break; }
      if (t[slot]! <= 0) t[slot] = nodes++;
      n = t[slot]!;
    }
  }
  return t;
}

/** Decodes a Huffman-coded string (RFC 7541 5.2): padding must be the EOS code's leading 1s, at most 7 bits. */
export function huffmanDecode(buf: Buffer, start: number, end: number): string {
  let out = '';
  let node = 0;
  let depth = 0; // bits read since the last symbol
  let ones = true; // whether those bits were all 1
  for (let p = start; p < end; p++) {
    const byte = buf[p]!;
    for (let i = 7; i >= 0; i--) {
      const bit = (byte >> i) & 1;
      const next = TREE[2 * node + bit]!;
      depth++;
      if (bit === 0) ones = false;
      if (next > 0) { node = next; continue; }
      const sym = -next;
      if (sym === 256) throw new HpackError('a Huffman string holds the EOS symbol');
      out += String.fromCharCode(sym);
      node = 0; depth = 0; ones = true;
    }
  }
  if (depth > 7) throw new HpackError('a Huffman string ends with more than 7 bits of padding');
  if (!ones) throw new HpackError('a Huffman string is padded with something other than the EOS code\'s 1 bits');
  return out;
}

/** Huffman-encodes a latin1 string (used by tests and by nothing on the hot path). */
export function huffmanEncode(s: string): Buffer {
  const out: number[] = [];
  let acc = 0; // pending bits, at most 7 + 30
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 0xff;
    const len = HUFFMAN_LENGTHS[c]!;
    acc = acc * 2 ** len + HUFFMAN_CODES[c]!;
    n += len;
    while (n >= 8) {
      n -= 8;
      const b = Math.floor(acc / 2 ** n);
      out.push(b & 0xff);
      acc -= b * 2 ** n;
    }
  }
  if (n > 0) out.push(((acc << (8 - n)) | ((1 << (8 - n)) - 1)) & 0xff);
  return Buffer.from(out);
}

// ------------------------------------------------------------------ decoder

/** Size of a table entry (RFC 7541 4.1). */
const entrySize = (name: string, value: string): number => name.length + value.length + 32;

export class HpackDecoder {
  /** Newest first. */
  private readonly dyn: Array<[string, string]> = [];
  private dynSize = 0;
  private maxSize: number;

  /**
   * @param limit the SETTINGS_HEADER_TABLE_SIZE this side advertised: the largest table the
   *   peer may ask for in a size update.
   * @param maxListSize the largest decoded header list accepted (names + values + 32 each).
   */
  constructor(private readonly limit = 4096, private readonly maxListSize = 64 << 10) {
    this.maxSize = limit;
  }

  /** Decodes one complete header block into [name, value, name, value, ...]. Throws HpackError. */
  decode(buf: Buffer): string[] {
    const out: string[] = [];
    let p = 0;
    let listSize = 0;
    let fields = 0;
    const end = buf.length;
    const int = (prefixBits: number): number => {
      if (p >= end) throw new HpackError('header block ends inside an integer');
      const mask = (1 << prefixBits) - 1;
      let v = buf[p++]! & mask;
      if (v < mask) return v;
      let m = 0;
      for (;;) {
        if (p >= end) throw new HpackError('header block ends inside an integer');
        const b = buf[p++]!;
        v += (b & 0x7f) * 2 ** m;
        m += 7;
        // At most 5 continuation octets (2^31 needs 5): more is an attack (2 ** m would reach Infinity, v NaN).
        if (v > 0x7fffffff || m > 35) throw new HpackError('an integer is larger than 2^31');
        if ((b & 0x80) === 0) return v;
      }
    };
    const str = (): string => {
      if (p >= end) throw new HpackError('header block ends before a string');
      const huff = (buf[p]! & 0x80) !== 0;
      const len = int(7);
      if (p + len > end) throw new HpackError(`a string of ${len} octets runs past the header block's end`);
      const s = huff ? huffmanDecode(buf, p, p + len) : buf.toString('latin1', p, p + len);
      p += len;
      return s;
    };
    const emit = (name: string, value: string): void => {
      listSize += entrySize(name, value);
      if (listSize > this.maxListSize) throw new HpackError(`header list larger than ${this.maxListSize} octets`);
      out.push(name, value);
      fields++;
    };
    while (p < end) {
      const b = buf[p]!;
      if (b & 0x80) { // indexed field
        const [n, v] = this.entry(int(7));
        emit(n, v);
      } else if (b & 0x40) { // literal with incremental indexing
        const idx = int(6);
        const name = idx === 0 ? str() : this.entry(idx)[0];
        const value = str();
        emit(name, value);
        this.insert(name, value);
      } else if (b & 0x20) { // dynamic table size update
        if (fields > 0) throw new HpackError('a dynamic table size update after a header field');
        const size = int(5);
        if (size > this.limit) throw new HpackError(`a dynamic table size update to ${size} octets, above the ${this.limit} this side allows`);
        this.maxSize = size;
        this.evict(0);
      } else { // literal without indexing (0000) or never indexed (0001)
        const idx = int(4);
        const name = idx === 0 ? str() : this.entry(idx)[0];
        emit(name, str());
      }
    }
    return out;
  }

  /** The entry at an HPACK index (1-based: static table, then dynamic table). */
  private entry(i: number): readonly [string, string] {
    if (i === 0) throw new HpackError('index 0');
    if (i <= STATIC_TABLE.length) return STATIC_TABLE[i - 1]!;
    const d = this.dyn[i - STATIC_TABLE.length - 1];
    if (!d) throw new HpackError(`index ${i} is past the dynamic table (${this.dyn.length} entries)`);
    return d;
  }

  private insert(name: string, value: string): void {
    const size = entrySize(name, value);
    if (size > this.maxSize) { // RFC 7541 4.4: empties the table, adds nothing
      this.dyn.length = 0;
      this.dynSize = 0;
      return;
    }
    this.evict(size);
    this.dyn.unshift([name, value]);
    this.dynSize += size;
  }

  /** Evicts the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.dynSize + room > this.maxSize && this.dyn.length > 0) {
      const [n, v] = this.dyn.pop()!;
      this.dynSize -= entrySize(n, v);
    }
  }

  /** Entries in the dynamic table (tests). */
  get tableLength(): number {
    return this.dyn.length;
  }
}

// ------------------------------------------------------------------ encoder

const STATIC_EXACT = new Map<string, number>();
const STATIC_NAME = new Map<string, number>();
STATIC_TABLE.forEach(([n, v], i) => {
  if (!STATIC_EXACT.has(`${n}\0${v}`)) STATIC_EXACT.set(`${n}\0${v}`, i + 1);
  if (!STATIC_NAME.has(n)) STATIC_NAME.set(n, i + 1);
});

function pushInt(out: number[], v: number, prefixBits: number, first: number): void {
  const max = (1 << prefixBits) - 1;
  if (v < max) { out.push(first | v); return; }
  out.push(first | max);
  v -= max;
  while (v >= 128) { out.push((v % 128) | 0x80); v = Math.floor(v / 128); }
  out.push(v);
}

function pushStr(out: number[], s: string): void {
  pushInt(out, s.length, 7, 0);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
}

/**
 * Encodes a header list without touching any dynamic table: a static entry that matches
 * name and value is indexed, everything else is a literal without indexing (RFC 7541 6.2.2),
 * its name indexed when the static table has it. Names must be lowercase latin1.
 */
export function encodeHeaders(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  const out: number[] = [];
  for (const [n, v] of fields) {
    const exact = STATIC_EXACT.get(`${n}\0${v}`);
    if (exact !== undefined) { pushInt(out, exact, 7, 0x80); continue; }
    const ni = STATIC_NAME.get(n);
    if (ni !== undefined) pushInt(out, ni, 4, 0);
    else { out.push(0); pushStr(out, n); }
    pushStr(out, v);
  }
  return Buffer.from(out);
}
