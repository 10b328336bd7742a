export { MvccStore, KvRefusal } from './mvcc-store';
export type { AppliedEntry } from './mvcc-store';
export { CompactedError, WatchHub } from './watch';
export type { WatchOptions, WatchSink } from './watch';
export { encode, decode, DecodeError } from './codec';
export type { Plain } from './codec';
export { prefixEnd } from './keys';
export type * from './types';
