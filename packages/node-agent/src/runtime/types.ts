/**
 * The runtime driver contract (design.md, "Runtime driver").
 *
 * Lifecycle of one container, as the driver sees it:
 *
 *   create(spec) -> Created   bundle written (config.json + berth.json), rootfs ownership shifted
 *                             into the container's uid range, `runc create`: namespaces and
 *                             cgroup exist, init is waiting to exec.
 *   create(spec, {start: true}) -> Running   both in one step (runc run --detach).
 *   start(name)  -> Running   init (PID 1 of the container) runs. Starting a Stopped container
 *                             creates it again from its bundle first.
 *   freeze/unfreeze           Running <-> Frozen (cgroup freezer).
 *   stop(name)   -> Stopped   init is asked to power off (or killed), runc's state entry and the
 *                             cgroup are removed; the bundle stays, so start() works again.
 *   delete(name) -> gone      runc delete -f and the bundle removed. The rootfs is not the
 *                             driver's: the storage driver owns it.
 *
 * Containers outlive the agent: a new driver over the same data folder finds them (list()).
 */

/** What `info()` says about a driver on this host. */
import type { PageServerTarget } from './page-server';

/** How a live move's dump froze the container: by CRIU's own freeze (late), or paused first. */
export type FrozenBy = 'criu' | 'pause';

export interface DriverInfo {
  usable: boolean;
  /** Why not, when not usable; what was probed otherwise. */
  reason: string;
  version: string;
}

/** One contiguous id range: container ids [containerId, containerId+size) are hostId+... on the host. */
export interface IdMapping {
  containerId: number;
  hostId: number;
  size: number;
}

/**
 * A throttle on one block device (cgroup v1 blkio, OCI linux.resources.blockIO). In update(),
 * a rate of 0 removes that throttle; an absent one leaves it as it is.
 */
export interface BlkioThrottle {
  major: number;
  minor: number;
  readBps?: number;
  writeBps?: number;
  readIops?: number;
  writeIops?: number;
}

/**
 * Resource limits (LXD's `limits.*` keys, already parsed by the agent). Every field is
 * optional: absent means unlimited (or unchanged, for update()).
 */
export interface Limits {
  /** limits.memory: bytes of RAM. */
  memoryBytes?: number;
  /** Memory + swap in bytes (cgroup v1 memsw); must be >= memoryBytes. */
  memorySwapBytes?: number;
  /** limits.processes: most tasks (processes and threads) at once. */
  processes?: number;
  /** limits.cpu.allowance as quota/period, in microseconds (20% = 20000/100000). */
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  /** limits.cpu as a cpuset list, e.g. "0" or "0-1". */
  cpuset?: string;
  /** limits.disk.priority-like throttles, per device. */
  blkio?: BlkioThrottle[];
}

/** A bind mount from the host into the container. */
export interface BindMount {
  source: string;
  destination: string;
  readOnly?: boolean;
}

/**
 * What the agent decided about one container; the driver turns it into config.json.
 * Defaults make an unprivileged container: user namespace root -> `idmap` (default
 * 0 -> 1000000, size 65536), own network namespace with loopback only, berth's seccomp
 * filter, no_new_privs.
 */
export interface ContainerSpec {
  /** Instance name (LXD's rule: 1-63 letters, digits, hyphens; not starting with a digit or hyphen). */
  name: string;
  /**
   * Where init's stdout/stderr go: the bundle's console log (default), or nowhere. A
   * checkpointable container needs "none": CRIU cannot dump a host file held by init.
   */
  console?: 'log' | 'none';
  /** Absolute path of the root filesystem (a storage volume). */
  rootfs: string;
  hostname?: string;
  /** The init to run as PID 1; default ['/sbin/init']. */
  init?: string[];
  env?: string[];
  /** security.privileged: no user namespace, a reduced capability set. Default false. */
  privileged?: boolean;
  /** uid/gid maps for unprivileged containers; default one range 0 -> driver's idmapBase. */
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
  /**
   * When true (default), create() shifts the rootfs' ownership into the mapped range if it
   * is still owned by host root (a fresh unpack), and records that it did.
   */
  shiftRootfs?: boolean;
  limits?: Limits;
  /** A network namespace to join (the agent's veth setup); default a new one (loopback only). */
  networkNamespacePath?: string;
  /** Extra syscalls to deny (ENOSYS), on top of the default list. */
  denySyscalls?: string[];
  /** Turn berth's default seccomp filter off (LXD's security.syscalls.deny_default=false). */
  seccompDefault?: boolean;
  /** no_new_privs for init and exec'd processes; default true. Off for images that need setuid tools. */
  noNewPrivileges?: boolean;
  mounts?: BindMount[];
  /**
   * The signal that makes this image's init power off. busybox init: SIGUSR2 (poweroff);
   * SIGUSR1 halts, SIGTERM reboots, SIGPWR only runs ::powerfail entries. systemd and
   * sysvinit: SIGPWR (LXD's default). Default 'SIGUSR2'.
   */
  stopSignal?: NodeJS.Signals;
}

export type RuntimeStatus = 'Created' | 'Running' | 'Frozen' | 'Stopped' | 'Unknown';

export interface RuntimeState {
  name: string;
  status: RuntimeStatus;
  /** Host pid of init; 0 when not running. */
  pid: number;
  /** CPU time of all the container's processes, nanoseconds (cpuacct.usage). */
  cpuNs: number;
  /** Memory in use, bytes (memory.usage_in_bytes). */
  memoryBytes: number;
  /** Tasks in the container's cgroup (pids.current). */
  processes: number;
  /** Set when status is Unknown: what could not be explained. */
  detail?: string;
}

export interface ExecSpec {
  args: string[];
  env?: string[];
  /** In-container uid/gid; default 0/0. */
  uid?: number;
  gid?: number;
  cwd?: string;
  /** Allocate a terminal: stdout carries the terminal's output, stderr stays empty. */
  tty?: boolean;
  /** Initial terminal size (tty only). */
  columns?: number;
  rows?: number;
}

export interface ExecResult {
  /** The process' exit code; 128+n when it died from signal n (runc's convention). */
  exitCode: number;
}

/** A running exec'd process. */
export interface ExecProcess {
  readonly stdin: NodeJS.WritableStream;
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  /** Resolves when the process has exited and its output has been read. */
  readonly exited: Promise<ExecResult>;
  /** Changes the terminal size (tty only; NotSupportedError otherwise). */
  resize(columns: number, rows: number): Promise<void>;
  /** Sends a signal to the process (runc forwards it). */
  kill(signal?: NodeJS.Signals): void;
}

export interface StopOptions {
  /** Skip the clean shutdown: SIGKILL at once. */
  force: boolean;
  /** How long a clean shutdown may take before SIGKILL. */
  timeoutMs: number;
}

export interface RuntimeDriver {
  readonly name: string;
  info(): DriverInfo;
  /**
   * Bundle written, container Created; with `start: true`, Running when it returns (the
   * runc driver runs it in one step: `runc run --detach`). Either way a failure leaves nothing.
   */
  create(spec: ContainerSpec, opts?: { start?: boolean }): Promise<void>;
  start(name: string): Promise<void>;
  stop(name: string, opts: StopOptions): Promise<void>;
  /** stop (clean, with opts) then start. */
  restart(name: string, opts: StopOptions): Promise<void>;
  delete(name: string): Promise<void>;
  /** Stopped containers only: the bundle and the runc id change. */
  rename(from: string, to: string): Promise<void>;
  freeze(name: string): Promise<void>;
  unfreeze(name: string): Promise<void>;
  exec(name: string, p: ExecSpec): ExecProcess;
  state(name: string): Promise<RuntimeState>;
  list(): Promise<RuntimeState[]>;
  update(name: string, limits: Limits): Promise<void>;
  /** Where init's stdout/stderr go (the console log). */
  consoleLogPath(name: string): string;
  /**
   * CRIU through runc: dumps the running container's processes into `imageDir` (created;
   * made readable by the container's root, which restores them inside its user namespace).
   * Without leaveRunning the container is gone afterwards (runc forgets it; the bundle stays).
   * `pageServer`: the memory pages (and pagemaps) go to that CRIU page server over TLS
   * (page-server.ts) instead of `imageDir`; a dump that fails leaves the container running.
   * `freezeFirst` (with leaveRunning): the container is frozen for the dump and stays frozen
   * after it (also when it fails: the caller thaws it), frozen as late as the driver can (runc:
   * when CRIU itself freezes it, `'criu'`, else just before runc starts, `'pause'`); `onFrozen`
   * is called once it is frozen, while CRIU dumps (the caller may read its files meanwhile).
   */
  checkpoint(name: string, imageDir: string, opts: { leaveRunning: boolean; pageServer?: PageServerTarget | undefined; freezeFirst?: boolean; onFrozen?: (by: FrozenBy) => void }): Promise<void>;
  /**
   * Asks CRIU, once per driver process, what a checkpoint or restore would ask it first (runc:
   * whether it locks the network through nftables, ~80 ms), so that no live move's downtime
   * waits for it: called as a move begins, on both members. Never fails.
   */
  prepareCriu?(): Promise<void>;
  /** Restores a checkpoint into the (stopped) container from its bundle: processes resume. */
  restore(name: string, imageDir: string): Promise<void>;
  /**
   * Post-copy's dump (lazy.ts): the container is frozen and dumped into `imageDir` WITHOUT its
   * memory pages, which CRIU then serves from a page server on serve.address:serve.port (TLS)
   * to the target's lazy-pages daemon. Resolves once that server is up (the images complete);
   * `served` resolves when CRIU's session ended well, else rejects naming CRIU's error. That is
   * NOT proof that the target has the memory (CRIU takes a clean close for the end): only the
   * target can say. The processes stay here, frozen, in every case (the caller deletes them
   * once the target has it all, else thaws them). kill() ends the dump early; a dump that fails
   * to start leaves them frozen too.
   */
  checkpointLazy?(name: string, imageDir: string, opts: { serve: PageServerTarget; onFrozen?: (by: FrozenBy) => void }): Promise<LazyServing>;
  /**
   * Post-copy's restore: `criu lazy-pages` pulling from `from`, then `runc restore --lazy-pages`;
   * resolves once the processes run (their memory still arriving). `pulled` resolves when every
   * page arrived, else rejects (the caller must then kill the processes: their memory is not whole).
   */
  restoreLazy?(name: string, imageDir: string, from: PageServerTarget): Promise<LazyPulling>;
  /** What is left of a lazy dump into `imageDir` whose berthd died (runc, CRIU still serving): killed. */
  reapLazyDump?(imageDir: string): void;
}

export interface LazyServing {
  served: Promise<void>;
  kill(): void;
}

export interface LazyPulling {
  pulled: Promise<void>;
  kill(): void;
}
