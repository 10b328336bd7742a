// The leftover search (test/support/leftovers.ts) runs while other suites run beside it (a
// cluster's teardown looks for its mounts): it must never write into a folder it looks at.
// `runc list` does (runc 1.1 makes its --root, parents and all, when it is gone): a search that
// met another suite's folder while that suite removed it wrote it back (CI: local-cluster's
// state folder "came back"; berthd.test's temp folder "Directory not empty").
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mountsAndLoops, runcContainers } from '../support/leftovers';

let dir = '';
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-leftovers-')); });
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

describe('the leftover search writes nothing', () => {
  it('runc list (runc 1.1) makes a missing root: the reason the search does not use it', () => {
    const root = path.join(dir, 'by-runc', 'member1', 'runc');
    spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' });
    expect(fs.existsSync(root)).toBe(true);
  });

  it('a runc root that is gone stays gone; one with containers lists them by their state files', () => {
    const gone = path.join(dir, 'gone', 'member1', 'runc');
    expect(runcContainers(gone)).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'gone'))).toBe(false);

    const root = path.join(dir, 'here', 'runc');
    for (const [name, state] of [['c1', true], ['c2', true], ['half', false]] as const) {
      fs.mkdirSync(path.join(root, name), { recursive: true });
      if (state) fs.writeFileSync(path.join(root, name, 'state.json'), '{}');
    }
    expect(runcContainers(root).sort()).toEqual(['c1', 'c2']);
  });

  it('mounts and loop devices are looked for only under the folder asked about', () => {
    expect(mountsAndLoops(`${dir}/`)).toEqual([]);
    expect(mountsAndLoops('/proc').map((l) => l.id)).toContain('/proc');
  });
});
