// Turning a failed search into something a human can act on.
//
// 1. Shrink the failing partition to a smaller sub-history that is STILL not
//    linearizable, using only reductions that preserve the proof: if the
//    smaller history is not linearizable, neither is the original. (Naive
//    delta-debugging is unsound here: dropping a write can turn a stale read
//    into a "read of a value never written", which explains nothing.) Sound
//    reductions used:
//    - Truncate at a quiescent cut: if every completed op called before time
//      t returned before every op called after t, the ops called before t are
//      linearized first in any linearization, so that prefix alone must be
//      linearizable.
//    - Drop read-only ops (reads, failed CAS): removing an op that never
//      changes the state from a linearization leaves a linearization.
// 2. Report the deepest dead end of the search on the shrunk history: the
//    longest linearizable prefix found, the state it leads to, and why each
//    op that could come next was refused.

import { isPending, type Operation } from './history';
import type { Model } from './model';
import { deepestDeadEnd, outputOf, searchLinearization, type DeadEnd } from './search';

export interface Shrunk<S> {
  /** Indices (into the partition's ops) of a non-linearizable sub-history, in call order. */
  subset: number[];
  /** Dead end of the search over `subset`, in partition indices. */
  deadEnd: DeadEnd<S>;
  /** False if the shrinking budget ran out (the subset is still a valid witness). */
  minimal: boolean;
}

export function shrinkViolation<I, O, S>(
  ops: readonly Operation<I, O>[],
  model: Model<I, O, S>,
  /** `depth` of the search outcome on all of `ops`. */
  initialDepth: number,
  deadline: number,
): Shrunk<S> {
  let subset = ops.map((_, i) => i).sort((a, b) => (ops[a] as Operation<I, O>).call - (ops[b] as Operation<I, O>).call || a - b);
  let depth = initialDepth; // of the search over `subset`
  let minimal = true;

  /** The search depth if `candidate` is provably not linearizable; null otherwise or on timeout. */
  const fails = (candidate: number[]): number | null => {
    if (performance.now() > deadline) {
      minimal = false;
      return null;
    }
    const outcome = searchLinearization(candidate.map((i) => ops[i] as Operation<I, O>), model, deadline);
    if (outcome.kind === 'timeout') minimal = false;
    return outcome.kind === 'illegal' ? outcome.depth : null;
  };

  const truncateAtCut = (): void => {
    // Prefix lengths k at which a quiescent cut exists; subset.length always qualifies.
    const cuts: number[] = [];
    let maxReturn = -Infinity;
    subset.forEach((i, k) => {
      const op = ops[i] as Operation<I, O>;
      if (!isPending(op)) maxReturn = Math.max(maxReturn, op.return);
      const next = subset[k + 1];
      if (next === undefined || maxReturn < (ops[next] as Operation<I, O>).call) cuts.push(k + 1);
    });
    // Failure is monotone in the cut, so binary-search the shortest failing prefix.
    let lo = 0;
    let hi = cuts.length - 1;
    let best: { subset: number[]; depth: number } | null = null;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const prefix = subset.slice(0, cuts[mid]);
      const d = fails(prefix);
      if (d !== null) {
        hi = mid;
        best = { subset: prefix, depth: d };
      } else {
        lo = mid + 1;
      }
    }
    if (best !== null) ({ subset, depth } = best);
  };

  const dropReadOnly = (): void => {
    const isReadOnly = model.isReadOnly;
    if (isReadOnly === undefined) return;
    const removable = subset.filter((i) => {
      const op = ops[i] as Operation<I, O>;
      return isReadOnly(op.input, outputOf(op));
    });
    // Delta-debugging over the removable ops: big chunks first, then halve.
    for (let chunk = Math.ceil(removable.length / 2); chunk >= 1; chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
      for (let start = 0; start < removable.length; ) {
        const drop = new Set(removable.slice(start, start + chunk));
        const candidate = subset.filter((i) => !drop.has(i));
        const d = candidate.length > 0 ? fails(candidate) : null;
        if (d !== null) {
          subset = candidate;
          depth = d;
          removable.splice(start, chunk);
        } else {
          start += chunk;
        }
      }
    }
  };

  truncateAtCut();
  dropReadOnly();
  truncateAtCut(); // dropping reads may have opened earlier cuts
  const toPartition = (j: number): number => subset[j] as number;
  const d = deepestDeadEnd(subset.map((i) => ops[i] as Operation<I, O>), model, depth);
  const deadEnd = { ...d, prefix: d.prefix.map(toPartition), blocker: toPartition(d.blocker), candidates: d.candidates.map(toPartition) };
  return { subset, deadEnd, minimal };
}

// ---------------------------------------------------------------------------
// Formatting

export interface Describer<S> {
  op(partitionIndex: number): string;
  state(state: S): string;
  /** The raw step result, to tell "refused by the model" from "led nowhere". */
  accepts(state: S, partitionIndex: number): boolean;
  time(partitionIndex: number): { call: number; return: number };
}

export function describerFor<I, O, S>(
  ops: readonly Operation<I, O>[],
  globalIndex: readonly number[],
  model: Model<I, O, S>,
): Describer<S> {
  const opText = (op: Operation<I, O>): string =>
    model.describeOperation?.(op.input, outputOf(op)) ??
    `${JSON.stringify(op.input)} -> ${isPending(op) ? '?' : String(JSON.stringify(op.output))}`;
  return {
    op: (i) => {
      const op = ops[i] as Operation<I, O>;
      const ret = isPending(op) ? 'pending' : String(op.return);
      return `#${globalIndex[i]} client ${op.clientId} [${op.call}, ${ret}] ${opText(op)}`;
    },
    state: (s) => model.describeState?.(s) ?? String(JSON.stringify(s)),
    time: (i) => {
      const op = ops[i] as Operation<I, O>;
      return { call: op.call, return: isPending(op) ? Infinity : op.return };
    },
    accepts: (s, i) => {
      const op = ops[i] as Operation<I, O>;
      return model.step(s, op.input, outputOf(op))[0];
    },
  };
}

const MAX_LISTED = 40;
/** Ops listed before the window of ops overlapping the violation, for context. */
const CONTEXT = 3;

export function formatViolation<S>(
  key: string | undefined,
  partitionSize: number,
  shrunk: Shrunk<S>,
  describe: Describer<S>,
): string {
  const { subset, deadEnd, minimal } = shrunk;
  const lines: string[] = [];
  lines.push(`${key === undefined ? 'History' : `Key ${JSON.stringify(key)}`} is not linearizable.`);

  // List the ops still running when the stuck ones were called, plus a little
  // context; older ops are summarized by the linearizable prefix below.
  const windowStart = Math.min(...[deadEnd.blocker, ...deadEnd.candidates].map((i) => describe.time(i).call));
  const firstOverlapping = subset.findIndex((i) => describe.time(i).return >= windowStart);
  let from = Math.max(0, (firstOverlapping < 0 ? subset.length : firstOverlapping) - CONTEXT);
  from = Math.max(from, subset.length - MAX_LISTED);
  lines.push(
    `Non-linearizable sub-history: ${subset.length} of ${partitionSize} ops` +
      `${minimal ? '' : ' (shrinking stopped at its time budget)'}` +
      `${from > 0 ? `; the last ${subset.length - from} shown` : ''}:`,
  );
  for (const i of subset.slice(from)) lines.push(`  ${describe.op(i)}`);

  const tail = deadEnd.prefix.slice(-5);
  lines.push(
    `Longest linearizable prefix found: ${deadEnd.prefix.length} ops, leaving state ${describe.state(deadEnd.state)}` +
      (tail.length > 0 ? `; it ends with:` : '.'),
  );
  for (const i of tail) lines.push(`  ${describe.op(i)}`);
  lines.push(`Then ${describe.op(deadEnd.blocker)} had returned, so one of these had to be linearized next, and none works:`);
  for (const i of deadEnd.candidates) {
    const why = describe.accepts(deadEnd.state, i)
      ? 'allowed here, but every continuation after it dead-ends'
      : `impossible in state ${describe.state(deadEnd.state)}`;
    lines.push(`  ${describe.op(i)}: ${why}`);
  }
  return lines.join('\n');
}
