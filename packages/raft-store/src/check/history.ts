// Operation histories for the linearizability checker, and a recorder that
// real-cluster and simulator tests use to build them.
//
// Timestamps are plain numbers from ONE clock shared by every client of the
// history (a monotonic clock in real tests, logical time in the simulator).
// Only their order matters. Equal timestamps are treated as concurrent (a call
// at t and a return at t overlap), which can only make the checker more
// permissive, never produce a false alarm.

/** The outcome of an operation whose result the client never learned. */
export const UNKNOWN: unique symbol = Symbol('berth.check.unknown-outcome');
export type Unknown = typeof UNKNOWN;

/**
 * One client operation.
 *
 * A *pending* operation (timed out, connection lost, leader changed before the
 * reply...) has `return: Infinity` and/or `pending: true`. Its `output` is
 * ignored. The checker lets it take effect at any single point after `call`,
 * or never, exactly like Jepsen's `:info` operations and Porcupine's
 * "return at infinity".
 */
export interface Operation<I, O> {
  clientId: string | number;
  input: I;
  /** Observed result; ignored for pending operations. */
  output: O;
  call: number;
  /** `Infinity` when the operation never returned. */
  return: number;
  pending?: boolean;
}

export type History<I, O> = readonly Operation<I, O>[];

export function isPending(op: Operation<unknown, unknown>): boolean {
  return op.pending === true || op.return === Infinity;
}

/** Throws on histories the checker cannot interpret (a bug in the test harness). */
export function validateHistory(history: History<unknown, unknown>): void {
  history.forEach((op, i) => {
    if (!Number.isFinite(op.call)) {
      throw new RangeError(`operation #${i}: call time must be finite, got ${op.call}`);
    }
    if (!isPending(op) && !(op.return >= op.call)) {
      throw new RangeError(`operation #${i}: return ${op.return} precedes call ${op.call}`);
    }
  });
}

// ---------------------------------------------------------------------------
// Recorder

/** A clock returning non-decreasing numbers, shared by all clients. */
export type Clock = () => number;

/** Nanoseconds since recorder creation (relative, so it stays exact in a double). */
export function hrtimeClock(): Clock {
  const origin = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - origin);
}

export interface OperationHandle<O> {
  /** The operation completed and the client observed `output`. */
  ok(output: O): void;
  /** The outcome is unknown (timeout, lost connection): it may or may not have taken effect. */
  unknown(): void;
  /**
   * The operation definitely did NOT take effect (e.g. rejected before it was
   * proposed). It is dropped from the history. Only use this when that is
   * certain; when in doubt, call `unknown()`.
   */
  fail(): void;
}

export interface Recorder<I, O> {
  invoke(clientId: string | number, input: I): OperationHandle<O>;
  /**
   * Snapshot of the history so far. Operations still in flight are included
   * as pending, which is the correct reading if the test stops now.
   */
  history(): Operation<I, O>[];
}

export function createRecorder<I, O>(options: { clock?: Clock } = {}): Recorder<I, O> {
  const clock = options.clock ?? hrtimeClock();
  // Slots in invocation order; `null` marks a failed (dropped) operation.
  const slots: (Operation<I, O> | null)[] = [];

  return {
    invoke(clientId, input) {
      const index = slots.length;
      // Until resolved, the operation is pending. Its output is never read.
      const op: Operation<I, O> = {
        clientId,
        input,
        output: undefined as O,
        call: clock(),
        return: Infinity,
        pending: true,
      };
      slots.push(op);
      let settled = false;
      const settle = (): void => {
        if (settled) throw new Error(`operation #${index} of client ${clientId} settled twice`);
        settled = true;
      };
      return {
        ok(output) {
          settle();
          op.return = clock();
          op.output = output;
          delete op.pending;
        },
        unknown() {
          settle(); // stays pending with return = Infinity
        },
        fail() {
          settle();
          slots[index] = null;
        },
      };
    },
    history() {
      return slots.filter((op): op is Operation<I, O> => op !== null).map((op) => ({ ...op }));
    },
  };
}
