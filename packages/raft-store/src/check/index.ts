// Linearizability checking for berth's replicated store: see README.md.
export { createRecorder, hrtimeClock, isPending, UNKNOWN, validateHistory } from './history';
export type { Clock, History, Operation, OperationHandle, Recorder, Unknown } from './history';
export { kv, kvModel } from './model';
export type { KvInput, KvOutput, KvState, KvValue, Model } from './model';
export { assertLinearizable, checkLinearizable } from './linearizability';
export type { CheckOptions, CheckResult, Inconclusive, Linearizable, NotLinearizable } from './linearizability';
