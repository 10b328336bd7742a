import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BERTH, BERTHD, berth, cleanUpSingleHost, removeCgroupParent, startBerthd, tempDir } from '../support/berthd';
import type { RunningBerthd } from '../support/berthd';
import { images } from '@berth/node-agent';

describe('berthd on one host', () => {
  const tmp = tempDir('berthd');
  let daemon: RunningBerthd | undefined;

  afterAll(async () => {
    await cleanUpSingleHost(tmp, daemon);
  });

  it('serves berth info on its unix socket, with the host capability report', async () => {
    daemon = await startBerthd(tmp.dir);
    const socket = path.join(tmp.dir, 'unix.socket');
    expect((fs.statSync(socket).mode & 0o777).toString(8)).toBe('660');
    const r = berth(tmp.dir, ['info', '--format', 'json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out) as { pid: number; dataDir: string; apiExtensions: string[]; capabilities: { kernelRelease: string; cgroups: { layout: string } } };
    expect(info.pid).toBe(daemon.proc.pid);
    expect(info.dataDir).toBe(tmp.dir);
    expect(info.apiExtensions).toContain('host_capabilities');
    // The daemon's report is the same as `berthd check` gives.
    const check = spawnSync(process.execPath, [BERTHD, 'check', '--format', 'json'], { encoding: 'utf8' });
    expect(check.status).toBe(0);
    const report = JSON.parse(check.stdout) as { kernelRelease: string; cgroups: { layout: string } };
    expect(info.capabilities.kernelRelease).toBe(report.kernelRelease);
    expect(info.capabilities.cgroups.layout).toBe(report.cgroups.layout);
  });

  it('launches, lists, execs in, snapshots, stops and deletes a busybox container through the CLI; the container outlives a killed daemon', async () => {
    const launch = berth(tmp.dir, ['launch', 'busybox', 'c1', '-c', 'limits.memory=128MiB']);
    expect(launch.err).toBe('');
    expect(launch.out).toContain('Launched c1');
    const ps = berth(tmp.dir, ['exec', 'c1', '--', 'ps']);
    expect(ps.code).toBe(0);
    expect(ps.out).toMatch(/^\s*1 .*init/m);
    const exitCode = berth(tmp.dir, ['exec', 'c1', '--', 'sh', '-c', 'exit 7']);
    expect(exitCode.code).toBe(7);
    // An interactive exec gets a terminal of the client's size (util-linux script gives the CLI a pty).
    // (stty inside can race with the terminal being set up under load: one retry.)
    let pty = { stdout: '' };
    for (let attempt = 0; attempt < 2 && !/30 100/.test(pty.stdout); attempt++) {
      pty = spawnSync('script', ['-qec', `stty cols 100 rows 30; ${process.execPath} ${BERTH} exec -t c1 -- sh -c 'sleep 0.2; tty; stty size'`, '/dev/null'], {
        encoding: 'utf8', env: { ...process.env, BERTH_DIR: tmp.dir }, timeout: 30_000,
      });
    }
    expect(pty.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(pty.stdout).toMatch(/30 100/);
    expect(berth(tmp.dir, ['list']).out).toMatch(/\| c1\s+\| RUNNING\s+\|/);
    expect(berth(tmp.dir, ['snapshot', 'c1']).out).toContain('Snapshot c1/snap0 created');
    const info = JSON.parse(berth(tmp.dir, ['info', 'c1', '--format', 'json']).out) as { state: { status: string }; snapshots: Array<{ name: string }>; config: Record<string, string> };
    expect(info.state.status).toBe('Running');
    expect(info.snapshots.map((x) => x.name)).toEqual(['snap0']);
    expect(info.config['limits.memory']).toBe('128MiB');
    // The container outlives its daemon: kill berthd with SIGKILL, start it again, it finds c1 running.
    const pidBefore = (JSON.parse(berth(tmp.dir, ['info', 'c1', '--format', 'json']).out) as { state: { pid: number } }).state.pid;
    daemon!.proc.kill('SIGKILL');
    await new Promise((r) => daemon!.proc.once('exit', r));
    daemon = await startBerthd(tmp.dir);
    expect(berth(tmp.dir, ['list']).out).toMatch(/\| c1\s+\| RUNNING\s+\|/);
    expect((JSON.parse(berth(tmp.dir, ['info', 'c1', '--format', 'json']).out) as { state: { pid: number } }).state.pid).toBe(pidBefore);
    expect(berth(tmp.dir, ['exec', 'c1', '--', 'true']).code).toBe(0);
    expect(berth(tmp.dir, ['stop', 'c1', '--force']).code).toBe(0);
    expect(berth(tmp.dir, ['list']).out).toMatch(/\| c1\s+\| STOPPED\s+\|/);
    expect(berth(tmp.dir, ['delete', 'c1']).code).toBe(0);
    expect(berth(tmp.dir, ['list', '--format', 'json']).out.trim()).toBe('[]');
  });

  it('answers bad requests with the field named, changing nothing', () => {
    const bad = berth(tmp.dir, ['launch', 'busybox', '-bad']);
    expect(bad.code).not.toBe(0);
    const badName = berth(tmp.dir, ['launch', 'busybox', '9lives']);
    expect(badName.err).toMatch(/name: "9lives" must not start with a digit/);
    const badKey = berth(tmp.dir, ['launch', 'busybox', 'c2', '-c', 'limits.nonsense=1']);
    expect(badKey.err).toMatch(/config\.limits\.nonsense: unknown config key/);
    const noImage = berth(tmp.dir, ['launch', 'nothere', 'c2']);
    expect(noImage.err).toMatch(/image: no image "nothere"/);
    expect(berth(tmp.dir, ['list', '--format', 'json']).out.trim()).toBe('[]');
    expect(berth(tmp.dir, ['stop', 'ghost']).err).toMatch(/instance "ghost" not found/);
  });

  it('imports, lists, aliases, launches from, exports and deletes an image; refuses an unsafe archive', async () => {
    const work = path.join(tmp.dir, 'img-work');
    fs.mkdirSync(work);
    // Another build time than the built-in image's, so it is a different image (fingerprint).
    const built = await images.buildBusyboxImage({ out: path.join(work, 'bb.tar.gz'), epoch: 1_700_000_000 });
    const imp = berth(tmp.dir, ['image', 'import', path.join(work, 'bb.tar.gz'), '--alias', 'bb']);
    expect(imp.err).toBe('');
    expect(imp.out).toContain(`fingerprint: ${built.fingerprint}`);
    expect(berth(tmp.dir, ['image', 'list']).out).toMatch(new RegExp(`\\| bb\\s+\\| ${built.fingerprint.slice(0, 12)}`));
    expect(berth(tmp.dir, ['launch', 'bb', 'i1']).code).toBe(0);
    expect(berth(tmp.dir, ['image', 'delete', 'bb']).err).toMatch(/image: image [0-9a-f]{12} is used by an instance/);
    expect(berth(tmp.dir, ['delete', 'i1', '--force']).code).toBe(0);
    expect(berth(tmp.dir, ['image', 'export', 'bb', path.join(work, 'out.tar.gz')]).code).toBe(0);
    const sha = spawnSync('sha256sum', [path.join(work, 'out.tar.gz')], { encoding: 'utf8' }).stdout.split(' ')[0];
    expect(sha).toBe(built.fingerprint);
    expect(berth(tmp.dir, ['image', 'delete', 'bb']).code).toBe(0);
    // An archive with an absolute path in it is refused, naming the entry; nothing is added.
    fs.writeFileSync(path.join(work, 'metadata.yaml'), 'architecture: x86_64\ncreation_date: 1\n');
    spawnSync('tar', ['-cPf', path.join(work, 'evil.tar'), path.join(work, 'metadata.yaml')]);
    const evil = berth(tmp.dir, ['image', 'import', path.join(work, 'evil.tar')]);
    expect(evil.code).not.toBe(0);
    expect(evil.err).toMatch(/image archive: entry '.*metadata\.yaml'.*absolute/);
    const left = berth(tmp.dir, ['image', 'list']).out;
    expect(left).not.toMatch(new RegExp(built.fingerprint.slice(0, 12)));
  });

  it('publishes an instance and a snapshot as images that launch with their files', () => {
    expect(berth(tmp.dir, ['launch', 'busybox', 'p1']).code).toBe(0);
    expect(berth(tmp.dir, ['exec', 'p1', '--', 'sh', '-c', 'echo first > /published']).code).toBe(0);
    expect(berth(tmp.dir, ['snapshot', 'p1', 's0']).code).toBe(0);
    expect(berth(tmp.dir, ['exec', 'p1', '--', 'sh', '-c', 'echo second > /published']).code).toBe(0);
    const pub = berth(tmp.dir, ['publish', 'p1', '--alias', 'mine']);
    expect(pub.err).toBe('');
    expect(pub.out).toMatch(/fingerprint: [0-9a-f]{64}/);
    expect(berth(tmp.dir, ['publish', 'p1/s0', '--alias', 'mine-s0']).code).toBe(0);
    expect(berth(tmp.dir, ['launch', 'mine', 'm1']).code).toBe(0);
    expect(berth(tmp.dir, ['launch', 'mine-s0', 'm2']).code).toBe(0);
    expect(berth(tmp.dir, ['exec', 'm1', '--', 'cat', '/published']).out.trim()).toBe('second');
    expect(berth(tmp.dir, ['exec', 'm2', '--', 'cat', '/published']).out.trim()).toBe('first');
    // Owners went back to the container's ids in the image: root inside owns its files.
    expect(berth(tmp.dir, ['exec', 'm1', '--', 'stat', '-c', '%u', '/published']).out.trim()).toBe('0');
    for (const n of ['p1', 'm1', 'm2']) expect(berth(tmp.dir, ['delete', n, '--force']).code).toBe(0);
    for (const a of ['mine', 'mine-s0']) expect(berth(tmp.dir, ['image', 'delete', a]).code).toBe(0);
  });

  it('starts over a pid file whose pid is no berthd of its folder (killed with -9, pid reused)', async () => {
    const other = tempDir('berthd-stale');
    try {
      // A live process that is not a berthd (this test's own): what a reused pid looks like.
      fs.writeFileSync(path.join(other.dir, 'berthd.pid'), `${process.pid}\n`);
      const d = await startBerthd(other.dir);
      expect(fs.readFileSync(path.join(other.dir, 'berthd.pid'), 'utf8').trim()).toBe(String(d.proc.pid));
      expect(await d.stop()).toBe(0);
    } finally {
      await removeCgroupParent(other.dir);
      other.remove();
    }
  });

  it('refuses a second daemon on the same data folder', () => {
    const r = spawnSync(process.execPath, [BERTHD, '--data-dir', tmp.dir], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`already runs on data folder ${tmp.dir}`));
  });

  it('stops cleanly on SIGTERM and removes its socket', async () => {
    expect(await daemon!.stop()).toBe(0);
    expect(fs.existsSync(path.join(tmp.dir, 'unix.socket'))).toBe(false);
  });

  it('the CLI says clearly where it looked when no daemon runs', () => {
    const r = berth(tmp.dir, ['info']);
    expect(r.code).toBe(3); // the CLI's exit code for "cannot reach the daemon" (packages/cli/src/exit.ts)
    expect(r.err).toContain(`cannot reach berthd at unix://${tmp.dir}/unix.socket`);
  });
});
