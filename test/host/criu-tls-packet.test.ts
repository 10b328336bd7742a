// deploy/criu-tls-packet.c, as setup-host built it (npm test runs setup-host first): preloaded
// by servePages into a `criu page-server --tls` (berth's own call, as a stop-and-copy move's
// target runs it), which then receives a real CRIU dump of a process holding 96 MiB over TLS
// (certificates of a test CA) without keeping the pages' TLS records: its peak memory stays
// small, where the same server without the library grows by most of the pages (checked too,
// so the test can fail). The process restored from that server's images holds the same bytes.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCertificateAuthority, issueCertificate } from '@berth/control-plane';
import { criuTlsPacketLib } from '@berth/node-agent';
import { criuToolEnv } from '@berth/node-agent/dist/runtime/criu-env';
import { servePages, type CriuTls } from '@berth/node-agent/dist/runtime/page-server';

const MIB = 96;

/** Holds MIB MiB of seeded bytes; writes "ready <sum>" to argv[3] once filled, "sum <sum>" on each SIGUSR1. */
const HOLDER = `
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
static volatile sig_atomic_t asked;
static void on_usr1(int s) { (void)s; asked = 1; }
static uint64_t sum(const unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i += 8) { uint64_t v; memcpy(&v, p + i, 8); h = (h ^ v) * 1099511628211ULL; }
  return h;
}
static void say(const char *file, const char *what, uint64_t h) {
  char tmp[4096], line[64];
  snprintf(tmp, sizeof tmp, "%s.tmp", file);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int n = snprintf(line, sizeof line, "%s %llx\\n", what, (unsigned long long)h);
  if (fd < 0 || write(fd, line, n) != n) _exit(3);
  close(fd);
  rename(tmp, file);
}
int main(int argc, char **argv) {
  size_t n = (size_t)atoi(argv[1]) << 20;
  uint32_t x = (uint32_t)atoi(argv[2]);
  unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 2;
  for (size_t i = 0; i < n; i += 4) { x = x * 1103515245u + 12345u; memcpy(p + i, &x, 4); }
  signal(SIGUSR1, on_usr1);
  say(argv[3], "ready", sum(p, n));
  for (;;) { pause(); if (asked) { asked = 0; say(argv[3], "sum", sum(p, n)); } }
}
`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitForLine(file: string, prefix: string, ms: number): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const s = fs.readFileSync(file, 'utf8').trim();
      if (s.startsWith(`${prefix} `)) return s.slice(prefix.length + 1);
    } catch { /* not yet */ }
    if (Date.now() > until) throw new Error(`no "${prefix}" line in ${file} after ${ms} ms`);
    await sleep(20);
  }
}

/** The pid of the page server listening on `port` (found by its command line). */
function pageServerPid(port: number): number | undefined {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv.includes('page-server') && argv.includes(String(port)) && !argv.includes('--pdeathsig')) return Number(d);
    } catch { /* gone */ }
  }
  return undefined;
}

function vmHwmKib(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('criu-tls-packet (preloaded into a live move\'s TLS page server)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-tls-packet-'));
  const holder = path.join(tmp, 'holder');
  const noLib = path.join(tmp, 'criu-without-tls-packet');
  let tls: CriuTls;
  const pids: number[] = [];

  beforeAll(() => {
    fs.writeFileSync(`${holder}.c`, HOLDER);
    const cc = spawnSync('cc', ['-O2', '-o', holder, `${holder}.c`], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc: ${cc.stderr}`);
    // The same CRIU with the library taken out of LD_PRELOAD (the comparison).
    fs.writeFileSync(noLib, '#!/bin/sh\nLD_PRELOAD=$(printf %s "$LD_PRELOAD" | sed \'s| *[^ ]*criu-tls-packet\\.so||\')\nexport LD_PRELOAD\nexec criu "$@"\n', { mode: 0o755 });
    const ca = createCertificateAuthority({ commonName: 'berth-test-tls-packet', validDays: 1 });
    const member = issueCertificate(ca, { commonName: 'member', validDays: 1, usage: 'server-and-client', ipAddresses: ['127.0.0.1'] });
    tls = { caFile: path.join(tmp, 'ca.crt'), certFile: path.join(tmp, 'member.crt'), keyFile: path.join(tmp, 'member.key') };
    fs.writeFileSync(tls.caFile, ca.certPem);
    fs.writeFileSync(tls.certFile, member.certPem);
    fs.writeFileSync(tls.keyFile, member.keyPem, { mode: 0o600 });
  });

  afterAll(async () => {
    for (const p of pids) {
      try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
    for (let i = 0; i < 50 && pids.some(alive); i++) await sleep(20);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * Starts a holder, dumps it (CRIU kills it) to a page server started by servePages (with
   * `criu` as its CRIU) and answers the server's peak memory, the holder's sum and the folder
   * holding every image (the server's pages and the dump's others).
   */
  const dumpThroughServer = async (tag: string, criu: string): Promise<{ peakKib: number; sum: string; images: string; pid: number }> => {
    const work = path.join(tmp, tag);
    const images = path.join(work, 'images');
    const dumpDir = path.join(work, 'dump');
    fs.mkdirSync(images, { recursive: true });
    fs.mkdirSync(dumpDir);
    const said = path.join(work, 'said');
    const child = spawn(holder, [String(MIB), String(4242), said], { detached: true, stdio: 'ignore' });
    child.unref();
    const pid = child.pid!;
    pids.push(pid);
    const sum = await waitForLine(said, 'ready', 20_000);
    const ps = await servePages(images, path.join(work, 'server'), { address: '127.0.0.1', tls, criu });
    try {
      const spid = pageServerPid(ps.port);
      expect(spid).toBeDefined();
      let peakKib = 0;
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const v = vmHwmKib(spid!);
          if (v !== undefined) peakKib = Math.max(peakKib, v);
          await sleep(2);
        }
      })();
      const tlsArgs = ['--tls', '--tls-cacert', tls.caFile, '--tls-cert', tls.certFile, '--tls-key', tls.keyFile, '--tls-no-cn-verify'];
      // Not spawnSync: the server's memory is sampled meanwhile, on this event loop.
      const dump = spawn('criu', ['dump', '-t', String(pid), '-D', dumpDir, '--page-server', '--address', '127.0.0.1', '--port', String(ps.port), ...tlsArgs, '-o', 'dump.log', '-v2'], { env: criuToolEnv(), stdio: 'ignore' });
      const status = await new Promise<number | null>((resolve) => dump.on('exit', (code) => resolve(code)));
      if (status !== 0) throw new Error(`criu dump: exit ${status}: ${fs.readFileSync(path.join(dumpDir, 'dump.log'), 'utf8').split('\n').filter((l) => l.includes('Error')).join(' | ')}`);
      await ps.done;
      polling = false;
      await poll;
      for (const f of fs.readdirSync(dumpDir)) if (f.endsWith('.img')) fs.copyFileSync(path.join(dumpDir, f), path.join(images, f));
      return { peakKib, sum, images, pid };
    } finally {
      ps.stop();
    }
  };

  it('is built on this host', () => {
    expect(criuTlsPacketLib()).toMatch(/criu-tls-packet\.so$/);
  });

  it('keeps the page server\'s memory small, and the pages it wrote restore the same bytes', async () => {
    const without = await dumpThroughServer('without', noLib);
    const withLib = await dumpThroughServer('with', 'criu');
    // Without: the records stay allocated (most of the 96 MiB). With: a few MiB.
    expect(without.peakKib).toBeGreaterThan((MIB * 1024 * 2) / 3);
    expect(withLib.peakKib).toBeGreaterThan(0); // sampled at all
    expect(withLib.peakKib).toBeLessThan(32 * 1024);

    // The holder restored from the images the preloaded server wrote holds what it held.
    const said = path.join(tmp, 'with', 'said');
    fs.rmSync(said);
    const r = spawnSync('criu', ['restore', '-D', withLib.images, '-d', '-o', 'restore.log', '-v2'], { env: criuToolEnv(), encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`criu restore: exit ${r.status}: ${fs.readFileSync(path.join(withLib.images, 'restore.log'), 'utf8').split('\n').filter((l) => l.includes('Error')).join(' | ')}`);
    expect(alive(withLib.pid)).toBe(true);
    process.kill(withLib.pid, 'SIGUSR1');
    expect(await waitForLine(said, 'sum', 20_000)).toBe(withLib.sum);
  }, 120_000);
});
