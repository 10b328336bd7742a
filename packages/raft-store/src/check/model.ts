// Sequential specifications ("models") for the linearizability checker, and the
// key-value model matching the etcd-like semantics berth's state store offers.

import { UNKNOWN, type Operation, type Unknown } from './history';

/**
 * A deterministic sequential specification.
 *
 * Contract:
 * - `step` is pure: it must not mutate `state` (the search revisits states).
 * - `step(s, input, UNKNOWN)` describes an operation whose output was never
 *   observed: return `[true, state-after-applying-input]`. (Returning false
 *   is allowed and means "cannot take effect here"; the checker may still
 *   leave the operation out entirely, since pending operations may never
 *   take effect.)
 * - States are compared with `equal` if given, otherwise by `stateKey`
 *   identity (`===`), so `stateKey` without `equal` must be injective.
 *   The default `stateKey` is `JSON.stringify`.
 */
export interface Model<I, O, S> {
  init(): S;
  step(state: S, input: I, output: O | Unknown): [ok: boolean, newState: S];

  /** Ops on different keys are independent; the history is checked per key. */
  partitionKey?(input: I): string;
  /** Custom partitioning; takes precedence over `partitionKey`. */
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];

  stateKey?(state: S): string | number;
  equal?(a: S, b: S): boolean;

  /**
   * True if the operation never changes the state (a read, a failed CAS).
   * Lets the checker drop pending reads up front and shrink failing histories
   * soundly when explaining them. Omit if unsure.
   */
  isReadOnly?(input: I, output: O | Unknown): boolean;

  describeOperation?(input: I, output: O | Unknown): string;
  describeState?(state: S): string;
}

// ---------------------------------------------------------------------------
// Key-value model (etcd semantics, single-key operations only).
//
// `range(prefix)` is deliberately absent: an op touching several keys would
// defeat per-key partitioning, which is what keeps checking fast. Every op in
// berth's histories names exactly one key.

/** `null` means "key absent" everywhere (etcd: create_revision == 0). */
export type KvValue = string;

export type KvInput =
  | { op: 'put'; key: string; value: KvValue }
  | { op: 'get'; key: string }
  /** etcd DeleteRange on a single key. */
  | { op: 'delete'; key: string }
  /** Txn: if value(key) == expected (null = absent) then put(key, value). */
  | { op: 'cas'; key: string; expected: KvValue | null; value: KvValue };

/**
 * - get: the value read, or null if absent.
 * - cas: whether the compare succeeded (and the put happened).
 * - delete: whether a key was deleted (etcd `deleted > 0`), or undefined if
 *   the client did not look.
 * - put: undefined (prev_kv is not checked).
 */
export type KvOutput = KvValue | null | boolean | undefined;

/** State of one key's partition: its value, or null if absent. */
export type KvState = KvValue | null;

function quote(v: KvValue | null): string {
  return v === null ? 'absent' : JSON.stringify(v);
}

function kvStep(state: KvState, input: KvInput, output: KvOutput | Unknown): [boolean, KvState] {
  switch (input.op) {
    case 'get':
      return [output === UNKNOWN || output === state, state];
    case 'put':
      return [true, input.value];
    case 'delete':
      if (typeof output === 'boolean' && output !== (state !== null)) return [false, state];
      return [true, null];
    case 'cas': {
      const matches = state === input.expected;
      if (output === UNKNOWN) return [true, matches ? input.value : state];
      if (output !== matches) return [false, state];
      return [true, matches ? input.value : state];
    }
  }
}

function describeOutput(input: KvInput, output: KvOutput | Unknown): string {
  if (output === UNKNOWN) return ' -> ?';
  if (input.op === 'put' || output === undefined) return '';
  return ` -> ${typeof output === 'boolean' ? String(output) : quote(output)}`;
}

function describeKv(input: KvInput, output: KvOutput | Unknown): string {
  const result = describeOutput(input, output);
  switch (input.op) {
    case 'get':
      return `get(${JSON.stringify(input.key)})${result}`;
    case 'put':
      return `put(${JSON.stringify(input.key)}, ${quote(input.value)})${result}`;
    case 'delete':
      return `delete(${JSON.stringify(input.key)})${result}`;
    case 'cas':
      return `cas(${JSON.stringify(input.key)}, ${quote(input.expected)} => ${quote(input.value)})${result}`;
  }
}

export const kvModel: Model<KvInput, KvOutput, KvState> = {
  init: () => null,
  step: kvStep,
  partitionKey: (input) => input.key,
  // Injective without allocation: strings stay strings, absent becomes a number.
  stateKey: (state) => (state === null ? -1 : state),
  isReadOnly: (input, output) => input.op === 'get' || (input.op === 'cas' && output === false),
  describeOperation: describeKv,
  describeState: quote,
};

/** Convenience constructors for KV inputs. */
export const kv = {
  put: (key: string, value: KvValue): KvInput => ({ op: 'put', key, value }),
  get: (key: string): KvInput => ({ op: 'get', key }),
  delete: (key: string): KvInput => ({ op: 'delete', key }),
  cas: (key: string, expected: KvValue | null, value: KvValue): KvInput => ({ op: 'cas', key, expected, value }),
};
