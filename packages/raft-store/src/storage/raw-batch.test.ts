import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Level } from 'level';
import { rawBatch } from './raw-batch';

describe('rawBatch', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-rawbatch-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes puts and deletes as one batch, synced or not; refuses (does not crash) on a closed database', async () => {
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    // Before open: deferred by abstract-level, then written.
    const early = rawBatch(db, [{ type: 'put', key: Buffer.from('a'), value: Buffer.from('1') }]);
    await db.open();
    await early;
    await rawBatch(db, [
      { type: 'put', key: Buffer.from('b'), value: Buffer.from('2') },
      { type: 'put', key: Buffer.from('c'), value: Buffer.alloc(70_000, 3) },
      { type: 'del', key: Buffer.from('a') },
    ], true);
    await rawBatch(db, []);
    expect((await db.getMany([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')])).map((v) => v?.length)).toEqual([undefined, 1, 70_000]);
    await db.close();
    await expect(rawBatch(db, [{ type: 'put', key: Buffer.from('d'), value: Buffer.from('4') }])).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' });
    const again = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    expect((await again.get(Buffer.from('b')))?.toString()).toBe('2');
    await again.close();
  });
});
