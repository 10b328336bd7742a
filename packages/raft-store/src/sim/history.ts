/**
 * Client operation history in a generic form, for a linearizability checker
 * (`checkLinearizable(history, model)` in src/check/). One record per client operation, from
 * its first invocation to its response; retries of the same operation are inside that window.
 * `returnTime` is Infinity and `output` undefined for an operation that never got a response
 * (it may or may not have taken effect).
 */
export interface HistoryOp<I = unknown, O = unknown> {
  readonly clientId: string;
  readonly op: string;
  readonly input: I;
  output: O | undefined;
  readonly callTime: number;
  returnTime: number;
}

/** The KV operations of the simulator, as recorded. */
export type KvOpInput =
  | { readonly key: string; readonly value: string } // put
  | { readonly key: string } // get
  | { readonly key: string; readonly expected: string | null; readonly value: string }; // cas

export type KvOpOutput = { readonly ok: boolean } | { readonly value: string | null };
