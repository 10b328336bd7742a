// Entry point: is a recorded history linearizable with respect to a model?
//
// The history is split into independent partitions (per key for the KV
// model; linearizability is compositional, so the whole history is
// linearizable iff every partition is) and each partition is searched with
// the memoized just-in-time DFS in ./search.ts.

import { describerFor, formatViolation, shrinkViolation } from './explain';
import { isPending, UNKNOWN, validateHistory, type History, type Operation } from './history';
import type { Model } from './model';
import { searchLinearization } from './search';

export interface CheckOptions {
  /** Give up (verdict 'unknown') after this long. Default 60 s. */
  timeoutMs?: number;
  /** Extra time allowed for shrinking a violation into a small explanation. Default 5 s. */
  explainTimeoutMs?: number;
}

export interface Linearizable {
  ok: true;
  verdict: 'linearizable';
  partitions: number;
  elapsedMs: number;
}

export interface NotLinearizable<I, O> {
  ok: false;
  verdict: 'not-linearizable';
  /** Partition (KV key) in which the violation was found. */
  key?: string;
  /** A sub-history that is by itself not linearizable (shrunk), in call order. */
  failingOps: { index: number; op: Operation<I, O> }[];
  /** Longest linearizable prefix of `failingOps` the search found, as indices into the input history. */
  partialLinearization: number[];
  /** Ops (indices into the input history) that could have come next after `partialLinearization`; none could. */
  stuckAt: number[];
  /** Multi-line human-readable account; put it in the test failure message. */
  explanation: string;
  elapsedMs: number;
}

export interface Inconclusive {
  /** `false`, so `if (!result.ok)` treats a timeout as a failure, never as a pass. */
  ok: false;
  verdict: 'unknown';
  /** Partitions whose search hit the timeout; all others were linearizable. */
  timedOutKeys: string[];
  explanation: string;
  elapsedMs: number;
}

export type CheckResult<I, O> = Linearizable | NotLinearizable<I, O> | Inconclusive;

export function checkLinearizable<I, O, S>(
  history: History<I, O>,
  model: Model<I, O, S>,
  options: CheckOptions = {},
): CheckResult<I, O> {
  validateHistory(history);
  const start = performance.now();
  const deadline = start + (options.timeoutMs ?? 60_000);
  const elapsed = (): number => performance.now() - start;
  const timedOutKeys: string[] = [];
  const partitions = partitionHistory(history, model);

  for (const { key, indices } of partitions) {
    // A pending read can always be dropped: it may never have taken effect
    // and, if it did, it changed nothing.
    const kept = indices.filter((i) => {
      const op = history[i] as Operation<I, O>;
      return !(isPending(op) && model.isReadOnly?.(op.input, UNKNOWN) === true);
    });
    const ops = kept.map((i) => history[i] as Operation<I, O>);
    const outcome = searchLinearization(ops, model, deadline);
    if (outcome.kind === 'timeout') {
      timedOutKeys.push(key ?? '(whole history)');
      continue;
    }
    if (outcome.kind === 'linearizable') continue;

    const shrunk = shrinkViolation(ops, model, outcome.depth, performance.now() + (options.explainTimeoutMs ?? 5_000));
    const global = (i: number): number => kept[i] as number;
    return {
      ok: false,
      verdict: 'not-linearizable',
      ...(key === undefined ? {} : { key }),
      failingOps: shrunk.subset.map((i) => ({ index: global(i), op: ops[i] as Operation<I, O> })),
      partialLinearization: shrunk.deadEnd.prefix.map(global),
      stuckAt: shrunk.deadEnd.candidates.map(global),
      explanation: formatViolation(key, ops.length, shrunk, describerFor(ops, kept, model)),
      elapsedMs: elapsed(),
    };
  }

  if (timedOutKeys.length > 0) {
    return {
      ok: false,
      verdict: 'unknown',
      timedOutKeys,
      explanation:
        `Timed out after ${Math.round(elapsed())} ms checking ${timedOutKeys.length} of ${partitions.length} ` +
        `partition(s): ${timedOutKeys.map((k) => JSON.stringify(k)).join(', ')}. No violation found elsewhere.`,
      elapsedMs: elapsed(),
    };
  }
  return { ok: true, verdict: 'linearizable', partitions: partitions.length, elapsedMs: elapsed() };
}

/** Throws with the explanation unless the history is linearizable. For tests. */
export function assertLinearizable<I, O, S>(history: History<I, O>, model: Model<I, O, S>, options?: CheckOptions): void {
  const result = checkLinearizable(history, model, options);
  if (!result.ok) throw new Error(result.explanation);
}

interface Partition {
  key: string | undefined;
  /** Indices into the input history. */
  indices: number[];
}

function partitionHistory<I, O, S>(history: History<I, O>, model: Model<I, O, S>): Partition[] {
  if (model.partition) {
    const indexOf = new Map<Operation<I, O>, number>(history.map((op, i) => [op, i]));
    return model.partition(history).map((group, n) => {
      const first = group[0];
      return {
        key: first !== undefined && model.partitionKey ? model.partitionKey(first.input) : `partition ${n}`,
        indices: group.map((op) => {
          const i = indexOf.get(op);
          if (i === undefined) throw new Error('Model.partition must return the original operation objects');
          return i;
        }),
      };
    });
  }
  const partitionKey = model.partitionKey;
  if (!partitionKey) return [{ key: undefined, indices: history.map((_, i) => i) }];
  const byKey = new Map<string, number[]>();
  history.forEach((op, i) => {
    const key = partitionKey(op.input);
    let group = byKey.get(key);
    if (group === undefined) byKey.set(key, (group = []));
    group.push(i);
  });
  // Sorted so that which violation gets reported is deterministic.
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, indices]) => ({ key, indices }));
}
