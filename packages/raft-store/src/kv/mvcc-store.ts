import * as fs from 'node:fs';
import * as path from 'node:path';
import { Level } from 'level';
import { openLevel } from '../storage/open-level';
import { rawBatch } from '../storage/raw-batch';
import type { RawBatchOp } from '../storage/raw-batch';
import { decode, encode } from './codec';
import type { Plain } from './codec';
import {
  attachKey, dedupKey, historyKey, keyKey, leaseKey, memberKey, META_APPLIED, META_COMPACTED, META_REVISION, META_SYNCED,
  P_ATTACH, P_HISTORY, P_LEASE, P_MEMBER, prefixed, prevKey, rangeBounds, readU64, u64,
} from './keys';
import { decodeEvents, decodeKv, encodeEvents, encodeKv } from './records';
import type { StoredEvent } from './records';
import type {
  Command, CommandResult, Compare, DeleteRangeRequest, DeleteRangeResponse, KeyValue, KvErrorCode, Lease, MemberRecord,
  PutRequest, PutResponse, RangeRequest, RangeResponse, RequestOp, ResponseOp, TxnRequest, TxnResponse, WatchEvent,
} from './types';
import { CompactedError, WatchHub } from './watch';
import type { WatchOptions, WatchSink } from './watch';

type DB = Level<Buffer, Buffer>;
const EMPTY_VALUE = Buffer.alloc(0);
const ENC = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const;

/** One committed Raft entry as the state machine sees it. */
export interface AppliedEntry {
  index: number;
  term: number;
  /** Absent for entries with nothing to apply (the leader's empty entry, config changes). */
  command?: Command | undefined;
  /** De-duplication: a retried request with the same client and sequence is answered, not re-applied. */
  clientId?: string | undefined;
  seq?: number | undefined;
}

/** A refusal decided while applying: deterministic, so every member refuses alike. */
class Refusal extends Error {
  constructor(readonly code: KvErrorCode, message: string) {
    super(message);
  }
}

/**
 * The key-value state machine (etcd's MVCC model) on LevelDB.
 *
 * Contract with the Raft node that drives it:
 * - apply() is called with committed entries in log order, never concurrently (entries at
 *   or below appliedIndex are skipped, a gap is refused); each call
 *   writes its changes, the new revision and the applied index in ONE LevelDB batch, so
 *   after a crash the store is exactly as of some applied index and the node replays the
 *   log from there. Writes are not fsynced (the Raft log is); call sync() before the log
 *   is compacted past appliedIndex.
 * - apply() is pipelined with its writes (as etcd's backend buffers its batch tx): its
 *   results are computed on the state as of every earlier apply, written or not, and
 *   `onComputed` gets them before the batch is written; the next apply() may then start
 *   while LevelDB still writes (batches are written one after the other, in order; at
 *   most MAX_UNWRITTEN are outstanding). The changed keys of every batch not yet written
 *   stay in memory (`unwritten`) on top of the database, so reads and later applies see
 *   them. appliedIndex and revision are those of the last computed apply: a crash before
 *   the write loses nothing, because the entries are committed in the Raft log and the
 *   node replays them from the durable applied index.
 * - range() reads that state (never older than an answer already given); linearizable
 *   reads are the caller's job (ReadIndex: wait until appliedIndex >= the read index, then
 *   range()).
 * - The latest KeyValue of the keys recent applies wrote or looked up is cached in memory
 *   (bounded, filled only by apply, which never runs beside another apply), so applying a
 *   put of a hot key, or reading one key, needs no LevelDB read.
 * - Watchers get each change once, in revision order, after it is in the database.
 */
export class MvccStore {
  private db: DB;
  /** As of the last computed apply (what reads see). */
  private applied = { index: 0, term: 0 };
  private rev = 0;
  private compacted = 0;
  /** As of the last batch in the database (what watchers and sync() see). */
  private written = { index: 0, term: 0, rev: 0, compacted: 0 };
  /** Changes of the batches computed but not yet in the database, oldest first; replaced, never mutated. */
  private unwritten: readonly UnwrittenBatch[] = [];
  /** Settles when the latest queued batch write has (and so every earlier one). */
  private writeTail: Promise<void> = Promise.resolve();
  /** Batches waiting to be written, oldest first (see enqueueWrite). */
  private readonly writeQueue: WriteJob[] = [];
  private writePumping = false;
  private writeError: Error | undefined;
  /** Bytes of the batches not yet written (their records stay in memory until then). */
  private unwrittenBytes = 0;
  private readonly leases = new Map<number, Lease>();
  private readonly members = new Map<number, MemberRecord>();
  /** Reads in progress per database (see reading()). */
  private readonly readers = new Map<DB, number>();
  /** Latest KeyValue (or null: absent) of recently used keys, as of the last computed apply. */
  private readonly latest = new KvCache(LATEST_CACHE_KEYS);
  /** Moves whenever the cache may change under a read (an apply computed, a snapshot installed). */
  private cacheGen = 0;
  /** Keys to load into the cache at the next turn (see warm()). */
  private warmQueue = new Map<string, Buffer>();
  readonly hub: WatchHub;
  private closed = false;

  private constructor(private readonly dir: string, db: DB) {
    this.db = db;
    this.hub = new WatchHub((from, to) => this.history(from, to));
  }

  /** Opens (or creates) the store in `dir`, which holds CURRENT and the database folders. */
  static async open(dir: string): Promise<MvccStore> {
    fs.mkdirSync(dir, { recursive: true });
    const current = readCurrent(dir) ?? 'db-1';
    const db = await openLevel(path.join(dir, current));
    const store = new MvccStore(dir, db);
    await store.load();
    if (!readCurrent(dir)) writeCurrent(dir, current);
    return store;
  }

  private async load(): Promise<void> {
    const [applied, rev, compacted] = await this.db.getMany([META_APPLIED, META_REVISION, META_COMPACTED]);
    if (applied) {
      const [index, term] = decode(applied) as [number, number];
      this.applied = { index, term };
    }
    this.rev = rev ? (decode(rev) as number) : 0;
    this.compacted = compacted ? (decode(compacted) as number) : 0;
    this.written = { ...this.applied, rev: this.rev, compacted: this.compacted };
    this.unwritten = [];
    this.unwrittenBytes = 0;
    this.leases.clear();
    for await (const [k, v] of this.db.iterator({ gte: Buffer.of(P_LEASE), lt: Buffer.of(P_LEASE + 1) })) {
      const id = readU64(k, 1);
      this.leases.set(id, { id, ttl: decode(v) as number });
    }
    this.members.clear();
    for await (const v of this.db.values({ gte: Buffer.of(P_MEMBER), lt: Buffer.of(P_MEMBER + 1) })) {
      const m = decode(v) as unknown as MemberRecord;
      this.members.set(m.id, m);
    }
  }

  get appliedIndex(): number { return this.applied.index; }
  get appliedTerm(): number { return this.applied.term; }
  get revision(): number { return this.rev; }
  get compactedRevision(): number { return this.compacted; }
  listLeases(): Lease[] { return [...this.leases.values()]; }
  getLease(id: number): Lease | undefined { return this.leases.get(id); }
  /** Keys attached to a lease. */
  async leaseKeys(id: number): Promise<Buffer[]> {
    await this.drainWrites();
    const out: Buffer[] = [];
    for await (const k of this.db.keys({ gte: prefixed(P_ATTACH, u64(id)), lt: prefixed(P_ATTACH, u64(id + 1)) })) out.push(Buffer.from(k.subarray(9)));
    return out;
  }

  /** Bytes LevelDB uses on disk for the state, approximately. */
  async approximateSize(): Promise<number> {
    const db = this.db as unknown as { approximateSize?: (a: Buffer, b: Buffer) => Promise<number> };
    return db.approximateSize ? db.approximateSize(Buffer.of(0), Buffer.of(0xff)) : 0;
  }

  /** Where each member can be reached, as replicated. */
  listMembers(): MemberRecord[] { return [...this.members.values()].sort((a, b) => a.id - b.id); }

  /** Applies committed entries in order; returns the result of each entry that carried a command. */
  async apply(entries: readonly AppliedEntry[],
    onComputed?: (results: Array<{ index: number; result: CommandResult }>, revision: number) => void): Promise<Array<{ index: number; result: CommandResult }>> {
    this.assertOpen();
    if (this.writeError) throw this.writeError;
    if (this.unwritten.length >= MAX_UNWRITTEN || this.unwrittenBytes >= MAX_UNWRITTEN_BYTES) await this.drainWrites();
    const tx = new ApplyTx(this.db, this.rev, this.compacted, this.leases, this.members, this.latest, this.unwritten);
    await tx.prefetch(entries);
    const results: Array<{ index: number; result: CommandResult }> = [];
    let last = this.applied;
    for (const e of entries) {
      // Entries at or below the applied index are already in the state: a member that
      // installed a snapshot newer than its log's snapshot point replays them (etcd's
      // consistent index). A gap means entries were lost on the way: never guess.
      if (e.index <= last.index) continue;
      if (e.index !== last.index + 1) throw new Error(`apply gap: entry ${e.index} after applied ${last.index}`);
      last = { index: e.index, term: e.term };
      if (!e.command) continue;
      results.push({ index: e.index, result: tx.applyPutNow(e) ?? await tx.applyDeduplicated(e) });
    }
    tx.pushHistory();
    tx.batch.push({ type: 'put', key: META_APPLIED, value: encode([last.index, last.term]) });
    if (tx.rev !== this.rev) tx.batch.push({ type: 'put', key: META_REVISION, value: encode(tx.rev) });
    if (tx.compacted !== this.compacted) tx.batch.push({ type: 'put', key: META_COMPACTED, value: encode(tx.compacted) });
    // Computed: from here on, synchronously, the store shows this batch's state.
    const compactionTo = tx.compacted !== this.compacted ? tx.compacted : 0;
    const pending: UnwrittenBatch = { kvs: tx.overlay, dedup: tx.dedup };
    this.unwritten = [...this.unwritten, pending];
    this.applied = last;
    this.rev = tx.rev;
    this.compacted = tx.compacted;
    tx.fillCache(this.latest);
    this.cacheGen++;
    const db = this.db;
    let bytes = 0;
    for (const op of tx.batch) bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
    this.unwrittenBytes += bytes;
    const written = this.enqueueWrite(db, tx.batch, async () => {
      this.written = { index: last.index, term: last.term, rev: tx.rev, compacted: tx.compacted };
      this.unwritten = this.unwritten.filter((b) => b !== pending);
      this.unwrittenBytes -= bytes;
      this.hub.publish(tx.events);
      if (compactionTo > 0) await this.purgeHistory(compactionTo);
    });
    this.writeTail = written.catch(() => undefined);
    onComputed?.(results, tx.rev);
    await written;
    return results;
  }

  /**
   * Queues one apply's batch; `done` runs once it is in the database, in apply order. The
   * batches that queued up while one was being written go to LevelDB together, as ONE
   * batch (in order, so later puts of a key and of the applied index win; atomic, so the
   * applied index still matches the data): every LevelDB call is a trip through libuv's
   * thread pool, whose wake-up costs the event loop tens of µs on this kind of host, however
   * small the batch. A write error refuses every later batch (the caller fails the member).
   */
  private enqueueWrite(db: DB, ops: BatchOp[], done: () => Promise<void>): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.writeQueue.push({ db, ops, done, resolve, reject }));
    if (!this.writePumping) {
      this.writePumping = true;
      void Promise.resolve().then(() => this.pumpWrites());
    }
    return p;
  }

  private async pumpWrites(): Promise<void> {
    try {
      while (this.writeQueue.length > 0) {
        const first = this.writeQueue[0]!;
        let n = 1;
        let count = first.ops.length;
        while (n < this.writeQueue.length && this.writeQueue[n]!.db === first.db && count + this.writeQueue[n]!.ops.length <= MERGE_MAX_OPS) count += this.writeQueue[n++]!.ops.length;
        const jobs = this.writeQueue.splice(0, n);
        if (this.writeError) {
          for (const j of jobs) j.reject(this.writeError);
          continue;
        }
        try {
          await rawBatch(first.db, n === 1 ? first.ops : jobs.flatMap((j) => j.ops));
        } catch (e) {
          this.writeError = e instanceof Error ? e : new Error(String(e));
          for (const j of jobs) j.reject(this.writeError);
          continue;
        }
        for (const j of jobs) {
          try {
            await j.done();
            j.resolve();
          } catch (e) {
            j.reject(e instanceof Error ? e : new Error(String(e)));
          }
        }
      }
    } finally {
      this.writePumping = false;
    }
  }

  /** Waits until every batch computed so far is in the database. */
  private async drainWrites(): Promise<void> {
    await this.writeTail;
    if (this.writeError) throw this.writeError;
  }

  /**
   * Loads into the cache, ahead of their apply, the keys a command will read (the leader
   * calls this when it proposes, so the read overlaps the log's fsync and replication
   * instead of following them). Only keys in neither the cache nor an unwritten batch are
   * read, one getMany per event-loop turn; a value read is cached only if the key is still
   * absent and nothing left the cache meanwhile: then no apply changed the key since the
   * read began (an apply caches every key it writes), so the value read is current.
   */
  warm(cmd: Command): void {
    if (this.closed) return;
    const first = this.warmQueue.size === 0;
    singleKeys(cmd, this.warmQueue);
    if (first && this.warmQueue.size > 0) setImmediate(() => this.flushWarm());
  }

  private flushWarm(): void {
    const queued = this.warmQueue;
    this.warmQueue = new Map();
    if (this.closed) return;
    const ids: string[] = [];
    const keys: Buffer[] = [];
    for (const [id, k] of queued) {
      if (this.latest.has(id) || this.inUnwritten(id)) continue;
      ids.push(id);
      keys.push(k);
    }
    if (keys.length === 0) return;
    const epoch = this.latest.epoch;
    const db = this.db;
    db.getMany(keys.map(keyKey)).then((raws) => {
      for (let i = 0; i < keys.length; i++) {
        if (this.db !== db || this.latest.epoch !== epoch) return;
        if (this.latest.has(ids[i]!)) continue;
        const raw = raws[i];
        this.latest.set(ids[i]!, raw ? decodeKv(keys[i]!, raw) : null);
      }
    }, () => undefined);
  }

  private inUnwritten(id: string): boolean {
    for (const b of this.unwritten) if (b.kvs.has(id)) return true;
    return false;
  }

  /** Reads current state. */
  async range(req: RangeRequest): Promise<RangeResponse> {
    this.assertOpen();
    if (req.revision && req.revision > 0 && req.revision !== this.rev) {
      if (req.revision > this.rev) throw new Refusal('FUTURE_REVISION', `revision ${req.revision} is in the future (current ${this.rev})`);
      if (req.revision <= this.compacted) throw new Refusal('COMPACTED', `revision ${req.revision} has been compacted (compacted at ${this.compacted})`);
      throw new Refusal('INVALID_ARGUMENT', `reads at a past revision (${req.revision}, current ${this.rev}) are not supported yet`);
    }
    // A key read from the database goes into the cache too, unless an apply computed since
    // the read began (it may have changed the key: its value is in the cache already).
    const gen = this.cacheGen;
    const fill = (id: string, kv: KeyValue | null): void => {
      if (this.cacheGen === gen) this.latest.set(id, kv);
    };
    return this.reading((db) => new ApplyTx(db, this.rev, this.compacted, this.leases, this.members, this.latest, this.unwritten, fill).range(req));
  }

  /**
   * Runs a read on the current database, counted, so that installing a snapshot (which
   * swaps and closes the database) waits for reads still iterating the old one.
   */
  private async reading<T>(fn: (db: DB) => Promise<T>): Promise<T> {
    const db = this.db;
    this.readers.set(db, (this.readers.get(db) ?? 0) + 1);
    try {
      return await fn(db);
    } finally {
      const n = (this.readers.get(db) ?? 1) - 1;
      if (n > 0) this.readers.set(db, n);
      else this.readers.delete(db);
    }
  }

  private async drainReaders(db: DB): Promise<void> {
    while (this.readers.has(db)) await new Promise((r) => setTimeout(r, 2));
  }

  /** Starts a watch; see WatchHub. Throws CompactedError when startRevision is gone. */
  watch(opts: WatchOptions, sink: WatchSink, onError: (e: Error) => void): number {
    // The hub's view is the database's: events reach watchers once written.
    return this.hub.watch(opts, this.written.rev, this.written.compacted, sink, onError);
  }

  cancelWatch(id: number): boolean {
    return this.hub.cancel(id);
  }

  /** Events with revision in [from, to], from the history family. */
  async history(from: number, to: number): Promise<WatchEvent[]> {
    if (this.unwritten.length > 0) await this.drainWrites();
    if (from <= this.compacted) throw new CompactedError(from, this.compacted);
    const compacted = this.compacted;
    return this.reading(async (db) => {
      const out: StoredEvent[] = [];
      /** revision -> the events at it, from the records read so far */
      const seen = new Map<number, StoredEvent[]>();
      const remember = (evs: StoredEvent[]): void => {
        for (const ev of evs) {
          const at = seen.get(ev.kv.modRevision);
          if (at) at.push(ev);
          else seen.set(ev.kv.modRevision, [ev]);
        }
      };
      // A record is keyed by its LAST event: the first one at or after `from` may begin before
      // it; the records after the one that reaches `to` are all beyond it.
      for await (const v of db.values({ gte: historyKey(from, 0), lt: HISTORY_END })) {
        const evs = decodeEvents(v);
        remember(evs);
        for (const ev of evs) {
          const rev = ev.kv.modRevision;
          if (rev >= from && rev <= to) out.push(ev);
        }
        if (evs[evs.length - 1]!.kv.modRevision >= to) break;
      }
      // Previous values (etcd reads them at rev-1): the PUT at prevRevision, from the record
      // holding that revision (the first keyed at or after it), or, once that record is
      // purged, from the p family, where purgeHistory kept it.
      const result: WatchEvent[] = [];
      for (const ev of out) {
        let prevKv = ev.prevKv;
        const pr = ev.prevRevision;
        if (!prevKv && pr !== undefined) {
          if (!seen.has(pr)) {
            for await (const v of db.values({ gte: historyKey(pr, 0), lt: HISTORY_END, limit: 1 })) remember(decodeEvents(v));
          }
          prevKv = seen.get(pr)?.find((p) => p.type === 'PUT' && p.kv.key.equals(ev.kv.key))?.kv;
          if (!prevKv) {
            const raw = await db.get(prevKey(ev.kv.key));
            const kept = raw ? decodeKv(ev.kv.key, raw) : undefined;
            if (kept?.modRevision === pr) prevKv = kept;
          }
        }
        result.push(prevKv ? { type: ev.type, kv: ev.kv, prevKv } : { type: ev.type, kv: ev.kv });
      }
      return result;
    });
  }

  /** Makes everything applied so far durable (one synced write flushes LevelDB's log). */
  async sync(): Promise<void> {
    await this.drainWrites();
    await this.db.put(META_APPLIED, encode([this.written.index, this.written.term]), { sync: true });
  }

  /**
   * Makes durable everything applied before the call without holding up the applies after it
   * (sync() is for callers that hold applies back: with applies going on its queue never
   * drains). Waits for the batches computed so far to be written, then fsyncs LevelDB's log
   * with a synced write of one key of its own (`msynced`), never the applied index: a batch
   * written meanwhile may carry a later one, which must not be overwritten with an older.
   * Resolves false, having synced nothing, when the database was replaced meanwhile (an
   * installed snapshot, synced when it was written) or is closing.
   *
   * Why (session 14): the member's log compaction, every 10,000 entries, called sync() under
   * the state lock, and each time the applies of that member stopped for the 2-15 ms the
   * drain and the fsync took (measured under 64 clients): answers stalled on one member or
   * another about 1% of the time, which is where a p99 lives.
   */
  async syncApplied(): Promise<boolean> {
    const db = this.db;
    await this.writeTail;
    if (this.writeError) throw this.writeError;
    if (this.db !== db || this.closed || db.status !== 'open') return false;
    try {
      await db.put(META_SYNCED, EMPTY_VALUE, { sync: true });
    } catch (e) {
      if (this.db !== db || this.closed) return false;
      throw e;
    }
    return true;
  }

  /**
   * The whole state as a stream of records (length-prefixed key and value), read from a
   * LevelDB snapshot so writes may go on meanwhile. Returns the applied index and term it
   * stands for. History below the compacted revision is left out.
   */
  async snapshot(): Promise<{ index: number; term: number; chunks: AsyncIterable<Buffer> }> {
    this.assertOpen();
    await this.drainWrites();
    const it = this.db.iterator();
    const { index, term, compacted } = this.written;
    const firstHistory = historyKey(compacted + 1, 0);
    async function* chunks(): AsyncIterable<Buffer> {
      let parts: Buffer[] = [];
      let size = 0;
      try {
        for await (const [k, v] of it) {
          if (k[0] === P_HISTORY && Buffer.compare(k, firstHistory) < 0) continue;
          const head = Buffer.allocUnsafe(8);
          head.writeUInt32BE(k.length, 0);
          head.writeUInt32BE(v.length, 4);
          parts.push(head, k, v);
          size += 8 + k.length + v.length;
          if (size >= 1 << 20) {
            yield Buffer.concat(parts);
            parts = [];
            size = 0;
          }
        }
        if (size > 0) yield Buffer.concat(parts);
      } finally {
        await it.close();
      }
    }
    return { index, term, chunks: chunks() };
  }

  /**
   * Replaces the whole state with a snapshot, atomically: records go into a fresh
   * database folder, which is synced and then made current by renaming CURRENT. A crash
   * at any point leaves either the old state or the new one. Watchers are kept; they
   * miss nothing they could have seen, because a member installing a snapshot was behind.
   */
  async installSnapshot(chunks: AsyncIterable<Buffer>): Promise<void> {
    this.assertOpen();
    await this.drainWrites();
    const oldName = readCurrent(this.dir) ?? 'db-1';
    const nextName = `db-${Number(oldName.slice(3)) + 1}`;
    const nextDir = path.join(this.dir, nextName);
    fs.rmSync(nextDir, { recursive: true, force: true });
    const next = new Level<Buffer, Buffer>(nextDir, ENC);
    await next.open();
    try {
      let rest = Buffer.alloc(0);
      let ops: Array<{ type: 'put'; key: Buffer; value: Buffer }> = [];
      for await (const chunk of chunks) {
        let buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
        let off = 0;
        while (buf.length - off >= 8) {
          const kl = buf.readUInt32BE(off);
          const vl = buf.readUInt32BE(off + 4);
          if (buf.length - off < 8 + kl + vl) break;
          ops.push({ type: 'put', key: Buffer.from(buf.subarray(off + 8, off + 8 + kl)), value: Buffer.from(buf.subarray(off + 8 + kl, off + 8 + kl + vl)) });
          off += 8 + kl + vl;
          if (ops.length >= 10_000) {
            await rawBatch(next, ops);
            ops = [];
          }
        }
        rest = Buffer.from(buf.subarray(off));
        buf = rest;
      }
      if (rest.length > 0) throw new Error(`snapshot ends inside a record (${rest.length} bytes left over)`);
      if (ops.length) await rawBatch(next, ops);
      // One synced write flushes the new database's log to disk before it becomes current.
      const applied = await next.get(META_APPLIED);
      if (!applied) throw new Error('snapshot has no applied index');
      await next.put(META_APPLIED, applied, { sync: true });
      await next.close();
    } catch (e) {
      await next.close().catch(() => undefined);
      fs.rmSync(nextDir, { recursive: true, force: true });
      throw e;
    }
    writeCurrent(this.dir, nextName);
    const old = this.db;
    const fresh = new Level<Buffer, Buffer>(nextDir, ENC);
    await fresh.open();
    this.db = fresh;
    this.latest.clear();
    this.cacheGen++;
    await this.load();
    // Reads that began on the old database finish there before it closes.
    await this.drainReaders(old);
    await old.close();
    fs.rmSync(path.join(this.dir, oldName), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeTail;
    await this.db.close();
  }

  /**
   * Physical deletion after the logical compaction is durable; readers already refuse
   * revisions <= compacted. One thing in the deleted records is still needed: a history
   * event keeps only its previous value's revision, so a change at a revision above `upTo`
   * (applied before the compaction) may name a value whose record goes here. For every key
   * whose last change in the deleted records is a PUT that is no longer its current value,
   * that value is kept in the p family (one per key, replaced at the next compaction that
   * deletes a later change of the key); a key deleted there, or still at that value, keeps
   * none. Changes applied after the compaction store such a previous value whole
   * (records.ts eventPlain). This runs in the write queue after the compaction's batch:
   * every change applied before the compaction is in the database when the keys are read.
   */
  private async purgeHistory(upTo: number): Promise<void> {
    const db = this.db;
    let ops: RawBatchOp[] = [];
    let last = new Map<string, StoredEvent>();
    // In parts of up to 10,000 records: a later part's decision for a key overwrites an
    // earlier one's (its op comes later in the batch order), so the last change wins.
    const flush = async (): Promise<void> => {
      const puts: StoredEvent[] = [];
      for (const ev of last.values()) {
        if (ev.type === 'DELETE') ops.push({ type: 'del', key: prevKey(ev.kv.key) });
        else puts.push(ev);
      }
      last = new Map();
      for (let i = 0; i < puts.length; i += 1000) {
        const part = puts.slice(i, i + 1000);
        const now = await db.getMany(part.map((ev) => keyKey(ev.kv.key)));
        part.forEach((ev, j) => {
          const raw = now[j];
          const cur = raw ? decodeKv(ev.kv.key, raw) : undefined;
          if (cur && cur.modRevision === ev.kv.modRevision) ops.push({ type: 'del', key: prevKey(ev.kv.key) });
          else ops.push({ type: 'put', key: prevKey(ev.kv.key), value: encodeKv(ev.kv) });
        });
      }
      if (ops.length) await rawBatch(db, ops);
      ops = [];
    };
    for await (const [k, v] of db.iterator({ gte: Buffer.of(P_HISTORY), lt: historyKey(upTo + 1, 0) })) {
      for (const ev of decodeEvents(v)) last.set(ev.kv.key.toString('latin1'), ev);
      ops.push({ type: 'del', key: k });
      if (ops.length >= 10_000) await flush();
    }
    await flush();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }
}

export { Refusal as KvRefusal };

function readCurrent(dir: string): string | undefined {
  try {
    const name = fs.readFileSync(path.join(dir, 'CURRENT'), 'utf8').trim();
    if (!/^db-\d+$/.test(name)) throw new Error(`${path.join(dir, 'CURRENT')} names "${name}", not a database folder`);
    return name;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function writeCurrent(dir: string, name: string): void {
  const tmp = path.join(dir, 'CURRENT.tmp');
  const fd = fs.openSync(tmp, 'w');
  fs.writeSync(fd, `${name}\n`);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, path.join(dir, 'CURRENT'));
  const dfd = fs.openSync(dir, 'r');
  fs.fsyncSync(dfd);
  fs.closeSync(dfd);
}

type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/**
 * The changes of one apply() call, not yet written: reads see the database with this
 * batch's changes on top, so entries in one batch see each other.
 */
class ApplyTx {
  readonly batch: BatchOp[] = [];
  readonly events: WatchEvent[] = [];
  /** latin1 of the key -> its KeyValue after this batch's changes, or null when deleted. */
  readonly overlay = new Map<string, KeyValue | null>();
  /** latin1 of the key -> its KeyValue in the database before this batch (prefetched). */
  private readonly base = new Map<string, KeyValue | null>();
  /** How to take back the in-memory changes of the command being applied, if it is refused. */
  private readonly undo: Array<() => void> = [];
  readonly dedup = new Map<string, { seq: number; result: CommandResult }>();
  private sub = 0;
  /** The position within its revision of the last event in `events` (its history key's second part). */
  private lastSub = 0;
  private changed = false;

  constructor(private readonly db: DB, public rev: number, public compacted: number,
    private readonly leases: Map<number, Lease>, private readonly members: Map<number, MemberRecord>,
    private readonly cache: KvCache,
    /** Batches computed before this one and not yet in the database, oldest first (a snapshot of the list). */
    private readonly unwritten: readonly UnwrittenBatch[],
    /** Reads only: where a value read from the database may be cached. */
    private readonly onDbRead?: (id: string, kv: KeyValue | null) => void) {}

  /** A key's value in the unwritten batches (newest wins), or undefined when none touched it. */
  private unwrittenKv(id: string): KeyValue | null | undefined {
    for (let i = this.unwritten.length - 1; i >= 0; i--) {
      const v = this.unwritten[i]!.kvs.get(id);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** The unwritten batches' changes, then this batch's, as one map (later wins). */
  private changes(): Map<string, KeyValue | null> {
    if (this.unwritten.length === 0) return this.overlay;
    const all = new Map<string, KeyValue | null>();
    for (const b of this.unwritten) for (const [k, v] of b.kvs) all.set(k, v);
    for (const [k, v] of this.overlay) all.set(k, v);
    return all;
  }

  /**
   * The batch's history: ONE h record holding every event of this apply, in order, keyed by
   * the revision and position of its last event (see historyRecord in records.ts).
   */
  pushHistory(): void {
    const n = this.events.length;
    if (n === 0) return;
    const last = this.events[n - 1]!;
    this.batch.push({ type: 'put', key: historyKey(last.kv.modRevision, this.lastSub), value: encodeEvents(this.events, this.compacted) });
  }

  /** Puts what this batch read from the database and what it left in every key it touched into `cache`. */
  fillCache(cache: KvCache): void {
    for (const [k, v] of this.base) if (!this.overlay.has(k)) cache.set(k, v);
    for (const [k, v] of this.overlay) cache.set(k, v);
  }

  async applyDeduplicated(e: AppliedEntry): Promise<CommandResult> {
    if (e.clientId !== undefined && e.seq !== undefined) {
      const last = await this.lastFor(e.clientId);
      if (last && e.seq === last.seq) return last.result;
      if (last && e.seq < last.seq) return { ok: false, revision: this.rev, code: 'STALE_SEQUENCE', message: `client ${e.clientId} sent sequence ${e.seq} after ${last.seq}` };
    }
    const result = await this.applyCommand(e.command!);
    if (e.clientId !== undefined && e.seq !== undefined) {
      this.dedup.set(e.clientId, { seq: e.seq, result });
      this.batch.push({ type: 'put', key: dedupKey(e.clientId), value: encode({ seq: e.seq, result: result as unknown as Plain }) });
    }
    return result;
  }

  private async lastFor(clientId: string): Promise<{ seq: number; result: CommandResult } | undefined> {
    const mine = this.dedup.get(clientId);
    if (mine) return mine;
    for (let i = this.unwritten.length - 1; i >= 0; i--) {
      const d = this.unwritten[i]!.dedup.get(clientId);
      if (d) return d;
    }
    const raw = await this.db.get(dedupKey(clientId));
    return raw ? (decode(raw) as unknown as { seq: number; result: CommandResult }) : undefined;
  }

  /**
   * A plain put (no client id to de-duplicate) whose key's current value this batch already
   * holds (prefetched, cached or written earlier in the batch): applied at once, without the
   * promises of the general path (an async call per step, four per put, were ~20% of a
   * member's allocations). `undefined`: it needs the general path (applyDeduplicated).
   */
  applyPutNow(e: AppliedEntry): CommandResult | undefined {
    const cmd = e.command;
    if (!cmd || !('put' in cmd) || (e.clientId !== undefined && e.seq !== undefined)) return undefined;
    const req = cmd.put;
    if (!req.key || req.key.length === 0) return undefined;
    const prev = this.peek(req.key);
    if (prev === undefined) return undefined;
    const mark = this.begin();
    try {
      return this.finish({ ok: true, revision: mark.next, put: this.putKnown(req, mark.next, prev) }, mark.next);
    } catch (err) {
      return this.refused(err, mark);
    }
  }

  /** Starts a command: where the batch stands, to roll back to if it is refused. */
  private begin(): { batch: number; events: number; lastSub: number; next: number } {
    const mark = { batch: this.batch.length, events: this.events.length, lastSub: this.lastSub, next: this.rev + 1 };
    this.undo.length = 0;
    this.sub = 0;
    this.changed = false;
    return mark;
  }

  /** Ends a command that went through: the revision moves if it changed anything. */
  private finish(result: CommandResult, next: number): CommandResult {
    if (this.changed) this.rev = next;
    else result.revision = this.rev;
    return result;
  }

  /** Ends a command that threw: a Refusal rolls the batch back and becomes the result; anything else is rethrown. */
  private refused(e: unknown, mark: { batch: number; events: number; lastSub: number }): CommandResult {
    if (!(e instanceof Refusal)) throw e;
    this.batch.length = mark.batch;
    this.events.length = mark.events;
    this.lastSub = mark.lastSub;
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
    this.undo.length = 0;
    return { ok: false, revision: this.rev, code: e.code, message: e.message };
  }

  /** Applies one command; a refusal changes nothing and does not advance the revision. */
  async applyCommand(cmd: Command): Promise<CommandResult> {
    const mark = this.begin();
    const next = mark.next;
    try {
      let result: CommandResult;
      if ('put' in cmd) result = { ok: true, revision: next, put: await this.put(cmd.put, next) };
      else if ('deleteRange' in cmd) result = { ok: true, revision: next, deleteRange: await this.deleteRange(cmd.deleteRange, next) };
      else if ('txn' in cmd) result = { ok: true, revision: next, txn: await this.txn(cmd.txn, next) };
      else if ('compaction' in cmd) result = { ok: true, revision: this.rev, compaction: this.compact(cmd.compaction.revision) };
      else if ('leaseGrant' in cmd) result = { ok: true, revision: this.rev, leaseGrant: this.leaseGrant(cmd.leaseGrant.id, cmd.leaseGrant.ttl) };
      else if ('leaseRevoke' in cmd) result = { ok: true, revision: next, leaseRevoke: await this.leaseRevoke(cmd.leaseRevoke.id, next) };
      else if ('member' in cmd) result = { ok: true, revision: this.rev, member: this.setMember(cmd.member) };
      else if ('memberRemove' in cmd) result = { ok: true, revision: this.rev, ...this.removeMember(cmd.memberRemove.id) };
      else throw new Refusal('INVALID_ARGUMENT', `unknown command ${Object.keys(cmd).join(',')}`);
      return this.finish(result, next);
    } catch (e) {
      return this.refused(e, mark);
    }
  }

  /**
   * Reads, in one LevelDB getMany, the current value of every single key the batch's
   * commands name, so applying a batch of puts does not wait on one read per entry.
   */
  async prefetch(entries: readonly AppliedEntry[]): Promise<void> {
    const wanted = new Map<string, Buffer>();
    for (const e of entries) if (e.command) singleKeys(e.command, wanted);
    const keys: Buffer[] = [];
    for (const [id, k] of wanted) {
      if (this.unwrittenKv(id) !== undefined) continue;
      const c = this.cache.get(id);
      if (c !== undefined) this.base.set(id, c);
      else keys.push(k);
    }
    if (keys.length === 0) return;
    const raws = await this.db.getMany(keys.map(keyKey));
    keys.forEach((k, i) => {
      const raw = raws[i];
      this.base.set(k.toString('latin1'), raw ? decodeKv(k, raw) : null);
    });
  }

  /** Sets a map entry, remembering how to restore it if the command is refused. */
  private change<K, V>(map: Map<K, V>, k: K, v: V | undefined): void {
    const had = map.has(k);
    const old = map.get(k);
    this.undo.push(() => (had ? map.set(k, old as V) : map.delete(k)));
    if (v === undefined) map.delete(k);
    else map.set(k, v);
  }

  /** The key's current value if known without reading the database (null: absent), else undefined. */
  peek(key: Buffer): KeyValue | null | undefined {
    const id = key.toString('latin1');
    const o = this.overlay.get(id);
    if (o !== undefined) return o;
    const u = this.unwrittenKv(id);
    if (u !== undefined) return u;
    const b = this.base.get(id);
    if (b !== undefined) return b;
    return this.cache.get(id);
  }

  async get(key: Buffer): Promise<KeyValue | null> {
    const known = this.peek(key);
    if (known !== undefined) return known;
    const id = key.toString('latin1');
    const raw = await this.db.get(keyKey(key));
    const kv = raw ? decodeKv(key, raw) : null;
    this.base.set(id, kv);
    this.onDbRead?.(id, kv);
    return kv;
  }

  async range(req: RangeRequest): Promise<RangeResponse> {
    const { gte, lt, single } = rangeBounds(req.key, req.rangeEnd);
    const limit = req.limit && req.limit > 0 ? req.limit : Infinity;
    let kvs: KeyValue[];
    let total: number | undefined;
    if (single) {
      const kv = await this.get(req.key);
      kvs = kv ? [kv] : [];
    } else {
      // With a limit (or count only), values are read only for the first keys that can be in
      // the answer (overlay entries may delete some), and the total (etcd's `count`) comes
      // from the keys alone: a paged read of a big range does not decode the whole range.
      const inRange = (k: string): boolean => {
        const kk = keyKey(Buffer.from(k, 'latin1'));
        return Buffer.compare(kk, gte) >= 0 && Buffer.compare(kk, lt) < 0;
      };
      const changes = this.changes();
      const wanted = req.countOnly ? 0 : limit === Infinity ? Infinity : limit + changes.size + 1;
      const found = new Map<string, KeyValue>();
      if (wanted > 0) {
        for await (const [k, v] of this.db.iterator(wanted === Infinity ? { gte, lt } : { gte, lt, limit: wanted })) {
          const key = Buffer.from(k.subarray(1));
          found.set(key.toString('latin1'), decodeKv(key, v));
        }
      }
      for (const [k, v] of changes) {
        if (!inRange(k)) continue;
        if (v) found.set(k, v);
        else found.delete(k);
      }
      kvs = [...found.values()].sort((a, b) => Buffer.compare(a.key, b.key));
      // `wanted` covered every overlay deletion, so with skipCount more than `limit` read means more.
      if (!(req.skipCount && !req.countOnly) && (limit !== Infinity || req.countOnly)) {
        const keys = new Set<string>();
        for await (const k of this.db.keys({ gte, lt })) keys.add(k.toString('latin1', 1));
        for (const [k, v] of changes) if (inRange(k)) (v ? keys.add(k) : keys.delete(k));
        total = keys.size;
      }
    }
    const more = (total ?? kvs.length) > limit;
    if (req.countOnly) return { kvs: [], more, count: total ?? kvs.length };
    kvs = kvs.slice(0, limit);
    if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: Buffer.alloc(0) }));
    return { kvs, more, count: total ?? kvs.length };
  }

  private write(kv: KeyValue, prev: KeyValue | null): void {
    this.change(this.overlay, kv.key.toString('latin1'), kv);
    this.batch.push({ type: 'put', key: keyKey(kv.key), value: encodeKv(kv) });
    const ev: WatchEvent = { type: 'PUT', kv, prevKv: prev ?? undefined };
    this.lastSub = this.sub++;
    this.events.push(ev);
    this.changed = true;
  }

  private remove(prev: KeyValue, rev: number): void {
    this.change<string, KeyValue | null>(this.overlay, prev.key.toString('latin1'), null);
    this.batch.push({ type: 'del', key: keyKey(prev.key) });
    if (prev.lease) this.batch.push({ type: 'del', key: attachKey(prev.lease, prev.key) });
    const ev: WatchEvent = { type: 'DELETE', kv: { key: prev.key, createRevision: 0, modRevision: rev, version: 0, value: Buffer.alloc(0), lease: 0 }, prevKv: prev };
    this.lastSub = this.sub++;
    this.events.push(ev);
    this.changed = true;
  }

  async put(req: PutRequest, rev: number): Promise<PutResponse> {
    if (!req.key || req.key.length === 0) throw new Refusal('INVALID_ARGUMENT', 'key is empty');
    return this.putKnown(req, rev, await this.get(req.key));
  }

  /** put() once the key's current value (`prev`) is known. */
  private putKnown(req: PutRequest, rev: number, prev: KeyValue | null): PutResponse {
    if ((req.ignoreValue || req.ignoreLease) && !prev) throw new Refusal('KEY_NOT_FOUND', `key "${req.key.toString()}" not found (put with ignore_value or ignore_lease needs an existing key)`);
    const lease = req.ignoreLease ? prev!.lease : (req.lease ?? 0);
    if (lease !== 0 && !this.leases.has(lease)) throw new Refusal('LEASE_NOT_FOUND', `lease ${lease.toString(16)} not found`);
    const value = req.ignoreValue ? prev!.value : req.value;
    const kv: KeyValue = {
      key: req.key, value, lease,
      createRevision: prev ? prev.createRevision : rev,
      modRevision: rev,
      version: prev ? prev.version + 1 : 1,
    };
    if (prev && prev.lease && prev.lease !== lease) this.batch.push({ type: 'del', key: attachKey(prev.lease, req.key) });
    if (lease) this.batch.push({ type: 'put', key: attachKey(lease, req.key), value: Buffer.alloc(0) });
    this.write(kv, prev);
    return req.prevKv && prev ? { prevKv: prev } : {};
  }

  async deleteRange(req: DeleteRangeRequest, rev: number): Promise<DeleteRangeResponse> {
    const { kvs } = await this.range({ key: req.key, rangeEnd: req.rangeEnd });
    for (const kv of kvs) this.remove(kv, rev);
    return { deleted: kvs.length, prevKvs: req.prevKv ? kvs : [] };
  }

  async txn(req: TxnRequest, rev: number): Promise<TxnResponse> {
    let succeeded = true;
    for (const c of req.compare) {
      if (!(await this.compare(c))) {
        succeeded = false;
        break;
      }
    }
    const ops = succeeded ? req.success : req.failure;
    this.checkTxnOps(ops);
    const responses: ResponseOp[] = [];
    for (const op of ops) responses.push(await this.op(op, rev));
    return { succeeded, responses };
  }

  /** etcd refuses a txn that writes one key twice (its ops would race at one revision). */
  private checkTxnOps(ops: RequestOp[]): void {
    const puts = new Set<string>();
    for (const op of ops) {
      if ('requestPut' in op) {
        const k = op.requestPut.key.toString('latin1');
        if (puts.has(k)) throw new Refusal('DUPLICATE_KEY', `duplicate key given in txn request: "${op.requestPut.key.toString()}"`);
        puts.add(k);
      }
    }
  }

  private async op(op: RequestOp, rev: number): Promise<ResponseOp> {
    if ('requestRange' in op) return { responseRange: await this.range(op.requestRange) };
    if ('requestPut' in op) return { responsePut: await this.put(op.requestPut, rev) };
    if ('requestDeleteRange' in op) return { responseDeleteRange: await this.deleteRange(op.requestDeleteRange, rev) };
    return { responseTxn: await this.txn(op.requestTxn, rev) };
  }

  private async compare(c: Compare): Promise<boolean> {
    const { kvs } = c.rangeEnd && c.rangeEnd.length > 0
      ? await this.range({ key: c.key, rangeEnd: c.rangeEnd })
      : { kvs: [await this.get(c.key)].filter((kv): kv is KeyValue => kv !== null) };
    // A missing key compares as version/create/mod 0, value empty, lease 0; except that a
    // VALUE compare on a missing key is false (etcd).
    if (kvs.length === 0) {
      if (c.target === 'VALUE') return false;
      return cmp(0, targetValue(c), c.result);
    }
    return kvs.every((kv) => {
      switch (c.target) {
        case 'VERSION': return cmp(kv.version, c.version ?? 0, c.result);
        case 'CREATE': return cmp(kv.createRevision, c.createRevision ?? 0, c.result);
        case 'MOD': return cmp(kv.modRevision, c.modRevision ?? 0, c.result);
        case 'LEASE': return cmp(kv.lease, c.lease ?? 0, c.result);
        case 'VALUE': return cmp(Buffer.compare(kv.value, c.value ?? Buffer.alloc(0)), 0, c.result);
      }
      return false;
    });
  }

  private compact(revision: number): { revision: number } {
    if (revision <= this.compacted) throw new Refusal('COMPACTED', `revision ${revision} is already compacted (compacted at ${this.compacted})`);
    if (revision > this.rev) throw new Refusal('FUTURE_REVISION', `cannot compact to revision ${revision}: the current revision is ${this.rev}`);
    this.compacted = revision;
    return { revision };
  }

  private leaseGrant(id: number, ttl: number): { id: number; ttl: number } {
    if (!Number.isSafeInteger(id) || id <= 0) throw new Refusal('INVALID_ARGUMENT', `lease id must be a positive integer, got ${id}`);
    if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new Refusal('INVALID_ARGUMENT', `lease TTL must be a positive number of seconds, got ${ttl}`);
    if (this.leases.has(id)) throw new Refusal('LEASE_EXISTS', `lease ${id.toString(16)} already exists`);
    this.change(this.leases, id, { id, ttl });
    this.batch.push({ type: 'put', key: leaseKey(id), value: encode(ttl) });
    return { id, ttl };
  }

  private setMember(m: MemberRecord): MemberRecord {
    if (!Number.isSafeInteger(m.id) || m.id <= 0) throw new Refusal('INVALID_ARGUMENT', `member id must be a positive integer, got ${m.id}`);
    if (typeof m.address !== 'string' || !/^[^\s]+:\d+$/.test(m.address)) throw new Refusal('INVALID_ARGUMENT', `member address must be host:port, got "${m.address}"`);
    const rec: MemberRecord = { id: m.id, address: m.address, clientAddress: m.clientAddress, name: m.name };
    this.change(this.members, m.id, rec);
    this.batch.push({ type: 'put', key: memberKey(m.id), value: encode(rec as unknown as Plain) });
    return rec;
  }

  private removeMember(id: number): Record<string, never> {
    this.change(this.members, id, undefined);
    this.batch.push({ type: 'del', key: memberKey(id) });
    return {};
  }

  private async leaseRevoke(id: number, rev: number): Promise<{ deleted: number }> {
    if (!this.leases.has(id)) throw new Refusal('LEASE_NOT_FOUND', `lease ${id.toString(16)} not found`);
    const attached: Buffer[] = [];
    const lo = prefixed(P_ATTACH, u64(id));
    for await (const k of this.db.keys({ gte: lo, lt: prefixed(P_ATTACH, u64(id + 1)) })) attached.push(Buffer.from(k.subarray(9)));
    let deleted = 0;
    for (const key of attached) {
      const kv = await this.get(key);
      // Attachment rows of this batch are not in the database yet, so check the live value.
      if (kv && kv.lease === id) {
        this.remove(kv, rev);
        deleted++;
      }
    }
    // Keys attached by this batch or by unwritten ones have no attachment row in the database yet.
    const seen = new Set(attached.map((a) => a.toString('latin1')));
    for (const [k, kv] of this.changes()) {
      if (kv && kv.lease === id && !seen.has(k)) {
        const cur = await this.get(kv.key);
        if (cur && cur.lease === id) {
          this.remove(cur, rev);
          deleted++;
        }
      }
    }
    this.change(this.leases, id, undefined);
    this.batch.push({ type: 'del', key: leaseKey(id) });
    return { deleted };
  }
}

function targetValue(c: Compare): number {
  switch (c.target) {
    case 'VERSION': return c.version ?? 0;
    case 'CREATE': return c.createRevision ?? 0;
    case 'MOD': return c.modRevision ?? 0;
    case 'LEASE': return c.lease ?? 0;
    default: return 0;
  }
}

function cmp(a: number, b: number, result: Compare['result']): boolean {
  switch (result) {
    case 'EQUAL': return a === b;
    case 'NOT_EQUAL': return a !== b;
    case 'GREATER': return a > b;
    case 'LESS': return a < b;
  }
  return false;
}

/** Adds the single keys a command names (latin1 id -> key) to `out`: what applying it reads by key. */
function singleKeys(c: Command, out: Map<string, Buffer>): void {
  const add = (k: Buffer | undefined): void => {
    if (k && k.length > 0) out.set(k.toString('latin1'), k);
  };
  const addOps = (ops: RequestOp[]): void => {
    for (const op of ops) {
      if ('requestPut' in op) add(op.requestPut.key);
      else if ('requestRange' in op && !op.requestRange.rangeEnd?.length) add(op.requestRange.key);
      else if ('requestDeleteRange' in op && !op.requestDeleteRange.rangeEnd?.length) add(op.requestDeleteRange.key);
      else if ('requestTxn' in op) addTxn(op.requestTxn);
    }
  };
  const addTxn = (t: TxnRequest): void => {
    for (const cmp of t.compare) if (!cmp.rangeEnd?.length) add(cmp.key);
    addOps(t.success);
    addOps(t.failure);
  };
  if ('put' in c) add(c.put.key);
  else if ('deleteRange' in c && !c.deleteRange.rangeEnd?.length) add(c.deleteRange.key);
  else if ('txn' in c) addTxn(c.txn);
}

/** The changes of one computed apply() whose batch is not in the database yet. */
interface UnwrittenBatch {
  readonly kvs: ReadonlyMap<string, KeyValue | null>;
  readonly dedup: ReadonlyMap<string, { seq: number; result: CommandResult }>;
}

/** One apply's batch waiting for the database. */
interface WriteJob {
  db: DB;
  ops: BatchOp[];
  done: () => Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Operations merged into one LevelDB batch at most (see enqueueWrite). */
const MERGE_MAX_OPS = 20_000;
/** Just past the history family's keys. */
const HISTORY_END = Buffer.of(P_HISTORY + 1);

/** Batches (and bytes of them) computed ahead of the database at most; the next apply() waits for them. */
const MAX_UNWRITTEN = 8;
const MAX_UNWRITTEN_BYTES = 8 << 20;

/** How many keys' latest KeyValue MvccStore keeps in memory (about 0.5 KB each with 256-byte values). */
const LATEST_CACHE_KEYS = 16_384;

/** A bounded map, least recently set or read first out. Keys are latin1 of the key bytes. */
class KvCache {
  private readonly map = new Map<string, KeyValue | null>();
  /** Moves whenever entries leave the cache (eviction, clear): see MvccStore.warm. */
  epoch = 0;
  constructor(private readonly max: number) {}

  has(id: string): boolean {
    return this.map.has(id);
  }

  get(id: string): KeyValue | null | undefined {
    const v = this.map.get(id);
    if (v !== undefined) {
      this.map.delete(id);
      this.map.set(id, v);
    }
    return v;
  }

  set(id: string, v: KeyValue | null): void {
    this.map.delete(id);
    this.map.set(id, v);
    // Evicted a quarter at a time: a Map iterator starts by walking the slots of entries
    // deleted since its last rehash, so one eviction per set went quadratic under churn.
    if (this.map.size > this.max + (this.max >> 2)) {
      this.epoch++;
      let n = this.map.size - this.max;
      for (const k of this.map.keys()) {
        this.map.delete(k);
        if (--n <= 0) break;
      }
    }
  }

  clear(): void {
    this.epoch++;
    this.map.clear();
  }
}
