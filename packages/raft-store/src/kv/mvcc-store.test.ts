import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MvccStore } from './mvcc-store';
import type { AppliedEntry } from './mvcc-store';
import { CompactedError } from './watch';
import { encode } from './codec';
import type { Plain } from './codec';
import { decodeEvents, encodeEvents } from './records';
import type { Command, CommandResult, WatchEvent } from './types';

const b = (s: string): Buffer => Buffer.from(s);

let dir: string;
let store: MvccStore;
let index = 0;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-kv-'));
  store = await MvccStore.open(dir);
  index = 0;
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function apply(command: Command, extra: Partial<AppliedEntry> = {}): Promise<CommandResult> {
  const [r] = await store.apply([{ index: ++index, term: 1, command, ...extra }]);
  return r!.result;
}

const put = (k: string, v: string, lease = 0): Promise<CommandResult> => apply({ put: { key: b(k), value: b(v), lease } });
const get = async (k: string): Promise<string | undefined> => (await store.range({ key: b(k) })).kvs[0]?.value.toString();

describe('MvccStore: paged ranges', () => {
  it('with a limit reads only the first keys, yet counts the whole range; a txn sees its own changes', async () => {
    for (let i = 0; i < 50; i++) await put(`k${String(i).padStart(2, '0')}`, `v${i}`);
    const page = await store.range({ key: b('k'), rangeEnd: b('l'), limit: 5 });
    expect(page.kvs.map((kv) => kv.key.toString())).toEqual(['k00', 'k01', 'k02', 'k03', 'k04']);
    expect([page.count, page.more]).toEqual([50, true]);
    const cheap = await store.range({ key: b('k'), rangeEnd: b('l'), limit: 5, skipCount: true });
    expect(cheap.kvs).toEqual(page.kvs);
    expect([cheap.count, cheap.more]).toEqual([5, true]);
    expect((await store.range({ key: b('k4'), rangeEnd: b('l'), limit: 10, skipCount: true })).more).toBe(false);
    expect(await store.range({ key: b('k'), rangeEnd: b('l'), countOnly: true })).toEqual({ kvs: [], count: 50, more: false });
    expect((await store.range({ key: b('k'), rangeEnd: b('l'), limit: 50 })).more).toBe(false);
    const keysOnly = await store.range({ key: b('k'), rangeEnd: b('l'), limit: 2, keysOnly: true });
    expect(keysOnly.kvs.map((kv) => [kv.key.toString(), kv.value.length])).toEqual([['k00', 0], ['k01', 0]]);
    const r = await apply({ txn: { compare: [], success: [
      { requestDeleteRange: { key: b('k00') } },
      { requestPut: { key: b('k005'), value: b('new') } },
      { requestRange: { key: b('k'), rangeEnd: b('l'), limit: 3 } },
    ], failure: [] } });
    if (!r.ok || !r.txn) throw new Error(`txn failed: ${JSON.stringify(r)}`);
    const inner = r.txn.responses[2]! as { responseRange: { kvs: Array<{ key: Buffer }>; count: number; more: boolean } };
    expect(inner.responseRange.kvs.map((kv) => kv.key.toString())).toEqual(['k005', 'k01', 'k02']);
    expect([inner.responseRange.count, inner.responseRange.more]).toEqual([50, true]);
  });
});

describe('MvccStore: answering before the write', () => {
  it('hands the results over before its batch is written; reads see them at once, watchers once written', async () => {
    await put('a', '1');
    const order: string[] = [];
    let read: Promise<string | undefined> | undefined;
    const events: WatchEvent[] = [];
    store.watch({ key: b('a') }, (evs) => { events.push(...evs); }, () => undefined);
    const results = await store.apply([{ index: ++index, term: 1, command: { put: { key: b('a'), value: b('2') } } }], (rs, revision) => {
      order.push(`computed rev ${revision} ok ${rs[0]!.result.ok}`);
      // Reads see the computed state at once (the entry is committed); watchers do not yet.
      expect(store.revision).toBe(2);
      expect(store.appliedIndex).toBe(index);
      expect(events).toHaveLength(0);
      read = get('a').then((v) => { order.push(`read ${v}`); return v; });
    });
    order.push('applied');
    expect(results[0]!.result).toMatchObject({ ok: true, revision: 2 });
    expect(await read).toBe('2');
    expect(order[0]).toBe('computed rev 2 ok true');
    expect(order).toContain('read 2');
    expect(events.map((e) => e.kv.value.toString())).toEqual(['2']);
  });

  it('pipelines applies: each computes on the unwritten state of the ones before, and all land in order', async () => {
    await store.apply([{ index: ++index, term: 1, command: { leaseGrant: { id: 7, ttl: 60 } } }]);
    await put('k0', 'old');
    const runs: Array<Promise<Array<{ index: number; result: CommandResult }>>> = [];
    const computed: number[] = [];
    let written = 0;
    // As RaftNode does: the next apply starts once the one before is computed, not written.
    const next = (command: Command): Promise<void> => new Promise((resolve) => {
      const i = ++index;
      runs.push(store.apply([{ index: i, term: 1, command }], () => { computed.push(i); resolve(); }).then((r) => { written++; return r; }));
    });
    await next({ put: { key: b('k1'), value: b('v1'), lease: 7 } });
    await next({ put: { key: b('k2'), value: b('v2') } });
    await next({ txn: { compare: [{ key: b('k1'), target: 'VALUE', result: 'EQUAL', value: b('v1') }], success: [{ requestPut: { key: b('k3'), value: b('v3') } }], failure: [] } });
    await next({ deleteRange: { key: b('k0'), rangeEnd: b('k1') } });
    await next({ leaseRevoke: { id: 7 } });
    expect(written).toBeLessThan(5); // some batches were still on their way while later ones computed
    const rs = (await Promise.all(runs)).map((r) => r[0]!.result);
    expect(computed).toEqual([index - 4, index - 3, index - 2, index - 1, index]);
    expect(rs[2]).toMatchObject({ ok: true, txn: { succeeded: true } });
    expect(rs[3]).toMatchObject({ ok: true, deleteRange: { deleted: 1 } });
    expect(rs[4]).toMatchObject({ ok: true, leaseRevoke: { deleted: 1 } });
    const all = async (): Promise<string[]> => (await store.range({ key: b('k'), rangeEnd: b('l') })).kvs.map((kv) => `${kv.key.toString()}=${kv.value.toString()}`);
    expect(await all()).toEqual(['k2=v2', 'k3=v3']);
    const rev = store.revision;
    await store.close();
    store = await MvccStore.open(dir);
    expect(await all()).toEqual(['k2=v2', 'k3=v3']);
    expect([store.revision, store.appliedIndex]).toEqual([rev, index]);
    expect(await store.leaseKeys(7)).toEqual([]);
  });

  it('writes the batches that queued up behind a write as one LevelDB batch, in order', async () => {
    // The store writes through classic-level's _batch (storage/raw-batch.ts).
    const db = (store as unknown as { db: { _batch: (...a: unknown[]) => Promise<void> } }).db;
    const batch = db._batch.bind(db);
    const sizes: number[] = [];
    db._batch = (...a: unknown[]) => { sizes.push((a[0] as unknown[]).length); return batch(...a); };
    const runs: Array<Promise<unknown>> = [];
    for (let k = 0; k < 10; k++) {
      await new Promise<void>((resolve) => {
        runs.push(store.apply([{ index: ++index, term: 1, command: { put: { key: b('same'), value: b(`v${k}`) } } }], () => resolve()));
      });
    }
    await Promise.all(runs);
    expect(sizes.length).toBeLessThan(10);
    expect(sizes.reduce((x, y) => x + y, 0)).toBe(10 * 4); // key, history, applied index, revision: none lost
    await store.close();
    store = await MvccStore.open(dir);
    expect(await get('same')).toBe('v9');
    expect([store.appliedIndex, store.revision]).toEqual([10, 10]);
  });

  it('syncApplied makes durable what was applied before it, lets later applies go on, and leaves the applied index to them', async () => {
    const runs: Array<Promise<unknown>> = [];
    const next = (k: number): Promise<void> => new Promise<void>((resolve) => {
      runs.push(store.apply([{ index: ++index, term: 1, command: { put: { key: b(`s${k % 5}`), value: b(`v${k}`) } } }], () => resolve()));
    });
    for (let k = 0; k < 20; k++) await next(k);
    const before = index;
    const synced = store.syncApplied();
    // Applies started after the call are computed, and written, whether or not it is done.
    for (let k = 20; k < 40; k++) await next(k);
    expect(await synced).toBe(true);
    expect(store.appliedIndex).toBeGreaterThan(before);
    await Promise.all(runs);
    await store.close();
    store = await MvccStore.open(dir);
    // The applied index is the last apply's (the sync wrote its own key, not an older index).
    expect([store.appliedIndex, store.revision]).toEqual([index, 40]);
    expect(await get('s4')).toBe('v39');
    expect((await store.range({ key: b('\0'), rangeEnd: b('\xff') })).kvs.map((kv) => kv.key.toString())).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });

  it('warms its cache ahead of apply without ever caching a value older than an apply', async () => {
    for (let i = 0; i < 20; i++) await put(`w${i}`, 'v0');
    await store.close();
    store = await MvccStore.open(dir); // empty cache
    for (let i = 0; i < 20; i++) {
      const cmd: Command = { put: { key: b(`w${i}`), value: b(`v1-${i}`) } };
      store.warm(cmd);
      // Applies racing the warm read, at different points of it.
      if (i % 4 === 1) await new Promise((r) => setImmediate(r));
      if (i % 4 === 2) await new Promise((r) => setTimeout(r, 1));
      const [r] = await store.apply([{ index: ++index, term: 1, command: cmd }]);
      expect(r!.result).toMatchObject({ ok: true, put: {} });
      if (i % 4 === 3) await new Promise((r2) => setTimeout(r2, 2));
      // The next apply of that key must see version 2 (cached or not), never the warm read's version 1.
      const [r2] = await store.apply([{ index: ++index, term: 1, command: { txn: { compare: [{ key: b(`w${i}`), target: 'VERSION', result: 'EQUAL', version: 2 }], success: [], failure: [] } } }]);
      expect(r2!.result).toMatchObject({ ok: true, txn: { succeeded: true } });
    }
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 20; i++) expect((await store.range({ key: b(`w${i}`) })).kvs[0]).toMatchObject({ version: 2, value: b(`v1-${i}`) });
  });

  it('keeps its cache of latest values true across deletes by range, refusals and reopening', async () => {
    await put('k1', 'a');
    await put('k2', 'b');
    expect(await apply({ deleteRange: { key: b('k'), rangeEnd: b('l') } })).toMatchObject({ ok: true, deleteRange: { deleted: 2 } });
    // Deleted by range (not named singly): a new put starts the key's life again.
    expect(await put('k1', 'c')).toMatchObject({ ok: true, revision: 4 });
    expect((await store.range({ key: b('k1') })).kvs[0]).toMatchObject({ createRevision: 4, version: 1 });
    // A refused txn leaves nothing in the cache.
    expect(await apply({ txn: { compare: [], success: [{ requestPut: { key: b('k9'), value: b('x'), lease: 77 } }], failure: [] } })).toMatchObject({ ok: false, code: 'LEASE_NOT_FOUND' });
    expect(await get('k9')).toBeUndefined();
    expect(await put('k9', 'y')).toMatchObject({ ok: true });
    expect((await store.range({ key: b('k9') })).kvs[0]).toMatchObject({ version: 1 });
    await store.close();
    store = await MvccStore.open(dir);
    expect(await put('k1', 'd')).toMatchObject({ ok: true });
    expect((await store.range({ key: b('k1') })).kvs[0]).toMatchObject({ createRevision: 4, version: 2, value: b('d') });
  });
});

describe('MvccStore: etcd semantics', () => {
  it('advances one revision per change, with create/mod revisions and versions', async () => {
    expect((await put('a', '1')).revision).toBe(1);
    expect((await put('b', '1')).revision).toBe(2);
    expect((await put('a', '2')).revision).toBe(3);
    const [a] = (await store.range({ key: b('a') })).kvs;
    expect(a).toMatchObject({ createRevision: 1, modRevision: 3, version: 2 });
    // A delete of nothing changes nothing and keeps the revision.
    const none = await apply({ deleteRange: { key: b('zz') } });
    expect(none).toMatchObject({ ok: true, revision: 3, deleteRange: { deleted: 0 } });
    await apply({ deleteRange: { key: b('a') } });
    expect(store.revision).toBe(4);
    await put('a', '3');
    expect((await store.range({ key: b('a') })).kvs[0]).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 });
  });

  it('ranges by prefix, from a key on, with limit, count, keys only', async () => {
    for (const k of ['app/1', 'app/2', 'app/3', 'apq', 'b']) await put(k, `v-${k}`);
    const prefix = await store.range({ key: b('app/'), rangeEnd: b('app0') });
    expect(prefix.kvs.map((kv) => kv.key.toString())).toEqual(['app/1', 'app/2', 'app/3']);
    const limited = await store.range({ key: b('app/'), rangeEnd: b('app0'), limit: 2 });
    expect(limited).toMatchObject({ more: true, count: 3 });
    expect(limited.kvs).toHaveLength(2);
    const all = await store.range({ key: b('apq'), rangeEnd: Buffer.of(0) });
    expect(all.kvs.map((kv) => kv.key.toString())).toEqual(['apq', 'b']);
    expect((await store.range({ key: b('app/'), rangeEnd: b('app0'), countOnly: true }))).toEqual({ kvs: [], more: false, count: 3 });
    expect((await store.range({ key: b('b'), keysOnly: true })).kvs[0]!.value.length).toBe(0);
  });

  it('runs transactions: compare on value, version, mod revision; then or else', async () => {
    await put('x', '1');
    const cas = (expect1: string, next: string): Promise<CommandResult> => apply({ txn: {
      compare: [{ key: b('x'), target: 'VALUE', result: 'EQUAL', value: b(expect1) }],
      success: [{ requestPut: { key: b('x'), value: b(next) } }],
      failure: [{ requestRange: { key: b('x') } }],
    } });
    const won = await cas('1', '2');
    expect(won).toMatchObject({ ok: true, txn: { succeeded: true } });
    const lost = await cas('1', '3');
    expect(lost).toMatchObject({ ok: true, txn: { succeeded: false } });
    expect(lost.ok && lost.txn!.responses[0]).toMatchObject({ responseRange: { count: 1 } });
    expect(await get('x')).toBe('2');
    // Create-if-absent: version == 0.
    const create = (k: string): Promise<CommandResult> => apply({ txn: {
      compare: [{ key: b(k), target: 'VERSION', result: 'EQUAL', version: 0 }],
      success: [{ requestPut: { key: b(k), value: b('new') } }], failure: [],
    } });
    expect((await create('y')).ok && (await store.range({ key: b('y') })).count).toBe(1);
    const again = await create('y');
    expect(again.ok && again.txn!.succeeded).toBe(false);
    const modRev = (await store.range({ key: b('x') })).kvs[0]!.modRevision;
    const byMod = await apply({ txn: { compare: [{ key: b('x'), target: 'MOD', result: 'EQUAL', modRevision: modRev }], success: [{ requestDeleteRange: { key: b('x') } }], failure: [] } });
    expect(byMod.ok && byMod.txn!.succeeded).toBe(true);
    expect(await get('x')).toBeUndefined();
  });

  it('gives all changes of a transaction one revision, and reads inside it see earlier ops', async () => {
    const r = await apply({ txn: { compare: [], success: [
      { requestPut: { key: b('p'), value: b('1') } },
      { requestPut: { key: b('q'), value: b('1') } },
      { requestRange: { key: b('p') } },
    ], failure: [] } });
    expect(r.revision).toBe(1);
    expect(r.ok && r.txn!.responses[2]).toMatchObject({ responseRange: { count: 1 } });
    expect((await store.range({ key: b('q') })).kvs[0]!.modRevision).toBe(1);
  });

  it('refuses bad writes with a named error and changes nothing', async () => {
    await put('k', 'v');
    const before = store.revision;
    const dup = await apply({ txn: { compare: [], success: [
      { requestPut: { key: b('n'), value: b('1') } }, { requestPut: { key: b('n'), value: b('2') } }], failure: [] } });
    expect(dup).toMatchObject({ ok: false, code: 'DUPLICATE_KEY' });
    expect(await apply({ put: { key: b('k'), value: b('v'), lease: 77 } })).toMatchObject({ ok: false, code: 'LEASE_NOT_FOUND' });
    expect(await apply({ put: { key: b('absent'), value: b(''), ignoreValue: true } })).toMatchObject({ ok: false, code: 'KEY_NOT_FOUND' });
    expect(await apply({ put: { key: b(''), value: b('x') } })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(store.revision).toBe(before);
    expect(await get('n')).toBeUndefined();
    // The entries were still applied (indexes advanced) even though refused.
    expect(store.appliedIndex).toBe(index);
  });

  it('deletes a lease\'s keys when the lease is revoked', async () => {
    expect(await apply({ leaseGrant: { id: 42, ttl: 5 } })).toMatchObject({ ok: true, leaseGrant: { id: 42, ttl: 5 } });
    expect(await apply({ leaseGrant: { id: 42, ttl: 5 } })).toMatchObject({ ok: false, code: 'LEASE_EXISTS' });
    await put('member/a', 'alive', 42);
    await put('member/b', 'alive', 42);
    await put('member/b', 'detached');
    await put('other', 'x');
    const r = await apply({ leaseRevoke: { id: 42 } });
    expect(r).toMatchObject({ ok: true, leaseRevoke: { deleted: 1 } });
    expect(await get('member/a')).toBeUndefined();
    expect(await get('member/b')).toBe('detached');
    expect(store.getLease(42)).toBeUndefined();
    expect(await apply({ leaseRevoke: { id: 42 } })).toMatchObject({ ok: false, code: 'LEASE_NOT_FOUND' });
  });

  it('answers a retried request from its client once, with the first result', async () => {
    const first = await apply({ put: { key: b('c'), value: b('1') } }, { clientId: 'cli', seq: 1 });
    const retry = await apply({ put: { key: b('c'), value: b('1') } }, { clientId: 'cli', seq: 1 });
    expect(retry).toEqual(first);
    expect((await store.range({ key: b('c') })).kvs[0]!.version).toBe(1);
    const stale = await apply({ put: { key: b('c'), value: b('0') } }, { clientId: 'cli', seq: 0 });
    expect(stale).toMatchObject({ ok: false, code: 'STALE_SEQUENCE' });
  });
});

describe('MvccStore: member records', () => {
  it('records where members are, keeps them across a reopen, refuses a bad address', async () => {
    await apply({ member: { id: 2, address: '10.0.0.2:7000', name: 'b' } });
    await apply({ member: { id: 1, address: '127.0.0.1:7000' } });
    expect(await apply({ member: { id: 3, address: 'no-port' } })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: expect.stringContaining('host:port') });
    await apply({ memberRemove: { id: 2 } });
    await apply({ member: { id: 4, address: 'h4:1' } });
    await store.close();
    store = await MvccStore.open(dir);
    expect(store.listMembers().map((m) => [m.id, m.address])).toEqual([[1, '127.0.0.1:7000'], [4, 'h4:1']]);
  });
});

describe('MvccStore: durability and snapshots', () => {
  it('keeps applied index, revision, data and leases across a reopen', async () => {
    await apply({ leaseGrant: { id: 7, ttl: 10 } });
    await put('a', '1', 7);
    await put('b', '2');
    await store.close();
    store = await MvccStore.open(dir);
    expect(store.appliedIndex).toBe(3);
    expect(store.revision).toBe(2);
    expect(await get('a')).toBe('1');
    expect(store.getLease(7)).toEqual({ id: 7, ttl: 10 });
  });

  it('skips entries it already applied (replay after a snapshot) and refuses a gap', async () => {
    await put('a', '1');
    expect(await store.apply([{ index: 1, term: 1, command: { put: { key: b('a'), value: b('x') } } }])).toEqual([]);
    expect(await get('a')).toBe('1');
    expect(store.revision).toBe(1);
    await expect(store.apply([{ index: 3, term: 1, command: { put: { key: b('a'), value: b('y') } } }])).rejects.toThrow(/apply gap: entry 3 after applied 1/);
    expect(await get('a')).toBe('1');
  });

  it('installs a snapshot of another store atomically, replacing everything', async () => {
    for (let i = 0; i < 50; i++) await put(`k${i}`, `v${i}`);
    await apply({ leaseGrant: { id: 9, ttl: 3 } });
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-kv2-'));
    const other = await MvccStore.open(otherDir);
    try {
      await other.apply([{ index: 1, term: 1, command: { put: { key: b('stale'), value: b('x') } } }]);
      const snap = await store.snapshot();
      // Writes after the snapshot began are not in it.
      await put('after', 'x');
      await other.installSnapshot(snap.chunks);
      expect(other.appliedIndex).toBe(51);
      expect(other.revision).toBe(50);
      expect((await other.range({ key: b('k'), rangeEnd: b('l') })).count).toBe(50);
      expect((await other.range({ key: b('stale') })).count).toBe(0);
      expect((await other.range({ key: b('after') })).count).toBe(0);
      expect(other.getLease(9)).toEqual({ id: 9, ttl: 3 });
      expect(fs.readFileSync(path.join(otherDir, 'CURRENT'), 'utf8').trim()).toBe('db-2');
      expect(fs.existsSync(path.join(otherDir, 'db-1'))).toBe(false);
      await other.close();
      const reopened = await MvccStore.open(otherDir);
      expect(reopened.appliedIndex).toBe(51);
      await reopened.close();
    } finally {
      await other.close();
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('leaves the old state in place when a snapshot stream is broken', async () => {
    await put('keep', 'me');
    async function* broken(): AsyncIterable<Buffer> {
      yield Buffer.from([0, 0, 0, 5, 0, 0, 0, 9, 1, 2]);
    }
    await expect(store.installSnapshot(broken())).rejects.toThrow(/ends inside a record/);
    expect(await get('keep')).toBe('me');
    expect(fs.readdirSync(dir).sort()).toEqual(['CURRENT', 'db-1']);
  });
});

describe('MvccStore: watch', () => {
  function collect(): { events: WatchEvent[]; sink: (e: WatchEvent[]) => void } {
    const events: WatchEvent[] = [];
    return { events, sink: (e) => events.push(...e) };
  }

  it('streams live changes in a range, with previous values when asked', async () => {
    const w = collect();
    store.watch({ key: b('w/'), rangeEnd: b('w0'), prevKv: true }, w.sink, (e) => { throw e; });
    await put('w/1', 'a');
    await put('other', 'x');
    await put('w/1', 'b');
    await apply({ deleteRange: { key: b('w/1') } });
    expect(w.events.map((e) => `${e.type} ${e.kv.key.toString()} ${e.kv.modRevision}`)).toEqual(['PUT w/1 1', 'PUT w/1 3', 'DELETE w/1 4']);
    expect(w.events[1]!.prevKv!.value.toString()).toBe('a');
  });

  it('replays history from a revision, then goes on live, each event once', async () => {
    for (let i = 1; i <= 5; i++) await put('h', String(i));
    const w = collect();
    store.watch({ key: b('h'), startRevision: 3 }, w.sink, (e) => { throw e; });
    await put('h', '6');
    await new Promise((r) => setTimeout(r, 50));
    expect(w.events.map((e) => e.kv.value.toString())).toEqual(['3', '4', '5', '6']);
  });

  it('a watcher whose sink throws loses its watch, told why; the store and the other watchers go on', async () => {
    const bad: Error[] = [];
    store.watch({ key: b('t/'), rangeEnd: b('t0') }, () => { throw new RangeError('sink broke'); }, (e) => bad.push(e));
    const good = collect();
    store.watch({ key: b('t/'), rangeEnd: b('t0') }, good.sink, (e) => { throw e; });
    await put('t/1', 'a');
    await put('t/2', 'b');
    expect(bad.map((e) => e.message)).toEqual(['sink broke']);
    expect(good.events.map((e) => e.kv.key.toString())).toEqual(['t/1', 't/2']);
    expect(await get('t/2')).toBe('b');
  });

  it('keeps one history record per apply: replays from inside one, compacts through one, and sends the rest in a snapshot', async () => {
    // Three applies of 4 puts each (revisions 1-4, 5-8, 9-12) and a txn of two puts (13, subs 0 and 1).
    const batchOf = (from: number): AppliedEntry[] => [0, 1, 2, 3].map((i) => ({ index: ++index, term: 1, command: { put: { key: b(`r/${from + i}`), value: b(`v${from + i}`) } } }));
    for (const from of [1, 5, 9]) await store.apply(batchOf(from));
    await apply({ txn: { compare: [], success: [{ requestPut: { key: b('r/13a'), value: b('v13a') } }, { requestPut: { key: b('r/13b'), value: b('v13b') } }], failure: [] } });
    const revs = (evs: WatchEvent[]): string[] => evs.map((e) => `${e.kv.modRevision}:${e.kv.key.toString()}`);
    expect(revs(await store.history(6, 10))).toEqual(['6:r/6', '7:r/7', '8:r/8', '9:r/9', '10:r/10']);
    expect(revs(await store.history(12, 13))).toEqual(['12:r/12', '13:r/13a', '13:r/13b']);
    expect(revs(await store.history(4, 4))).toEqual(['4:r/4']);
    const w = collect();
    store.watch({ key: b('r/'), rangeEnd: b('r0'), startRevision: 7 }, w.sink, (e) => { throw e; });
    await put('r/14', 'v14');
    await new Promise((r) => setTimeout(r, 50));
    expect(revs(w.events)).toEqual(['7:r/7', '8:r/8', '9:r/9', '10:r/10', '11:r/11', '12:r/12', '13:r/13a', '13:r/13b', '14:r/14']);
    // Compaction at 6 cuts through the record of 5-8: it stays (readers skip 5 and 6), 1-4's goes.
    await apply({ compaction: { revision: 6 } });
    await store.sync();
    expect(revs(await store.history(7, 8))).toEqual(['7:r/7', '8:r/8']);
    await expect(store.history(6, 8)).rejects.toThrow(CompactedError);
    // A snapshot carries the straddling record: the new store replays from 7 too.
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-kv2-'));
    const other = await MvccStore.open(otherDir);
    try {
      await other.installSnapshot((await store.snapshot()).chunks);
      expect(revs(await other.history(7, 9))).toEqual(['7:r/7', '8:r/8', '9:r/9']);
      const w2 = collect();
      other.watch({ key: b('r/'), rangeEnd: b('r0'), startRevision: 13 }, w2.sink, (e) => { throw e; });
      await new Promise((r) => setTimeout(r, 50));
      expect(revs(w2.events)).toEqual(['13:r/13a', '13:r/13b', '14:r/14']);
    } finally {
      await other.close();
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('reads history records of one event each, as builds before session 8 wrote them', () => {
    const kv = (k: string, v: string, rev: number): Plain => [b(k), rev, rev, 1, 0, b(v)];
    const old = encode([0, kv('a', '1', 3), null]);
    expect(decodeEvents(old).map((e) => [e.type, e.kv.key.toString(), e.kv.modRevision, e.prevKv])).toEqual([['PUT', 'a', 3, undefined]]);
    const del = encode([1, kv('a', '', 4), kv('a', '1', 3)]);
    expect(decodeEvents(del).map((e) => [e.type, e.kv.modRevision, e.prevKv!.value.toString()])).toEqual([['DELETE', 4, '1']]);
    // The layout written now: one event alone is byte-for-byte the old record; a previous
    // value is its revision, unless that revision was compacted when the change was applied.
    expect(encodeEvents(decodeEvents(old), 0).equals(old)).toBe(true);
    expect(encodeEvents(decodeEvents(del), 0).equals(encode([1, kv('a', '', 4), 3]))).toBe(true);
    expect(encodeEvents(decodeEvents(del), 3).equals(del)).toBe(true);
    expect(decodeEvents(encode([1, kv('a', '', 4), 3])).map((e) => [e.prevKv, e.prevRevision])).toEqual([[undefined, 3]]);
    expect(() => decodeEvents(encode([]))).toThrow(/bad history record/);
    expect(() => decodeEvents(encode([[9]]))).toThrow(/bad history record/);
  });

  it('replays previous values from the history, also those of compacted revisions (as etcd reads rev-1)', async () => {
    const vals = (evs: WatchEvent[]): string[] => evs.map((e) => `${e.type}:${e.kv.key.toString()}=${e.kv.value.toString()}<${e.prevKv ? e.prevKv.value.toString() : '-'}`);
    const r0 = store.revision;
    await put('pv/a', 'a1'); // r0+1
    await put('pv/b', 'b1'); // r0+2
    await put('pv/c', 'c1'); // r0+3
    await put('pv/a', 'a2'); // r0+4 (prev a1)
    await put('pv/d', 'd1'); // r0+5
    // A compaction through r0+5 purges a1, a2, b1, c1 and d1's records; changes applied
    // before it that name them must still find them (kept in the p family) ...
    await put('pv/b', 'b2'); // r0+6 (prev b1)
    await apply({ deleteRange: { key: b('pv/c') } }); // r0+7 (prev c1)
    await apply({ compaction: { revision: r0 + 5 } });
    await store.sync();
    // ... and changes applied after it store a compacted previous value whole.
    await put('pv/a', 'a3'); // r0+8 (prev a2, compacted)
    await put('pv/d', 'd2'); // r0+9 (prev d1, compacted)
    await put('pv/b', 'b3'); // r0+10 (prev b2, in the history)
    await store.sync();
    const w = collect();
    store.watch({ key: b('pv/'), rangeEnd: b('pv0'), startRevision: r0 + 6, prevKv: true }, w.sink, (e) => { throw e; });
    await new Promise((r) => setTimeout(r, 50));
    expect(vals(w.events)).toEqual(['PUT:pv/b=b2<b1', 'DELETE:pv/c=<c1', 'PUT:pv/a=a3<a2', 'PUT:pv/d=d2<d1', 'PUT:pv/b=b3<b2']);
    // Without prevKv the watcher gets none.
    const w2 = collect();
    store.watch({ key: b('pv/'), rangeEnd: b('pv0'), startRevision: r0 + 6 }, w2.sink, (e) => { throw e; });
    await new Promise((r) => setTimeout(r, 50));
    expect(w2.events.every((e) => e.prevKv === undefined)).toBe(true);
  });

  it('refuses a watch from a compacted revision, naming the compacted revision', async () => {
    for (let i = 1; i <= 5; i++) await put('c', String(i));
    await apply({ compaction: { revision: 4 } });
    expect(() => store.watch({ key: b('c'), startRevision: 2 }, () => undefined, () => undefined)).toThrow(CompactedError);
    expect(() => store.watch({ key: b('c'), startRevision: 2 }, () => undefined, () => undefined)).toThrow(/compacted at 4/);
    const w = collect();
    store.watch({ key: b('c'), startRevision: 5 }, w.sink, (e) => { throw e; });
    await new Promise((r) => setTimeout(r, 50));
    expect(w.events.map((e) => e.kv.value.toString())).toEqual(['5']);
  });
});
