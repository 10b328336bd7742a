// deploy/criu-nft-unlock.c, as setup-host built it (npm test runs setup-host first): preloaded
// into a program that locks and unlocks a network namespace with libnftables as CRIU does (a
// table CRIU-<n> whose output chain drops, deleted with a fresh context that is then freed),
// the lock is gone as soon as the delete returns, as without it; and the context's netlink
// socket outlives the free in a detached process that holds nothing else and ends on its own,
// so the free no longer waits for the kernel's clean-up. Other commands, and the library
// without its variable, leave no such process. Real nftables in a network namespace made here
// (a small C program against the host's libnftables, built with the host's compiler).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { criuNftUnlockLib } from '@berth/node-agent';

/** argv[1]: the table's name. Prints the probes, then the program's pid. */
const PROGRAM = `
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
struct nft_ctx;
struct nft_ctx *nft_ctx_new(uint32_t flags);
int nft_run_cmd_from_buffer(struct nft_ctx *nft, const char *buf);
void nft_ctx_free(struct nft_ctx *ctx);
static const char *probe(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  int r = sendto(s, "x", 1, 0, (void *)&a, sizeof a);
  close(s);
  return r < 0 ? "dropped" : "sent";
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
int main(int argc, char **argv) {
  char cmd[256];
  struct nft_ctx *n = nft_ctx_new(0);
  snprintf(cmd, sizeof cmd, "add table inet %s", argv[1]);
  if (nft_run_cmd_from_buffer(n, cmd)) return 2;
  snprintf(cmd, sizeof cmd, "add chain inet %s output { type filter hook output priority 0; policy drop; }", argv[1]);
  if (nft_run_cmd_from_buffer(n, cmd)) return 2;
  nft_ctx_free(n);
  printf("locked %s\\n", probe());
  n = nft_ctx_new(0);
  snprintf(cmd, sizeof cmd, "delete table inet %s", argv[1]);
  if (nft_run_cmd_from_buffer(n, cmd)) return 3;
  printf("deleted %s\\n", probe());
  double t = now();
  nft_ctx_free(n);
  printf("freed in %.1f ms\\npid %d\\n", now() - t, (int)getpid());
  return 0;
}
`;

describe('criu-nft-unlock (preloaded into every CRIU)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-nft-unlock-'));
  const prog = path.join(tmp, 'lock-unlock');
  const ns = `berth-test-nft-${process.pid}`;

  beforeAll(() => {
    fs.writeFileSync(`${prog}.c`, PROGRAM);
    const cc = spawnSync('cc', ['-O2', '-o', prog, `${prog}.c`, '-l:libnftables.so.1'], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc: ${cc.stderr}`);
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`ip netns add: ${add.stderr}`);
    spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs the program in the namespace; its lines, and the processes running it once it is gone (pid -> open descriptors' kinds). */
  const run = (table: string, env: Record<string, string>): { lines: string[]; left: Map<number, string[]> } => {
    const r = spawnSync('ip', ['netns', 'exec', ns, prog, table], { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`lock-unlock: exit ${r.status}: ${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    const scan = (): Map<number, string[]> => {
      const left = new Map<number, string[]>();
      for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
        try {
          if (fs.readlinkSync(`/proc/${p}/exe`) !== prog) continue;
          const fds = fs.readdirSync(`/proc/${p}/fd`).map((fd) => fs.readlinkSync(`/proc/${p}/fd/${fd}`));
          left.set(Number(p), fds);
        } catch {
          // gone meanwhile
        }
      }
      return left;
    };
    // The grandchild closes what it inherited in a loop of its own: the program's exit (and the
    // end of its output pipes) can come while that loop is still at a later descriptor, more so
    // on a loaded host. Look again, every 2 ms for up to 1 s, until only sockets are left.
    let left = scan();
    const until = Date.now() + 1000;
    while (![...left.values()].every((fds) => fds.every((f) => f.startsWith('socket:'))) && Date.now() < until) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
      const again = scan();
      if (again.size === 0) break; // ended meanwhile: keep what was seen
      left = again;
    }
    return { lines, left };
  };
  const gone = async (pids: number[]): Promise<boolean> => {
    for (let i = 0; i < 100; i++) {
      if (pids.every((p) => !fs.existsSync(`/proc/${p}`) || /State:\s+Z/.test(fs.readFileSync(`/proc/${p}/status`, 'utf8')))) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  };

  it('is built on this host', () => {
    expect(criuNftUnlockLib()).toMatch(/criu-nft-unlock\.so$/);
  });

  it('unlocks when the delete returns, as without it; the lock context\'s socket goes to a detached process holding only netlink sockets, which ends by itself', async () => {
    const lib = criuNftUnlockLib()!;
    const plain = run('CRIU-41', {});
    expect(plain.lines.slice(0, 2)).toEqual(['locked dropped', 'deleted sent']);
    expect(plain.left.size).toBe(0);
    const aside = run('CRIU-42', { LD_PRELOAD: lib, BERTH_CRIU_NFT_CLOSE_ASIDE: '1' });
    expect(aside.lines.slice(0, 2)).toEqual(['locked dropped', 'deleted sent']);
    process.stdout.write(`free: ${plain.lines[2]} without, ${aside.lines[2]} with the library\n`);
    // The program has exited; what is left of it is the grandchild, with netlink sockets only.
    expect(aside.left.size).toBe(1);
    const [pid, fds] = [...aside.left][0]!;
    expect(pid).not.toBe(Number(aside.lines[3]!.split(' ')[1]));
    expect(fds.length).toBeGreaterThan(0);
    for (const fd of fds) expect(fd).toMatch(/^socket:/);
    expect(await gone([pid])).toBe(true);
    // The table is gone from the namespace.
    const list = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' });
    expect(list.stdout).not.toMatch(/CRIU-4/);
  });

  it('leaves other tables\' deletes, and everything without its variable, as they were', () => {
    const lib = criuNftUnlockLib()!;
    expect(run('OTHER-1', { LD_PRELOAD: lib, BERTH_CRIU_NFT_CLOSE_ASIDE: '1' }).left.size).toBe(0);
    expect(run('CRIU-43', { LD_PRELOAD: lib }).left.size).toBe(0);
  });
});
