/**
 * The compile cache in real Node processes: code reused on the next run, never for a file that
 * changed since (even at the same length), not at all in a folder others can write, and a
 * damaged cache file costs nothing but the cache.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CACHE_MODULE = path.join(__dirname, 'compile-cache.js');

describe('enableCompileCache', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-compile-cache-'));
  const cacheDir = path.join(dir, 'cache');
  const entry = path.join(dir, 'entry.js');
  const dep = path.join(dir, 'dep.js');

  beforeAll(() => {
    fs.writeFileSync(entry, [
      `const { enableCompileCache, compileCacheStats } = require(${JSON.stringify(CACHE_MODULE)});`,
      'enableCompileCache();',
      `const dep = require('./dep');`,
      `process.on('exit', () => console.log(JSON.stringify({ value: dep.value(), resolved: dep.resolved, main: dep.main, stats: compileCacheStats })));`,
      '',
    ].join('\n'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const writeDep = (value: string): void => fs.writeFileSync(dep, `#!/usr/bin/env node\nexports.value = () => '${value}';\nexports.resolved = require.resolve('./dep');\nexports.main = require.main === module;\n`);
  const run = (): { value: string; resolved: string; main: boolean; stats: { hits: number; misses: number; written: boolean; disabled: string } } => {
    const r = spawnSync(process.execPath, [entry], { encoding: 'utf8', env: { ...process.env, BERTH_CACHE_DIR: cacheDir, BERTH_NO_COMPILE_CACHE: '' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as ReturnType<typeof run>;
  };

  it('compiles afresh, then reuses the code; require works as Node\'s', () => {
    writeDep('one');
    const first = run();
    expect(first).toMatchObject({ value: 'one', resolved: dep, main: false, stats: { hits: 0, misses: 1, written: true, disabled: '' } });
    expect(fs.statSync(cacheDir).mode & 0o777).toBe(0o700);
    const second = run();
    expect(second).toMatchObject({ value: 'one', stats: { hits: 1, misses: 0, written: false } });
  });

  it('never runs the old code of a changed file, even one of the same length', () => {
    writeDep('two');
    const r = run();
    expect(r).toMatchObject({ value: 'two', stats: { hits: 0, misses: 1, written: true } });
    expect(run()).toMatchObject({ value: 'two', stats: { hits: 1, misses: 0 } });
  });

  it('a damaged cache file is ignored and replaced', () => {
    const file = fs.readdirSync(cacheDir).find((f) => f.endsWith('.cache'))!;
    fs.writeFileSync(path.join(cacheDir, file), Buffer.from([0, 0, 0, 9, 1, 2, 3]));
    expect(run()).toMatchObject({ value: 'two', stats: { hits: 0, misses: 1, written: true } });
    expect(run()).toMatchObject({ value: 'two', stats: { hits: 1 } });
  });

  it('a cache folder others can write is not used', () => {
    fs.chmodSync(cacheDir, 0o777);
    try {
      const r = run();
      expect(r.value).toBe('two');
      expect(r.stats).toMatchObject({ hits: 0, misses: 0, written: false, disabled: expect.stringMatching(/not a folder of this user's only/) });
    } finally {
      fs.chmodSync(cacheDir, 0o700);
    }
  });
});
