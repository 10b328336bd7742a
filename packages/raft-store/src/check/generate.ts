// Test support: random KV histories that are linearizable BY CONSTRUCTION.
//
// Each client issues operations one after another with random gaps and
// durations, so clients overlap. Every operation also gets a secret
// linearization point inside [call, return]; a correct in-memory map executes
// the operations in that order to produce the outputs. Operations can be
// "lost" (pending): they take effect at their point or never, and the client
// gives up and reincarnates under a new id, as with a Jepsen :info op.

import type { Operation } from './history';
import type { KvInput, KvOutput } from './model';

export interface GenerateOptions {
  ops: number;
  clients: number;
  keys: number;
  seed: number;
  /** Probability that an operation's outcome is unknown. Default 0. */
  pendingRate?: number;
  /** Max gap between a client's ops and max op duration (time units). */
  maxGap?: number;
  maxDuration?: number;
}

/** Small deterministic PRNG (mulberry32) so failures reproduce from the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Planned {
  op: Operation<KvInput, KvOutput>;
  kind: KvInput['op'];
  key: string;
  /** Linearization point, or null if a pending op never takes effect. */
  at: number | null;
  tookEffect: boolean;
}

export function generateKvHistory(options: GenerateOptions): Operation<KvInput, KvOutput>[] {
  const rand = prng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const maxGap = options.maxGap ?? 3;
  const maxDuration = options.maxDuration ?? 10;
  const keys = Array.from({ length: options.keys }, (_, i) => `k${i}`);

  // 1. Plan timing: clients run concurrently, each op sequential within a client.
  const planned: Planned[] = [];
  const clock = Array.from({ length: options.clients }, () => rand() * maxGap);
  const incarnation = clock.map(() => 0);
  for (let n = 0; n < options.ops; n++) {
    const c = n % options.clients;
    const call = (clock[c] as number) + rand() * maxGap;
    const duration = 0.1 + rand() * maxDuration;
    const pending = rand() < (options.pendingRate ?? 0);
    const r = rand();
    const kind: KvInput['op'] = r < 0.4 ? 'get' : r < 0.7 ? 'put' : r < 0.9 ? 'cas' : 'delete';
    const tookEffect = !pending || rand() < 0.5;
    planned.push({
      op: {
        clientId: `c${c}.${incarnation[c]}`,
        input: { op: 'get', key: '' }, // decided at call time below
        output: undefined,
        call,
        return: pending ? Infinity : call + duration,
        ...(pending ? { pending: true } : {}),
      },
      kind,
      key: pick(keys),
      // A lost op may even take effect long after the client gave up.
      at: tookEffect ? call + rand() * duration * (pending ? 3 : 1) : null,
      tookEffect,
    });
    clock[c] = call + duration;
    if (pending) incarnation[c] = (incarnation[c] as number) + 1;
  }

  // 2. Execute: at each call decide the input (CAS expects the then-current value
  // most of the time, so both outcomes occur); at each linearization point apply it.
  type Event = { time: number; isCall: boolean; p: Planned };
  const events: Event[] = [];
  for (const p of planned) {
    events.push({ time: p.op.call, isCall: true, p });
    if (p.at !== null) events.push({ time: p.at, isCall: false, p });
  }
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const store = new Map<string, string>();
  let writes = 0;
  for (const { isCall, p } of events) {
    const current = store.get(p.key) ?? null;
    if (isCall) {
      const value = `v${writes++}`;
      p.op.input =
        p.kind === 'get' ? { op: 'get', key: p.key }
        : p.kind === 'put' ? { op: 'put', key: p.key, value }
        : p.kind === 'delete' ? { op: 'delete', key: p.key }
        : { op: 'cas', key: p.key, expected: rand() < 0.7 ? current : `v${Math.floor(rand() * writes)}`, value };
      continue;
    }
    const input = p.op.input;
    switch (input.op) {
      case 'get':
        p.op.output = current;
        break;
      case 'put':
        store.set(p.key, input.value);
        break;
      case 'delete':
        p.op.output = store.delete(p.key);
        break;
      case 'cas':
        p.op.output = current === input.expected;
        if (current === input.expected) store.set(p.key, input.value);
        break;
    }
  }
  for (const p of planned) if (!p.tookEffect || p.op.pending) p.op.output = undefined;
  return planned.map((p) => p.op);
}
