/**
 * A berth cluster on test hosts: n berthd processes, each in its own network namespace
 * (test/support/netns.ts) with its own data folder, founded with `berthd init` and grown with
 * `berth cluster add` + `berthd join`. The CLI reaches each member on its local socket.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BERTH, BERTHD, removeCgroupParent, tempDir } from './berthd';
import { mountsAndLoops } from './leftovers';
import { TestNetwork } from './netns';
import type { NetHost, NsProcess } from './netns';

export interface ListedInstance { name: string; status: string; location: string; description?: string; config?: Record<string, string> }

export interface ListedMember { server_name: string; url: string; roles: string[]; status: string; leader: boolean; instances: number; capabilities: string[] }

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The number in a counter file an instance's loop rewrites (`echo $i > file`: the shell
 * truncates, then writes, so a read in between sees it empty): read again until it is not.
 */
export function readCounter(file: string): number {
  for (let i = 0; ; i++) {
    const t = fs.readFileSync(file, 'utf8').trim();
    if (t !== '' || i >= 50) return Number(t);
    spawnSync('sleep', ['0.01']);
  }
}

export async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

export class BerthCluster {
  readonly dirs: Array<{ dir: string; remove: () => void }> = [];
  readonly procs = new Map<number, NsProcess>();

  private constructor(readonly net: TestNetwork, private readonly berthdArgs: readonly string[]) {}

  /** n test hosts with a data folder each; nothing runs yet. `berthdArgs`: for every berthd (e.g. --storage btrfs). */
  static create(n: number, label: string, berthdArgs: readonly string[] = []): BerthCluster {
    const c = new BerthCluster(TestNetwork.create(n), berthdArgs);
    for (let i = 1; i <= n; i++) c.dirs.push(tempDir(`${label}${i}`));
    return c;
  }

  host(i: number): NetHost { return this.net.host(i); }
  dir(i: number): string { return this.dirs[i - 1]!.dir; }
  address(i: number): string { return `${this.host(i).address}:8443`; }
  clusterAddress(i: number): string { return `${this.host(i).address}:8444`; }

  /** `berthd ARGS` (init, join) run to its end inside host i's namespace, on folder `dir`. */
  berthd(i: number, args: string[], dir = this.dir(i)): { code: number | null; out: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.host(i).ns, process.execPath, BERTHD, '--data-dir', dir, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }

  /** The berth CLI against member i's local socket. */
  berth(i: number, args: string[], timeoutMs = 150_000): { code: number | null; out: string; err: string } {
    const r = spawnSync(process.execPath, [BERTH, ...args], { encoding: 'utf8', env: { ...process.env, BERTH_DIR: this.dir(i) }, timeout: timeoutMs });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  async start(i: number): Promise<void> {
    const p = this.net.spawnNode(this.host(i), BERTHD, ['--data-dir', this.dir(i), ...this.berthdArgs], { netOnly: true });
    this.procs.set(i, p);
    await TestNetwork.waitExecd(p);
    const deadline = Date.now() + 30_000;
    while (!/serving on/.test(p.output())) {
      if (!p.alive()) throw new Error(`berthd ${i} exited:\n${p.output()}`);
      if (Date.now() > deadline) throw new Error(`berthd ${i} did not serve:\n${p.output()}`);
      await sleep(50);
    }
  }

  async kill9(i: number): Promise<void> {
    await TestNetwork.kill9(this.procs.get(i)!);
  }

  /** `berth list --format json` through member i (throws with the CLI's error when it fails). */
  instances(i: number, timeoutMs?: number): ListedInstance[] {
    const r = this.berth(i, ['list', '--format', 'json'], timeoutMs);
    if (r.code !== 0) throw new Error(`berth list on member${i}: ${r.err}`);
    return JSON.parse(r.out) as ListedInstance[];
  }

  /** What runc itself says of a container on host i: its status and init pid, or undefined. */
  runc(i: number, name: string): { status: string; pid: number } | undefined {
    const r = spawnSync('runc', ['--root', path.join(this.dir(i), 'runc'), 'state', name], { encoding: 'utf8' });
    return r.status === 0 ? (JSON.parse(r.stdout) as { status: string; pid: number }) : undefined;
  }

  list(i: number): ListedMember[] | undefined {
    const r = this.berth(i, ['cluster', 'list', '--format', 'json'], 30_000);
    return r.code === 0 ? JSON.parse(r.out) as ListedMember[] : undefined;
  }

  token(i: number, name: string): string {
    const r = this.berth(i, ['cluster', 'add', name, '--format', 'json'], 30_000);
    if (r.code !== 0) throw new Error(`berth cluster add ${name} failed: ${r.err}`);
    return (JSON.parse(r.out) as { token: string }).token;
  }

  /** Member i's view once it has `want` members, the usual voters, one leader, all online. */
  settled(want: number, on: number): () => ListedMember[] | undefined {
    return () => {
      const ms = this.list(on);
      if (!ms || ms.length !== want) return undefined;
      const voters = ms.filter((m) => m.roles.includes('voter')).length;
      const leaders = ms.filter((m) => m.leader).length;
      return voters === Math.min(3, want % 2 === 0 ? want - 1 : want) && leaders === 1 && ms.every((m) => m.status === 'Online') ? ms : undefined;
    };
  }

  /** Founds the cluster on host 1 and joins hosts 2..n, each started; waits until settled. */
  async form(n: number, offlineThresholdS = 3): Promise<void> {
    const init = this.berthd(1, ['init', '--name', 'member1', '--address', this.address(1), '--cluster-address', this.clusterAddress(1), '--offline-threshold', String(offlineThresholdS)]);
    if (init.code !== 0) throw new Error(`berthd init: ${init.out}`);
    await this.start(1);
    await waitFor('member1 alone', this.settled(1, 1));
    for (let i = 2; i <= n; i++) {
      const j = this.berthd(i, ['join', this.token(1, `member${i}`), '--address', this.address(i), '--cluster-address', this.clusterAddress(i)]);
      if (j.code !== 0) throw new Error(`berthd join on host ${i}: ${j.out}`);
      await this.start(i);
    }
    await waitFor(`${n} members settled`, this.settled(n, n));
  }

  /** Stops every berthd (SIGTERM), removes the namespaces, the folders and the cgroup parents. */
  async destroy(): Promise<void> {
    for (const p of this.procs.values()) if (p.alive()) p.proc.kill('SIGTERM');
    await Promise.all([...this.procs.values()].map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 10_000).unref())])));
    await this.net.destroy();
    for (const d of this.dirs) {
      // Containers outlive berthd (it adopts them when it comes back): delete them here.
      const root = path.join(d.dir, 'runc');
      const names = spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8', timeout: 20_000 }).stdout?.split('\n').filter(Boolean) ?? [];
      for (const n of names) spawnSync('runc', ['--root', root, 'delete', '--force', n], { timeout: 20_000 });
      await removeCgroupParent(d.dir);
      // A btrfs pool stays mounted on its loop device after berthd stops (its containers could
      // go on): unmounted (deepest first) and detached here.
      // (Only this member's: the full leftover search would look into other suites' folders.)
      for (const l of mountsAndLoops(`${d.dir}/`)) l.remove();
      d.remove();
    }
  }
}
