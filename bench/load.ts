/**
 * The load generator: closed-loop clients over a few HTTP/2 connections, each client one
 * call in flight at a time. Runs in its own process (bench/load-worker.ts) so the
 * orchestrator's timers and the servers' restarts do not disturb it, and so its CPU per
 * operation can be measured on its own (process.cpuUsage()).
 */
import { randomBytes } from 'node:crypto';
import { connect, encodePut, encodeRange, encodeTxnPuts, rangeCount } from './etcd-wire';
import type { Conn, Method, TransportKind } from './etcd-wire';

export interface LoadSpec {
  transport: TransportKind;
  /** Clients are spread round-robin over these endpoints' connections. */
  endpoints: string[];
  connsPerEndpoint: number;
  op: 'put' | 'range';
  clients: number;
  warmupMs: number;
  durationMs: number;
  valueSize: number;
  keySpace: number;
  keyPrefix: string;
  timeoutMs: number;
}

export interface LoadResult {
  ops: number;
  errors: number;
  errorSamples: string[];
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Client process CPU (user + system) per completed operation, µs. */
  cpuUsPerOp: number;
  /** The user-mode part of cpuUsPerOp (the rest is the kernel, which on loopback includes delivering the packets). */
  cpuUserUsPerOp: number;
  /** Client process CPU over the window as a share of one core. */
  cpuCores: number;
  /** Range only: share of reads that found their key. */
  hitRatio?: number;
}

export interface BulkSpec {
  transport: TransportKind;
  endpoints: string[];
  clients: number;
  totalKeys: number;
  batch: number;
  valueSize: number;
  keyPrefix: string;
  timeoutMs: number;
  /** Stop starting new batches after this long; the result then says partial. */
  deadlineMs: number;
}

export interface BulkResult { keys: number; seconds: number; keysPerSec: number; txns: number; retries: number; cpuUsPerKey: number; partial: boolean }

export function benchKey(prefix: string, i: number): Buffer {
  return Buffer.from(`${prefix}${String(i).padStart(8, '0')}`);
}

/** A printable random value of n bytes (the same bytes for every put of a run). */
export function benchValue(n: number): Buffer {
  return Buffer.from(randomBytes(n).toString('base64').slice(0, n));
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function openConns(kind: TransportKind, endpoints: string[], per: number): Conn[] {
  const conns: Conn[] = [];
  for (let c = 0; c < per; c++) for (const ep of endpoints) conns.push(connect(kind, ep));
  return conns;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const conns = openConns(spec.transport, spec.endpoints, spec.connsPerEndpoint);
  const value = benchValue(spec.valueSize);
  // Pre-encoded requests: the client's per-call work is framing and bookkeeping only.
  const msgs: Buffer[] = [];
  for (let i = 0; i < spec.keySpace; i++) msgs.push(spec.op === 'put' ? encodePut(benchKey(spec.keyPrefix, i), value) : encodeRange(benchKey(spec.keyPrefix, i)));
  const method: Method = spec.op;
  // Open the connections before the clock starts.
  await Promise.allSettled(conns.map((c) => c.call('status', Buffer.alloc(0), 5000)));

  let lat = new Float64Array(1 << 16);
  const dump: string[] | undefined = process.env.BENCH_LAT_DUMP ? [] : undefined;
  let n = 0;
  let errors = 0;
  let hits = 0;
  const errorSamples: string[] = [];
  const t0 = performance.now();
  const measureFrom = t0 + spec.warmupMs;
  const measureTo = measureFrom + spec.durationMs;
  let cpu0: NodeJS.CpuUsage | undefined;
  const cpuStart = setTimeout(() => { cpu0 = process.cpuUsage(); }, spec.warmupMs);
  let cpuEnd: NodeJS.CpuUsage | undefined;
  const cpuStop = setTimeout(() => { cpuEnd = process.cpuUsage(cpu0); }, spec.warmupMs + spec.durationMs);

  const client = async (ci: number): Promise<void> => {
    const conn = conns[ci % conns.length]!;
    let k = Math.floor(Math.random() * spec.keySpace);
    while (performance.now() < measureTo) {
      k = (k + 7919) % spec.keySpace;
      const start = performance.now();
      try {
        const res = await conn.call(method, msgs[k]!, spec.timeoutMs);
        const end = performance.now();
        if (start >= measureFrom && end <= measureTo) {
          if (n === lat.length) { const bigger = new Float64Array(lat.length * 2); bigger.set(lat); lat = bigger; }
          lat[n++] = end - start;
          if (dump) dump.push(`${(start - measureFrom).toFixed(2)} ${(end - start).toFixed(2)} ${ci % conns.length}`);
          if (method === 'range' && rangeCount(res) > 0) hits++;
        }
      } catch (e) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push((e as Error).message);
        if (conn.closed) await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: spec.clients }, (_, i) => client(i)));
  clearTimeout(cpuStart); clearTimeout(cpuStop);
  const cpu = cpuEnd ?? process.cpuUsage(cpu0);
  for (const c of conns) c.close();
  if (dump) require('node:fs').writeFileSync(`${process.env.BENCH_LAT_DUMP}-${spec.clients}`, dump.join('\n'));
  const sorted = lat.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const seconds = spec.durationMs / 1000;
  const cpuUs = cpu.user + cpu.system;
  const out: LoadResult = {
    ops: n, errors, errorSamples, seconds, opsPerSec: n / seconds,
    p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), meanMs: n ? sum / n : NaN, maxMs: n ? sorted[n - 1]! : NaN,
    cpuUsPerOp: n ? cpuUs / n : NaN, cpuUserUsPerOp: n ? cpu.user / n : NaN, cpuCores: cpuUs / 1e6 / seconds,
  };
  if (method === 'range') out.hitRatio = n ? hits / n : 0;
  return out;
}

/** Writes totalKeys keys in Txns of `batch` puts, `clients` Txns in flight. Retries failed batches. */
export async function runBulk(spec: BulkSpec): Promise<BulkResult> {
  const conns = openConns(spec.transport, spec.endpoints, 1);
  await Promise.allSettled(conns.map((c) => c.call('status', Buffer.alloc(0), 5000)));
  const value = benchValue(spec.valueSize);
  const batches = Math.ceil(spec.totalKeys / spec.batch);
  let next = 0;
  let retries = 0;
  let txns = 0;
  let keys = 0;
  let partial = false;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const client = async (ci: number): Promise<void> => {
    const conn = conns[ci % conns.length]!;
    for (;;) {
      if (performance.now() - t0 > spec.deadlineMs) { partial = true; return; }
      const b = next++;
      if (b >= batches) return;
      const kvs: Array<[Buffer, Buffer]> = [];
      for (let i = b * spec.batch; i < Math.min(spec.totalKeys, (b + 1) * spec.batch); i++) kvs.push([benchKey(spec.keyPrefix, i), value]);
      const msg = encodeTxnPuts(kvs);
      for (let attempt = 0; ; attempt++) {
        try {
          await conn.call('txn', msg, spec.timeoutMs);
          txns++;
          keys += kvs.length;
          break;
        } catch (e) {
          retries++;
          if (attempt >= 20) throw new Error(`bulk load: batch ${b} failed 20 times: ${(e as Error).message}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: spec.clients }, (_, i) => client(i)));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const c of conns) c.close();
  return { keys, seconds, keysPerSec: keys / seconds, txns, retries, cpuUsPerKey: (cpu.user + cpu.system) / Math.max(1, keys), partial };
}
