/**
 * Agent: the containers of one host, built from the drivers (runtime, storage, images).
 * Single-host mode keeps its instance records in `<data>/instances/<name>.json`; with the
 * cluster issue the records move into the replicated store and this class acts on what
 * the store assigns.
 *
 * Every change to one instance is serialized (one at a time per name); multi-step changes
 * use a Reverter, so a failed launch leaves no volume, bundle or process.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { HostCapabilities } from '../capabilities/types';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, NotSupportedError } from '../errors';
import { ImageStore } from '../images/store';
import { buildBusyboxImage, publishImage } from '../images/builder';
import type { ImageRecord } from '../images/store';
import { Reverter } from '../reverter';
import { DEFAULT_IDMAP_BASE, DEFAULT_IDMAP_SIZE } from '../runtime/bundle';
import { shiftOwnership } from '../runtime/idmap';
import { RuncDriver } from '../runtime/runc';
import type { ContainerSpec, ExecProcess, ExecSpec, FrozenBy, LazyServing, RuntimeDriver, RuntimeState, RuntimeStatus } from '../runtime/types';
import { copyFrom, newStorageDriver, openStoragePool } from '../storage';
import type { PoolConfig, StorageDriver } from '../storage';
import { isTrue, limitsFromConfig, SPARE_PREFIX, validateConfig, validateInstanceName } from './config';
import type { PageServerTarget } from '../runtime/page-server';

export interface SnapshotRecord {
  name: string;
  createdAtUnixMs: number;
  stateful: boolean;
}

export interface InstanceRecord {
  name: string;
  /** Fingerprint of the image it was made from. */
  image: string;
  config: Record<string, string>;
  pool: string;
  createdAtUnixMs: number;
  snapshots: SnapshotRecord[];
  /**
   * Set on an instance imported by a move that is not committed yet (the id of the move): the
   * store still places it on the source. Cleared when the store places it here
   * (settleIncoming); dropped when the move fails (dropIncoming) or is retried.
   */
  incoming?: string | undefined;
}

/** An instance in its stream form (a move): its record, and its root volume with snapshots. */
export interface InstanceExport {
  record: InstanceRecord;
  volume: Readable;
  /** The volume's folder (a live move sends what changed in it after the first pass). */
  volumeDir: string;
  /** Its CRIU images (stateful snapshots, a stateful stop), when it has any: they move too. */
  checkpoints?: string | undefined;
}

export interface InstanceView extends InstanceRecord {
  status: RuntimeState['status'];
}

export interface AgentOptions {
  dataDir: string;
  /** Absolute cgroup parent of this agent's containers (default /berth-<basename of dataDir>). */
  cgroupParent?: string;
  /** The default pool's driver and config, used when the pool does not exist yet. */
  storageDriver?: string;
  poolConfig?: PoolConfig;
  runtime?: RuntimeDriver;
  /** The host's capability report: stateful operations are refused, naming what is missing, when CRIU is not usable. */
  capabilities?: HostCapabilities;
  /** Spare volumes kept ready per launched image (default 3; 0: none, every launch copies the image). */
  sparesPerImage?: number;
}

const POOL = 'default';
/** A live move's dump whose pages went to the target's page server (dumpFrozen); sent as STATEFUL_STOP. */
export const MOVE_DUMP = '.move';
/** The checkpoint a stateful stop leaves for the next start. */
const STATEFUL_STOP = 'stop';
/** Spare volumes of one image made at once (copies here wait on the disk more than on the CPU). */
const SPARE_CONCURRENCY = 2;

export class Agent {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Instances a snapshot of their own has frozen for a moment (see shown()). */
  private readonly snapshotting = new Set<string>();
  private readonly instancesDir: string;

  private constructor(readonly dataDir: string, readonly runtime: RuntimeDriver, readonly pool: StorageDriver, readonly images: ImageStore,
    private readonly capabilities: HostCapabilities | undefined, sparesPerImage = 3) {
    this.instancesDir = path.join(dataDir, 'instances');
    this.sparesPerImage = sparesPerImage;
  }

  static async open(opts: AgentOptions): Promise<Agent> {
    const dataDir = path.resolve(opts.dataDir);
    await fsp.mkdir(path.join(dataDir, 'instances'), { recursive: true, mode: 0o700 });
    // Unprivileged containers need every folder above their rootfs searchable by others.
    await fsp.chmod(dataDir, 0o711);
    const images = await ImageStore.open({ dataDir });
    const poolRef = { name: POOL, dataDir };
    let pool: StorageDriver;
    if (fs.existsSync(path.join(dataDir, 'storage', `${POOL}.json`))) {
      pool = await openStoragePool(poolRef);
    } else {
      pool = newStorageDriver(opts.storageDriver ?? 'dir', poolRef);
      await pool.createPool(opts.poolConfig ?? {});
    }
    const runtime = opts.runtime ?? new RuncDriver({ dataDir, cgroupParent: opts.cgroupParent ?? `/berth-${path.basename(dataDir)}` });
    const agent = new Agent(dataDir, runtime, pool, images, opts.capabilities, opts.sparesPerImage);
    await agent.adoptSpares();
    return agent;
  }

  // ---- spare volumes ----
  // Copying an image into a new volume is most of a launch on the dir driver (on this host's
  // ext4 every new inode, e.g. each of busybox's 267 symlinks, costs about a millisecond or
  // more). So the agent keeps a few spare volumes of each image it launched, made in the
  // background and already shifted to the default unprivileged range (a launch then skips the
  // ownership shift too): an unprivileged launch renames one into place (one rename) and the
  // pool is refilled behind it. A spare is made under a work name and renamed to its final
  // name once copied and shifted, so a crash never leaves a half-made spare that looks ready.

  /** image fingerprint -> its spares: ready ones, how many are being made, launches waiting. */
  private readonly spares = new Map<string, SparePool>();
  private readonly spareJobs = new Set<Promise<void>>();
  private closing = false;
  private readonly sparesPerImage: number;

  private spareBase(fingerprint: string): string {
    return `${SPARE_PREFIX}${fingerprint.slice(0, 16)}`;
  }

  private sparePool(fingerprint: string): SparePool {
    let p = this.spares.get(fingerprint);
    if (!p) {
      p = { ready: [], making: 0, waiters: [], seq: 0 };
      this.spares.set(fingerprint, p);
    }
    return p;
  }

  /** Starts making spares of the image until sparesPerImage are ready or on their way (SPARE_CONCURRENCY at a time). */
  private refillSpares(fingerprint: string): void {
    if (this.closing || this.sparesPerImage <= 0) return;
    const p = this.sparePool(fingerprint);
    while (p.ready.length + p.making < this.sparesPerImage && p.making < SPARE_CONCURRENCY) {
      p.making += 1;
      const job = this.makeSpare(fingerprint, p);
      this.spareJobs.add(job);
      void job.finally(() => this.spareJobs.delete(job));
    }
  }

  private async makeSpare(fingerprint: string, p: SparePool): Promise<void> {
    const n = p.seq++;
    const work = `${this.spareBase(fingerprint)}-m${n}`;
    const name = `${this.spareBase(fingerprint)}-${n}`;
    let ok = false;
    try {
      // A copy of the shifted master (nothing to chown; a snapshot on btrfs), else of the image, shifted.
      p.master ??= this.makeSpareMaster(fingerprint);
      const master = await p.master;
      const dir = await this.pool.createVolume(work, master ? { volume: this.spareMaster(fingerprint) } : { image: fingerprint });
      try {
        if (!master) await shiftOwnership(dir, { from: 0, to: DEFAULT_IDMAP_BASE, size: DEFAULT_IDMAP_SIZE });
        await this.pool.renameVolume(work, name);
        ok = true;
      } catch {
        await this.pool.deleteVolume(work).catch(() => undefined);
      }
    } catch { /* the image went, or the pool is full: launches copy it themselves */ }
    p.making -= 1;
    if (ok) {
      const waiter = p.waiters.shift();
      if (waiter) waiter(name);
      else p.ready.push(name);
      if (this.spares.get(fingerprint) === p) this.refillSpares(fingerprint); // not when dropSpare let it go
    } else if (p.waiters.length > p.making) {
      p.waiters.shift()!(undefined);
    }
  }

  /** The image's shifted master copy, which spares are copied from (never handed out). */
  private spareMaster(fingerprint: string): string {
    return `${this.spareBase(fingerprint)}-master`;
  }

  private async makeSpareMaster(fingerprint: string): Promise<boolean> {
    const work = `${this.spareBase(fingerprint)}-mmaster`;
    try {
      const dir = await this.pool.createVolume(work, { image: fingerprint });
      try {
        await shiftOwnership(dir, { from: 0, to: DEFAULT_IDMAP_BASE, size: DEFAULT_IDMAP_SIZE });
        await this.pool.renameVolume(work, this.spareMaster(fingerprint));
        return true;
      } catch {
        await this.pool.deleteVolume(work).catch(() => undefined);
      }
    } catch { /* copied from the image instead */ }
    return false;
  }

  /**
   * Claims a ready spare of the image; when none is ready but one is being made (and no other
   * launch waits for it), waits for it: it started earlier than a copy made now would. Undefined
   * when there is none (the caller copies the image).
   */
  private async takeSpare(fingerprint: string): Promise<string | undefined> {
    const p = this.spares.get(fingerprint);
    if (!p) return undefined;
    const ready = p.ready.shift();
    if (ready !== undefined) return ready;
    if (p.waiters.length >= p.making) return undefined;
    return new Promise((resolve) => p.waiters.push(resolve));
  }

  /** Removes the image's spare volumes (before the image itself goes). */
  async dropSpare(fingerprint: string): Promise<void> {
    const p = this.spares.get(fingerprint);
    if (!p) return;
    this.spares.delete(fingerprint);
    // Spares being made still finish into `p` (no longer in the map): wait, then remove them all.
    while (p.making > 0) await Promise.all([...this.spareJobs]);
    for (const w of p.waiters.splice(0)) w(undefined);
    for (const v of p.ready.splice(0)) await this.pool.deleteVolume(v).catch(() => undefined);
    if (p.master && (await p.master)) await this.pool.deleteVolume(this.spareMaster(fingerprint)).catch(() => undefined);
  }

  /** Resolves when no spare volume is being made (the pools are full, or cannot be filled). */
  async sparesSettled(): Promise<void> {
    while (this.spareJobs.size > 0) await Promise.all([...this.spareJobs]);
  }

  /** Waits for spares being made and stops making new ones (tests, shutdown). */
  async quiesce(): Promise<void> {
    this.closing = true;
    await this.sparesSettled();
  }

  /**
   * Spares left by an earlier run: kept when their image is here and they are ready (a final
   * name, owned by the unprivileged range), else removed (work names are half-made).
   */
  private async adoptSpares(): Promise<void> {
    const images = await this.pool.listImages();
    for (const v of await this.pool.listVolumes()) {
      if (!v.startsWith(SPARE_PREFIX)) continue;
      const fp = images.find((f) => v.startsWith(`${this.spareBase(f)}-`));
      const n = fp ? /^(\d+|master)$/.exec(v.slice(this.spareBase(fp).length + 1))?.[1] : undefined;
      const owner = n !== undefined ? (await fsp.stat(await this.pool.volumePath(v)).catch(() => undefined))?.uid : undefined;
      if (fp && n !== undefined && owner === DEFAULT_IDMAP_BASE) {
        const p = this.sparePool(fp);
        if (n === 'master') {
          p.master = Promise.resolve(true);
          continue;
        }
        p.ready.push(v);
        p.seq = Math.max(p.seq, Number(n) + 1);
      } else {
        await this.pool.deleteVolume(v).catch(() => undefined);
      }
    }
    for (const [fp, p] of this.spares) {
      while (p.ready.length > this.sparesPerImage) await this.pool.deleteVolume(p.ready.pop()!).catch(() => undefined);
      if (p.ready.length < this.sparesPerImage) this.refillSpares(fp);
    }
  }

  /** Runs fn with the instance's lock held: changes to one instance never interleave. */
  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    this.locks.set(name, tail);
    void tail.then(() => { if (this.locks.get(name) === tail) this.locks.delete(name); });
    return run;
  }

  /** Runs fn with both instances' locks held, taken in name order (two such calls never deadlock). */
  private lockedBoth<T>(a: string, b: string, fn: () => Promise<T>): Promise<T> {
    const [first, second] = a < b ? [a, b] : [b, a];
    return this.locked(first, () => this.locked(second, fn));
  }

  // ---- records ----

  private recordPath(name: string): string {
    return path.join(this.instancesDir, `${name}.json`);
  }

  private async readRecord(name: string): Promise<InstanceRecord> {
    validateInstanceName(name);
    try {
      return JSON.parse(await fsp.readFile(this.recordPath(name), 'utf8')) as InstanceRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`instance "${name}" not found`);
      throw e;
    }
  }

  private async writeRecord(r: InstanceRecord): Promise<void> {
    const tmp = `${this.recordPath(r.name)}.tmp`;
    await fsp.writeFile(tmp, JSON.stringify(r, null, 2));
    await fsp.rename(tmp, this.recordPath(r.name));
  }

  // ---- images ----

  /** An alias or fingerprint; the built-in "busybox" image is built on first use (no network). */
  async ensureImage(ref: string): Promise<string> {
    try {
      return await this.images.resolve(ref);
    } catch (e) {
      if (ref !== 'busybox' || !(e instanceof NotFoundError)) throw e;
    }
    const tmp = await fsp.mkdtemp(path.join(this.dataDir, '.build-'));
    try {
      const out = path.join(tmp, 'busybox.tar.gz');
      await buildBusyboxImage({ out });
      const rec = await this.images.import({ unified: out }, { aliases: ['busybox'] });
      return rec.fingerprint;
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  }

  // ---- instances ----

  /** `stage`: told when each step is done (launch traces: BERTH_LAUNCH_TRACE). */
  async launch(req: { name: string; image: string; config?: Record<string, string>; start?: boolean }, stage?: (s: string) => void): Promise<InstanceView> {
    validateInstanceName(req.name);
    const config = { ...(req.config ?? {}) };
    validateConfig(config);
    return this.locked(req.name, async () => {
      stage?.('locked');
      if (fs.existsSync(this.recordPath(req.name))) throw new AlreadyExistsError(`instance "${req.name}" already exists`);
      let fingerprint: string;
      try {
        fingerprint = await this.ensureImage(req.image);
      } catch (e) {
        if (e instanceof NotFoundError) throw new InvalidArgumentError('image', `no image "${req.image}" on this host (${e.message})`);
        throw e;
      }
      const revert = new Reverter();
      try {
        if (!(await this.pool.listImages()).includes(fingerprint)) {
          await this.pool.createImage(fingerprint, copyFrom(await this.images.rootfsPath(fingerprint)));
        }
        // Spares are shifted to the unprivileged range: a privileged instance copies the image.
        const spare = isTrue(config['security.privileged']) ? undefined : await this.takeSpare(fingerprint);
        // A spare that is gone (another agent over the same folder took it) is no reason to fail.
        const fromSpare = spare !== undefined && (await this.pool.renameVolume(spare, req.name).then(() => true, () => false));
        if (!fromSpare) await this.pool.createVolume(req.name, { image: fingerprint });
        stage?.(fromSpare ? 'volume-from-spare' : 'volume-made');
        revert.add(() => this.pool.deleteVolume(req.name));
        const record: InstanceRecord = { name: req.name, image: fingerprint, config, pool: POOL, createdAtUnixMs: Date.now(), snapshots: [] };
        // With start, one step (runc run --detach); it returns once init runs (it checks).
        const start = req.start !== false;
        const spec = await this.spec(record);
        stage?.('spec');
        await this.runtime.create(spec, { start });
        stage?.('runc');
        revert.add(() => this.runtime.delete(req.name));
        await this.writeRecord(record);
        stage?.('recorded');
        revert.success();
        return { ...record, status: start ? 'Running' : 'Created' };
      } finally {
        await revert.fail();
        this.refillSpares(fingerprint);
      }
    });
  }

  /** The block device holding an instance's root volume (for limits.read / limits.write). */
  private async rootDevice(rootfs: string): Promise<{ major: number; minor: number }> {
    const st = await fsp.stat(rootfs);
    return { major: Math.floor(st.dev / 256) & 0xfff, minor: (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00) };
  }

  private async spec(r: InstanceRecord): Promise<ContainerSpec> {
    const rootfs = await this.pool.volumePath(r.name);
    const dev = await this.rootDevice(rootfs);
    return {
      name: r.name,
      rootfs,
      hostname: r.name,
      privileged: isTrue(r.config['security.privileged']),
      limits: limitsFromConfig(r.config, dev),
      console: isTrue(r.config['migration.stateful']) ? 'none' : 'log',
      env: Object.entries(r.config).filter(([k]) => k.startsWith('environment.')).map(([k, v]) => `${k.slice('environment.'.length)}=${v}`),
    };
  }

  async list(): Promise<InstanceView[]> {
    const names = (await fsp.readdir(this.instancesDir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    const states = new Map((await this.runtime.list()).map((s) => [s.name, s.status]));
    const out: InstanceView[] = [];
    for (const n of names) {
      const r = await this.readRecord(n);
      out.push({ ...r, status: this.shown(n, states.get(n) ?? 'Unknown') });
    }
    return out;
  }

  async get(name: string): Promise<InstanceView> {
    const r = await this.readRecord(name);
    return { ...r, status: this.shown(name, (await this.containerState(name)).status) };
  }

  async state(name: string): Promise<RuntimeState & { diskBytes: number }> {
    await this.readRecord(name);
    const [s, usage] = await Promise.all([this.containerState(name), this.pool.usage(name)]);
    return { ...s, status: this.shown(name, s.status), diskBytes: usage.bytes };
  }

  /**
   * The runtime's state of an instance whose record is here. One with no container at all is
   * Stopped: a start re-makes its bundle from the record and a `runc create` that then fails
   * takes the new bundle with it (a start whose init is missing, say), leaving only the record
   * and the volume. Before, such an instance was "not found" to the agent: the cluster's delete
   * skipped it and dropped its intent, leaving its record and volume behind on the member.
   * As Stopped it can be started again or deleted.
   */
  private async containerState(name: string): Promise<RuntimeState> {
    try {
      return await this.runtime.state(name);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      return { name, status: 'Stopped', pid: 0, cpuNs: 0, memoryBytes: 0, processes: 0 };
    }
  }

  /**
   * The status shown for an instance: a running one frozen for a moment by a snapshot of its
   * own (CRIU's dump, or the filesystem copy of a stateless one) is shown Running, as LXD
   * does. Before, the reconciler could publish that moment as Frozen, and a live move asked
   * right after the snapshot was refused ("not running (Frozen)") until its next pass.
   */
  private shown(name: string, status: RuntimeStatus): RuntimeStatus {
    return status === 'Frozen' && this.snapshotting.has(name) ? 'Running' : status;
  }

  async start(name: string): Promise<void> {
    await this.locked(name, async () => {
      const r = await this.readRecord(name);
      const s = await this.containerState(name);
      if (s.status === 'Running' || s.status === 'Frozen') throw new FailedPreconditionError(`instance "${name}" is already ${s.status.toLowerCase()}`);
      const stopped = this.checkpointDir(name, STATEFUL_STOP);
      if (fs.existsSync(stopped)) {
        // A stateful stop: its processes resume where they were.
        await this.runtime.restore(name, stopped);
        await fsp.rm(stopped, { recursive: true, force: true });
        return;
      }
      // Re-create the bundle from the record, so config changed while stopped takes effect.
      await this.runtime.delete(name).catch((e: unknown) => { if (!(e instanceof NotFoundError)) throw e; });
      await this.runtime.create(await this.spec(r));
      await this.runtime.start(name);
    });
  }

  async stop(name: string, opts: { force?: boolean; timeoutMs?: number; stateful?: boolean } = {}): Promise<void> {
    await this.locked(name, async () => {
      const r = await this.readRecord(name);
      const s = await this.containerState(name);
      if (s.status === 'Stopped') throw new FailedPreconditionError(`instance "${name}" is already stopped`);
      if (opts.stateful) {
        this.requireStateful(r);
        if (s.status !== 'Running') throw new FailedPreconditionError(`instance "${name}" must be running for a stateful stop (it is ${s.status.toLowerCase()})`);
        await this.runtime.checkpoint(name, this.checkpointDir(name, STATEFUL_STOP), { leaveRunning: false });
        return;
      }
      await this.runtime.stop(name, { force: opts.force ?? false, timeoutMs: opts.timeoutMs ?? 30_000 });
    });
  }

  private checkpointDir(name: string, what: string): string {
    return path.join(this.dataDir, 'checkpoints', name, what);
  }

  /** Stateful operations need CRIU on this host and migration.stateful on the instance. */
  private requireStateful(r: InstanceRecord): void {
    const c = this.capabilities?.criu;
    if (c && !c.checkpointRestore.supported) throw new NotSupportedError('criu.checkpointRestore', c.checkpointRestore.detail);
    if (!isTrue(r.config['migration.stateful'])) {
      throw new FailedPreconditionError(`instance "${r.name}" needs config.migration.stateful=true for stateful stop and snapshots (set it while stopped; such an instance keeps no console log)`);
    }
  }

  async restart(name: string, opts: { force?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await this.stop(name, opts);
    await this.start(name);
  }

  /** A live move begins (either side): CRIU's first questions are asked now, outside its downtime. */
  prepareCriu(): void {
    void this.runtime.prepareCriu?.().catch(() => undefined);
  }

  /**
   * A live move's dump to a CRIU page server (moves.ts): frozen, dumped into
   * checkpoints/<name>/.move with its memory pages going to `pageServer`, and LEFT FROZEN here,
   * so the instance can run on here (thawDump) until the target runs it. Failing, it is thawed.
   * `onFrozen`: called once it is frozen, while CRIU dumps (its volume no longer changes).
   */
  async dumpFrozen(name: string, pageServer: PageServerTarget, onFrozen?: (by: FrozenBy) => void): Promise<void> {
    await this.locked(name, async () => {
      const r = await this.readRecord(name);
      this.requireStateful(r);
      const s = await this.containerState(name);
      if (s.status !== 'Running') throw new FailedPreconditionError(`instance "${name}" must be running to be moved live (it is ${s.status.toLowerCase()})`);
      try {
        await this.runtime.checkpoint(name, this.checkpointDir(name, MOVE_DUMP), { leaveRunning: true, pageServer, freezeFirst: true, onFrozen });
      } catch (e) {
        await fsp.rm(this.checkpointDir(name, MOVE_DUMP), { recursive: true, force: true });
        await this.runtime.unfreeze(name).catch(() => undefined);
        throw e;
      }
    });
  }

  /**
   * Post-copy's dump (moves.ts; runtime checkpointLazy): frozen, dumped into
   * checkpoints/<name>/.move without its memory, which CRIU serves from `serve` while the
   * target pulls it. The processes stay here, frozen, like dumpFrozen's: removed with this
   * copy once the move commits, thawed (thawDump) if it fails and the target dropped its copy.
   */
  async dumpLazy(name: string, serve: PageServerTarget, onFrozen?: (by: FrozenBy) => void): Promise<LazyServing> {
    return this.locked(name, async () => {
      const r = await this.readRecord(name);
      this.requireStateful(r);
      const c = this.capabilities?.criu;
      if (c && !c.lazyPages.supported) throw new NotSupportedError('criu.lazyPages', c.lazyPages.detail);
      if (!this.runtime.checkpointLazy) throw new NotSupportedError('criu.lazyPages', 'this runtime driver has no lazy dump');
      const s = await this.containerState(name);
      if (s.status !== 'Running') throw new FailedPreconditionError(`instance "${name}" must be running to be moved live (it is ${s.status.toLowerCase()})`);
      try {
        return await this.runtime.checkpointLazy(name, this.checkpointDir(name, MOVE_DUMP), { serve, onFrozen });
      } catch (e) {
        await fsp.rm(this.checkpointDir(name, MOVE_DUMP), { recursive: true, force: true });
        await this.runtime.unfreeze(name).catch(() => undefined);
        throw e;
      }
    });
  }

  /**
   * Post-copy's restore (moves.ts, the target): the source's images (checkpoints/<name>/stop)
   * restored with their memory pulled from the source's lazy page server `from`. Resolves once
   * the processes run; `pulled` resolves when all their memory is here. If the pull fails the
   * processes are killed here (their memory is not whole) and `pulled` rejects naming why.
   */
  async startLazy(name: string, from: PageServerTarget): Promise<{ pulled: Promise<void> }> {
    return this.locked(name, async () => {
      await this.readRecord(name);
      if (!this.runtime.restoreLazy) throw new NotSupportedError('criu.lazyPages', 'this runtime driver has no lazy restore');
      const s = await this.containerState(name);
      if (s.status === 'Running' || s.status === 'Frozen') throw new FailedPreconditionError(`instance "${name}" is already ${s.status.toLowerCase()}`);
      const stopped = this.checkpointDir(name, STATEFUL_STOP);
      const pulling = await this.runtime.restoreLazy(name, stopped, from);
      const pulled = pulling.pulled.then(
        () => fsp.rm(stopped, { recursive: true, force: true }),
        async (e: Error) => {
          process.stderr.write(`post-copy restore of ${name}: its memory did not all arrive (${e.message}); its processes are killed here\n`);
          await this.locked(name, () => this.runtime.stop(name, { force: true, timeoutMs: 0 })).catch(() => undefined);
          throw e;
        });
      pulled.catch(() => undefined);
      return { pulled };
    });
  }

  /** Whether a live move's dump (dumpFrozen, dumpLazy) is here. */
  hasMoveDump(name: string): boolean {
    return fs.existsSync(this.checkpointDir(name, MOVE_DUMP));
  }

  /** After dumpFrozen, the move not done: the dump goes and the instance runs on. False when there was none. */
  async thawDump(name: string): Promise<boolean> {
    return this.locked(name, async () => {
      const dir = this.checkpointDir(name, MOVE_DUMP);
      if (!fs.existsSync(dir)) return false;
      // A lazy dump's CRIU may outlive the berthd that started it, and would freeze the
      // processes again when it ends: it goes first.
      this.runtime.reapLazyDump?.(dir);
      await fsp.rm(dir, { recursive: true, force: true });
      if ((await this.containerState(name)).status === 'Frozen') await this.runtime.unfreeze(name);
      return true;
    });
  }

  async freeze(name: string): Promise<void> {
    await this.locked(name, async () => { await this.readRecord(name); await this.runtime.freeze(name); });
  }

  async unfreeze(name: string): Promise<void> {
    await this.locked(name, async () => { await this.readRecord(name); await this.runtime.unfreeze(name); });
  }

  async delete(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.locked(name, async () => {
      await this.readRecord(name);
      const s = await this.containerState(name);
      if ((s.status === 'Running' || s.status === 'Frozen') && !opts.force) throw new FailedPreconditionError(`instance "${name}" is running; stop it first or delete with force`);
      await this.removeLocal(name);
    });
  }

  /** Sets (or, with "", removes) config keys; limits apply live to a running instance. */
  async updateConfig(name: string, changes: Record<string, string>): Promise<InstanceRecord> {
    validateConfig(changes);
    return this.locked(name, async () => {
      const r = await this.readRecord(name);
      const next = { ...r.config };
      for (const [k, v] of Object.entries(changes)) {
        if (v === '') delete next[k];
        else next[k] = v;
      }
      if (isTrue(next['security.privileged']) !== isTrue(r.config['security.privileged'])) {
        const s = await this.containerState(name);
        if (s.status !== 'Stopped') throw new FailedPreconditionError('config.security.privileged can only change while the instance is stopped');
      }
      const s = await this.containerState(name);
      if (s.status === 'Running' || s.status === 'Frozen') {
        const dev = await this.rootDevice(await this.pool.volumePath(name));
        const limits = limitsFromConfig(next, dev);
        // I/O limits on the root disk: every throttle is written, 0 for the ones not set (now
        // unset, or of the other kind: bytes/s <-> iops), so that a removed limit goes away.
        if (['limits.read', 'limits.write'].some((k) => r.config[k] || next[k])) {
          limits.blkio = [{ readBps: 0, readIops: 0, writeBps: 0, writeIops: 0, ...(limits.blkio?.[0] ?? dev) }];
        }
        await this.runtime.update(name, limits);
      }
      const updated = { ...r, config: next };
      await this.writeRecord(updated);
      return updated;
    });
  }

  /** Runs a command in the instance; PATH, HOME and TERM default as LXD sets them. */
  exec(name: string, spec: ExecSpec): ExecProcess {
    validateInstanceName(name);
    if (!fs.existsSync(this.recordPath(name))) throw new NotFoundError(`instance "${name}" not found`);
    const env = new Map<string, string>([['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ['HOME', '/root'], ['TERM', spec.tty ? 'xterm' : 'dumb']]);
    for (const kv of spec.env ?? []) {
      const i = kv.indexOf('=');
      if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return this.runtime.exec(name, { ...spec, env: [...env].map(([k, v]) => `${k}=${v}`) });
  }

  consoleLogPath(name: string): string {
    return this.runtime.consoleLogPath(name);
  }

  // ---- publish: an instance or snapshot becomes an image ----

  /**
   * Makes an image (LXD format) of an instance's filesystem, or of one of its snapshots, and
   * imports it into the image store. Owners go back from the unprivileged range to the
   * container's own ids. A running instance is frozen while its files are read.
   */
  async publish(name: string, opts: { snapshot?: string; aliases?: string[]; properties?: Record<string, string>; public?: boolean } = {}): Promise<ImageRecord> {
    return this.locked(name, async () => {
      const r = await this.readRecord(name);
      const work = await fsp.mkdtemp(path.join(this.dataDir, '.publish-'));
      const revert = new Reverter();
      try {
        let rootfs: string;
        let thaw = false;
        if (opts.snapshot) {
          if (!r.snapshots.some((x) => x.name === opts.snapshot)) throw new NotFoundError(`snapshot "${name}/${opts.snapshot}" not found`);
          const tmpVol = `publish-${process.pid}-${Date.now()}`;
          rootfs = await this.pool.createVolume(tmpVol, { snapshot: `${name}/${opts.snapshot}` });
          revert.add(() => this.pool.deleteVolume(tmpVol));
        } else {
          rootfs = await this.pool.volumePath(name);
          if ((await this.containerState(name)).status === 'Running') {
            await this.runtime.freeze(name);
            thaw = true;
          }
        }
        const base = DEFAULT_IDMAP_BASE;
        const unshift = (id: number): number => (id >= base && id < base + DEFAULT_IDMAP_SIZE ? id - base : id);
        const out = path.join(work, 'image.tar.gz');
        try {
          await publishImage({
            rootfs, out,
            properties: { description: `published from ${name}${opts.snapshot ? `/${opts.snapshot}` : ''}`, ...(opts.properties ?? {}) },
            ...(isTrue(r.config['security.privileged']) ? {} : { mapOwner: (u: number, g: number): [number, number] => [unshift(u), unshift(g)] }),
          });
        } finally {
          if (thaw) await this.runtime.unfreeze(name);
        }
        const rec = await this.images.import({ unified: out }, { aliases: opts.aliases ?? [], public: opts.public });
        return rec;
      } finally {
        await revert.fail().catch(() => undefined);
        await fsp.rm(work, { recursive: true, force: true });
      }
    });
  }

  // ---- snapshots (stateless; stateful with CRIU comes next) ----

  async snapshot(name: string, snap?: string, opts: { stateful?: boolean } = {}): Promise<SnapshotRecord> {
    return this.locked(name, async () => {
      const r = await this.readRecord(name);
      const snapName = snap ?? nextSnapshotName(r.snapshots);
      validateInstanceName(snapName, 'snapshot');
      if (r.snapshots.some((x) => x.name === snapName)) throw new AlreadyExistsError(`snapshot "${name}/${snapName}" already exists`);
      const s = await this.containerState(name);
      const revert = new Reverter();
      try {
        if (opts.stateful) {
          this.requireStateful(r);
          if (s.status !== 'Running') throw new FailedPreconditionError(`instance "${name}" must be running for a stateful snapshot`);
          // Memory first (CRIU freezes the processes while it dumps, then lets them go on),
          // then the filesystem: files written in between are in the snapshot's filesystem.
          const dir = this.checkpointDir(name, `snapshot-${snapName}`);
          this.snapshotting.add(name);
          try {
            await this.runtime.checkpoint(name, dir, { leaveRunning: true });
          } finally {
            this.snapshotting.delete(name);
          }
          revert.add(() => fsp.rm(dir, { recursive: true, force: true }));
          await this.pool.snapshot(name, snapName);
        } else {
          // A running instance is frozen while its filesystem is copied, so the snapshot is consistent.
          const freeze = s.status === 'Running';
          if (freeze) {
            this.snapshotting.add(name);
            await this.runtime.freeze(name);
          }
          try {
            await this.pool.snapshot(name, snapName);
          } finally {
            if (freeze) {
              await this.runtime.unfreeze(name);
              this.snapshotting.delete(name);
            }
          }
        }
        revert.success();
      } finally {
        await revert.fail();
      }
      const rec: SnapshotRecord = { name: snapName, createdAtUnixMs: Date.now(), stateful: opts.stateful === true };
      await this.writeRecord({ ...r, snapshots: [...r.snapshots, rec] });
      return rec;
    });
  }

  async restoreSnapshot(name: string, snap: string): Promise<void> {
    await this.locked(name, async () => {
      const r = await this.readRecord(name);
      if (!r.snapshots.some((x) => x.name === snap)) throw new NotFoundError(`snapshot "${name}/${snap}" not found`);
      const s = await this.containerState(name);
      const wasRunning = s.status === 'Running' || s.status === 'Frozen';
      if (wasRunning) await this.runtime.stop(name, { force: true, timeoutMs: 0 });
      await this.pool.restore(name, snap);
      await fsp.rm(this.checkpointDir(name, STATEFUL_STOP), { recursive: true, force: true });
      if (r.snapshots.find((x) => x.name === snap)?.stateful) {
        // Processes come back as they were when the snapshot was taken.
        await this.runtime.restore(name, this.checkpointDir(name, `snapshot-${snap}`));
      } else if (wasRunning) {
        await this.runtime.delete(name);
        await this.runtime.create(await this.spec(r));
        await this.runtime.start(name);
      }
    });
  }

  /**
   * Renames a stopped instance (as LXD, which refuses a running one): its container, volume,
   * snapshots, checkpoints and record take the new name together, or none does.
   */
  async rename(from: string, to: string): Promise<InstanceRecord> {
    validateInstanceName(from);
    validateInstanceName(to, 'new_name');
    if (from === to) throw new InvalidArgumentError('new_name', `"${to}" is the instance's name already`);
    return this.lockedBoth(from, to, async () => {
      const r = await this.readRecord(from);
      if (fs.existsSync(this.recordPath(to)) || (await this.pool.listVolumes()).includes(to)) throw new AlreadyExistsError(`instance "${to}" already exists`);
      const s = await this.containerState(from);
      if (s.status !== 'Stopped' && s.status !== 'Created') throw new FailedPreconditionError(`instance "${from}" is ${s.status.toLowerCase()}: stop it before renaming it`);
      const revert = new Reverter();
      try {
        await this.runtime.delete(from).catch((e: unknown) => { if (!(e instanceof NotFoundError)) throw e; });
        revert.add(async () => this.runtime.create(await this.spec(r)));
        await this.pool.renameVolume(from, to);
        revert.add(() => this.pool.renameVolume(to, from));
        const cps = path.join(this.dataDir, 'checkpoints');
        if (fs.existsSync(path.join(cps, from))) {
          await fsp.rename(path.join(cps, from), path.join(cps, to));
          revert.add(() => fsp.rename(path.join(cps, to), path.join(cps, from)));
        }
        const next: InstanceRecord = { ...r, name: to };
        await this.runtime.create(await this.spec(next));
        revert.add(() => this.runtime.delete(to));
        await this.writeRecord(next);
        revert.add(() => fsp.rm(this.recordPath(to), { force: true }));
        await fsp.rm(this.recordPath(from), { force: true });
        revert.success();
        return next;
      } finally {
        await revert.fail();
      }
    });
  }

  /**
   * A new instance `to` from instance `from` (or from its snapshot, "from/snap"): its files,
   * config (with `config` over it; volatile.* keys dropped) and, unless instanceOnly or made
   * from a snapshot, its snapshots. The copy is created stopped (started when asked). A running
   * source is frozen while its files are read. Stateful snapshots are refused (their memory
   * images belong to the source's processes): copy with instanceOnly.
   */
  async copy(from: string, to: string, opts: { config?: Record<string, string>; instanceOnly?: boolean; start?: boolean } = {}): Promise<InstanceRecord> {
    const [src, snap] = from.split('/', 2) as [string, string | undefined];
    validateInstanceName(src, 'source');
    if (snap !== undefined) validateInstanceName(snap, 'source');
    validateInstanceName(to);
    if (src === to) throw new InvalidArgumentError('name', `"${to}" is the source itself`);
    validateConfig(opts.config ?? {});
    const made = await this.lockedBoth(src, to, async () => {
      const r = await this.readRecord(src);
      if (fs.existsSync(this.recordPath(to)) || (await this.pool.listVolumes()).includes(to)) throw new AlreadyExistsError(`instance "${to}" already exists`);
      if (snap !== undefined && !r.snapshots.some((x) => x.name === snap)) throw new NotFoundError(`snapshot "${src}/${snap}" not found`);
      const withSnapshots = snap === undefined && !opts.instanceOnly;
      const stateful = withSnapshots ? r.snapshots.filter((x) => x.stateful).map((x) => x.name) : [];
      if (stateful.length > 0) throw new FailedPreconditionError(`instance "${src}" has stateful snapshots (${stateful.join(', ')}): copy it with --instance-only`);
      const config = Object.fromEntries(Object.entries(r.config).filter(([k]) => !k.startsWith('volatile.')));
      for (const [k, v] of Object.entries(opts.config ?? {})) {
        if (v === '') delete config[k];
        else config[k] = v;
      }
      const revert = new Reverter();
      try {
        const s = await this.containerState(src);
        const freeze = snap === undefined && s.status === 'Running';
        if (freeze) await this.runtime.freeze(src);
        try {
          await this.pool.createVolume(to, snap !== undefined ? { snapshot: `${src}/${snap}` } : { volume: src, snapshots: withSnapshots });
        } finally {
          if (freeze) await this.runtime.unfreeze(src);
        }
        revert.add(() => this.pool.deleteVolume(to));
        const now = Date.now();
        const rec: InstanceRecord = { name: to, image: r.image, config, pool: POOL, createdAtUnixMs: now, snapshots: withSnapshots ? r.snapshots.map((x) => ({ ...x })) : [] };
        await this.runtime.create(await this.spec(rec));
        revert.add(() => this.runtime.delete(to));
        await this.writeRecord(rec);
        revert.success();
        return rec;
      } finally {
        await revert.fail();
      }
    });
    if (opts.start) await this.start(to);
    return made;
  }

  // ---- moves: an instance out of this host and into another ----

  /**
   * The stream form of an instance: its record, its volume (with its snapshots, pool.export)
   * and the folder of its CRIU images (checkpointsDir) when it has any. Cold (default): refused
   * while it runs. Live (a live move's first pass): it must run (or be frozen, `frozen`) and
   * be able to checkpoint (requireStateful); the mover sends what changed after.
   */
  async exportInstance(name: string, format?: import('../storage/types').StreamFormat, opts: { live?: boolean; frozen?: boolean } = {}): Promise<InstanceExport> {
    return this.locked(name, async () => {
      const r = await this.readRecord(name);
      const s = await this.containerState(name);
      if (opts.live) {
        this.requireStateful(r);
        if (s.status !== (opts.frozen ? 'Frozen' : 'Running')) throw new FailedPreconditionError(`instance "${name}" is ${s.status.toLowerCase()}: a live move needs it running`);
      } else if (s.status !== 'Stopped' && s.status !== 'Created') {
        throw new FailedPreconditionError(`instance "${name}" is ${s.status.toLowerCase()}: a cold move needs it stopped`);
      }
      const checkpoints = this.checkpointsDir(name);
      return {
        record: r, volume: this.pool.export(name, format ? { format } : {}), volumeDir: await this.pool.volumePath(name),
        checkpoints: fs.existsSync(checkpoints) && (await fsp.readdir(checkpoints)).length > 0 ? checkpoints : undefined,
      };
    });
  }

  /** The folder of an instance's CRIU images: `stop` (a stateful stop), `snapshot-<name>`. */
  checkpointsDir(name: string): string {
    return path.join(this.dataDir, 'checkpoints', name);
  }

  /**
   * Makes an instance from its stream form (exportInstance on another host), stopped, marked
   * `incoming: moveId` until settleIncoming. The volume lands whole or not at all (the pool
   * imports into its staging area); a failure leaves no volume, bundle or record. An earlier
   * incoming copy of the same name (a move tried again) is replaced; any other instance of
   * that name is not. `stopped`: no runc entry is left (a live move restores into the bundle).
   */
  async importInstance(record: InstanceRecord, volume: Readable, moveId: string, opts: { stopped?: boolean } = {}): Promise<void> {
    validateInstanceName(record.name);
    validateConfig(record.config);
    const name = record.name;
    await this.locked(name, async () => {
      if (fs.existsSync(this.recordPath(name))) {
        const have = await this.readRecord(name);
        if (!have.incoming) throw new AlreadyExistsError(`instance "${name}" already exists on this member`);
        await this.removeLocal(name);
      } else if ((await this.pool.listVolumes()).includes(name)) {
        // A volume without a record: what a crash between import and record left. Not anyone's.
        await this.pool.deleteVolume(name);
      }
      const revert = new Reverter();
      try {
        await this.pool.import(name, volume);
        revert.add(() => this.pool.deleteVolume(name));
        const r: InstanceRecord = { name, image: record.image, config: { ...record.config }, pool: POOL, createdAtUnixMs: record.createdAtUnixMs, snapshots: record.snapshots.map((x) => ({ ...x })), incoming: moveId };
        await this.runtime.create(await this.spec(r));
        revert.add(() => this.runtime.delete(name));
        if (opts.stopped) await this.runtime.stop(name, { force: true, timeoutMs: 0 });
        await this.writeRecord(r);
        revert.success();
      } finally {
        await revert.fail();
      }
    });
  }

  /** Instances here that a move brought and the store has not placed here yet: name -> move id. */
  async incomingInstances(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const f of await fsp.readdir(this.instancesDir)) {
      if (!f.endsWith('.json')) continue;
      const r = await this.readRecord(f.slice(0, -5)).catch(() => undefined);
      if (r?.incoming) out.set(r.name, r.incoming);
    }
    return out;
  }

  /** The move that brought it here is committed: the instance is this host's like any other. */
  async settleIncoming(name: string): Promise<void> {
    await this.locked(name, async () => {
      const r = await this.readRecord(name);
      if (r.incoming) await this.writeRecord({ ...r, incoming: undefined });
    });
  }

  /** Removes the copy a move left here, if that move (or any, without an id) brought it and it is not settled. */
  async dropIncoming(name: string, moveId?: string): Promise<boolean> {
    return this.locked(name, async () => {
      let r: InstanceRecord;
      try {
        r = await this.readRecord(name);
      } catch (e) {
        if (e instanceof NotFoundError) return false;
        throw e;
      }
      if (!r.incoming || (moveId !== undefined && r.incoming !== moveId)) return false;
      await this.removeLocal(name);
      return true;
    });
  }

  /** Container, volume, checkpoints and record of an instance; the caller holds its lock. */
  private async removeLocal(name: string): Promise<void> {
    await this.runtime.delete(name).catch((e: unknown) => { if (!(e instanceof NotFoundError)) throw e; });
    if ((await this.pool.listVolumes()).includes(name)) await this.pool.deleteVolume(name);
    await fsp.rm(path.join(this.dataDir, 'checkpoints', name), { recursive: true, force: true });
    await fsp.rm(this.recordPath(name), { force: true });
  }

  async deleteSnapshot(name: string, snap: string): Promise<void> {
    await this.locked(name, async () => {
      const r = await this.readRecord(name);
      if (!r.snapshots.some((x) => x.name === snap)) throw new NotFoundError(`snapshot "${name}/${snap}" not found`);
      await this.pool.deleteSnapshot(name, snap);
      await fsp.rm(this.checkpointDir(name, `snapshot-${snap}`), { recursive: true, force: true });
      await this.writeRecord({ ...r, snapshots: r.snapshots.filter((x) => x.name !== snap) });
    });
  }
}

function nextSnapshotName(existing: SnapshotRecord[]): string {
  let i = 0;
  while (existing.some((s) => s.name === `snap${i}`)) i++;
  return `snap${i}`;
}

/** The spare volumes of one image (see Agent, "spare volumes"). */
interface SparePool {
  ready: string[];
  making: number;
  waiters: Array<(v: string | undefined) => void>;
  seq: number;
  /** The shifted master copy: made once, true when it is there. */
  master?: Promise<boolean>;
}
