import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Level } from 'level';
import { InMemoryLogStore } from '../core/inmem-log-store';
import { decodeEntry, decodeRecord, encodeEntry, encodeRecord, ForeignClusterError, LevelLogStore, LogStoreCorruptError } from './level-log-store';
import { decode } from '../kv/codec';
import { logStoreConformance } from './log-store-suite';

const tmpDirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-log-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => { for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true }); });

const ID = { clusterId: 'c-1', memberId: 1 };

logStoreConformance('InMemoryLogStore', async () => {
  const store = new InMemoryLogStore();
  return {
    store,
    append: async (es) => store.append(es),
    setHardState: async (hs) => store.setHardState(hs),
    compact: async (i) => store.compact(i),
    close: async () => undefined,
  };
});

logStoreConformance('LevelLogStore', async () => {
  const dir = tmp();
  let store = await LevelLogStore.open(dir, ID);
  const adapter = {
    get store() { return store; },
    append: (es: Parameters<LevelLogStore['save']>[0]['entries']) => store.save({ entries: es, sync: true }),
    setHardState: (hs: Parameters<LevelLogStore['save']>[0]['hardState']) => store.save({ hardState: hs, sync: true }),
    compact: (i: number, conf: Parameters<LevelLogStore['compact']>[1]) => store.compact(i, conf),
    reopen: async () => {
      await store.close();
      store = await LevelLogStore.open(dir, ID);
      return store;
    },
    close: () => store.close(),
  };
  return adapter as never;
});

describe('LevelLogStore: refusing to start', () => {
  it('refuses a log of another cluster or member, naming both', async () => {
    const dir = tmp();
    await (await LevelLogStore.open(dir, ID)).close();
    await expect(LevelLogStore.open(dir, { clusterId: 'other', memberId: 1 })).rejects.toThrow(ForeignClusterError);
    await expect(LevelLogStore.open(dir, { clusterId: 'c-1', memberId: 2 })).rejects.toThrow(`belongs to cluster c-1 member 1, not cluster c-1 member 2`);
  });

  it('refuses a corrupt entry, naming the folder, the index and why', async () => {
    const dir = tmp();
    const s = await LevelLogStore.open(dir, ID);
    await s.save({ entries: [1, 2, 3].map((i) => ({ index: i, term: 1, type: 'normal' as const, data: Buffer.from(`v${i}`) })), sync: true });
    await s.close();
    // Flip one payload byte of entry 2 (the second of the record of entries 1-3) behind the store's back.
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const key = Buffer.from([0x72, 0, 0, 0, 0, 0, 0, 0, 1]);
    const raw = Buffer.from((await db.get(key))!);
    const second = 4 + raw.readUInt32BE(0);
    raw[second + 4 + raw.readUInt32BE(second) - 3]! ^= 0x40;
    await db.put(key, raw);
    await db.close();
    await expect(LevelLogStore.open(dir, ID)).rejects.toThrow(LogStoreCorruptError);
    await expect(LevelLogStore.open(dir, ID)).rejects.toThrow(new RegExp(`raft log ${dir}: entry 2 is corrupt: checksum mismatch`));
  });

  it('refuses a log with a hole', async () => {
    const dir = tmp();
    const s = await LevelLogStore.open(dir, ID);
    // One record per save: entries 1, 2 and 3 in records of their own; record 2 goes.
    for (const i of [1, 2, 3]) await s.save({ entries: [{ index: i, term: 1, type: 'normal' as const, data: Buffer.from('x') }], sync: true });
    await s.close();
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.del(Buffer.from([0x72, 0, 0, 0, 0, 0, 0, 0, 2]));
    await db.close();
    await expect(LevelLogStore.open(dir, ID)).rejects.toThrow(/entry 2 is missing/);
  });

  it('encodes entries with a checksum over the payload', () => {
    const raw = encodeEntry({ index: 5, term: 2, type: 'normal', data: Buffer.from('abc') });
    expect(raw.length).toBeGreaterThan(4);
  });

  it('keeps a forwarded proposal\'s forwardId; an entry without one keeps the bytes of before', () => {
    const e = { index: 9, term: 3, type: 'normal' as const, data: Buffer.from('abc'), clientId: 'c', seq: 2, forwardId: 2 ** 47 + 1 };
    expect(decodeEntry(encodeEntry(e))).toEqual(e);
    const { forwardId: _f, ...without } = e;
    // The payload of an entry without a forwardId: the seven fields written before it existed.
    const old = encodeEntry(without);
    expect(decode(old.subarray(4))).toEqual([9, 3, 0, Buffer.from('abc'), null, 'c', 2]);
    expect(decodeEntry(old)).toEqual(without);
  });

  it('refuses a record whose framing is broken, naming the entry', () => {
    const rec = encodeRecord([5, 6].map((i) => ({ index: i, term: 2, type: 'normal' as const, data: Buffer.from(`v${i}`) })));
    expect(decodeRecord(rec, 5).map((e) => e.index)).toEqual([5, 6]);
    expect(() => decodeRecord(rec.subarray(0, rec.length - 1), 5)).toThrow(/entry 6 is corrupt: its length/);
    expect(() => decodeRecord(Buffer.alloc(0), 5)).toThrow(/record 5 is empty/);
  });
});

describe('LevelLogStore: records (the entries of one write in one LevelDB value)', () => {
  const ent = (i: number, term = 1) => ({ index: i, term, type: 'normal' as const, data: Buffer.from(`v${i}-${term}`) });
  const range = (a: number, b: number, term = 1) => Array.from({ length: b - a + 1 }, (_, k) => ent(a + k, term));
  async function keys(dir: string): Promise<string[]> {
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const out: string[] = [];
    for await (const k of db.keys()) if (k[0] === 0x72 || k[0] === 0x65) out.push(`${String.fromCharCode(k[0]!)}${k.readUInt32BE(5)}`);
    await db.close();
    return out;
  }
  const dump = (s: LevelLogStore) => s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity).map((e) => `${e.index}:${Buffer.from(e.data).toString()}`);

  it('overwrites a conflicting suffix inside a record: keeps the prefix, across a reopen', async () => {
    const dir = tmp();
    let s = await LevelLogStore.open(dir, ID);
    await s.save({ entries: range(1, 5), sync: true });
    await s.save({ entries: range(6, 10), sync: true });
    await s.save({ entries: range(4, 7, 2), sync: true }); // conflicts from 4: 4-5 of record 1, all of record 6
    const want = [...range(1, 3), ...range(4, 7, 2)].map((e) => `${e.index}:${e.data.toString()}`);
    expect(dump(s)).toEqual(want);
    expect(await (async () => { await s.close(); return keys(dir); })()).toEqual(['r1', 'r4']);
    s = await LevelLogStore.open(dir, ID);
    expect(dump(s)).toEqual(want);
    await s.close();
  });

  it('compacts whole records; a record holding the compaction point stays and is skipped at open', async () => {
    const dir = tmp();
    let s = await LevelLogStore.open(dir, ID);
    await s.save({ entries: range(1, 5), sync: true });
    await s.save({ entries: range(6, 10), sync: true });
    await s.save({ entries: range(11, 12), sync: true });
    await s.compact(7, { voters: [1], learners: [] });
    await s.close();
    expect(await keys(dir)).toEqual(['r6', 'r11']);
    s = await LevelLogStore.open(dir, ID);
    expect(s.firstIndex()).toBe(8);
    expect(dump(s)).toEqual(range(8, 12).map((e) => `${e.index}:${e.data.toString()}`));
    // A conflict right after the compaction point rewrites the straddling record from there.
    await s.save({ entries: range(9, 9, 3), sync: true });
    await s.close();
    expect(await keys(dir)).toEqual(['r8', 'r9']);
    s = await LevelLogStore.open(dir, ID);
    expect(dump(s)).toEqual(['8:v8-1', '9:v9-3']);
    await s.compact(9, { voters: [1], learners: [] });
    await s.close();
    expect(await keys(dir)).toEqual([]);
    s = await LevelLogStore.open(dir, ID);
    expect(s.firstIndex()).toBe(10);
    expect(s.lastIndex()).toBe(9);
    await s.close();
  });

  it('splits a large write into several records', async () => {
    const dir = tmp();
    let s = await LevelLogStore.open(dir, ID);
    await s.save({ entries: range(1, 2500), sync: true });
    await s.close();
    expect(await keys(dir)).toEqual(['r1', 'r1025', 'r2049']);
    s = await LevelLogStore.open(dir, ID);
    expect(s.lastIndex()).toBe(2500);
    expect(s.term(2500)).toBe(1);
    await s.close();
  });

  it('reads a log written one entry per key (the layout before records) and goes on in records', async () => {
    const dir = tmp();
    await (await LevelLogStore.open(dir, ID)).close();
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    for (const e of range(1, 4)) await db.put(Buffer.from([0x65, 0, 0, 0, 0, 0, 0, 0, e.index]), encodeEntry(e));
    await db.close();
    let s = await LevelLogStore.open(dir, ID);
    expect(dump(s)).toEqual(range(1, 4).map((e) => `${e.index}:${e.data.toString()}`));
    await s.save({ entries: range(3, 5, 2), sync: true }); // replaces old 3 and 4
    await s.compact(2, { voters: [1], learners: [] });
    await s.close();
    expect(await keys(dir)).toEqual(['r3']);
    s = await LevelLogStore.open(dir, ID);
    expect(dump(s)).toEqual(range(3, 5, 2).map((e) => `${e.index}:${e.data.toString()}`));
    await s.close();
  });
});

describe('LevelLogStore: durability', () => {
  it('keeps every acknowledged (synced) append when the process is killed with SIGKILL', async () => {
    const dir = tmp();
    // A child appends entries in synced batches and prints each acknowledged index;
    // we kill it mid-stream and check that everything it acknowledged is on disk.
    const script = `
      const { LevelLogStore } = require(${JSON.stringify(path.join(__dirname, 'level-log-store.js'))});
      (async () => {
        const s = await LevelLogStore.open(${JSON.stringify(dir)}, { clusterId: 'c-1', memberId: 1 });
        for (let i = 1; ; i += 10) {
          const es = [];
          for (let j = i; j < i + 10; j++) es.push({ index: j, term: 1, type: 'normal', data: Buffer.from('value-' + j) });
          await s.save({ entries: es, hardState: { term: 1, vote: 1, commit: i + 9 }, sync: true });
          process.stdout.write((i + 9) + '\\n');
        }
      })();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        const last = d.toString().trim().split('\n').pop();
        if (last) acked = Number(last);
        if (acked >= 300) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    const s = await LevelLogStore.open(dir, ID);
    try {
      expect(s.lastIndex()).toBeGreaterThanOrEqual(acked);
      expect(s.initialState().hardState.commit).toBeGreaterThanOrEqual(acked);
      const all = s.entries(1, acked + 1, Infinity);
      expect(all).toHaveLength(acked);
      expect(all.every((e, i) => Buffer.from(e.data).toString() === `value-${i + 1}`)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('keeps a commit-only hard state in memory, writes it with the next write, and on close', async () => {
    const dir = tmp();
    let s = await LevelLogStore.open(dir, ID);
    const es = [1, 2, 3].map((i) => ({ index: i, term: 1, type: 'normal' as const, data: Buffer.from(`v${i}`) }));
    await s.save({ entries: es, hardState: { term: 1, vote: 1, commit: 0 }, sync: true });
    await s.save({ hardState: { term: 1, vote: 1, commit: 2 }, sync: false });
    expect(s.initialState().hardState.commit).toBe(2);
    // A vote is never deferred: it is written (and synced) at once, with the commit held.
    await s.save({ hardState: { term: 2, vote: 2, commit: 3 }, sync: true });
    await s.save({ hardState: { term: 2, vote: 2, commit: 3 }, sync: false });
    await s.close();
    s = await LevelLogStore.open(dir, ID);
    expect(s.initialState().hardState).toEqual({ term: 2, vote: 2, commit: 3 });
    // Deferred, then carried by the next entries' write; close writes what is still held.
    await s.save({ entries: [{ index: 4, term: 2, type: 'normal', data: Buffer.from('v4') }], sync: true });
    await s.save({ hardState: { term: 2, vote: 2, commit: 4 }, sync: false });
    await s.close();
    s = await LevelLogStore.open(dir, ID);
    expect(s.initialState().hardState).toEqual({ term: 2, vote: 2, commit: 4 });
    await s.close();
  });
});
