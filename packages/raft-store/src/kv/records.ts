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

/**
 * h family value: the changes of one apply (one LevelDB batch), oldest first, each with the
 * key's previous value for watchers that ask for it. The LevelDB key is the revision and
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
export function encodeEvents(evs: readonly WatchEvent[]): Buffer {
  return encode(evs.length === 1 ? eventPlain(evs[0]!) : evs.map(eventPlain));
}

export function decodeEvents(raw: Buffer): WatchEvent[] {
  const v = decode(raw);
  if (!Array.isArray(v) || v.length === 0) throw new DecodeError('bad history record');
  if (!Array.isArray(v[0])) return [plainEvent(v)];
  return v.map(plainEvent);
}

function eventPlain(ev: WatchEvent): Plain {
  return [ev.type === 'PUT' ? 0 : 1, kvPlain(ev.kv), ev.prevKv ? kvPlain(ev.prevKv) : null];
}

function plainEvent(v: Plain): WatchEvent {
  if (!Array.isArray(v) || v.length !== 3 || typeof v[0] !== 'number') throw new DecodeError('bad history record');
  const [type, kv, prev] = v;
  return { type: type === 0 ? 'PUT' : 'DELETE', kv: plainKv(kv ?? null), prevKv: prev ? plainKv(prev) : undefined };
}
