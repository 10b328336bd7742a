/**
 * A real raft-store cluster for tests: one member process per test host (network
 * namespace, see netns.ts), data folders under /tmp/berth-test-*, and an agent process in
 * the client namespace that does all client traffic (test/raft-store/cluster-agent.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestNetwork } from './netns';
import type { NetHost, NsProcess } from './netns';
import { tempDir } from './berthd';

export const RAFT_STORE = path.join(path.dirname(require.resolve('@berth/raft-store/package.json')), 'dist', 'bin', 'raft-store.js');
const AGENT = path.join(__dirname, '..', 'raft-store', 'cluster-agent.js');

export interface MemberStatus {
  endpoint: string;
  memberId?: number;
  leader?: number;
  term?: number;
  commit?: number;
  applied?: number;
  isLearner?: boolean;
  error?: string;
}

export interface ClusterMember {
  id: number;
  host: NetHost;
  dataDir: string;
  proc?: NsProcess | undefined;
  /** Output of earlier runs of this member (kept for failure reports). */
  pastOutput: string;
  /** Removed from the cluster: no longer an endpoint. */
  removed?: boolean;
}

export interface ClusterOptions {
  size: number;
  name: string;
  tickMs?: number;
  electionTicks?: number;
  snapshotEntries?: number;
}

const PEER_PORT = 2380;
const CLIENT_PORT = 2379;

export class RaftCluster {
  readonly members = new Map<number, ClusterMember>();
  private agentProc: NsProcess | undefined;
  private nextReq = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly log: string[] = [];
  private readonly t0 = Date.now();

  private constructor(readonly net: TestNetwork, private readonly tmp: { dir: string; remove: () => void }, readonly opts: ClusterOptions) {}

  /** Makes the network and the data folders, starts the agent and the founding members. */
  static async start(opts: ClusterOptions): Promise<RaftCluster> {
    const tmp = tempDir(`raft-${opts.name}`);
    let net: TestNetwork;
    try {
      net = TestNetwork.create(opts.size);
    } catch (e) {
      tmp.remove();
      throw e;
    }
    const c = new RaftCluster(net, tmp, opts);
    try {
      for (const h of net.hosts) c.members.set(h.index, { id: h.index, host: h, dataDir: path.join(tmp.dir, `m${h.index}`), pastOutput: '' });
      await c.startAgent();
      for (const id of c.members.keys()) c.startMember(id);
      for (const id of c.members.keys()) await c.waitServing(id);
    } catch (e) {
      await c.destroy();
      throw e;
    }
    return c;
  }

  note(s: string): void {
    const line = `+${((Date.now() - this.t0) / 1000).toFixed(1)}s ${s}`;
    this.log.push(line);
    if (process.env.BERTH_TEST_VERBOSE) console.log(line);
  }

  peerAddr(id: number): string { return `${this.member(id).host.address}:${PEER_PORT}`; }
  clientAddr(id: number): string { return `${this.member(id).host.address}:${CLIENT_PORT}`; }

  member(id: number): ClusterMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** Client endpoints of the members in the cluster (running or not). */
  endpoints(): string[] {
    return [...this.members.values()].filter((m) => !m.removed).map((m) => this.clientAddr(m.id));
  }

  private founders(): string[] {
    return [...this.members.values()].filter((m) => m.id <= this.opts.size).flatMap((m) => ['--peer', `${m.id}=${this.peerAddr(m.id)}=${this.clientAddr(m.id)}`]);
  }

  /** A joining member is told where the current members are (`--join --peer ...`). */
  private joinPeers(self: number): string[] {
    return ['--join', ...[...this.members.values()].filter((m) => m.id !== self && !m.removed).flatMap((m) => ['--peer', `${m.id}=${this.peerAddr(m.id)}=${this.clientAddr(m.id)}`])];
  }

  /** Starts (or restarts) member id's process. A member above the founding size joins. */
  startMember(id: number): void {
    const m = this.member(id);
    if (m.proc?.alive()) throw new Error(`member ${id} is running`);
    if (m.proc) m.pastOutput += m.proc.output();
    fs.mkdirSync(m.dataDir, { recursive: true });
    const args = ['start', '--id', String(id), '--cluster', this.opts.name, '--data-dir', m.dataDir,
      '--peer-listen', this.peerAddr(id), '--client-listen', this.clientAddr(id),
      ...(id <= this.opts.size ? this.founders() : this.joinPeers(id)),
      '--tick-ms', String(this.opts.tickMs ?? 50), '--election-ticks', String(this.opts.electionTicks ?? 10),
      '--snapshot-entries', String(this.opts.snapshotEntries ?? 10_000)];
    m.proc = this.net.spawnNode(m.host, RAFT_STORE, args);
    this.note(`start member ${id} (pid ${m.proc.pid})`);
  }

  async waitServing(id: number, timeoutMs = 15_000): Promise<void> {
    const m = this.member(id);
    const deadline = Date.now() + timeoutMs;
    while (!/raft-store member \d+ of/.test(m.proc?.output() ?? '')) {
      if (!m.proc?.alive()) throw new Error(`member ${id} exited before serving:\n${m.proc?.output()}`);
      if (Date.now() > deadline) throw new Error(`member ${id} did not serve within ${timeoutMs} ms:\n${m.proc.output()}`);
      await sleep(20);
    }
    await TestNetwork.waitExecd(m.proc!);
  }

  async restart(id: number): Promise<void> {
    this.startMember(id);
    await this.waitServing(id);
  }

  /** kill -9 of the member's node process. */
  async kill9(id: number): Promise<void> {
    const m = this.member(id);
    if (!m.proc) return;
    const pid = m.proc.pid;
    const exe = fs.readlinkSync(`/proc/${pid}/exe`);
    if (exe !== process.execPath && exe !== fs.realpathSync(process.execPath)) throw new Error(`pid ${pid} of member ${id} is ${exe}, not node`);
    await TestNetwork.kill9(m.proc);
    const e = await m.proc.exited;
    this.note(`kill -9 member ${id} (pid ${pid}): ${e.signal ?? e.code}`);
  }

  /** Members whose process exited on its own (not killed by the test). */
  crashed(): Array<{ id: number; output: string }> {
    return [...this.members.values()].filter((m) => m.proc && !m.proc.alive() && m.proc.proc.signalCode !== 'SIGKILL')
      .map((m) => ({ id: m.id, output: m.proc!.output() }));
  }

  // ---- the agent ----

  private async startAgent(): Promise<void> {
    let ready!: () => void;
    const isReady = new Promise<void>((r) => { ready = r; });
    this.agentProc = this.net.spawnNode(this.net.client, AGENT, [], {
      stdin: true,
      onLine: (line) => {
        let msg: { id?: number; ok?: boolean; result?: unknown; error?: string; ready?: boolean };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          return;
        }
        if (msg.ready) ready();
        if (msg.id === undefined) return;
        const w = this.waiting.get(msg.id);
        if (!w) return;
        this.waiting.delete(msg.id);
        if (msg.ok) w.resolve(msg.result);
        else w.reject(new Error(msg.error));
      },
    });
    void this.agentProc.exited.then((e) => {
      for (const w of this.waiting.values()) w.reject(new Error(`cluster agent exited (${e.signal ?? e.code}):\n${this.agentProc?.output()}`));
      this.waiting.clear();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`agent did not start:\n${this.agentProc?.output()}`)), 15_000);
    });
    await Promise.race([isReady, timeout]).finally(() => clearTimeout(timer));
  }

  /** Sends a command to the agent in the client namespace. */
  agent<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const p = this.agentProc;
    if (!p?.alive()) return Promise.reject(new Error('cluster agent is not running'));
    const id = this.nextReq++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      p.proc.stdin!.write(`${JSON.stringify({ id, cmd, endpoints: this.endpoints(), ...args })}\n`);
    });
  }

  /**
   * A membership change, sent to the leader's endpoint (as an operator would); retried while
   * the leader changes or refuses (e.g. a change still pending).
   */
  async memberOp<T>(action: string, arg?: string | number, attempts = 20): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const leader = await this.waitLeader();
      try {
        return await this.agent<T>('member', { action, arg, endpoint: this.clientAddr(leader), timeoutMs: 5_000 });
      } catch (e) {
        this.note(`member ${action} ${arg ?? ''} at leader ${leader}: ${(e as Error).message}`);
        if (attempt >= attempts) throw e;
        await sleep(300);
      }
    }
  }

  status(ids = [...this.members.keys()], timeoutMs = 1_000): Promise<MemberStatus[]> {
    return this.agent<MemberStatus[]>('status', { endpoints: ids.map((id) => this.clientAddr(id)), timeoutMs });
  }

  /**
   * Waits for a leader that the given members (default: all running, not removed) agree on,
   * and returns its id.
   */
  async waitLeader(among?: number[], timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last: MemberStatus[] = [];
    for (;;) {
      const ids = among ?? [...this.members.values()].filter((m) => !m.removed && m.proc?.alive()).map((m) => m.id);
      last = await this.status(ids);
      const leaders = new Set(last.map((s) => s.leader ?? -1));
      const leader = last[0]?.leader ?? 0;
      if (leaders.size === 1 && leader > 0 && ids.includes(leader) && last.every((s) => s.term === last[0]!.term)) return leader;
      if (Date.now() > deadline) throw new Error(`no agreed leader among ${ids.join(',')} within ${timeoutMs} ms: ${JSON.stringify(last)}`);
      await sleep(100);
    }
  }

  /** Waits until every given member has applied at least the leader's commit index. */
  async waitCaughtUp(ids: number[], timeoutMs = 20_000): Promise<MemberStatus[]> {
    const deadline = Date.now() + timeoutMs;
    const leader = await this.waitLeader(undefined, timeoutMs);
    const target = (await this.status([leader]))[0]!.commit ?? 0;
    for (;;) {
      const st = await this.status(ids);
      if (st.every((s) => (s.applied ?? -1) >= target)) return st;
      if (Date.now() > deadline) throw new Error(`members ${ids.join(',')} did not apply ${target} within ${timeoutMs} ms: ${JSON.stringify(st)}`);
      await sleep(100);
    }
  }

  /** What the members printed, for failure reports. */
  outputs(): string {
    return [...this.members.values()].map((m) => `--- member ${m.id} ---\n${(m.pastOutput + (m.proc?.output() ?? '')).slice(-4000)}`).join('\n')
      + `\n--- agent ---\n${this.agentProc?.output().slice(-4000) ?? ''}\n--- events ---\n${this.log.join('\n')}`;
  }

  /** Kills every process, deletes the namespaces and the data folders. */
  async destroy(): Promise<void> {
    try {
      this.agentProc?.proc.stdin?.end();
    } catch {
      /* gone */
    }
    await this.net.destroy();
    this.tmp.remove();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
