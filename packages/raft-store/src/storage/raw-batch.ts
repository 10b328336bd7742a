/**
 * One LevelDB write batch without abstract-level's per-operation work.
 *
 * abstract-level's `db.batch(ops)` clones every operation with the default options spread in,
 * looks up and runs the key and value encodings, prefixes the key and checks for hooks and
 * 'write' listeners, before classic-level's `_batch` hands the array to LevelDB. For the
 * Buffer keys and values raft-store writes that work changes nothing, and it cost ~7 µs of
 * CPU per operation on this host: a batch of 15 puts of 300 bytes took 157 µs of user CPU
 * through `batch()` and 57 µs through `_batch()` (session 14, one process, 2,000 batches).
 * raft-store writes a batch per Ready (the log) and per apply (the state), every member, so
 * that was ~25 µs of CPU per put across a 3-member cluster.
 *
 * Contract: the database was opened with keyEncoding and valueEncoding 'buffer', has no
 * prewrite hook and no 'write' listener (raft-store's own databases); every op is
 * `{ type: 'put', key: Buffer, value: Buffer }` or `{ type: 'del', key: Buffer }`. While the
 * database is not open (opening, closing, closed) the call goes through `batch()`, which
 * defers or refuses it with abstract-level's own errors: `_batch` on a closed classic-level
 * database would reach a freed LevelDB handle.
 */
import type { Level } from 'level';

export type RawBatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

interface PrivateBatch {
  _batch(ops: readonly RawBatchOp[], options: { sync: boolean }): Promise<void>;
}

const SYNC = Object.freeze({ sync: true });
const NO_SYNC = Object.freeze({ sync: false });

export function rawBatch(db: Level<Buffer, Buffer>, ops: readonly RawBatchOp[], sync = false): Promise<void> {
  if (db.status !== 'open' || ops.length === 0) return db.batch(ops as RawBatchOp[], { sync });
  return (db as unknown as PrivateBatch)._batch(ops, sync ? SYNC : NO_SYNC);
}
