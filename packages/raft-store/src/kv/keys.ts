/**
 * The LevelDB layout of the key-value state machine. One byte of prefix per family:
 *   m<name>                 meta: applied index and term, current and compacted revision
 *   k<key>                  the current KeyValue of a live key
 *   h<rev:8><sub:4>         history: one event per change, for watches from a revision
 *   l<lease:8>              a lease and its TTL
 *   a<lease:8><key>         a key attached to a lease
 *   d<clientId>             the last sequence number and result per client (de-duplication)
 *   n<member:8>             where a Raft member can be reached (MemberRecord)
 *   p<key>                  a key's value at a compacted revision that a later change's
 *                           history event still names as its previous value (see purgeHistory)
 * Numbers in keys are big-endian so LevelDB's byte order is numeric order.
 */
export const P_META = 0x6d; // m
export const P_KEY = 0x6b; // k
export const P_HISTORY = 0x68; // h
export const P_LEASE = 0x6c; // l
export const P_ATTACH = 0x61; // a
export const P_DEDUP = 0x64; // d
export const P_MEMBER = 0x6e; // n
export const P_PREV = 0x70; // p

export const META_APPLIED = Buffer.from('mapplied');
export const META_REVISION = Buffer.from('mrevision');
export const META_COMPACTED = Buffer.from('mcompacted');
/** Written (empty, synced) to make the writes before it durable (MvccStore.syncApplied); never read. */
export const META_SYNCED = Buffer.from('msynced');

export function u64(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 0);
  b.writeUInt32BE(n % 0x1_0000_0000, 4);
  return b;
}

export function readU64(b: Buffer, offset: number): number {
  return b.readUInt32BE(offset) * 0x1_0000_0000 + b.readUInt32BE(offset + 4);
}

export function prefixed(prefix: number, ...parts: Buffer[]): Buffer {
  let n = 1;
  for (const p of parts) n += p.length;
  const b = Buffer.allocUnsafe(n);
  b[0] = prefix;
  let at = 1;
  for (const p of parts) at += p.copy(b, at);
  return b;
}

/** k<key>: made on every put, read and prefetch, so without the rest-argument array. */
export function keyKey(key: Buffer): Buffer {
  const b = Buffer.allocUnsafe(key.length + 1);
  b[0] = P_KEY;
  key.copy(b, 1);
  return b;
}

export function historyKey(rev: number, sub: number): Buffer {
  const b = Buffer.allocUnsafe(13);
  b[0] = P_HISTORY;
  b.writeUInt32BE(Math.floor(rev / 0x1_0000_0000), 1);
  b.writeUInt32BE(rev % 0x1_0000_0000, 5);
  b.writeUInt32BE(sub, 9);
  return b;
}

export const leaseKey = (id: number): Buffer => prefixed(P_LEASE, u64(id));
export const prevKey = (key: Buffer): Buffer => prefixed(P_PREV, key);
export const attachKey = (id: number, key: Buffer): Buffer => prefixed(P_ATTACH, u64(id), key);
export const memberKey = (id: number): Buffer => prefixed(P_MEMBER, u64(id));
export const dedupKey = (clientId: string): Buffer => prefixed(P_DEDUP, Buffer.from(clientId, 'utf8'));

/** The first key after every key that starts with `prefix`, or undefined when there is none. */
export function prefixEnd(prefix: Buffer): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

/**
 * An etcd range as LevelDB bounds over the k family: no end = the one key;
 * end "\0" = everything from key on; else [key, end).
 */
export function rangeBounds(key: Buffer, rangeEnd: Buffer | undefined): { gte: Buffer; lt: Buffer; single: boolean } {
  if (!rangeEnd || rangeEnd.length === 0) return { gte: keyKey(key), lt: keyKey(Buffer.concat([key, Buffer.of(0)])), single: true };
  const everything = rangeEnd.length === 1 && rangeEnd[0] === 0;
  return { gte: keyKey(key), lt: everything ? Buffer.of(P_KEY + 1) : keyKey(rangeEnd), single: false };
}

/** Whether `key` lies in the etcd range [start, end) as above. */
export function inRange(key: Buffer, start: Buffer, rangeEnd: Buffer | undefined): boolean {
  if (!rangeEnd || rangeEnd.length === 0) return key.equals(start);
  if (Buffer.compare(key, start) < 0) return false;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return true;
  return Buffer.compare(key, rangeEnd) < 0;
}
