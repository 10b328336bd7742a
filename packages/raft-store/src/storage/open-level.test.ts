// Opening a member's databases: a folder in use, or not a LevelDB database, is refused with an
// error naming the folder and why (abstract-level's own says only "Database failed to open").
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MvccStore } from '../kv/mvcc-store';
import { LevelLogStore } from './level-log-store';
import { DatabaseInUseError, isLocked } from './open-level';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-open-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('opening a member\'s LevelDB databases', () => {
  it('refuses a log or state folder another open holds, naming it and its lock', async () => {
    const logDir = path.join(dir, 'log');
    const log = await LevelLogStore.open(logDir, { clusterId: 'c', memberId: 1 });
    try {
      const second = LevelLogStore.open(logDir, { clusterId: 'c', memberId: 1 });
      await expect(second).rejects.toBeInstanceOf(DatabaseInUseError);
      await expect(LevelLogStore.open(logDir, { clusterId: 'c', memberId: 1 })).rejects.toThrow(`the LevelDB database ${logDir} is in use: its lock (${logDir}/LOCK) is held`);
    } finally {
      await log.close();
    }
    // Closed: it opens again.
    await (await LevelLogStore.open(logDir, { clusterId: 'c', memberId: 1 })).close();

    const stateDir = path.join(dir, 'state');
    const state = await MvccStore.open(stateDir);
    try {
      const e = await MvccStore.open(stateDir).catch((x: unknown) => x);
      expect(isLocked(e)).toBe(true);
      expect((e as Error).message).toMatch(/is in use: its lock .*db-1\/LOCK\) is held/);
    } finally {
      await state.close();
    }
  });

  it('names the folder and LevelDB\'s reason when a database does not open', async () => {
    const bad = path.join(dir, 'bad');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'CURRENT'), 'MANIFEST-000099\n'); // names a manifest that is not there
    await expect(LevelLogStore.open(bad, { clusterId: 'c', memberId: 1 })).rejects.toThrow(new RegExp(`^cannot open the LevelDB database ${bad}: .*MANIFEST-000099`));
  });
});
