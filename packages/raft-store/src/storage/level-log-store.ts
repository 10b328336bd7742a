/**
 * LevelLogStore: the durable Raft log and hard state of one member, in LevelDB.
 *
 * Layout (one LevelDB database in its own folder):
 *   "c"           cluster identity: { clusterId, memberId }; written once, checked at every open
 *   "h"           the hard state { term, vote, commit }
 *   "s"           the latest snapshot's metadata { index, term, confState } (its data lives in
 *                 the state machine's own database; see design.md)
 *   "r"<index:8>  a record of consecutive entries, the first one at <index>: per entry its
 *                 length (4 bytes, big-endian), then the entry as encodeEntry() stores it:
 *                 CRC-32 of the payload (4 bytes, big-endian), then the payload
 *   "e"<index:8>  one entry as encodeEntry() stores it (the layout before records; still read,
 *                 never written)
 *
 * Reads are synchronous, from memory: the entries since the last compaction are kept in
 * memory as well as on disk (the log is compacted behind snapshots, so it stays short).
 * Writes: save() puts entries, hard state and snapshot metadata of one Ready in ONE LevelDB
 * batch, fsynced when the Ready says mustSync: group commit, one fsync per Ready. The
 * entries of one Ready are one record (up to RECORD_MAX_ENTRIES / RECORD_MAX_BYTES), so a
 * Ready costs one LevelDB put for its entries and a compaction one delete per record, not
 * one per entry (LevelDB's per-operation cost in classic-level, ~5-7 µs of the event loop
 * each, was most of the log's CPU).
 *
 * At open every entry's checksum and index are verified; a corrupt entry or a foreign
 * cluster id is refused with an error naming the folder, the index and what is wrong.
 */
import { crc32 } from 'node:zlib';
import type { Level } from 'level';
import { openLevel } from './open-level';
import { rawBatch } from './raw-batch';
import { decode, encode } from '../kv/codec';
import type { Plain } from '../kv/codec';
import { dummyEntry, WindowedLogStorage } from '../core/entry-window';
import { UnavailableError } from '../core/errors';
import type { ConfChange, ConfState, Entry, HardState, Snapshot } from '../core/messages';
import { EMPTY_CONF_STATE } from '../core/messages';
import type { LogStorage } from '../core/storage';

const K_CLUSTER = Buffer.from('c');
const K_HARD = Buffer.from('h');
const K_SNAP = Buffer.from('s');
const P_ENTRY = 0x65; // e: one entry (the layout before records)
const P_RECORD = 0x72; // r: a record of consecutive entries
/** A record holds at most this many entries / about this many bytes (a Ready's entries may fill several). */
const RECORD_MAX_ENTRIES = 1024;
const RECORD_MAX_BYTES = 1 << 20;

function entryKey(index: number, prefix = P_ENTRY): Buffer {
  const b = Buffer.allocUnsafe(9);
  b[0] = prefix;
  b.writeUInt32BE(Math.floor(index / 0x1_0000_0000), 1);
  b.writeUInt32BE(index % 0x1_0000_0000, 5);
  return b;
}

/** One stored record: entries first..last under `key` ("r" record, or an old single "e" entry). */
interface StoredRecord {
  first: number;
  last: number;
  key: Buffer;
}

/** Encodes consecutive entries as one "r" record value. */
export function encodeRecord(es: readonly Entry[]): Buffer {
  const parts = es.map(encodeEntry);
  let n = 0;
  for (const p of parts) n += 4 + p.length;
  const out = Buffer.allocUnsafe(n);
  let pos = 0;
  for (const p of parts) {
    out.writeUInt32BE(p.length, pos);
    p.copy(out, pos + 4);
    pos += 4 + p.length;
  }
  return out;
}

/**
 * Decodes an "r" record; `where` is the index in its key (for messages). Throws a plain Error
 * saying which entry is wrong and why (the caller adds the folder).
 */
export function decodeRecord(raw: Buffer, where: number): Entry[] {
  const out: Entry[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const at = where + out.length;
    if (pos + 4 > raw.length) throw new Error(`entry ${at} is corrupt: record ${where} ends inside a length field`);
    const n = raw.readUInt32BE(pos);
    if (pos + 4 + n > raw.length) throw new Error(`entry ${at} is corrupt: its length (${n} bytes) runs past the end of record ${where}`);
    try {
      out.push(decodeEntry(raw.subarray(pos + 4, pos + 4 + n)));
    } catch (err) {
      throw new Error(`entry ${at} is corrupt: ${(err as Error).message}`);
    }
    pos += 4 + n;
  }
  if (out.length === 0) throw new Error(`record ${where} is empty`);
  return out;
}

const CONF_TYPES: ConfChange['type'][] = ['add-voter', 'add-learner', 'promote-learner', 'remove'];

export function encodeEntry(e: Entry): Buffer {
  const fields: Plain[] = [
    e.index, e.term, e.type === 'normal' ? 0 : 1, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength),
    e.confChange ? [CONF_TYPES.indexOf(e.confChange.type), e.confChange.nodeId] : null,
    e.clientId ?? null, e.seq ?? null,
  ];
  // An eighth field only when there is one: entries without it keep the bytes of before.
  if (e.forwardId !== undefined) fields.push(e.forwardId);
  const payload = encode(fields);
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(crc32(payload), 0);
  payload.copy(out, 4);
  return out;
}

/** Decodes a stored entry; throws a plain Error saying what is wrong (the caller adds where). */
export function decodeEntry(raw: Buffer): Entry {
  if (raw.length < 5) throw new Error(`record of ${raw.length} bytes is too short`);
  const payload = raw.subarray(4);
  const stored = raw.readUInt32BE(0);
  const computed = crc32(payload);
  if (stored !== computed) throw new Error(`checksum mismatch (stored ${stored.toString(16)}, computed ${computed.toString(16)})`);
  const [index, term, type, data, cc, clientId, seq, forwardId] = decode(payload) as [number, number, number, Buffer, [number, number] | null, string | null, number | null, number | undefined];
  const e: { -readonly [K in keyof Entry]: Entry[K] } = { index, term, type: type === 0 ? 'normal' : 'conf-change', data };
  if (cc) e.confChange = { type: CONF_TYPES[cc[0]]!, nodeId: cc[1] };
  if (clientId !== null) e.clientId = clientId;
  if (seq !== null) e.seq = seq;
  if (typeof forwardId === 'number') e.forwardId = forwardId;
  return e;
}

/** Thrown by open() when the log cannot be trusted; the member must not start. */
export class LogStoreCorruptError extends Error {
  override readonly name = 'LogStoreCorruptError';
  readonly code = 'LOG_CORRUPT';
}

/** Thrown by open() when the folder belongs to another cluster or member. */
export class ForeignClusterError extends Error {
  override readonly name = 'ForeignClusterError';
  readonly code = 'FOREIGN_CLUSTER';
}

export interface LogIdentity {
  clusterId: string;
  memberId: number;
}

type LogOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** What one Ready asks to persist. */
export interface LogWrite {
  hardState?: HardState | undefined;
  entries?: readonly Entry[] | undefined;
  snapshot?: Snapshot | undefined;
  /** fsync before resolving (Ready.mustSync). */
  sync: boolean;
}

export class LevelLogStore extends WindowedLogStorage implements LogStorage {
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  /** `hard` moved only in its commit index since it was last written (see saveNow). */
  private hardUnwritten = false;
  private snapMeta: Snapshot['metadata'] = { index: 0, term: 0, confState: EMPTY_CONF_STATE };
  private queue: Promise<void> = Promise.resolve();
  /** Bytes of payload held in memory, for metrics. */
  private bytes = 0;
  /** The records holding the window's entries, in index order (the first may start at or below the offset). */
  private records: StoredRecord[] = [];

  private constructor(readonly dir: string, private readonly db: Level<Buffer, Buffer>) {
    super();
  }

  /**
   * Opens the log in `dir`, creating it for `identity` when new. An existing log must carry
   * the same cluster and member id.
   */
  static async open(dir: string, identity: LogIdentity): Promise<LevelLogStore> {
    const db = await openLevel(dir);
    const store = new LevelLogStore(dir, db);
    try {
      await store.load(identity);
    } catch (e) {
      await db.close();
      throw e;
    }
    return store;
  }

  private async load(identity: LogIdentity): Promise<void> {
    const [cluster, hard, snap] = await this.db.getMany([K_CLUSTER, K_HARD, K_SNAP]);
    if (!cluster) {
      await this.db.put(K_CLUSTER, encode({ clusterId: identity.clusterId, memberId: identity.memberId }), { sync: true });
    } else {
      const stored = decode(cluster) as unknown as LogIdentity;
      if (stored.clusterId !== identity.clusterId || stored.memberId !== identity.memberId) {
        throw new ForeignClusterError(`raft log ${this.dir} belongs to cluster ${stored.clusterId} member ${stored.memberId}, not cluster ${identity.clusterId} member ${identity.memberId}; refusing to start`);
      }
    }
    if (hard) this.hard = decode(hard) as unknown as HardState;
    if (snap) {
      const m = decode(snap) as unknown as { index: number; term: number; confState: ConfState };
      this.snapMeta = m;
      this.win.ents = [dummyEntry(m.index, m.term)];
    }
    // Records of both layouts, in index order: old single entries ("e", from the snapshot
    // point on) and records ("r", the one holding the snapshot point may start below it).
    const found: Array<StoredRecord & { ents: Entry[] }> = [];
    for await (const [k, v] of this.db.iterator({ gte: entryKey(this.snapMeta.index + 1, P_ENTRY), lt: Buffer.of(P_ENTRY + 1) })) {
      const index = k.readUInt32BE(1) * 0x1_0000_0000 + k.readUInt32BE(5);
      let e: Entry;
      try {
        e = decodeEntry(v);
      } catch (err) {
        throw new LogStoreCorruptError(`raft log ${this.dir}: entry ${index} is corrupt: ${(err as Error).message}; refusing to start`);
      }
      if (e.index !== index) throw new LogStoreCorruptError(`raft log ${this.dir}: the record at index ${index} holds entry ${e.index}; refusing to start`);
      found.push({ first: index, last: index, key: Buffer.from(k), ents: [e] });
    }
    for await (const [k, v] of this.db.iterator({ gte: Buffer.of(P_RECORD), lt: Buffer.of(P_RECORD + 1) })) {
      const index = k.readUInt32BE(1) * 0x1_0000_0000 + k.readUInt32BE(5);
      let ents: Entry[];
      try {
        ents = decodeRecord(v, index);
      } catch (err) {
        throw new LogStoreCorruptError(`raft log ${this.dir}: ${(err as Error).message}; refusing to start`);
      }
      ents.forEach((e, i) => {
        if (e.index !== index + i) throw new LogStoreCorruptError(`raft log ${this.dir}: record ${index} holds entry ${e.index} at position ${i}; refusing to start`);
      });
      found.push({ first: index, last: index + ents.length - 1, key: Buffer.from(k), ents });
    }
    found.sort((a, b) => a.first - b.first);
    let expected = this.snapMeta.index + 1;
    for (const r of found) {
      if (r.last < expected) {
        // Wholly at or below the snapshot point: left by nothing this store writes (a
        // compaction deletes such records in its batch); harmless, ignored.
        if (r.last <= this.snapMeta.index) continue;
        throw new LogStoreCorruptError(`raft log ${this.dir}: entries ${r.first}..${r.last} are stored twice; refusing to start`);
      }
      if (r.first > expected) throw new LogStoreCorruptError(`raft log ${this.dir}: entry ${expected} is missing (next stored is ${r.first}); refusing to start`);
      if (r.first < expected && r.first > this.snapMeta.index) throw new LogStoreCorruptError(`raft log ${this.dir}: entries ${r.first}..${expected - 1} are stored twice; refusing to start`);
      for (const e of r.ents) {
        if (e.index < expected) continue;
        this.win.ents.push(e);
        this.bytes += e.data.byteLength;
        expected++;
      }
      this.records.push({ first: r.first, last: r.last, key: r.key });
    }
    if (this.hard.commit > this.lastIndex()) {
      throw new LogStoreCorruptError(`raft log ${this.dir}: hard state says commit ${this.hard.commit} but the log ends at ${this.lastIndex()}; refusing to start`);
    }
  }

  // ---- LogStorage (read side, synchronous) ----

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hard, confState: this.snapMeta.confState };
  }

  /** The latest snapshot's metadata; data is empty (the state machine streams its own). */
  snapshot(): Snapshot {
    return { metadata: this.snapMeta, data: new Uint8Array() };
  }

  get memoryBytes(): number {
    return this.bytes;
  }

  // ---- write side (the caller's persist duty) ----

  /**
   * Persists one Ready's snapshot metadata, entries and hard state in one batch. Entries
   * replace any conflicting suffix. Resolves when written (and fsynced if `sync`); the
   * in-memory view changes only after that, so a failed write leaves it as it was.
   */
  save(w: LogWrite): Promise<void> {
    return this.serialized(() => this.saveNow(w));
  }

  /** Writes run one at a time: a compaction never interleaves with a save. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }

  private async saveNow(w: LogWrite): Promise<void> {
    const ops: LogOp[] = [];
    // What the window will be once the batch is durable: replaced by a snapshot, and/or
    // cut at `keep` entries and extended with `es`. Computed now, applied after the write,
    // without copying the window (this runs once per Ready).
    const snap = w.snapshot && w.snapshot.metadata.index > this.snapMeta.index ? w.snapshot.metadata : undefined;
    // A hard state that only advances the commit index, alone in an unsynced write, is kept
    // in memory and written with the next write: such a write promises nothing durable (a
    // crash may lose it either way), and on a restart with an older commit the leader tells
    // it again and the state machine skips what it already applied. This saves a LevelDB
    // write (and a wait on the event loop) in every Ready that only commits.
    if (!w.sync && !snap && !(w.entries?.length) && w.hardState &&
      w.hardState.term === this.hard.term && w.hardState.vote === this.hard.vote && w.hardState.commit >= this.hard.commit) {
      this.hard = w.hardState;
      this.hardUnwritten = true;
      return;
    }
    // The records once the batch is durable (replaced, never mutated: a failed write leaves them).
    let records = this.records;
    if (snap) {
      ops.push({ type: 'put', key: K_SNAP, value: encode(snap as unknown as Plain) });
      for (const r of records) ops.push({ type: 'del', key: r.key });
      records = [];
    }
    const offset = snap ? snap.index : this.win.offset();
    const last = snap ? snap.index : this.lastIndex();
    let es = w.entries ?? [];
    if (es.length > 0 && es[0]!.index <= offset) es = es.filter((e) => e.index > offset);
    let keep = last - offset + 1;
    if (es.length > 0) {
      const start = es[0]!.index;
      if (start > last + 1) throw new Error(`append at ${start} leaves a gap after last index ${last}`);
      if (start <= last) records = this.truncateRecords(records, start, offset, ops);
      records = records === this.records ? [...records] : records;
      for (let i = 0; i < es.length;) {
        let j = i;
        let size = 0;
        while (j < es.length && j - i < RECORD_MAX_ENTRIES && (j === i || size + es[j]!.data.byteLength <= RECORD_MAX_BYTES)) size += es[j++]!.data.byteLength;
        const key = entryKey(es[i]!.index, P_RECORD);
        ops.push({ type: 'put', key, value: encodeRecord(j - i === es.length ? es : es.slice(i, j)) });
        records.push({ first: es[i]!.index, last: es[j - 1]!.index, key });
        i = j;
      }
      keep = start - offset;
    }
    const hard = w.hardState ?? (this.hardUnwritten && ops.length > 0 ? this.hard : undefined);
    if (hard) ops.push({ type: 'put', key: K_HARD, value: encode(hard as unknown as Plain) });
    if (ops.length === 0) return;
    await rawBatch(this.db, ops, w.sync);
    this.records = records;
    if (hard) this.hardUnwritten = false;
    if (snap) {
      this.win.ents = [dummyEntry(snap.index, snap.term)];
      this.snapMeta = snap;
      this.bytes = 0;
    }
    const ents = this.win.ents;
    for (let i = keep; i < ents.length; i++) this.bytes -= ents[i]!.data.byteLength;
    ents.length = keep;
    for (const e of es) {
      ents.push(e);
      this.bytes += e.data.byteLength;
    }
    if (w.hardState) this.hard = w.hardState;
  }

  /**
   * The records without the entries from `start` on (a conflicting suffix an append
   * replaces): records starting at or after it are deleted, the one holding `start` is
   * rewritten with its entries before it (those above the offset: the ones below are
   * compacted, no longer in memory; the record then moves to its first kept index).
   */
  private truncateRecords(records: StoredRecord[], start: number, offset: number, ops: LogOp[]): StoredRecord[] {
    const out: StoredRecord[] = [];
    for (const r of records) {
      if (r.last < start) {
        out.push(r);
        continue;
      }
      ops.push({ type: 'del', key: r.key });
      const from = Math.max(r.first, offset + 1);
      if (from < start) {
        const key = entryKey(from, P_RECORD);
        const kept = this.win.ents.slice(from - this.win.offset(), start - this.win.offset());
        // The delete above and this put may name the same key: LevelDB applies a batch in order.
        ops.push({ type: 'put', key, value: encodeRecord(kept) });
        out.push({ first: from, last: start - 1, key });
      }
    }
    return out;
  }

  /**
   * Records that the state machine holds everything up to `index` durably (the caller
   * synced it) and drops the entries up to it. Keeps the term of `index` for the log
   * matching check of the next append.
   */
  compact(index: number, confState: ConfState): Promise<void> {
    return this.serialized(() => this.compactNow(index, confState));
  }

  private async compactNow(index: number, confState: ConfState): Promise<void> {
    if (index <= this.win.offset()) return;
    if (index > this.lastIndex()) throw new UnavailableError(`compact(${index}) beyond last index ${this.lastIndex()}`);
    const meta = { index, term: this.term(index), confState };
    const ops: LogOp[] = [
      { type: 'put', key: K_SNAP, value: encode(meta as unknown as Plain) },
    ];
    // Records wholly at or below `index` go; the one holding `index` stays until a later
    // compaction passes its last entry (a load skips what it holds at or below the snapshot point).
    const keepRecords: StoredRecord[] = [];
    for (const r of this.records) {
      if (r.last <= index) ops.push({ type: 'del', key: r.key });
      else keepRecords.push(r);
    }
    await rawBatch(this.db, ops, true);
    this.records = keepRecords;
    for (let i = 1; i <= index - this.win.offset(); i++) this.bytes -= this.win.ents[i]!.data.byteLength;
    this.win.compactTo(index);
    this.snapMeta = meta;
  }

  /**
   * Writes the founding configuration of a new cluster: committed add-voter entries at
   * term 1, as InMemoryLogStore.bootstrap does. Only on an empty log.
   */
  async bootstrap(voters: readonly number[]): Promise<void> {
    if (this.lastIndex() !== 0) throw new Error(`bootstrap of raft log ${this.dir}: the log is not empty`);
    const entries: Entry[] = voters.map((id, i) => ({ index: i + 1, term: 1, type: 'conf-change', data: new Uint8Array(), confChange: { type: 'add-voter', nodeId: id } }));
    await this.save({ entries, hardState: { term: 1, vote: 0, commit: entries.length }, sync: true });
  }

  async close(): Promise<void> {
    await this.serialized(async () => {
      if (this.hardUnwritten) await this.db.put(K_HARD, encode(this.hard as unknown as Plain));
      this.hardUnwritten = false;
    }).catch(() => undefined);
    await this.db.close();
  }
}
