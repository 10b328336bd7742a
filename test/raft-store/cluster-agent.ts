/**
 * The test's hands inside the client namespace (see test/support/netns.ts): it is the only
 * process that talks to the members' client addresses. Commands arrive as JSON lines on
 * stdin ({id, cmd, ...}); answers leave as JSON lines on stdout ({id, ok, result | error}).
 *
 *   status {endpoints}                        Maintenance.Status of each endpoint (or its error)
 *   workload {endpoints, clients, keys, epochMs}  starts concurrent clients (put/get/cas + unique puts)
 *   stop-workload {}                          stops them; answers with the recorded history
 *   get {endpoints, key, prefix?, serializable?, endpoint?}
 *   put {endpoints, key, value} / cas {endpoints, key, expected, value}
 *   member {endpoints, action, arg?}          list | add PEER_URL (learner) | remove ID | promote ID
 *
 * The workload records every operation with check/'s recorder: an op that got an answer is
 * ok, a read with an error is dropped (fail: it changed nothing), a write with an error is
 * unknown (it may or may not have been applied), after which the client continues under a new
 * client id. Values are unique per write. Besides the shared keys, some writes go to a key of
 * their own (`u/<client>/<n>`): every acknowledged one must be there at the end.
 */
import * as readline from 'node:readline';
import { EtcdClient } from '@berth/raft-store';
import { createRecorder } from '@berth/raft-store/dist/check';
import type { KvInput, KvOutput, Recorder } from '@berth/raft-store/dist/check';

interface Request {
  id: number;
  cmd: string;
  [k: string]: unknown;
}

const out = (o: unknown): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

function errText(e: unknown): string {
  const x = e as { code?: unknown; details?: string; message?: string };
  return `${x.code ?? ''} ${x.message ?? String(e)}`.trim();
}

// ---- the workload ----

interface Workload {
  rec: Recorder<KvInput, KvOutput>;
  stopping: boolean;
  done: Promise<void>[];
  clients: EtcdClient[];
  uniqueAcked: Array<{ key: string; value: string }>;
  uniqueUnknown: Array<{ key: string; value: string }>;
  counts: Record<string, number>;
  errors: Record<string, number>;
  /** Every shared key used so far. */
  used: Set<string>;
}

let workload: Workload | undefined;

/**
 * The shared keys change every `epochMs` (k0.e0 .. kN.e0, then k0.e1 ...): the checker's work
 * grows exponentially with the writes of unknown outcome on one key (each may take effect at
 * any later point), and a leader failure makes a burst of them, so no key lives long.
 */
function startWorkload(endpoints: string[], nClients: number, keys: string[], timeoutMs: number, epochMs: number): void {
  const w: Workload = { rec: createRecorder<KvInput, KvOutput>(), stopping: false, done: [], clients: [], uniqueAcked: [], uniqueUnknown: [], counts: {}, errors: {}, used: new Set() };
  const t0 = Date.now();
  const pickKey = (): string => {
    const k = `${keys[Math.floor(Math.random() * keys.length)]!}.e${Math.floor((Date.now() - t0) / epochMs)}`;
    w.used.add(k);
    return k;
  };
  // After an error a client pauses, as a real one would, so a failure does not become a
  // storm of operations of unknown outcome.
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 200 + Math.random() * 200));
  workload = w;
  const count = (k: string): void => { w.counts[k] = (w.counts[k] ?? 0) + 1; };
  const noteError = (e: unknown): void => {
    const k = errText(e).replace(/\d+/g, 'N').slice(0, 160);
    w.errors[k] = (w.errors[k] ?? 0) + 1;
  };
  for (let c = 0; c < nClients; c++) {
    // Each client starts on a different member.
    const eps = endpoints.map((_, i) => endpoints[(i + c) % endpoints.length]!);
    const client = new EtcdClient({ endpoints: eps, timeoutMs });
    w.clients.push(client);
    w.done.push((async () => {
      let gen = 0;
      let n = 0;
      let cid = `c${c}.${gen}`;
      const lastSeen = new Map<string, string | null>();
      const newSession = (): void => { cid = `c${c}.${++gen}`; };
      while (!w.stopping) {
        const r = Math.random();
        const key = pickKey();
        if (r < 0.3) {
          const value = `c${c}-${++n}`;
          const h = w.rec.invoke(cid, { op: 'put', key, value });
          try {
            await client.put(key, value);
            h.ok(undefined);
            count('put ok');
          } catch (e) {
            h.unknown();
            noteError(e);
            count('put ?');
            newSession();
            await pause();
          }
        } else if (r < 0.6) {
          const h = w.rec.invoke(cid, { op: 'get', key });
          try {
            const res = await client.get(key);
            const v = res.kvs[0] ? Buffer.from(res.kvs[0].value).toString() : null;
            h.ok(v);
            lastSeen.set(key, v);
            count('get ok');
          } catch (e) {
            h.fail();
            noteError(e);
            count('get err');
            await pause();
          }
        } else if (r < 0.85) {
          const expected = lastSeen.get(key) ?? null;
          const value = `c${c}-${++n}`;
          const h = w.rec.invoke(cid, { op: 'cas', key, expected, value });
          try {
            const ok = await client.cas(key, expected, value);
            h.ok(ok);
            if (ok) lastSeen.set(key, value);
            else lastSeen.delete(key);
            count(`cas ${ok}`);
          } catch (e) {
            h.unknown();
            noteError(e);
            count('cas ?');
            lastSeen.delete(key);
            newSession();
            await pause();
          }
        } else {
          const ukey = `u/c${c}/${++n}`;
          const value = `c${c}-${n}`;
          const h = w.rec.invoke(cid, { op: 'put', key: ukey, value });
          try {
            await client.put(ukey, value);
            h.ok(undefined);
            w.uniqueAcked.push({ key: ukey, value });
            count('uput ok');
          } catch (e) {
            h.unknown();
            w.uniqueUnknown.push({ key: ukey, value });
            noteError(e);
            count('uput ?');
            newSession();
            await pause();
          }
        }
      }
    })());
  }
}

/**
 * Stops the clients, then reads every shared key once more (linearizably, recorded in the
 * same history, so acknowledged writes must show there) and every unique key.
 */
async function stopWorkload(endpoints: string[], timeoutMs: number): Promise<unknown> {
  const w = workload;
  if (!w) throw new Error('no workload running');
  w.stopping = true;
  // Ops in flight finish within the client timeout; whatever has not returned is pending.
  await Promise.race([Promise.all(w.done), new Promise((r) => setTimeout(r, 15_000))]);
  for (const c of w.clients) c.close();
  workload = undefined;
  const finalReads: Record<string, string | null> = {};
  let unique: Array<[string, string]> = [];
  await withClient(endpoints, timeoutMs, async (client) => {
    for (const key of [...w.used].sort()) {
      for (let attempt = 0; ; attempt++) {
        const h = w.rec.invoke('final', { op: 'get', key });
        try {
          const res = await client.get(key);
          const v = res.kvs[0] ? Buffer.from(res.kvs[0].value).toString() : null;
          h.ok(v);
          finalReads[key] = v;
          break;
        } catch (e) {
          h.fail();
          if (attempt >= 20) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await client.get('u/', { prefix: true });
        unique = res.kvs.map((kv) => [Buffer.from(kv.key).toString(), Buffer.from(kv.value).toString()]);
        break;
      } catch (e) {
        if (attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  });
  const history = w.rec.history().map((op) => ({ ...op, return: op.return === Infinity ? null : op.return, output: op.output === undefined ? null : op.output }));
  return { history, finalReads, unique, uniqueAcked: w.uniqueAcked, uniqueUnknown: w.uniqueUnknown, counts: w.counts, errors: w.errors };
}

// ---- one-off commands ----

async function withClient<T>(endpoints: string[], timeoutMs: number, fn: (c: EtcdClient) => Promise<T>): Promise<T> {
  const c = new EtcdClient({ endpoints, timeoutMs });
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

async function handle(req: Request): Promise<unknown> {
  const endpoints = (req.endpoints as string[] | undefined) ?? [];
  const timeoutMs = (req.timeoutMs as number | undefined) ?? 3_000;
  switch (req.cmd) {
    case 'status':
      return withClient(endpoints, timeoutMs, (c) => Promise.all(endpoints.map(async (ep, i) => {
        try {
          const s = await c.status(i);
          return { endpoint: ep, memberId: Number(s.header?.memberId), leader: Number(s.leader), term: Number(s.raftTerm), commit: Number(s.raftIndex), applied: Number(s.raftAppliedIndex), isLearner: s.isLearner };
        } catch (e) {
          return { endpoint: ep, error: errText(e) };
        }
      })));
    case 'workload':
      startWorkload(endpoints, req.clients as number, req.keys as string[], timeoutMs, (req.epochMs as number | undefined) ?? 2_000);
      return 'started';
    case 'stop-workload':
      return stopWorkload(endpoints, timeoutMs);
    case 'get': {
      const eps = req.endpoint !== undefined ? [req.endpoint as string] : endpoints;
      return withClient(eps, timeoutMs, async (c) => {
        const r = await c.get(req.key as string, { prefix: req.prefix === true, serializable: req.serializable === true });
        return { revision: Number(r.header?.revision), kvs: r.kvs.map((kv) => [Buffer.from(kv.key).toString(), Buffer.from(kv.value).toString()]) };
      });
    }
    case 'put':
      return withClient(endpoints, timeoutMs, async (c) => Number((await c.put(req.key as string, req.value as string)).header?.revision));
    case 'cas':
      return withClient(endpoints, timeoutMs, (c) => c.cas(req.key as string, (req.expected as string | null) ?? null, req.value as string));
    case 'member':
      return withClient(req.endpoint !== undefined ? [req.endpoint as string] : endpoints, timeoutMs, async (c) => {
        switch (req.action) {
          case 'list': return (await c.memberList()).members.map((m) => ({ id: Number(m.ID), isLearner: m.isLearner, peerURLs: m.peerURLs, clientURLs: m.clientURLs }));
          case 'add': return Number((await c.memberAdd(req.arg as string, true)).member?.ID);
          case 'remove': return (await c.memberRemove(req.arg as number)).members.map((m) => Number(m.ID));
          case 'promote': return (await c.memberPromote(req.arg as number)).members.map((m) => Number(m.ID));
          default: throw new Error(`unknown member action ${String(req.action)}`);
        }
      });
    default:
      throw new Error(`unknown command ${req.cmd}`);
  }
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  const req = JSON.parse(line) as Request;
  handle(req).then((result) => out({ id: req.id, ok: true, result }), (e: unknown) => out({ id: req.id, ok: false, error: errText(e) }));
});
// The test went away: so do we.
rl.on('close', () => process.exit(0));
out({ ready: true });
