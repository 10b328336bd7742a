// The core search for ONE partition (one key): Wing & Gong's backtracking
// search with Lowe's just-in-time linearization and memoization, as in
// Porcupine.
//
// Call and return events are kept in one doubly-linked list sorted by time.
// At any moment the operations that may be linearized next are exactly the
// call entries before the first remaining return entry (everything called
// before some not-yet-linearized operation returned). Linearizing an op
// "lifts" its call and return entries out of the list; backtracking
// "unlifts" them back. Reaching a return entry means its op should already
// have been linearized: a dead end, so backtrack.
//
// The cache holds (set of linearized ops, model state) pairs already
// explored: reaching one again cannot lead anywhere new, which bounds the
// search by (reachable subsets x states) instead of permutations.
//
// Pending ops (unknown outcome) extend this: a configuration (L + p, s) with
// p pending is dominated by an already visited (L, s), since anything that
// completes the former also completes the latter by simply never applying
// p. So the cache is probed modulo pending ops: same completed ops, same
// state, and a subset of the pending ones. Without this, every pending write
// multiplies the work by two for the rest of the history. (Soundness, in
// short: every visited configuration has all its successors visited or
// dominated; take a good visited configuration with the most completed ops
// and, among those, the fewest pending ops needed to finish; its next step
// yields a better one, a contradiction. So failure means no configuration,
// the root included, was good.)

import { Bitset, type BitsetSnapshot } from './bitset';
import { isPending, UNKNOWN, type Operation, type Unknown } from './history';
import type { Model } from './model';

export interface DeadEnd<S> {
  /** Linearized ops (indices into the searched ops), in order. */
  prefix: number[];
  /** Model state after `prefix`. */
  state: S;
  /** The op whose return was reached before it could be linearized. */
  blocker: number;
  /** Ops that could have come next (called, not linearized, before `blocker` returned). */
  candidates: number[];
}

export type SearchOutcome =
  | { kind: 'linearizable'; order: number[]; steps: number }
  /** `depth`: longest linearizable prefix found; see `deepestDeadEnd`. */
  | { kind: 'illegal'; depth: number; steps: number }
  | { kind: 'timeout'; steps: number };

interface Entry {
  readonly id: number; // op index; -1 for sentinels
  readonly isCall: boolean;
  match: Entry | null; // call -> its return entry
  prev: Entry;
  next: Entry;
}

interface CacheEntry<S> {
  linearized: BitsetSnapshot;
  /** Completed ops not yet linearized; entries are comparable only when equal. */
  remaining: number;
  stateKey: string | number;
  state: S;
}

/** How often (in search steps) to look at the clock. */
const CLOCK_EVERY = 4096;

export function outputOf<I, O>(op: Operation<I, O>): O | Unknown {
  return isPending(op) ? UNKNOWN : op.output;
}

export function searchLinearization<I, O, S>(
  ops: readonly Operation<I, O>[],
  model: Model<I, O, S>,
  deadline: number,
): SearchOutcome {
  // Number ops in call order so linearized sets snapshot compactly (bitset.ts).
  const byCall = callOrder(ops);
  const sorted = byCall.map((i) => ops[i] as Operation<I, O>);
  const orig = (j: number): number => byCall[j] as number;
  const outcome = searchInCallOrder(sorted, model, deadline, null);
  switch (outcome.kind) {
    case 'timeout':
      return outcome;
    case 'linearizable':
      return { kind: 'linearizable', order: outcome.order.map(orig), steps: outcome.steps };
    case 'illegal':
    case 'captured':
      return { kind: 'illegal', depth: outcome.depth, steps: outcome.steps };
  }
}

/**
 * The first dead end at `depth` (from an 'illegal' outcome on the same ops):
 * the longest linearizable prefix and where it got stuck. Snapshotting every
 * new deepest dead end during the search would cost O(n^2) on long
 * histories, so the search only measures the depth and this reruns it.
 */
export function deepestDeadEnd<I, O, S>(ops: readonly Operation<I, O>[], model: Model<I, O, S>, depth: number): DeadEnd<S> {
  const byCall = callOrder(ops);
  const orig = (j: number): number => byCall[j] as number;
  const rerun = searchInCallOrder(byCall.map((i) => ops[i] as Operation<I, O>), model, Infinity, depth);
  if (rerun.kind !== 'captured') throw new Error('linearizability search: rerun diverged (bug)');
  const d = rerun.deadEnd;
  return { ...d, prefix: d.prefix.map(orig), blocker: orig(d.blocker), candidates: d.candidates.map(orig) };
}

function callOrder(ops: readonly Operation<unknown, unknown>[]): number[] {
  return ops.map((_, i) => i).sort((a, b) => (ops[a] as Operation<unknown, unknown>).call - (ops[b] as Operation<unknown, unknown>).call || a - b);
}

type RawOutcome<S> =
  | { kind: 'linearizable'; order: number[]; steps: number }
  | { kind: 'illegal'; depth: number; steps: number }
  | { kind: 'captured'; depth: number; deadEnd: DeadEnd<S>; steps: number }
  | { kind: 'timeout'; steps: number };

/** With `captureDepth` set, returns the first dead end reached at that depth. */
function searchInCallOrder<I, O, S>(
  ops: readonly Operation<I, O>[],
  model: Model<I, O, S>,
  deadline: number,
  captureDepth: number | null,
): RawOutcome<S> {
  const n = ops.length;
  const outputs = ops.map(outputOf);
  const pending = Uint8Array.from(ops, (op) => (isPending(op) ? 1 : 0));
  const { head, tail } = buildEntryList(ops);
  const stateKey = model.stateKey ?? ((s: S) => JSON.stringify(s));
  // Pending ops hash to 0: the cache is probed modulo pending ops (see above).
  const zobrist = zobristTable(ops);

  const cache = new Map<number, CacheEntry<S>[]>();
  const linearized = new Bitset(n);
  let linearizedHash = 0; // XOR of zobrist[i] over linearized ops
  // Pending ops may stay unlinearized forever, so we are done as soon as all
  // completed ops are linearized.
  let remaining = n - pending.reduce((a, b) => a + b, 0);
  const stack: { entry: Entry; state: S; hash: number; pendingPass: boolean }[] = [];
  let state = model.init();
  let entry = head.next;
  let maxDepth = 0;
  let steps = 0;

  /** Adds (linearized, state) to the cache; false if it or a dominating entry was there. */
  const remember = (hash: number, s: S, remaining: number): boolean => {
    const key = stateKey(s);
    const bucketId = (hash ^ Math.imul(hashKey(key), 0x9e3779b1)) >>> 0;
    let bucket = cache.get(bucketId);
    if (bucket === undefined) {
      bucket = [];
      cache.set(bucketId, bucket);
    }
    const lead = linearized.lead();
    for (const seen of bucket) {
      const sameState = model.equal ? model.equal(seen.state, s) : seen.stateKey === key;
      if (seen.remaining === remaining && sameState && linearized.includes(seen.linearized, lead)) return false;
    }
    bucket.push({ linearized: linearized.snapshot(lead), remaining, stateKey: key, state: s });
    return true;
  };

  // Candidates are scanned in two passes, completed ops first, then pending
  // ones: configurations without a pending op are then visited first and
  // dominate (prune) the ones with it.
  let pendingPass = false;
  const anyPending = remaining < n;
  while (remaining > 0) {
    if (++steps % CLOCK_EVERY === 0 && performance.now() > deadline) return { kind: 'timeout', steps };
    if (entry === tail) throw new Error('linearizability search: ran off the entry list (bug)');

    if (entry.isCall) {
      const id = entry.id;
      const op = ops[id] as Operation<I, O>;
      const opPending = pending[id] === 1;
      if (opPending !== pendingPass) {
        entry = entry.next;
        continue;
      }
      const [ok, next] = model.step(state, op.input, outputs[id] as O | Unknown);
      if (ok) {
        const hash = linearizedHash ^ (zobrist[id] as number);
        const remainingAfter = opPending ? remaining : remaining - 1;
        linearized.set(id);
        if (remember(hash, next, remainingAfter)) {
          stack.push({ entry, state, hash: linearizedHash, pendingPass });
          state = next;
          linearizedHash = hash;
          remaining = remainingAfter;
          lift(entry);
          entry = head.next;
          pendingPass = false;
          continue;
        }
        linearized.clear(id);
      }
      entry = entry.next;
      continue;
    }

    // A return entry: its op should have been linearized by now.
    if (!pendingPass && anyPending) {
      pendingPass = true;
      entry = head.next;
      continue;
    }
    // Dead end: backtrack.
    if (stack.length === captureDepth) {
      const deadEnd = { prefix: stack.map((f) => f.entry.id), state, blocker: entry.id, candidates: callsBefore(head, entry) };
      return { kind: 'captured', depth: captureDepth, deadEnd, steps };
    }
    maxDepth = Math.max(maxDepth, stack.length);
    const frame = stack.pop();
    if (frame === undefined) return { kind: 'illegal', depth: maxDepth, steps };
    entry = frame.entry;
    state = frame.state;
    linearizedHash = frame.hash;
    pendingPass = frame.pendingPass;
    linearized.clear(entry.id);
    if (pending[entry.id] === 0) remaining++;
    unlift(entry);
    entry = entry.next;
  }
  return { kind: 'linearizable', order: stack.map((frame) => frame.entry.id), steps };
}

function buildEntryList(ops: readonly Operation<unknown, unknown>[]): { head: Entry; tail: Entry } {
  const events: { time: number; isCall: boolean; id: number }[] = [];
  ops.forEach((op, id) => {
    events.push({ time: op.call, isCall: true, id });
    events.push({ time: isPending(op) ? Infinity : op.return, isCall: false, id });
  });
  // At equal times calls go first: touching intervals count as concurrent.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.id - b.id : a.isCall ? -1 : 1));

  const head = sentinel();
  const tail = sentinel();
  const returns = new Map<number, Entry>();
  const calls: Entry[] = [];
  let last = head;
  for (const ev of events) {
    const e: Entry = { id: ev.id, isCall: ev.isCall, match: null, prev: last, next: tail };
    last.next = e;
    last = e;
    if (ev.isCall) calls.push(e);
    else returns.set(ev.id, e);
  }
  last.next = tail;
  tail.prev = last;
  for (const call of calls) call.match = returns.get(call.id) ?? null;
  return { head, tail };
}

function sentinel(): Entry {
  const e = { id: -1, isCall: false, match: null } as unknown as Entry;
  e.prev = e;
  e.next = e;
  return e;
}

/** Removes a call entry and its return entry from the list. */
function lift(call: Entry): void {
  call.prev.next = call.next;
  call.next.prev = call.prev;
  const ret = call.match as Entry;
  ret.prev.next = ret.next;
  ret.next.prev = ret.prev;
}

/** Exact inverse of `lift` (must be applied in LIFO order). */
function unlift(call: Entry): void {
  const ret = call.match as Entry;
  ret.prev.next = ret;
  ret.next.prev = ret;
  call.prev.next = call;
  call.next.prev = call;
}

function callsBefore(head: Entry, stop: Entry): number[] {
  const ids: number[] = [];
  for (let e = head.next; e !== stop; e = e.next) if (e.isCall) ids.push(e.id);
  return ids;
}

/** Deterministic random 32-bit values per completed op, XOR-ed into the linearized-set hash. */
function zobristTable(ops: readonly Operation<unknown, unknown>[]): Uint32Array {
  const table = new Uint32Array(ops.length);
  let x = 0x2545f491;
  for (let i = 0; i < ops.length; i++) {
    if (isPending(ops[i] as Operation<unknown, unknown>)) continue;
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x >>> 0;
  }
  return table;
}

function hashKey(key: string | number): number {
  if (typeof key === 'number' && Number.isInteger(key) && Math.abs(key) < 2 ** 31) {
    return Math.imul(key ^ 0x5bd1e995, 0x27d4eb2d);
  }
  const s = String(key);
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
