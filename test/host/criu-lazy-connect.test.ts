// deploy/criu-lazy-connect.c, as setup-host built it (npm test runs setup-host first):
// preloaded into a program that connects to a unix socket (as CRIU's restore connects to its
// lazy-pages daemon), a connect to the named socket waits until a server listens there, and
// gives up at once when the watched process is gone; other sockets, or without the variable,
// fail at once as before. Real unix sockets, through the C library's connect() (perl).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { criuLazyConnectLib } from '@berth/node-agent';

/** Connects to `sock` (relative to `cwd`) and prints "ok" and the reply, or the error's errno name; and how long it took. */
const CONNECT = `
use Socket; use Time::HiRes qw(time);
my $t = time; socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
if (connect($s, pack_sockaddr_un($ARGV[0]))) { my $l = <$s>; chomp $l; printf "ok %s %d\\n", $l, (time - $t) * 1000; }
else { printf "%s %d\\n", ($!{ENOENT} ? "ENOENT" : $!{ECONNREFUSED} ? "ECONNREFUSED" : "$!"), (time - $t) * 1000; }`;

function connectWith(cwd: string, sock: string, env: Record<string, string>): Promise<{ said: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn('perl', ['-e', CONNECT, sock], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('exit', () => {
      const m = /^(.*) (\d+)$/.exec(out.trim());
      if (!m) reject(new Error(`perl: ${out}${err}`));
      else resolve({ said: m[1]!, ms: Number(m[2]) });
    });
  });
}

describe('criu-lazy-connect (preloaded into a post-copy restore\'s CRIU)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-lazy-connect-'));
  const servers: net.Server[] = [];
  const listen = (name: string): Promise<void> => new Promise((resolve) => {
    const s = net.createServer((c) => c.end('hello\n'));
    servers.push(s);
    s.listen(path.join(dir, name), resolve);
  });

  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is built on this host', () => {
    expect(criuLazyConnectLib()).toMatch(/criu-lazy-connect\.so$/);
  });

  it('waits for the named socket until a server listens there', async () => {
    const lib = criuLazyConnectLib()!;
    // Without the library, or without the variable: refused at once, as CRIU would be.
    expect((await connectWith(dir, 'lazy-pages.socket', {})).said).toBe('ENOENT');
    expect((await connectWith(dir, 'lazy-pages.socket', { LD_PRELOAD: lib })).said).toBe('ENOENT');
    // With it: the connect waits; the server comes 300 ms later and answers.
    const waiting = connectWith(dir, 'lazy-pages.socket', { LD_PRELOAD: lib, BERTH_CRIU_LAZY_SOCKET: 'lazy-pages.socket' });
    await new Promise((r) => setTimeout(r, 300));
    await listen('lazy-pages.socket');
    const got = await waiting;
    expect(got.said).toBe('ok hello');
    expect(got.ms).toBeGreaterThanOrEqual(250);
    // Another socket is not waited for.
    expect((await connectWith(dir, 'other.socket', { LD_PRELOAD: lib, BERTH_CRIU_LAZY_SOCKET: 'lazy-pages.socket' })).said).toBe('ENOENT');
  });

  it('gives up when the watched daemon is gone, or after its wait', async () => {
    const lib = criuLazyConnectLib()!;
    const gone = spawnSync('true').pid!; // a process that has exited
    const r = await connectWith(dir, 'never.socket', { LD_PRELOAD: lib, BERTH_CRIU_LAZY_SOCKET: 'never.socket', BERTH_CRIU_LAZY_DAEMON_PID: String(gone) });
    expect(r.said).toBe('ENOENT');
    expect(r.ms).toBeLessThan(200);
    // Ended but not reaped yet (a zombie: its parent, a `sleep`, never waits) counts as gone.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    try {
      for (let i = 0; i < 100 && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${zombie}/status`, 'utf8')); i++) await new Promise((res) => setTimeout(res, 10));
      const z = await connectWith(dir, 'never.socket', { LD_PRELOAD: lib, BERTH_CRIU_LAZY_SOCKET: 'never.socket', BERTH_CRIU_LAZY_DAEMON_PID: String(zombie) });
      expect(z.said).toBe('ENOENT');
      expect(z.ms).toBeLessThan(200);
    } finally {
      parent.kill('SIGKILL');
    }
    const waited = await connectWith(dir, 'never.socket', { LD_PRELOAD: lib, BERTH_CRIU_LAZY_SOCKET: 'never.socket', BERTH_CRIU_LAZY_WAIT_MS: '300', BERTH_CRIU_LAZY_DAEMON_PID: String(process.pid) });
    expect(waited.said).toBe('ENOENT');
    expect(waited.ms).toBeGreaterThanOrEqual(250);
    expect(waited.ms).toBeLessThan(2000);
  });
});
