import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BERTHD, berth, startBerthd, tempDir } from '../support/berthd';
import type { RunningBerthd } from '../support/berthd';

describe('berthd on one host', () => {
  const tmp = tempDir('berthd');
  let daemon: RunningBerthd | undefined;

  afterAll(async () => {
    await daemon?.stop();
    tmp.remove();
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
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot reach berthd at unix://${tmp.dir}/unix.socket`);
  });
});
