/**
 * Test hosts on one machine: network namespaces joined by a bridge that has no uplink.
 *
 *   berth-test-<tag>-sw      the "switch": holds the bridge and the switch end of every veth
 *   berth-test-<tag>-<i>     host i (1..n): eth0 = 10.213.X.(10+i)/24, lo up
 *   berth-test-<tag>-c       the client host: eth0 = 10.213.X.200/24, where test clients run
 *
 * The root namespace gets no link, address or route: every veth is created inside the switch
 * namespace with its other end moved straight into a host namespace. No namespace has a
 * default route, so nothing can leave the test network. Deleting the namespaces removes
 * everything (veths and bridge go with them).
 *
 * Partitions:
 * - isolate(i)/reconnect(i): the host's port on the switch goes down/up (every link of i cut).
 * - cut(a, b)/heal(): nftables drop rules inside the hosts' namespaces, for pairwise or
 *   one-way cuts.
 *
 * Processes run with `ip netns exec NS node ...`: ip enters the namespace and execs node, so
 * the pid the test holds is node's own (checked), and SIGKILL reaches the member itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { TEST_MARK } from './leftovers';

let networkCounter = 0;

function ipRun(args: string[], input?: string): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 20_000, ...(input !== undefined ? { input } : {}) });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export interface NetHost {
  index: number;
  ns: string;
  address: string;
}

export interface NsProcess {
  proc: ChildProcess;
  pid: number;
  ns: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive: () => boolean;
}

export class TestNetwork {
  readonly tag: string;
  readonly switchNs: string;
  readonly hosts: NetHost[] = [];
  readonly client: NetHost;
  readonly subnet: string;
  private readonly namespaces: string[] = [];
  private readonly procs = new Set<NsProcess>();
  private readonly nftHosts = new Set<number>();
  private destroyed = false;

  private constructor(n: number) {
    const unique = `${process.pid.toString(36)}${(networkCounter++).toString(36)}`;
    this.tag = `${TEST_MARK}-${unique}`;
    this.switchNs = `${this.tag}-sw`;
    // The subnet only exists inside these namespaces, so it cannot clash with the machine's
    // own networks or with another test's (each has its own switch); still vary it per run.
    this.subnet = `10.213.${(process.pid + networkCounter) % 250 + 1}`;
    for (let i = 1; i <= n; i++) this.hosts.push({ index: i, ns: `${this.tag}-${i}`, address: `${this.subnet}.${10 + i}` });
    this.client = { index: 0, ns: `${this.tag}-c`, address: `${this.subnet}.200` };
  }

  /** Makes n test hosts and a client host. On failure removes what it made. */
  static create(n: number): TestNetwork {
    const net = new TestNetwork(n);
    try {
      net.addNamespace(net.switchNs);
      ipRun(['-n', net.switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
      ipRun(['-n', net.switchNs, 'link', 'set', 'br0', 'up']);
      for (const h of [...net.hosts, net.client]) net.plug(h);
    } catch (e) {
      net.destroySync();
      throw e;
    }
    return net;
  }

  /** Adds another host (for a member added later). */
  addHost(): NetHost {
    const index = this.hosts.length + 1;
    const h = { index, ns: `${this.tag}-${index}`, address: `${this.subnet}.${10 + index}` };
    this.hosts.push(h);
    this.plug(h);
    return h;
  }

  host(i: number): NetHost {
    const h = this.hosts[i - 1];
    if (!h) throw new Error(`no test host ${i}`);
    return h;
  }

  private addNamespace(ns: string): void {
    if (!ns.startsWith(TEST_MARK)) throw new Error(`namespace ${ns} lacks the test mark`);
    ipRun(['netns', 'add', ns]);
    this.namespaces.push(ns);
    ipRun(['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  private port(h: NetHost): string {
    return h.index === 0 ? 'c' : `h${h.index}`;
  }

  private plug(h: NetHost): void {
    this.addNamespace(h.ns);
    const port = this.port(h);
    ipRun(['-n', this.switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns]);
    ipRun(['-n', this.switchNs, 'link', 'set', port, 'master', 'br0', 'up']);
    ipRun(['-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0']);
    ipRun(['-n', h.ns, 'link', 'set', 'eth0', 'up']);
  }

  // ---- partitions ----

  /** Cuts every link of host i (its switch port goes down). */
  isolate(i: number): void {
    ipRun(['-n', this.switchNs, 'link', 'set', this.port(this.host(i)), 'down']);
  }

  reconnect(i: number): void {
    ipRun(['-n', this.switchNs, 'link', 'set', this.port(this.host(i)), 'up']);
  }

  /** Drops traffic between hosts a and b (both ways), or only from a to b when oneWay. */
  cut(a: number, b: number, oneWay = false): void {
    this.dropFrom(this.host(a), this.host(b).address, 'output');
    this.dropFrom(this.host(b), this.host(a).address, 'input');
    if (!oneWay) {
      this.dropFrom(this.host(b), this.host(a).address, 'output');
      this.dropFrom(this.host(a), this.host(b).address, 'input');
    }
  }

  /** Splits the hosts into groups that cannot reach each other (the client host reaches all). */
  partition(...groups: number[][]): void {
    for (let x = 0; x < groups.length; x++) {
      for (let y = x + 1; y < groups.length; y++) {
        for (const a of groups[x]!) for (const b of groups[y]!) this.cut(a, b);
      }
    }
  }

  /** Removes every nftables cut and brings every switch port up. */
  heal(): void {
    for (const i of this.nftHosts) spawnSync('ip', ['netns', 'exec', this.host(i).ns, 'nft', 'flush', 'table', 'inet', 'berthtest'], { timeout: 10_000 });
    for (const h of this.hosts) this.reconnect(h.index);
  }

  private dropFrom(h: NetHost, peer: string, hook: 'input' | 'output'): void {
    if (!this.nftHosts.has(h.index)) {
      const r = spawnSync('ip', ['netns', 'exec', h.ns, 'nft', '-f', '-'], {
        encoding: 'utf8', timeout: 10_000,
        input: 'table inet berthtest {\n chain input { type filter hook input priority 0; }\n chain output { type filter hook output priority 0; }\n}\n',
      });
      if (r.status !== 0) throw new Error(`nft in ${h.ns}: ${r.stderr}`);
      this.nftHosts.add(h.index);
    }
    const dir = hook === 'input' ? 'saddr' : 'daddr';
    const r = spawnSync('ip', ['netns', 'exec', h.ns, 'nft', 'add', 'rule', 'inet', 'berthtest', hook, 'ip', dir, peer, 'drop'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`nft rule in ${h.ns}: ${r.stderr}`);
  }

  // ---- processes ----

  /** Starts `node script args...` inside a host's namespace. */
  spawnNode(h: NetHost, script: string, args: string[], opts: { stdin?: boolean; onLine?: (line: string) => void; keepOutput?: boolean; netOnly?: boolean } = {}): NsProcess {
    if (this.destroyed) throw new Error('network destroyed');
    // `ip netns exec` also gives the process a mount namespace with a fresh /sys, which has
    // no cgroup mounts: a berthd that runs containers enters only the network namespace.
    const enter = opts.netOnly ? ['nsenter', `--net=/run/netns/${h.ns}`, '--'] : ['ip', 'netns', 'exec', h.ns];
    const proc = spawn(enter[0]!, [...enter.slice(1), process.execPath, script, ...args], {
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (proc.pid === undefined) throw new Error(`could not start ${script} in ${h.ns}`);
    let out = '';
    const keep = (s: string): void => {
      if (opts.keepOutput === false) return;
      out += s;
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    let partial = '';
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      if (opts.onLine) {
        partial += d;
        const lines = partial.split('\n');
        partial = lines.pop()!;
        for (const l of lines) opts.onLine(l);
      } else keep(d);
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => keep(d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    const p: NsProcess = {
      proc, pid: proc.pid, ns: h.ns, output: () => out, exited,
      alive: () => proc.exitCode === null && proc.signalCode === null,
    };
    this.procs.add(p);
    void exited.then(() => this.procs.delete(p));
    return p;
  }

  /** Waits until `ip netns exec` has exec'd node, so the pid is node's (SIGKILL hits the member). */
  static async waitExecd(p: NsProcess, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let exe = '';
      try {
        exe = fs.readlinkSync(`/proc/${p.pid}/exe`);
      } catch {
        /* not yet or gone */
      }
      if (exe === process.execPath || exe === fs.realpathSync(process.execPath)) return;
      if (!p.alive()) throw new Error(`process ${p.pid} in ${p.ns} exited:\n${p.output()}`);
      if (Date.now() > deadline) throw new Error(`process ${p.pid} in ${p.ns} is ${exe}, not node`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** kill -9, and wait until the process is gone. */
  static async kill9(p: NsProcess): Promise<void> {
    if (!p.alive()) return;
    await TestNetwork.waitExecd(p).catch(() => undefined);
    process.kill(p.pid, 'SIGKILL');
    await p.exited;
  }

  /** Kills every process still running, deletes the namespaces. Safe to call twice. */
  async destroy(): Promise<void> {
    const waits = [...this.procs].map((p) => {
      if (p.alive()) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      return Promise.race([p.exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
    });
    await Promise.all(waits);
    this.destroySync();
  }

  private destroySync(): void {
    this.destroyed = true;
    for (const p of this.procs) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const ns of this.namespaces.reverse()) spawnSync('ip', ['netns', 'delete', ns], { timeout: 20_000 });
    this.namespaces.length = 0;
  }
}
