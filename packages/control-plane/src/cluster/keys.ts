/** How berth's records meet the store's bytes: keys as UTF-8, values as JSON, prefix ranges. */

/** A key (or any text) as the store's bytes. */
export const b = (s: string): Buffer => Buffer.from(s, 'utf8');

/** A value as the store keeps berth's records: JSON, so `raft-store get` shows them as they are. */
export const json = (v: unknown): Buffer => b(JSON.stringify(v));

/** The end of a prefix range (etcd's convention: the prefix with its last byte + 1). */
export function prefixEnd(prefix: string): Buffer {
  const e = b(prefix);
  e[e.length - 1]! += 1;
  return e;
}
