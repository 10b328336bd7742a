/**
 * The runc driver: OCI bundles under <data>/bundles/<name>, runc's state under <data>/runc,
 * cgroups under the agent's parent. Containers are created detached (`runc create` +
 * `runc start`), so they outlive the agent; a new driver over the same data folder finds
 * them again (list/state read runc's root and the bundles).
 *
 * A container the driver knows is: a bundle folder (config.json, berth.json, console.log)
 * and, while Created/Running/Frozen, runc's state entry. Stopped = bundle without a runc
 * entry (stop() deletes runc's entry: runc cannot start a stopped container again).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { HostCapabilities } from '../capabilities/types';
import { AlreadyExistsError, FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError, NotSupportedError } from '../errors';
import { criuFilePoolLib, criuLazyConnectLib, criuPipeClampLib, criuTcpPushLib, timensExecHelper, toolEnv } from '../host/paths';
import { FilePool } from '../host/file-pool';
import { runTool } from '../host/run';
import type { ToolResult } from '../host/run';
import { Reverter } from '../reverter';
import { closeStaleUffdWindow, LAZY_SOCKET, reapGroup, recordGroup, removeRestoreWork, startLazyDaemon, sweepRestoreWork, withUffdWindow } from './lazy';
import { describeExit, runWatched, waitFor } from './watched';
import { criuToolEnv } from './criu-env';
import { lateFreeze } from './late-freeze';
import type { LateFreeze } from './late-freeze';
import { criuConfig, criuLogErrors, criuTlsLines } from './page-server';
import type { PageServerTarget } from './page-server';
import { buildConfig, cgroupsPathOf, checkName, DEFAULT_IDMAP_BASE, DEFAULT_IDMAP_SIZE, execProcess, hostRootIds, ociResources } from './bundle';
import type { OciConfig } from './bundle';
import { shiftOwnership } from './idmap';
import type { BlkioThrottle, ContainerSpec, DriverInfo, ExecProcess, ExecResult, ExecSpec, FrozenBy, LazyPulling, LazyServing, Limits, RuntimeDriver, RuntimeState, RuntimeStatus, StopOptions } from './types';

export interface RuncDriverOptions {
  /** The agent's data folder: runc's root is <dataDir>/runc, bundles <dataDir>/bundles. */
  dataDir: string;
  /** Absolute cgroup parent for this agent's containers ("/berth-<agent>", "/berth-test-..."). */
  cgroupParent: string;
  /** Host uid/gid that container root maps to (default 1000000), and the range size (65536). */
  idmapBase?: number;
  idmapSize?: number;
  /** The runc binary (default "runc" from toolEnv()'s PATH). */
  runc?: string;
  /** The host's capability report; info() uses it instead of probing. */
  capabilities?: HostCapabilities;
}

/** What create() records next to config.json. */
interface BundleRecord {
  spec: ContainerSpec;
  /** The rootfs was owned by host root and create() shifted it into this range. */
  shifted?: { from: number; to: number; size: number };
  createdAtUnixMs: number;
}

interface RuncState {
  id: string;
  pid: number;
  status: string;
  bundle: string;
}

const POLL_MS = 25;
/** How long create(start) watches a new init for dying at once (it is up earlier once it sleeps). */
const SETTLE_MS = 100;
const KILL_WAIT_MS = 5_000;

export class RuncDriver implements RuntimeDriver {
  readonly name = 'runc';
  readonly root: string;
  readonly bundlesDir: string;
  private readonly runcBin: string;
  private readonly idmapBase: number;
  private readonly idmapSize: number;
  private infoCache: DriverInfo | undefined;

  constructor(private readonly opts: RuncDriverOptions) {
    if (!path.isAbsolute(opts.dataDir)) throw new InvalidArgumentError('dataDir', 'must be absolute');
    if (!opts.cgroupParent.startsWith('/')) throw new InvalidArgumentError('cgroupParent', 'must be absolute, e.g. /berth-node1');
    this.root = path.join(opts.dataDir, 'runc');
    this.bundlesDir = path.join(opts.dataDir, 'bundles');
    this.runcBin = opts.runc ?? 'runc';
    this.idmapBase = opts.idmapBase ?? DEFAULT_IDMAP_BASE;
    this.idmapSize = opts.idmapSize ?? DEFAULT_IDMAP_SIZE;
    closeStaleUffdWindow(this.uffdMarker());
    sweepRestoreWork(path.join(this.opts.dataDir, 'lazy-restore'));
  }

  /** Says a userfaultfd window of this berthd is open (lazy.ts). */
  private uffdMarker(): string {
    return path.join(this.opts.dataDir, '.uffd-window');
  }

  info(): DriverInfo {
    if (this.infoCache) return this.infoCache;
    const caps = this.opts.capabilities;
    let info: DriverInfo;
    if (caps) {
      const why: string[] = [];
      if (!caps.runc.available) why.push(`runc: ${caps.runc.detail}`);
      if (caps.cgroups.layout === 'none') why.push('no cgroup filesystem mounted');
      info = { usable: why.length === 0, reason: why.join('; ') || caps.runc.detail, version: caps.runc.version };
    } else {
      const r = spawnSync(this.runcBin, ['--version'], { encoding: 'utf8', env: toolEnv(), timeout: 10_000 });
      const version = /runc version (\S+)/.exec(r.stdout ?? '')?.[1] ?? '';
      info = r.status === 0
        ? { usable: true, reason: (r.stdout ?? '').trim().split('\n').join('; '), version }
        : { usable: false, reason: `${this.runcBin} --version: ${r.error ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : `exit ${r.status}: ${(r.stderr ?? '').trim()}`}`, version: '' };
    }
    this.infoCache = info;
    return info;
  }

  bundleDir(name: string): string {
    return path.join(this.bundlesDir, name);
  }

  consoleLogPath(name: string): string {
    return path.join(this.bundleDir(name), 'console.log');
  }

  /** The container's cgroup folder for one v1 controller (or the v2 tree), '' if unmounted. */
  cgroupDir(name: string, controller: string): string {
    const mount = cgroupMounts().get(controller);
    return mount ? path.join(mount, cgroupsPathOf(this.opts.cgroupParent, name)) : '';
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /**
   * Writes the bundle and creates the container. With `start`, init runs when this returns:
   * one `runc run --detach` instead of `runc create` + `runc start` (one runc process less;
   * the container is as detached, with the same console). A failed create leaves nothing.
   */
  async create(spec: ContainerSpec, opts: { start?: boolean } = {}): Promise<void> {
    const config = buildConfig(spec, this.bundleOptions());
    this.checkHostSupports(spec.limits ?? {});
    const dir = this.bundleDir(spec.name);
    if (fs.existsSync(dir) || (await this.runcState(spec.name))) throw new AlreadyExistsError(`container ${spec.name} already exists`);
    const rootStat = await fsp.stat(spec.rootfs).catch(() => undefined);
    if (!rootStat?.isDirectory()) throw new InvalidArgumentError('rootfs', `${spec.rootfs} is not a folder`);
    if (!spec.privileged) await checkTraversable(spec.rootfs);

    const revert = new Reverter();
    try {
      await fsp.mkdir(this.bundlesDir, { recursive: true, mode: 0o711 });
      await fsp.mkdir(this.root, { recursive: true, mode: 0o700 });
      await fsp.mkdir(dir, { mode: 0o711 });
      revert.add(() => fsp.rm(dir, { recursive: true, force: true }));

      const record: BundleRecord = { spec, createdAtUnixMs: Date.now() };
      if (!spec.privileged && spec.shiftRootfs !== false) {
        const target = hostRootIds(spec, this.bundleOptions());
        if (rootStat.uid === 0 && target.uid !== 0) {
          const range = { from: 0, to: target.uid, size: this.idmapSize };
          await shiftOwnership(spec.rootfs, range);
          revert.add(async () => { await shiftOwnership(spec.rootfs, { from: range.to, to: 0, size: range.size }); });
          record.shifted = range;
        } else if (rootStat.uid !== target.uid) {
          throw new FailedPreconditionError(`rootfs ${spec.rootfs} is owned by uid ${rootStat.uid}, neither host root (to shift) nor the container's root ${target.uid}`);
        }
      }
      await fsp.writeFile(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
      await fsp.writeFile(path.join(dir, 'berth.json'), JSON.stringify(record, null, 2));
      if (opts.start) {
        const pid = await this.runcCreate(spec.name, revert, spec.console, true);
        // runc run -d returns once init has been exec'd; one that dies at once is a failed start.
        // Checked on /proc (the pid runc wrote) rather than with one more runc process: up once
        // it sleeps (waits for something, as an init does when its start is done).
        if (!(await settles(pid, SETTLE_MS))) throw new InternalError(`container ${spec.name} did not stay up (init pid ${pid} exited); console: ${await this.consoleTail(spec.name)}`);
      } else {
        await this.runcCreate(spec.name, revert, spec.console);
      }
      revert.success();
    } finally {
      await revert.fail();
    }
  }

  async start(name: string): Promise<void> {
    checkName(name);
    const revert = new Reverter();
    try {
      let st = await this.runcState(name);
      if (!st) {
        this.requireBundle(name);
        await this.runcCreate(name, revert);
        st = await this.runcState(name);
      }
      if (st?.status !== 'created') throw new FailedPreconditionError(`container ${name} is ${st?.status ?? 'gone'}, not created/stopped`);
      // A failed start leaves the container Stopped: no process, no runc state, no cgroup.
      revert.add(() => this.removeCgroups(name));
      revert.add(async () => { await this.runc(['delete', '--force', name]); });
      const r = await this.runc(['start', name]);
      if (r.code !== 0) throw this.toolError(`runc start ${name}`, r, name);
      // runc start returns once init has been exec'd; one that dies at once is a failed start.
      const after = await this.runcState(name);
      if (after?.status !== 'running') {
        throw new InternalError(`container ${name} did not stay up (${after?.status ?? 'gone'}); console: ${await this.consoleTail(name)}`);
      }
      revert.success();
    } finally {
      await revert.fail();
    }
  }

  async stop(name: string, opts: StopOptions): Promise<void> {
    checkName(name);
    let st = await this.runcState(name);
    if (!st) {
      this.requireBundle(name);
      return; // already stopped
    }
    if (st.status === 'paused') {
      // A frozen task gets no signal, not even SIGKILL, until thawed. A forced stop queues
      // SIGKILL first (runc freezes, signals every task, thaws): no task runs one more user
      // instruction (a frozen copy whose instance runs elsewhere now must not, post-copy).
      if (opts.force) await this.runc(['kill', '--all', name, 'SIGKILL']);
      if ((await this.runcState(name))?.status === 'paused') await this.unfreeze(name);
      st = (await this.runcState(name)) ?? st;
    }
    if (st.status === 'running' && st.pid > 0) {
      let down = false;
      if (!opts.force) {
        const sig = this.readRecord(name)?.spec.stopSignal ?? 'SIGUSR2';
        const r = await this.runc(['kill', name, sig]);
        if (r.code === 0) down = await waitGone(st.pid, opts.timeoutMs);
      }
      if (!down) {
        await this.runc(['kill', '--all', name, 'SIGKILL']);
        if (!(await waitGone(st.pid, KILL_WAIT_MS))) throw new InternalError(`container ${name}: init (pid ${st.pid}) survived SIGKILL for ${KILL_WAIT_MS} ms`);
      }
    }
    const r = await this.runc(['delete', '--force', name]);
    if (r.code !== 0 && !/does not exist/.test(r.stderr)) throw this.toolError(`runc delete ${name}`, r, name);
  }

  async restart(name: string, opts: StopOptions): Promise<void> {
    await this.stop(name, opts);
    await this.start(name);
  }

  async delete(name: string): Promise<void> {
    checkName(name);
    const known = (await this.runcState(name)) !== undefined;
    const dir = this.bundleDir(name);
    if (!known && !fs.existsSync(dir)) throw new NotFoundError(`container ${name} not found`);
    if (known) {
      const r = await this.runc(['delete', '--force', name]);
      if (r.code !== 0 && !/does not exist/.test(r.stderr)) throw this.toolError(`runc delete -f ${name}`, r, name);
    }
    await fsp.rm(dir, { recursive: true, force: true });
  }

  async rename(from: string, to: string): Promise<void> {
    checkName(from, 'from');
    checkName(to, 'to');
    this.requireBundle(from);
    if (await this.runcState(from)) throw new FailedPreconditionError(`container ${from} must be stopped to be renamed`);
    if (fs.existsSync(this.bundleDir(to)) || (await this.runcState(to))) throw new AlreadyExistsError(`container ${to} already exists`);
    const revert = new Reverter();
    try {
      await fsp.rename(this.bundleDir(from), this.bundleDir(to));
      revert.add(() => fsp.rename(this.bundleDir(to), this.bundleDir(from)));
      const dir = this.bundleDir(to);
      const config = this.readConfig(to);
      const oldConfig = JSON.stringify(config, null, 2);
      config.linux['cgroupsPath'] = cgroupsPathOf(this.opts.cgroupParent, to);
      await fsp.writeFile(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
      revert.add(() => fsp.writeFile(path.join(dir, 'config.json'), oldConfig));
      const record = this.readRecord(to);
      if (record) {
        record.spec.name = to;
        await fsp.writeFile(path.join(dir, 'berth.json'), JSON.stringify(record, null, 2));
      }
      revert.success();
    } finally {
      await revert.fail();
    }
  }

  async freeze(name: string): Promise<void> {
    await this.simple(name, 'pause', 'running');
  }

  async unfreeze(name: string): Promise<void> {
    await this.simple(name, 'resume', 'paused');
  }

  async update(name: string, limits: Limits): Promise<void> {
    const resources = ociResources(limits);
    this.checkHostSupports(limits);
    const st = await this.runcState(name);
    if (st && st.status !== 'stopped') {
      const r = await this.runc(['update', '--resources', '-', name], JSON.stringify(resources));
      if (r.code !== 0) throw this.toolError(`runc update ${name}`, r, name);
      // runc 1.1's update leaves I/O throttles alone (seen here: the cgroup kept the old rate),
      // so they are written to the cgroup directly; a rate of 0 removes the device's throttle.
      if (limits.blkio?.length) await this.writeBlkioThrottles(name, limits.blkio);
    } else {
      this.requireBundle(name);
    }
    // The bundle keeps the new limits for the next start.
    const config = this.readConfig(name);
    const cur = (config.linux['resources'] ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(resources)) cur[k] = { ...((cur[k] as object | undefined) ?? {}), ...(v as object) };
    config.linux['resources'] = cur;
    await fsp.writeFile(path.join(this.bundleDir(name), 'config.json'), JSON.stringify(config, null, 2));
    const record = this.readRecord(name);
    if (record) {
      record.spec.limits = { ...(record.spec.limits ?? {}), ...limits };
      await fsp.writeFile(path.join(this.bundleDir(name), 'berth.json'), JSON.stringify(record, null, 2));
    }
  }

  /** cgroup v1 blkio.throttle.*_device of a running container (the driver runs on v1 controllers). */
  private async writeBlkioThrottles(name: string, throttles: BlkioThrottle[]): Promise<void> {
    const dir = this.cgroupDir(name, 'blkio');
    if (!dir) throw new NotSupportedError('cgroup.blkio', 'the blkio cgroup is not mounted');
    const files: Array<[keyof BlkioThrottle, string]> = [['readBps', 'read_bps_device'], ['writeBps', 'write_bps_device'], ['readIops', 'read_iops_device'], ['writeIops', 'write_iops_device']];
    for (const t of throttles) {
      for (const [k, file] of files) {
        if (t[k] === undefined) continue;
        try {
          await fsp.writeFile(path.join(dir, `blkio.throttle.${file}`), `${t.major}:${t.minor} ${t[k]}`);
        } catch (e) {
          throw new InternalError(`container ${name}: writing ${t.major}:${t.minor} ${t[k]} to blkio.throttle.${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
      }
    }
  }

  // ---- observation ----------------------------------------------------------------------

  async state(name: string): Promise<RuntimeState> {
    checkName(name);
    const st = await this.runcState(name);
    if (!st) {
      this.requireBundle(name);
      return { name, status: 'Stopped', pid: 0, cpuNs: 0, memoryBytes: 0, processes: 0 };
    }
    return this.describe(name, st);
  }

  async list(): Promise<RuntimeState[]> {
    const r = await this.runc(['list', '--format', 'json']);
    if (r.code !== 0) throw this.toolError('runc list', r);
    const entries = (JSON.parse(r.stdout.trim() || 'null') as RuncState[] | null) ?? [];
    const out = new Map<string, RuntimeState>();
    for (const e of entries) {
      const s = await this.describe(e.id, e);
      if (path.resolve(e.bundle) !== this.bundleDir(e.id)) {
        s.status = 'Unknown';
        s.detail = `runc's bundle ${e.bundle} is not this agent's ${this.bundleDir(e.id)}`;
      }
      out.set(e.id, s);
    }
    let bundles: string[] = [];
    try {
      bundles = await fsp.readdir(this.bundlesDir);
    } catch { /* none yet */ }
    for (const b of bundles) {
      if (out.has(b)) continue;
      const ok = fs.existsSync(path.join(this.bundleDir(b), 'config.json'));
      out.set(b, ok
        ? { name: b, status: 'Stopped', pid: 0, cpuNs: 0, memoryBytes: 0, processes: 0 }
        : { name: b, status: 'Unknown', pid: 0, cpuNs: 0, memoryBytes: 0, processes: 0, detail: 'bundle folder without config.json (an interrupted create?)' });
    }
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  // ---- exec -------------------------------------------------------------------------------

  exec(name: string, p: ExecSpec): ExecProcess {
    checkName(name);
    return new RuncExec(this, name, p);
  }

  /** @internal for RuncExec: checks the container is running and writes a process.json. */
  prepareExec(name: string, p: ExecSpec): { processFile: string; logFile: string; pidFile: string; timensHelper: string | undefined } {
    this.requireBundle(name);
    const stateFile = path.join(this.root, name, 'state.json');
    if (!fs.existsSync(stateFile)) throw new FailedPreconditionError(`container ${name} is not running`);
    const config = this.readConfig(name);
    const proc = execProcess(config, p);
    // In a time namespace of init's own, the process starts as berth-timens-exec, handed to it
    // at TIMENS_FD, which joins that namespace and executes the command (initHasOwnTimeNamespace).
    // Not in a privileged container: without a user namespace of its own its processes lack
    // CAP_SYS_ADMIN over that namespace (they stay outside it, as before).
    const ownUserNs = ((config.linux['namespaces'] ?? []) as Array<{ type: string }>).some((n) => n.type === 'user');
    const timensHelper = ownUserNs && initHasOwnTimeNamespace(stateFile) ? timensExecHelper() : undefined;
    if (timensHelper) proc['args'] = [`/proc/self/fd/${TIMENS_FD}`, ...p.args];
    const id = randomBytes(6).toString('hex');
    const processFile = path.join(this.bundleDir(name), `exec-${id}.json`);
    fs.writeFileSync(processFile, JSON.stringify(proc));
    return { processFile, logFile: path.join(this.bundleDir(name), `exec-${id}.log`), pidFile: path.join(this.bundleDir(name), `exec-${id}.pid`), timensHelper };
  }

  /** @internal */
  runcArgs(args: string[]): string[] {
    return ['--root', this.root, ...args];
  }

  /** @internal */
  get runcPath(): string {
    return this.runcBin;
  }

  // ---- internals --------------------------------------------------------------------------

  private bundleOptions(): { cgroupParent: string; idmapBase: number; idmapSize: number } {
    return { cgroupParent: this.opts.cgroupParent, idmapBase: this.idmapBase, idmapSize: this.idmapSize };
  }

  private checkHostSupports(l: Limits): void {
    const need = (controller: string, file: string, capability: string): void => {
      const mount = cgroupMounts().get(controller);
      if (!mount || !fs.existsSync(path.join(mount, file))) throw new NotSupportedError(capability, `${controller} cgroup ${mount ? `has no ${file}` : 'is not mounted'}`);
    };
    if (l.memoryBytes !== undefined) need('memory', 'memory.limit_in_bytes', 'cgroup.memory');
    if (l.memorySwapBytes !== undefined) need('memory', 'memory.memsw.limit_in_bytes', 'cgroup.memory.swap');
    if (l.processes !== undefined) need('pids', 'cgroup.procs', 'cgroup.pids');
    if (l.cpuQuotaUs !== undefined) need('cpu', 'cpu.cfs_quota_us', 'cgroup.cpu');
    if (l.cpuset !== undefined) need('cpuset', 'cpuset.cpus', 'cgroup.cpuset');
    if (l.blkio?.length) need('blkio', 'blkio.throttle.io_serviced', 'cgroup.blkio');
  }

  private requireBundle(name: string): void {
    if (!fs.existsSync(path.join(this.bundleDir(name), 'config.json'))) throw new NotFoundError(`container ${name} not found`);
  }

  private readConfig(name: string): OciConfig {
    this.requireBundle(name);
    return JSON.parse(fs.readFileSync(path.join(this.bundleDir(name), 'config.json'), 'utf8')) as OciConfig;
  }

  private readRecord(name: string): BundleRecord | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.bundleDir(name), 'berth.json'), 'utf8')) as BundleRecord;
    } catch {
      return undefined;
    }
  }

  /**
   * `runc create` with init's stdio on the console log. runc create exits once init waits
   * on its exec fifo; init keeps the log file descriptors, so no pipe of ours stays open.
   */
  private async runcCreate(name: string, revert: Reverter, consoleMode?: ContainerSpec['console'], run = false): Promise<number> {
    const dir = this.bundleDir(name);
    const logFd = (consoleMode ?? this.readRecord(name)?.spec.console) === 'none' ? fs.openSync('/dev/null', 'w') : fs.openSync(this.consoleLogPath(name), 'a', 0o640);
    revert.add(() => this.removeCgroups(name));
    revert.add(async () => { await this.runc(['delete', '--force', name]); });
    const pidFile = path.join(dir, 'init.pid');
    let r: { code: number | null; error?: string };
    try {
      r = await new Promise((resolve) => {
        const args = run ? ['run', '--detach', '--pid-file', pidFile, '--bundle', dir, name] : ['create', '--bundle', dir, name];
        const child = spawn(this.runcBin, this.runcArgs(args), { env: toolEnv(), stdio: ['ignore', logFd, logFd], cwd: dir });
        child.on('error', (e: NodeJS.ErrnoException) => resolve({ code: null, error: e.code ?? e.message }));
        child.on('exit', (code) => resolve({ code }));
      });
    } finally {
      fs.closeSync(logFd);
    }
    if (r.code !== 0) {
      throw new InternalError(`runc ${run ? 'run' : 'create'} ${name} failed (${r.error ?? `exit ${r.code}`}): ${await this.consoleTail(name)}`);
    }
    if (!run) return 0;
    const pid = Number((await fsp.readFile(pidFile, 'utf8').catch(() => '')).trim());
    await fsp.rm(pidFile, { force: true });
    return pid;
  }

  async checkpoint(name: string, imageDir: string, opts: { leaveRunning: boolean; pageServer?: PageServerTarget | undefined; freezeFirst?: boolean; onFrozen?: (by: FrozenBy) => void }): Promise<void> {
    checkName(name);
    if (opts.freezeFirst && !opts.leaveRunning) throw new InternalError('checkpoint: freezeFirst needs leaveRunning');
    const st = await this.runcState(name);
    // A frozen container may be dumped and left as it is (a live move to a page server).
    if (st?.status !== 'running' && !(st?.status === 'paused' && opts.leaveRunning)) throw new FailedPreconditionError(`container ${name} must be running to be checkpointed (it is ${st?.status ?? 'stopped'})`);
    const { rec, work } = await this.checkpointFolders(name, imageDir);
    let late: LateFreeze | undefined;
    let pool: CriuFilePool | undefined;
    try {
      const ps = opts.pageServer;
      const args = ['checkpoint', '--image-path', imageDir, '--work-path', work, ...(opts.leaveRunning ? ['--leave-running'] : []), ...(ps ? ['--page-server', `${ps.address}:${ps.port}`] : []), name];
      // runc has no TLS options for the page server: CRIU reads them from this file (page-server.ts).
      // CRIU's corked client socket would hold the dump's last command back 0.2 s: pushed (paths.ts).
      const push = ps ? criuTcpPushLib() : undefined;
      // Frozen as late as can be: by CRIU's preloaded helper when CRIU is about to freeze it
      // (late-freeze.ts), else here, after the checks and files above, before runc starts.
      late = opts.freezeFirst && st?.status === 'running' ? await lateFreeze(this.cgroupDir(name, 'freezer'), work, this.opts.dataDir) : undefined;
      // A live move's images: files of a pool made now, before the freeze (criuFilePool). Its
      // library goes before criu-late-freeze.so, whose openat does not pass calls on.
      pool = opts.freezeFirst ? await criuFilePool(imageDir).catch(() => undefined) : undefined;
      const env = await this.criuEnv(work, ps ? criuTlsLines(ps) : [], [push, pool?.lib, late?.lib], { ...late?.env, ...pool?.env });
      if (opts.freezeFirst && st?.status === 'running' && !late) {
        const p = await this.runc(['pause', name]);
        if (p.code !== 0) throw this.toolError(`runc pause ${name}`, p, name);
      }
      if (opts.freezeFirst && !late) opts.onFrozen?.('pause');
      void late?.frozen.then(() => opts.onFrozen?.('criu'));
      // (Over the network a dump may take longer than a local one: 120 s.)
      const r = await this.runc(args, undefined, { env, timeoutMs: ps ? 120_000 : 30_000 });
      if (r.code !== 0) {
        await fsp.rm(imageDir, { recursive: true, force: true });
        throw new InternalError(`runc checkpoint ${name} failed: ${criuLogErrors(path.join(work, 'dump.log')) || r.stderr.trim()}`);
      }
      if (late) await this.heldFrozen(name, late, imageDir, true);
      // The restore runs inside the container's user namespace: its root must read the images.
      // Owning them is not always enough (CRIU sometimes opens an image as another id of the
      // namespace; seen as EACCES on timens-0.img under load), so they are readable by all;
      // the folder above is searchable but not listable by others.
      const owner = rec.spec.privileged ? { uid: 0, gid: 0 } : hostRootIds(rec.spec, this.bundleOptions());
      await chownTree(imageDir, owner.uid, owner.gid);
      await chmodTree(imageDir);
    } finally {
      late?.close();
      await pool?.dispose();
      await fsp.rm(work, { recursive: true, force: true });
    }
    if (!opts.leaveRunning) await this.removeCgroups(name);
  }

  /**
   * A dump with a late freeze: the helper must have said it froze the container when CRIU
   * opened its freezer to freeze it, so that CRIU took FROZEN for the state it found and puts
   * it back at the end (a lazy dump holds the processes stopped under ptrace, freezer thawed,
   * until its page server is done, then freezes them again). `ended` (the dump is over): the
   * container must be frozen now too. Otherwise the helper missed CRIU's freeze and CRIU
   * thaws the processes after the dump, so the images are of a moment the instance runs past:
   * they are dropped and the dump fails (the caller thaws the instance, which runs on here).
   */
  private async heldFrozen(name: string, late: LateFreeze, imageDir: string, ended: boolean): Promise<void> {
    // (The helper's notice came long before; its connection may wait for this event loop.)
    if (!late.heard()) await Promise.race([late.frozen, new Promise((r) => setTimeout(r, 1000))]);
    const now = ended ? (await this.runcState(name))?.status : 'paused';
    if (now !== 'paused' || !late.heard()) {
      await fsp.rm(imageDir, { recursive: true, force: true });
      throw new InternalError(`runc checkpoint ${name}: the container was not held frozen for the dump (it is ${now ?? 'gone'}; criu-late-freeze.so ${late.heard() ? 'froze it' : 'never saw CRIU freeze it'}); its images are dropped`);
    }
  }

  async prepareCriu(): Promise<void> {
    await criuLockLines();
  }

  /**
   * Before a dump: the container must keep no console log (CRIU cannot dump the host file init
   * holds); `imageDir` made empty, and its work folder `<imageDir>.work` beside it.
   */
  private async checkpointFolders(name: string, imageDir: string): Promise<{ rec: BundleRecord; work: string }> {
    const rec = this.readRecord(name);
    if (rec?.spec.console !== 'none') {
      throw new FailedPreconditionError(`container ${name} keeps a console log held by init, which CRIU cannot dump; create it with console "none" (berth: migration.stateful=true)`);
    }
    await fsp.rm(imageDir, { recursive: true, force: true });
    // The folders above the images must be searchable by the container's root (it restores
    // them from inside its user namespace); the images themselves become its own.
    await fsp.mkdir(path.dirname(imageDir), { recursive: true, mode: 0o711 });
    await fsp.mkdir(imageDir, { mode: 0o700 });
    const work = `${imageDir}.work`;
    await fsp.rm(work, { recursive: true, force: true });
    await fsp.mkdir(work, { recursive: true, mode: 0o700 });
    return { rec, work };
  }

  async checkpointLazy(name: string, imageDir: string, opts: { serve: PageServerTarget; onFrozen?: (by: FrozenBy) => void }): Promise<LazyServing> {
    checkName(name);
    const clamp = criuPipeClampLib();
    if (!clamp) throw new NotSupportedError('criu.lazyPages', 'criu-pipe-clamp.so is not built (deploy/setup-host builds it): CRIU\'s lazy page server fails without it here');
    const st = await this.runcState(name);
    if (st?.status !== 'running') throw new FailedPreconditionError(`container ${name} must be running to be checkpointed (it is ${st?.status ?? 'stopped'})`);
    const { rec, work } = await this.checkpointFolders(name, imageDir);
    let late: LateFreeze | undefined;
    let pool: CriuFilePool | undefined;
    const dropWork = async (): Promise<void> => {
      late?.close();
      await pool?.dispose();
      await fsp.rm(work, { recursive: true, force: true });
    };
    // The page server's side of TLS: the client's certificate must come from the CA; its name
    // cannot be checked (CRIU's server would compare it with its own address): no-cn-verify.
    const push = criuTcpPushLib();
    // Frozen by CRIU's preloaded helper when CRIU is about to (late-freeze.ts), else paused first.
    late = await lateFreeze(this.cgroupDir(name, 'freezer'), work, this.opts.dataDir);
    pool = await criuFilePool(imageDir).catch(() => undefined);
    const env = await this.criuEnv(work, criuTlsLines({ ...opts.serve, verifyName: false }), [clamp, push, pool?.lib, late?.lib], { ...late?.env, ...pool?.env });
    // runc wants a status fd it can write: a file, read back for CRIU's one byte.
    const statusFile = path.join(work, 'status');
    const statusFd = fs.openSync(statusFile, 'a', 0o600);
    let tool: ReturnType<typeof runWatched>;
    try {
      if (late) {
        void late.frozen.then(() => opts.onFrozen?.('criu'));
      } else {
        const p = await this.runc(['pause', name]);
        if (p.code !== 0) throw this.toolError(`runc pause ${name}`, p, name);
        opts.onFrozen?.('pause');
      }
      // --leave-running: CRIU's page server takes a clean close of its connection for the end
      // of the transfer, pulled or not (measured: a target that refused the source's certificate
      // got nothing, and CRIU ended the processes all the same). So they stay, frozen as they
      // were found, until the caller hears from the target that every page arrived.
      tool = runWatched(this.runcBin, this.runcArgs(['checkpoint', '--lazy-pages', '--leave-running', '--page-server', `${opts.serve.address}:${opts.serve.port}`, '--status-fd', '3',
        '--image-path', imageDir, '--work-path', work, name]), { env, fds: [statusFd] });
    } catch (e) {
      await dropWork();
      throw e;
    } finally {
      fs.closeSync(statusFd);
    }
    const group = `${imageDir}.pgid`;
    recordGroup(group, tool.pid);
    const why = async (): Promise<string> => {
      const r = await tool.exit;
      return `runc checkpoint --lazy-pages ${name} ${describeExit(r)}: ${criuLogErrors(path.join(work, 'dump.log')) || 'no error logged'}`;
    };
    /** The dump is given up: runc and CRIU ended, their folders and the images gone. */
    const abandon = async (e: Error): Promise<never> => {
      tool.kill();
      await tool.exit;
      reapGroup(group);
      await dropWork();
      await fsp.rm(imageDir, { recursive: true, force: true });
      throw e;
    };
    const ready = await waitFor(() => fs.statSync(statusFile).size > 0, tool, 120_000);
    if (ready === 'timeout') await abandon(new InternalError(`runc checkpoint --lazy-pages ${name}: not ready after 120 s`));
    if (ready === 'exited') await abandon(new InternalError(await why()));
    // CRIU's images are complete and its page server up. It holds the processes stopped under
    // ptrace, their freezer THAWED (it thawed it after seizing them, to run its parasite), until
    // it is done serving: were CRIU to die meanwhile, they would run on here while the target
    // runs its copy. So the freezer holds them too from now on (they are stopped: nothing
    // changes for CRIU, which finds it frozen at its end, as it leaves it). Measured by hand
    // (session 10): CRIU killed while serving, the processes ran on; frozen here, they wait.
    // With a late freeze, the helper must also have frozen them for CRIU (see heldFrozen).
    try {
      if (late) await this.heldFrozen(name, late, imageDir, false);
      await this.freezeCgroup(name);
    } catch (e) {
      await abandon(e as Error);
    }
    // The restore runs inside the container's user namespace: its root must read the images.
    const owner = rec.spec.privileged ? { uid: 0, gid: 0 } : hostRootIds(rec.spec, this.bundleOptions());
    await chownTree(imageDir, owner.uid, owner.gid);
    await chmodTree(imageDir);
    // (The images are written: what is left of the pool goes.)
    void pool?.dispose().catch(() => undefined);
    const served = tool.exit.then(async (r) => {
      const said = r.code === 0 ? '' : await why();
      reapGroup(group); // (CRIU too, should runc have gone first)
      await dropWork();
      if (said) throw new InternalError(said);
    });
    served.catch(() => undefined);
    return { served, kill: () => tool.kill() };
  }

  /** What is left of a lazy dump into `imageDir` whose berthd died (its runc or CRIU): killed. */
  reapLazyDump(imageDir: string): void {
    reapGroup(`${imageDir}.pgid`);
  }

  async restoreLazy(name: string, imageDir: string, from: PageServerTarget): Promise<LazyPulling> {
    checkName(name);
    this.requireBundle(name);
    if (await this.runcState(name)) throw new FailedPreconditionError(`container ${name} must be stopped to restore a checkpoint into it`);
    if (!fs.existsSync(imageDir)) throw new NotFoundError(`checkpoint images ${imageDir} not found`);
    // The work folder (the daemon's socket and log, CRIU's cgroup yard while it restores) is
    // kept out of the instance's folders: removing those (a dropped copy) must not race it.
    const work = path.join(this.opts.dataDir, 'lazy-restore', name);
    await removeRestoreWork(work);
    await fsp.mkdir(work, { recursive: true, mode: 0o700 });
    const daemon = await startLazyDaemon(imageDir, work, from, [this.runcBin, ...this.runcArgs(['kill', '--all', name, 'KILL'])]);
    // The restore starts beside the daemon where CRIU's connect to it can wait for its socket
    // (deploy/criu-lazy-connect.c: while the daemon's watchdog lives); else once it is there.
    const connect = criuLazyConnectLib();
    const env = await this.criuEnv(work, [], [connect], connect ? { BERTH_CRIU_LAZY_SOCKET: LAZY_SOCKET, BERTH_CRIU_LAZY_DAEMON_PID: String(daemon.pid) } : {});
    const restore = (): Promise<ToolResult> => this.runc(['restore', '--detach', '--lazy-pages', '--image-path', imageDir, '--work-path', work, '--bundle', this.bundleDir(name), name], undefined, { env, timeoutMs: 60_000 });
    // An unprivileged container's restored processes open their userfaultfd inside its user
    // namespace: allowed only with vm.unprivileged_userfaultfd=1 (lazy.ts opens that window).
    let r: ToolResult;
    try {
      if (!connect) await daemon.ready;
      r = this.readRecord(name)?.spec.privileged ? await restore() : await withUffdWindow(this.uffdMarker(), restore);
    } catch (e) {
      daemon.kill();
      await removeRestoreWork(work);
      throw e;
    }
    if (r.code !== 0) {
      // (A daemon that never came up is the cause: its own error says why.)
      const notUp = await daemon.ready.then(() => '', (e: Error) => e.message);
      const said = notUp || criuLogErrors(path.join(work, 'restore.log')) || r.stderr.trim();
      daemon.kill();
      await this.runc(['delete', '--force', name]);
      await this.removeCgroups(name);
      await removeRestoreWork(work);
      throw new InternalError(`runc restore --lazy-pages ${name} failed: ${said}`);
    }
    const pulled = daemon.pulled.finally(() => removeRestoreWork(work));
    pulled.catch(() => undefined);
    return { pulled, kill: () => daemon.kill() };
  }

  async restore(name: string, imageDir: string): Promise<void> {
    checkName(name);
    this.requireBundle(name);
    if (await this.runcState(name)) throw new FailedPreconditionError(`container ${name} must be stopped to restore a checkpoint into it`);
    if (!fs.existsSync(imageDir)) throw new NotFoundError(`checkpoint images ${imageDir} not found`);
    const work = `${imageDir}.restore-work`;
    await fsp.mkdir(work, { recursive: true, mode: 0o700 });
    try {
      const r = await this.runc(['restore', '--detach', '--image-path', imageDir, '--work-path', work, '--bundle', this.bundleDir(name), name], undefined, { env: await this.criuEnv(work), timeoutMs: 30_000 });
      if (r.code !== 0) {
        await this.runc(['delete', '--force', name]);
        await this.removeCgroups(name);
        throw new InternalError(`runc restore ${name} failed: ${criuLogErrors(path.join(work, 'restore.log')) || r.stderr.trim()}`);
      }
    } finally {
      await fsp.rm(work, { recursive: true, force: true });
    }
  }

  /**
   * Freezes the container's cgroup directly (cgroup v1 freezer.state, else v2 cgroup.freeze)
   * and waits until the kernel says frozen: ~1 ms, where `runc pause` (this.freeze) is a runc
   * process of 20-40 ms, and this runs inside a move's downtime.
   */
  private async freezeCgroup(name: string): Promise<void> {
    const v1 = this.cgroupDir(name, 'freezer');
    const v2 = this.cgroupDir(name, 'unified');
    const [file, value, done] = v1 && fs.existsSync(path.join(v1, 'freezer.state'))
      ? [path.join(v1, 'freezer.state'), 'FROZEN', (): boolean => fs.readFileSync(path.join(v1, 'freezer.state'), 'utf8').trim() === 'FROZEN']
      : [path.join(v2, 'cgroup.freeze'), '1', (): boolean => /^frozen 1$/m.test(fs.readFileSync(path.join(v2, 'cgroup.events'), 'utf8'))];
    try {
      for (let i = 0; i < 2000; i++) {
        if (i % 100 === 0) await fsp.writeFile(file, value);
        if (done()) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    } catch (e) {
      throw new InternalError(`cannot freeze ${name}'s cgroup (${file}): ${(e as Error).message}`);
    }
    throw new InternalError(`${name}'s cgroup did not freeze within 10 s (${file})`);
  }

  /** Best effort: the container's cgroup folders, should runc have left any. */
  private async removeCgroups(name: string): Promise<void> {
    for (const controller of cgroupMounts().keys()) {
      const dir = this.cgroupDir(name, controller);
      if (dir) await fsp.rmdir(dir).catch(() => undefined);
    }
  }

  private async consoleTail(name: string): Promise<string> {
    try {
      const text = await fsp.readFile(this.consoleLogPath(name), 'utf8');
      const lines = text.trim().split('\n').slice(-3).map((l) => /msg="((?:[^"\\]|\\.)*)"/.exec(l)?.[1] ?? l);
      return lines.join(' | ') || '(empty console log)';
    } catch {
      return '(no console log)';
    }
  }

  private async simple(name: string, verb: 'pause' | 'resume', needs: string): Promise<void> {
    checkName(name);
    const st = await this.runcState(name);
    if (!st) {
      this.requireBundle(name);
      throw new FailedPreconditionError(`container ${name} is stopped`);
    }
    if (st.status !== needs) throw new FailedPreconditionError(`container ${name} is ${st.status}, ${verb} needs ${needs}`);
    const r = await this.runc([verb, name]);
    if (r.code !== 0) throw this.toolError(`runc ${verb} ${name}`, r, name);
  }

  private async describe(name: string, st: RuncState): Promise<RuntimeState> {
    const map: Record<string, RuntimeStatus> = { created: 'Created', running: 'Running', paused: 'Frozen', stopped: 'Stopped' };
    const status = map[st.status] ?? 'Unknown';
    const num = async (controller: string, file: string): Promise<number> => {
      const dir = this.cgroupDir(name, controller);
      if (!dir) return 0;
      try {
        return Number((await fsp.readFile(path.join(dir, file), 'utf8')).trim()) || 0;
      } catch {
        return 0;
      }
    };
    const [cpuNs, memoryBytes, processes] = await Promise.all([num('cpuacct', 'cpuacct.usage'), num('memory', 'memory.usage_in_bytes'), num('pids', 'pids.current')]);
    const s: RuntimeState = { name, status, pid: status === 'Stopped' ? 0 : st.pid, cpuNs, memoryBytes, processes };
    if (status === 'Unknown') s.detail = `runc says "${st.status}"`;
    return s;
  }

  private async runcState(name: string): Promise<RuncState | undefined> {
    if (!fs.existsSync(path.join(this.root, name))) return undefined;
    const r = await this.runc(['state', name]);
    if (r.code !== 0) {
      if (/does not exist/.test(r.stderr)) return undefined;
      throw this.toolError(`runc state ${name}`, r, name);
    }
    return JSON.parse(r.stdout) as RuncState;
  }

  /**
   * The environment of a runc checkpoint or restore: a CRIU config file in its work folder with
   * berth's options beside runc's (`lines`, e.g. a page server's TLS), and CRIU's network lock
   * through nftables where this host's CRIU has it (see criuLockLines); `preload`: libraries
   * preloaded into CRIU beside the kdat cache's (criu-env.ts), with their variables `more`.
   */
  private async criuEnv(work: string, lines: readonly string[] = [], preload: ReadonlyArray<string | undefined> = [], more: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
    return criuToolEnv(preload, { ...more, CRIU_CONFIG_FILE: await criuConfig(path.join(work, 'criu.conf'), [...await criuLockLines(), ...lines]) });
  }

  private runc(args: string[], input?: string, more?: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ToolResult> {
    return runTool(this.runcBin, this.runcArgs(args), { timeoutMs: 30_000, ...(input === undefined ? {} : { input }), ...more });
  }

  private toolError(what: string, r: ToolResult, name?: string): Error {
    const said = (r.stderr.trim() || r.stdout.trim()).split('\n').pop() ?? '';
    const msg = /msg="((?:[^"\\]|\\.)*)"/.exec(said)?.[1] ?? said;
    if (/does not exist/.test(msg)) return new NotFoundError(`container ${name ?? ''} not found (${what}: ${msg})`);
    if (/not (running|paused)|is (stopped|paused|running)/.test(msg)) return new FailedPreconditionError(`${what}: ${msg}`);
    return new InternalError(`${what}: ${r.error ?? `exit ${r.code}`}: ${msg}`);
  }
}

/** Files in a live dump's pool: CRIU writes ~50 images for a small container; beyond, it makes them. */
const CRIU_FILE_POOL_SIZE = 96;

interface CriuFilePool {
  lib: string;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/**
 * A live move's dump: empty files made beside `imageDir` (`<imageDir>.pool`) before the
 * freeze, for deploy/criu-file-pool.so to rename into place as CRIU makes its images (each
 * made file ~0.35 ms of the downtime on this host's ext4). Undefined without the helper.
 */
async function criuFilePool(imageDir: string): Promise<CriuFilePool | undefined> {
  const lib = criuFilePoolLib();
  if (!lib) return undefined;
  const pool = await FilePool.make(`${imageDir}.pool`, CRIU_FILE_POOL_SIZE);
  return {
    lib,
    env: { BERTH_CRIU_FILE_POOL: pool.dir, BERTH_CRIU_FILE_POOL_SIZE: String(CRIU_FILE_POOL_SIZE), BERTH_CRIU_FILE_POOL_FOR: imageDir },
    dispose: () => pool.dispose(),
  };
}

/** Where an exec'd process finds berth-timens-exec (runc exec --preserve-fds 1). */
/**
 * CRIU locks the container's network while it dumps and restores (packets dropped, not
 * answered by a half-made stack). Its default method runs iptables-restore in the container's
 * network namespace, ~70-90 ms to unlock on each side here, inside the downtime of a live move;
 * nftables (CRIU's libnftables, in process) does the same lock in ~2 ms and unlocks in 5-15 ms
 * (bench/README.md, session 9). A dump with one method restores with the other: CRIU removes
 * its own lock either way (tried both ways by hand). Asked of CRIU once per berthd.
 */
let lockLines: Promise<string[]> | undefined;
function criuLockLines(): Promise<string[]> {
  lockLines ??= runTool('criu', ['check', '--feature', 'network_lock_nftables'], { timeoutMs: 10_000, env: criuToolEnv() })
    .then((r) => (r.code === 0 ? ['network-lock nftables'] : []), () => []);
  return lockLines;
}

const TIMENS_FD = 3;

/**
 * Whether the container's init runs in a time namespace that is not berthd's (a container CRIU
 * restored does: it keeps its monotonic clocks going on from the dump). runc 1.1 joins every
 * namespace of init on exec except that one, so a process exec'd there would live outside it,
 * and CRIU cannot dump such a tree again ("Can't restore sub-task in NS (cflags 80)" on the
 * next live move); runc cannot run inside it either (the namespace shifts init's start time in
 * /proc, and runc then takes the container for stopped). deploy/berth-timens-exec.c says how
 * the process joins it. False when the kernel has no time namespaces.
 */
function initHasOwnTimeNamespace(stateFile: string): boolean {
  try {
    const pid = (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { init_process_pid?: number }).init_process_pid;
    return !!pid && fs.readlinkSync(`/proc/${pid}/ns/time`) !== fs.readlinkSync('/proc/self/ns/time');
  } catch {
    return false;
  }
}

/**
 * An exec'd process; with a tty, runc runs under util-linux `script`, which gives it a terminal.
 * In a container with a time namespace of its own, runc gets berth-timens-exec at TIMENS_FD
 * and passes it on (--preserve-fds), so the process joins that namespace (initHasOwnTimeNamespace).
 */
class RuncExec implements ExecProcess {
  readonly stdin: NodeJS.WritableStream;
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  readonly exited: Promise<ExecResult>;
  private readonly child: ReturnType<typeof spawn> | undefined;
  private pidFile = '';

  constructor(private readonly driver: RuncDriver, name: string, private readonly p: ExecSpec) {
    let files: ReturnType<RuncDriver['prepareExec']>;
    try {
      files = driver.prepareExec(name, p);
    } catch (e) {
      const empty = (): PassThrough => { const s = new PassThrough(); s.end(); return s; };
      this.stdin = new PassThrough();
      this.stdout = empty();
      this.stderr = empty();
      this.exited = Promise.reject(e);
      this.exited.catch(() => undefined); // the caller's await sees it; no unhandled rejection
      return;
    }
    const helper = files.timensHelper;
    const runcArgs = driver.runcArgs(['--log', files.logFile, '--log-format', 'json', 'exec', ...(p.tty ? ['--tty'] : []), ...(helper ? ['--preserve-fds', '1'] : []), '--pid-file', files.pidFile, '--process', files.processFile, name]);
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    let child;
    if (p.tty) {
      const size = p.columns && p.rows ? `stty cols ${Math.floor(p.columns)} rows ${Math.floor(p.rows)} 2>/dev/null; ` : '';
      const fd = helper ? `exec ${TIMENS_FD}<${quote(helper)}; ` : '';
      const cmd = `${size}${fd}exec ${[driver.runcPath, ...runcArgs].map(quote).join(' ')}`;
      child = spawn('script', ['--quiet', '--return', '--echo', 'never', '--command', cmd, '/dev/null'], { env: toolEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    } else if (helper) {
      const fd = fs.openSync(helper, 'r');
      try {
        child = spawn(driver.runcPath, runcArgs, { env: toolEnv(), stdio: ['pipe', 'pipe', 'pipe', fd] });
      } finally {
        fs.closeSync(fd);
      }
    } else {
      child = spawn(driver.runcPath, runcArgs, { env: toolEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    }
    this.child = child;
    this.pidFile = files.pidFile;
    this.stdin = child.stdin!;
    this.stdout = child.stdout!;
    this.stderr = child.stderr!;
    child.stdin!.on('error', () => { /* the process exited before reading */ });
    this.exited = new Promise<ExecResult>((resolve, reject) => {
      child.on('error', (e: NodeJS.ErrnoException) => reject(new InternalError(`exec in ${name}: ${e.code ?? e.message}`)));
      child.on('close', (code, signal) => {
        const runcError = readRuncErrors(files.logFile);
        fs.rmSync(files.processFile, { force: true });
        fs.rmSync(files.logFile, { force: true });
        fs.rmSync(files.pidFile, { force: true });
        if (runcError) {
          reject(/no such file|not found|executable file/.test(runcError)
            ? new InvalidArgumentError('args', `cannot run ${p.args[0]}: ${runcError}`)
            : new InternalError(`exec in ${name}: ${runcError}`));
        } else if (code === null) {
          reject(new InternalError(`exec in ${name}: runc died from ${signal}`));
        } else {
          resolve({ exitCode: code });
        }
      });
    });
    this.exited.catch(() => undefined);
  }

  async resize(columns: number, rows: number): Promise<void> {
    if (!this.p.tty) throw new NotSupportedError('exec.resize', 'the process has no terminal (tty: false)');
    const runcPid = this.runcPid();
    if (!runcPid) throw new FailedPreconditionError('the process has exited');
    // runc's stdin is the terminal `script` made; setting its size sends runc SIGWINCH, and runc
    // copies the size to the container's terminal.
    const tty = fs.readlinkSync(`/proc/${runcPid}/fd/0`);
    const r = await runTool('stty', ['-F', tty, 'cols', String(Math.floor(columns)), 'rows', String(Math.floor(rows))]);
    if (r.code !== 0) throw new InternalError(`stty on ${tty}: ${r.stderr.trim()}`);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    // The process itself (runc's --pid-file; host root may signal it), so SIGKILL works too.
    // Before runc has written the file, runc forwards what it gets (not SIGKILL/SIGSTOP).
    let pid: number | undefined;
    try {
      pid = Number(fs.readFileSync(this.pidFile, 'utf8').trim()) || undefined;
    } catch { /* not yet started, or gone */ }
    pid ??= this.p.tty ? this.runcPid() : this.child?.pid;
    if (pid && this.child?.exitCode === null) {
      try {
        process.kill(pid, signal);
      } catch { /* gone */ }
    }
  }

  /** With a tty: runc is `script`'s child. */
  private runcPid(): number | undefined {
    const scriptPid = this.child?.pid;
    if (!scriptPid || this.child?.exitCode !== null) return undefined;
    try {
      const kids = fs.readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      return kids[0];
    } catch {
      return undefined;
    }
  }
}

function readRuncErrors(logFile: string): string {
  let text = '';
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return '';
  }
  const errors: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as { level?: string; msg?: string };
      if (e.level === 'error' || e.level === 'fatal') errors.push(e.msg ?? line);
    } catch { /* not json */ }
  }
  return errors.join('; ');
}

/** Every ancestor of an unprivileged container's rootfs must be searchable by others. */
async function checkTraversable(rootfs: string): Promise<void> {
  let dir = path.dirname(path.resolve(rootfs));
  for (;;) {
    const st = await fsp.stat(dir);
    if ((st.mode & 0o001) === 0) {
      throw new FailedPreconditionError(`${dir} (mode ${(st.mode & 0o777).toString(8)}) is not searchable by others: an unprivileged container cannot reach its rootfs ${rootfs} (chmod o+x)`);
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/**
 * Whether a process just started stays up: true once it sleeps (state S, waiting), or is still
 * alive after `maxMs`; false when it exited (gone, or a zombie) before either.
 */
async function settles(pid: number, maxMs: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const deadline = performance.now() + maxMs;
  for (;;) {
    let state = '';
    try {
      const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return false;
    }
    if (state === 'Z' || state === 'X') return false;
    if (state === 'S' || performance.now() >= deadline) return true;
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Waits until a process has exited (or is a zombie). */
async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let stat = '';
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    if (/\) Z /.test(stat)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

let mountsCache: Map<string, string> | undefined;

/** v1 controller (or "name=systemd") -> mount point, from /proc/self/mountinfo; the v2 tree as "unified". */
export function cgroupMounts(): Map<string, string> {
  if (mountsCache) return mountsCache;
  const m = new Map<string, string>();
  let text = '';
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch { /* no proc */ }
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mountPoint = pre.split(' ')[4] ?? '';
    const [fstype, , superOpts = ''] = post.split(' ');
    if (fstype === 'cgroup2') {
      if (!m.has('unified')) m.set('unified', mountPoint);
    } else if (fstype === 'cgroup') {
      for (const opt of superOpts.split(',')) {
        if (opt.startsWith('name=') && !m.has(opt)) m.set(opt, mountPoint); // name=systemd: runc joins it too
        if (['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'net_cls', 'net_prio', 'perf_event', 'hugetlb', 'rdma', 'misc'].includes(opt) && !m.has(opt)) m.set(opt, mountPoint);
      }
    }
  }
  mountsCache = m;
  return m;
}

/** CRIU's first real error line from its log in `dir` (the rlimit warning is harmless here). */
async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await fsp.chown(dir, uid, gid);
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await chownTree(p, uid, gid);
    else await fsp.lchown(p, uid, gid);
  }
}

/** Folders 0755, files 0644: readable by every id of a container's user namespace. */
async function chmodTree(dir: string): Promise<void> {
  await fsp.chmod(dir, 0o755);
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await chmodTree(p);
    else if (e.isFile()) await fsp.chmod(p, 0o644);
  }
}
