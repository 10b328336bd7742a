/**
 * Child process that runs the load generator (bench/load.ts) on request from bench/raft.ts:
 * receives { id, kind: 'load' | 'bulk', spec } over IPC, answers { id, result } or { id, error }.
 */
import { runBulk, runLoad } from './load';
import type { BulkSpec, LoadSpec } from './load';

type Request = { id: number; kind: 'load'; spec: LoadSpec } | { id: number; kind: 'bulk'; spec: BulkSpec };

process.on('message', (m: Request) => {
  const run = m.kind === 'load' ? runLoad(m.spec) : runBulk(m.spec);
  run.then((result) => process.send!({ id: m.id, result }), (e: unknown) => process.send!({ id: m.id, error: e instanceof Error ? e.message : String(e) }));
});
process.on('disconnect', () => process.exit(0));
