// deploy/criu-kdat-cache.c, as setup-host built it (npm test runs setup-host first), with
// this host's real CRIU: preloaded with BERTH_CRIU_KDAT, CRIU keeps its kernel-probe cache in
// that file (on a tmpfs) and loads it on its next run, where without it (this host's /run is
// no tmpfs) it probes the kernel every time; without the variable nothing changes. And
// criuKdatFile() gives CRIU a cache only in a folder no other user can write.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { criuKdatCacheLib, criuKdatFile, criuLateFreezeLib, criuNftUnlockLib, criuToolEnv, toolEnv } from '@berth/node-agent';

const SHM = '/dev/shm';

/** `criu check` with its log at level 4 in `log`; answers the log. */
function criuCheck(log: string, env: Record<string, string>): string {
  const r = spawnSync('criu', ['check', '-v4', '-o', log], { env: { ...toolEnv(), ...env }, encoding: 'utf8', timeout: 30_000 });
  expect(r.status).toBe(0);
  const text = fs.readFileSync(log, 'utf8');
  fs.rmSync(log, { force: true });
  return text;
}

describe('criu-kdat-cache (preloaded into every CRIU berth runs)', () => {
  const dir = path.join(SHM, `berth-test-kdat-${process.pid}`);
  const logs = fs.mkdtempSync(path.join('/tmp', 'berth-test-kdat-logs-'));
  const runKdat = (): { exists: boolean; mtimeMs: number } => {
    try {
      return { exists: true, mtimeMs: fs.statSync('/run/criu.kdat').mtimeMs };
    } catch {
      return { exists: false, mtimeMs: 0 };
    }
  };

  beforeAll(() => {
    fs.mkdirSync(dir, { mode: 0o700 });
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(logs, { recursive: true, force: true });
    fs.rmSync(`${dir}-open`, { recursive: true, force: true });
  });

  it('is built on this host', () => {
    expect(criuKdatCacheLib()).toMatch(/criu-kdat-cache\.so$/);
  });

  it('keeps CRIU\'s kernel probe in the named file, which the next CRIU loads instead of probing', () => {
    const lib = criuKdatCacheLib()!;
    const file = path.join(dir, 'criu.kdat');
    const run = runKdat();
    // Preloaded without the variable: CRIU looks in /run as always, and keeps nothing here.
    const plain = criuCheck(path.join(logs, 'plain.log'), { LD_PRELOAD: lib });
    expect(plain).toMatch(/\/run\/criu\.kdat/);
    expect(plain).not.toMatch(/Loaded kdat cache/);
    expect(fs.readdirSync(dir)).toEqual([]);
    // With it: the first run probes and saves there (0600, no temporary file left) ...
    // (CRIU's log names its own path, /run/criu.kdat, for the file the library opened.)
    const first = criuCheck(path.join(logs, 'first.log'), { LD_PRELOAD: lib, BERTH_CRIU_KDAT: file });
    expect(first).toContain('File /run/criu.kdat does not exist');
    expect(first).not.toMatch(/Can't keep kdat cache/);
    expect(fs.readdirSync(dir)).toEqual(['criu.kdat']);
    const st = fs.statSync(file);
    expect(st.size).toBeGreaterThan(100);
    expect(st.mode & 0o777).toBe(0o600);
    // ... and the next run loads it.
    const second = criuCheck(path.join(logs, 'second.log'), { LD_PRELOAD: lib, BERTH_CRIU_KDAT: file });
    expect(second).toContain('Loaded kdat cache from /run/criu.kdat');
    // A damaged cache is CRIU's to refuse: it removes it (through the library) and saves a new one.
    fs.writeFileSync(file, 'not a kdat', { mode: 0o600 });
    const stale = criuCheck(path.join(logs, 'stale.log'), { LD_PRELOAD: lib, BERTH_CRIU_KDAT: file });
    expect(stale).toContain('Stale /run/criu.kdat file');
    expect(fs.statSync(file).size).toBe(st.size);
    expect(fs.readdirSync(dir)).toEqual(['criu.kdat']);
    // The host's own /run/criu.kdat was never touched.
    expect(runKdat()).toEqual(run);
  });

  it('passes every open on to a library preloaded after it (criu-late-freeze.so sees CRIU\'s opens)', () => {
    const late = criuLateFreezeLib();
    expect(late).toBeDefined();
    // criu-late-freeze.so writes FROZEN into the file it is told to watch when it is opened
    // (a cgroup's freezer.state for CRIU; a plain file here shows that it ran).
    const watched = path.join(dir, 'freezer.state');
    fs.writeFileSync(watched, 'THAWED\n');
    const r = spawnSync('perl', ['-e', 'open(my $h, "<", $ENV{S}) or die "open: $!"; my $s = <$h>; print $s;'], {
      env: { ...process.env, S: watched, LD_PRELOAD: `${criuKdatCacheLib()} ${late}`, BERTH_CRIU_KDAT: path.join(dir, 'criu.kdat'), BERTH_CRIU_FREEZE_LATE: watched },
      encoding: 'utf8', timeout: 20_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('FROZEN');
    fs.rmSync(watched);
  });

  it('is given to CRIU only in a folder of this user\'s that no one else may write', () => {
    const was = process.env['BERTH_CRIU_KDAT_DIR'];
    try {
      process.env['BERTH_CRIU_KDAT_DIR'] = dir;
      expect(criuKdatFile()).toBe(path.join(dir, 'criu.kdat'));
      const env = criuToolEnv(['/x/other.so']);
      expect(env['BERTH_CRIU_KDAT']).toBe(path.join(dir, 'criu.kdat'));
      // (criu-nft-unlock.so, given to every CRIU too, comes after the cache's library.)
      const nft = criuNftUnlockLib();
      expect(env['LD_PRELOAD']).toBe([criuKdatCacheLib(), nft, '/x/other.so'].filter(Boolean).join(' '));
      // A folder others may write (made so before berth looks): no cache, only the other library.
      fs.mkdirSync(`${dir}-open`, { mode: 0o777 });
      fs.chmodSync(`${dir}-open`, 0o777);
      process.env['BERTH_CRIU_KDAT_DIR'] = `${dir}-open`;
      expect(criuKdatFile()).toBeUndefined();
      const open = criuToolEnv(['/x/other.so']);
      expect(open['BERTH_CRIU_KDAT']).toBeUndefined();
      expect(open['LD_PRELOAD']).toBe([nft, '/x/other.so'].filter(Boolean).join(' '));
      // Not on a tmpfs (CRIU's cache must be gone after a reboot): none either.
      process.env['BERTH_CRIU_KDAT_DIR'] = logs;
      fs.chmodSync(logs, 0o700);
      expect(criuKdatFile()).toBeUndefined();
    } finally {
      if (was === undefined) delete process.env['BERTH_CRIU_KDAT_DIR'];
      else process.env['BERTH_CRIU_KDAT_DIR'] = was;
    }
  });
});
