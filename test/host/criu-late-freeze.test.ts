// deploy/criu-late-freeze.c, as setup-host built it (npm test runs setup-host first):
// preloaded into a program that opens the freezer state file it names (as CRIU does to
// freeze a container), it must freeze that cgroup before the open returns, so the program
// reads FROZEN, and tell the notice socket; only once, only for that file. Checked on a real
// cgroup v1 freezer holding a real process, through the C library's open() (perl).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { criuLateFreezeLib } from '@berth/node-agent';
import { cgroupMounts } from '@berth/node-agent/dist/runtime';

const freezerMount = cgroupMounts().get('freezer');
const describeV1 = freezerMount ? describe : describe.skip;

/** Opens each file read-write and prints what it reads, as CRIU's freezer_open + read. */
const OPEN_AND_READ = `
for my $f (@ARGV) {
  open(my $h, "+<", $f) or die "open $f: $!";
  my $s = <$h>; chomp $s; print "$s\\n"; close($h);
}`;

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}

function openWith(files: string[], env: Record<string, string>): string[] {
  const e: Record<string, string | undefined> = { ...process.env, ...env };
  const r = spawnSync('perl', ['-e', OPEN_AND_READ, ...files], { env: e, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`perl: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

describeV1('criu-late-freeze (preloaded into CRIU for a live move\'s dump)', () => {
  const cg = path.join(freezerMount ?? '/nonexistent', `berth-test-late-freeze-${process.pid}`);
  const state = path.join(cg, 'freezer.state');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-late-freeze-'));
  const sock = path.join(dir, 'frozen.sock');
  let sleeper: ChildProcess | undefined;
  let server: net.Server | undefined;
  const notices: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(cg);
    sleeper = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    fs.writeFileSync(path.join(cg, 'tasks'), String(sleeper.pid));
    server = net.createServer((c) => c.on('data', (d: Buffer) => notices.push(d.toString())));
    await new Promise<void>((resolve) => server!.listen(sock, resolve));
  });

  afterAll(async () => {
    if (fs.existsSync(state)) fs.writeFileSync(state, 'THAWED');
    sleeper?.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    try { fs.rmdirSync(cg); } catch { /* a moment later: the leftover check says so */ }
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is built on this host', () => {
    expect(criuLateFreezeLib()).toMatch(/criu-late-freeze\.so$/);
  });

  it('freezes the named cgroup when its freezer state is first opened, before the open returns, and says so', async () => {
    const lib = criuLateFreezeLib()!;
    const other = path.join(dir, 'other');
    fs.writeFileSync(other, 'THAWED\n');
    // Not preloaded, or preloaded without the variable: nothing happens.
    expect(openWith([state], {})).toEqual(['THAWED']);
    const running = cpuTicks(sleeper!.pid!);
    await new Promise((r) => setTimeout(r, 300));
    expect(cpuTicks(sleeper!.pid!)).toBeGreaterThan(running);
    expect(openWith([state], { LD_PRELOAD: lib })).toEqual(['THAWED']);
    // Another file first: untouched; then the named one reads FROZEN (frozen during its open).
    expect(openWith([other, state], { LD_PRELOAD: lib, BERTH_CRIU_FREEZE_LATE: state, BERTH_CRIU_FROZEN_SOCKET: sock })).toEqual(['THAWED', 'FROZEN']);
    expect(fs.readFileSync(state, 'utf8').trim()).toBe('FROZEN');
    // The busy process in it really stopped running: its CPU time no longer moves.
    const before = cpuTicks(sleeper!.pid!);
    await new Promise((r) => setTimeout(r, 300));
    expect(cpuTicks(sleeper!.pid!)).toBe(before);
    for (let i = 0; i < 50 && notices.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(notices.join('')).toBe('frozen\n');
  });

  it('only once per process: opened again after a thaw, the cgroup stays thawed', () => {
    fs.writeFileSync(state, 'THAWED');
    const lib = criuLateFreezeLib()!;
    // (CRIU thaws after seizing the tasks and opens the file again at the end of the dump.)
    const script = `
open(my $h, "+<", $ENV{S}) or die; my $a = <$h>; chomp $a; close($h);
open($h, ">", $ENV{S}) or die; print $h "THAWED"; close($h);
open($h, "+<", $ENV{S}) or die; my $b = <$h>; chomp $b; close($h);
print "$a $b\\n";`;
    const r = spawnSync('perl', ['-e', script], { env: { ...process.env, S: state, LD_PRELOAD: lib, BERTH_CRIU_FREEZE_LATE: state }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('FROZEN THAWED');
  });
});
