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

/** h family value: one change, with the key's previous value for watchers that ask for it. */
export function encodeEvent(ev: WatchEvent): Buffer {
  return encode([ev.type === 'PUT' ? 0 : 1, kvPlain(ev.kv), ev.prevKv ? kvPlain(ev.prevKv) : null]);
}

export function decodeEvent(raw: Buffer): WatchEvent {
  const v = decode(raw);
  if (!Array.isArray(v) || v.length !== 3) throw new DecodeError('bad history record');
  const [type, kv, prev] = v;
  return { type: type === 0 ? 'PUT' : 'DELETE', kv: plainKv(kv ?? null), prevKv: prev ? plainKv(prev) : undefined };
}
