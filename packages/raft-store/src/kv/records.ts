import { decode, DecodeError, encode } from './codec';
import type { Plain } from './codec';
import type { KeyValue, WatchEvent } from './types';

/** k family value: the KeyValue without its key (the LevelDB key carries it). */
export function encodeKv(kv: KeyValue): Buffer {
  return encode([kv.createRevision, kv.modRevision, kv.version, kv.lease, kv.value]);
}

export function decodeKv(key: Buffer, raw: Buffer): KeyValue {
  const v = decode(raw);
  if (!Array.isArray(v) || v.length !== 5) throw new DecodeError(`bad key record for ${key.toString('latin1')}`);
  const [createRevision, modRevision, version, lease, value] = v as [number, number, number, number, Buffer];
  return { key, createRevision, modRevision, version, lease, value };
}

function kvPlain(kv: KeyValue): Plain {
  return [kv.key, kv.createRevision, kv.modRevision, kv.version, kv.lease, kv.value];
}

function plainKv(p: Plain): KeyValue {
  const [key, createRevision, modRevision, version, lease, value] = p as [Buffer, number, number, number, number, Buffer];
  return { key, createRevision, modRevision, version, lease, value };
}

/** A change as the history holds it: the previous value's revision, not the value (see encodeEvents). */
export interface StoredEvent extends WatchEvent {
  /** modRevision of the key's previous value (its PUT event is in the history at that revision, unless compacted). */
  prevRevision?: number | undefined;
}

/**
 * h family value: the changes of one apply (one LevelDB batch), oldest first, each with the
 * revision of the key's previous value (session 15: before, the previous value itself, which
 * made the history half of every put's bytes; MvccStore.history looks the value up in the
 * history at that revision for watchers that ask for it, as etcd reads rev-1). The LevelDB key is the revision and
 * position of the LAST change, so a record wholly at or below a revision sorts below
 * historyKey(revision + 1, 0) (compaction and snapshots drop exactly those), and a reader
 * of revisions from R starts at the first record keyed at or after R and filters.
 *
 * One change is stored as [type, kv, prev] (how every record was written before session 8,
 * still read); several as [[type, kv, prev], ...]: a record's first element is a number
 * for one change and an array for several. One record per apply instead of one per change:
 * each LevelDB operation costs the event loop ~5 µs in classic-level, besides LevelDB's own
 * per-key work.
 */
export function encodeEvents(evs: readonly WatchEvent[], compacted: number): Buffer {
  const one = (ev: WatchEvent): Plain => eventPlain(ev, compacted);
  return encode(evs.length === 1 ? one(evs[0]!) : evs.map(one));
}

export function decodeEvents(raw: Buffer): StoredEvent[] {
  const v = decode(raw);
  if (!Array.isArray(v) || v.length === 0) throw new DecodeError('bad history record');
  if (!Array.isArray(v[0])) return [plainEvent(v)];
  return v.map(plainEvent);
}

/**
 * A previous value at a revision already compacted when the change is applied is stored
 * whole: its own history record is gone or going, and purgeHistory kept only the values
 * that changes applied before the compaction name.
 */
function eventPlain(ev: WatchEvent, compacted: number): Plain {
  const p = ev.prevKv;
  return [ev.type === 'PUT' ? 0 : 1, kvPlain(ev.kv), p ? (p.modRevision <= compacted ? kvPlain(p) : p.modRevision) : null];
}

/** prev: null (no previous value), a revision (since session 15) or the previous KeyValue itself (records written before). */
function plainEvent(v: Plain): StoredEvent {
  if (!Array.isArray(v) || v.length !== 3 || typeof v[0] !== 'number') throw new DecodeError('bad history record');
  const [type, kv, prev] = v;
  const t = type === 0 ? 'PUT' : 'DELETE';
  if (typeof prev === 'number') return { type: t, kv: plainKv(kv ?? null), prevRevision: prev };
  return { type: t, kv: plainKv(kv ?? null), prevKv: prev ? plainKv(prev) : undefined };
}
