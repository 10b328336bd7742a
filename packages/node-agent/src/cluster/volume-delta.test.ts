import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { volumeDelta, walkVolume } from './volume-delta';

describe('walkVolume / volumeDelta', () => {
  let root: string;
  beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-vdelta-')); });
  afterEach(() => { fs.rmSync(root, { recursive: true, force: true }); });

  it('finds what was added, changed and removed between two walks', async () => {
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/keep'), 'same');
    fs.writeFileSync(path.join(root, 'etc/gone'), 'x');
    fs.writeFileSync(path.join(root, 'grow'), 'a');
    const before = await walkVolume(root);
    // Older than the walk's slack, so an unchanged file is not "recent".
    before.startedNs += 5_000_000_000n;
    fs.rmSync(path.join(root, 'etc/gone'));
    fs.appendFileSync(path.join(root, 'grow'), 'bb');
    fs.writeFileSync(path.join(root, 'etc/new'), 'n');
    const d = volumeDelta(before, await walkVolume(root));
    expect(d.removed).toEqual(['etc/gone']);
    expect(d.changed).toEqual(expect.arrayContaining(['etc/new', 'grow']));
  });

  it('a folder that vanishes between being seen and being read is skipped, not an error (CRIU\'s cr-tmpfs.* in /tmp)', async () => {
    fs.mkdirSync(path.join(root, 'tmp/cr-tmpfs.abc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'tmp/cr-tmpfs.abc/f'), 'x');
    fs.writeFileSync(path.join(root, 'tmp/other'), 'y');
    const m = await walkVolume(root, async (dir) => {
      if (dir.endsWith('cr-tmpfs.abc')) fs.rmSync(dir, { recursive: true, force: true }); // CRIU is done with it
      return fsp.readdir(dir);
    });
    expect([...m.entries.keys()].sort()).toEqual(['tmp', 'tmp/cr-tmpfs.abc', 'tmp/other']);
    // The volume's own root missing is still an error.
    await expect(walkVolume(path.join(root, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
