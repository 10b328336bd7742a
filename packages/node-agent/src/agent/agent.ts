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
import type { HostCapabilities } from '../capabilities/types';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, NotSupportedError } from '../errors';
import { ImageStore } from '../images/store';
import { buildBusyboxImage, publishImage } from '../images/builder';
import type { ImageRecord } from '../images/store';
import { Reverter } from '../reverter';
import { DEFAULT_IDMAP_BASE, DEFAULT_IDMAP_SIZE } from '../runtime/bundle';
import { RuncDriver } from '../runtime/runc';
import type { ContainerSpec, ExecProcess, ExecSpec, RuntimeDriver, RuntimeState } from '../runtime/types';
import { copyFrom, newStorageDriver, openStoragePool } from '../storage';
import type { PoolConfig, StorageDriver } from '../storage';
import { isTrue, limitsFromConfig, SPARE_PREFIX, validateConfig, validateInstanceName } from './config';

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
}

const POOL = 'default';
/** The checkpoint a stateful stop leaves for the next start. */
const STATEFUL_STOP = 'stop';

export class Agent {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly instancesDir: string;

  private constructor(readonly dataDir: string, readonly runtime: RuntimeDriver, readonly pool: StorageDriver, readonly images: ImageStore,
    private readonly capabilities: HostCapabilities | undefined) {
    this.instancesDir = path.join(dataDir, 'instances');
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
    const agent = new Agent(dataDir, runtime, pool, images, opts.capabilities);
    await agent.adoptSpares();
    return agent;
  }

  // ---- spare volumes ----
  // Copying an image into a new volume is most of a launch on the dir driver (on this host's
  // ext4 every one of busybox's 267 symlinks costs about a millisecond). So after each launch
  // the agent copies the image once more, in the background, into a spare volume; the next
  // launch of that image renames the spare (one rename) and starts a new one.

  private readonly spares = new Map<string, Promise<boolean>>();
  private closing = false;

  private spareName(fingerprint: string): string {
    return `${SPARE_PREFIX}${fingerprint.slice(0, 16)}`;
  }

  /** Starts making a spare volume of the image unless one is there or on its way. */
  private refillSpare(fingerprint: string): void {
    if (this.spares.has(fingerprint) || this.closing) return;
    this.spares.set(fingerprint, this.pool.createVolume(this.spareName(fingerprint), { image: fingerprint }).then(() => true, () => false));
  }

  /** Claims the image's spare volume (waiting if it is being made); undefined when there is none. */
  private async takeSpare(fingerprint: string): Promise<string | undefined> {
    const ready = this.spares.get(fingerprint);
    if (!ready) return undefined;
    this.spares.delete(fingerprint);
    return (await ready) ? this.spareName(fingerprint) : undefined;
  }

  /** Removes the image's spare volume (before the image itself goes). */
  async dropSpare(fingerprint: string): Promise<void> {
    const spare = await this.takeSpare(fingerprint);
    if (spare) await this.pool.deleteVolume(spare).catch(() => undefined);
  }

  /** Resolves when no spare volume is being made. */
  async sparesSettled(): Promise<void> {
    await Promise.all([...this.spares.values()]);
  }

  /** Waits for spares being made and stops making new ones (tests, shutdown). */
  async quiesce(): Promise<void> {
    this.closing = true;
    await this.sparesSettled();
  }

  /** Spares left by an earlier run: kept when their image is here, else removed. */
  private async adoptSpares(): Promise<void> {
    const images = await this.pool.listImages();
    for (const v of await this.pool.listVolumes()) {
      if (!v.startsWith(SPARE_PREFIX)) continue;
      const fp = images.find((f) => this.spareName(f) === v);
      if (fp && !this.spares.has(fp)) this.spares.set(fp, Promise.resolve(true));
      else await this.pool.deleteVolume(v).catch(() => undefined);
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

  async launch(req: { name: string; image: string; config?: Record<string, string>; start?: boolean }): Promise<InstanceView> {
    validateInstanceName(req.name);
    const config = { ...(req.config ?? {}) };
    validateConfig(config);
    return this.locked(req.name, async () => {
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
        const spare = await this.takeSpare(fingerprint);
        if (spare) await this.pool.renameVolume(spare, req.name);
        else await this.pool.createVolume(req.name, { image: fingerprint });
        revert.add(() => this.pool.deleteVolume(req.name));
        const record: InstanceRecord = { name: req.name, image: fingerprint, config, pool: POOL, createdAtUnixMs: Date.now(), snapshots: [] };
        await this.runtime.create(await this.spec(record));
        revert.add(() => this.runtime.delete(req.name));
        await this.writeRecord(record);
        revert.add(() => fsp.rm(this.recordPath(req.name), { force: true }));
        if (req.start !== false) await this.runtime.start(req.name);
        revert.success();
        this.refillSpare(fingerprint);
        // runtime.start() returns once init runs (it checks), so no further runc call is needed.
        return { ...record, status: req.start !== false ? 'Running' : 'Created' };
      } finally {
        await revert.fail();
      }
    });
  }

  private async spec(r: InstanceRecord): Promise<ContainerSpec> {
    const rootfs = await this.pool.volumePath(r.name);
    const st = await fsp.stat(rootfs);
    const dev = { major: Math.floor(st.dev / 256) & 0xfff, minor: (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00) };
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
      out.push({ ...r, status: states.get(n) ?? 'Unknown' });
    }
    return out;
  }

  async get(name: string): Promise<InstanceView> {
    const r = await this.readRecord(name);
    return { ...r, status: (await this.runtime.state(name)).status };
  }

  async state(name: string): Promise<RuntimeState & { diskBytes: number }> {
    await this.readRecord(name);
    const [s, usage] = await Promise.all([this.runtime.state(name), this.pool.usage(name)]);
    return { ...s, diskBytes: usage.bytes };
  }

  async start(name: string): Promise<void> {
    await this.locked(name, async () => {
      const r = await this.readRecord(name);
      const s = await this.runtime.state(name);
      if (s.status === 'Running' || s.status === 'Frozen') throw new FailedPreconditionError(`instance "${name}" is already ${s.status.toLowerCase()}`);
      const stopped = this.checkpointDir(name, STATEFUL_STOP);
      if (fs.existsSync(stopped)) {
        // A stateful stop: its processes resume where they were.
        await this.runtime.restore(name, stopped);
        await fsp.rm(stopped, { recursive: true, force: true });
        return;
      }
      // Re-create the bundle from the record, so config changed while stopped takes effect.
      await this.runtime.delete(name);
      await this.runtime.create(await this.spec(r));
      await this.runtime.start(name);
    });
  }

  async stop(name: string, opts: { force?: boolean; timeoutMs?: number; stateful?: boolean } = {}): Promise<void> {
    await this.locked(name, async () => {
      const r = await this.readRecord(name);
      const s = await this.runtime.state(name);
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

  async freeze(name: string): Promise<void> {
    await this.locked(name, async () => { await this.readRecord(name); await this.runtime.freeze(name); });
  }

  async unfreeze(name: string): Promise<void> {
    await this.locked(name, async () => { await this.readRecord(name); await this.runtime.unfreeze(name); });
  }

  async delete(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.locked(name, async () => {
      await this.readRecord(name);
      const s = await this.runtime.state(name);
      if ((s.status === 'Running' || s.status === 'Frozen') && !opts.force) throw new FailedPreconditionError(`instance "${name}" is running; stop it first or delete with force`);
      await this.runtime.delete(name).catch((e: unknown) => { if (!(e instanceof NotFoundError)) throw e; });
      await this.pool.deleteVolume(name);
      await fsp.rm(path.join(this.dataDir, 'checkpoints', name), { recursive: true, force: true });
      await fsp.rm(this.recordPath(name), { force: true });
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
        const s = await this.runtime.state(name);
        if (s.status !== 'Stopped') throw new FailedPreconditionError('config.security.privileged can only change while the instance is stopped');
      }
      const s = await this.runtime.state(name);
      if (s.status === 'Running' || s.status === 'Frozen') await this.runtime.update(name, limitsFromConfig(next));
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
  async publish(name: string, opts: { snapshot?: string; aliases?: string[]; properties?: Record<string, string> } = {}): Promise<ImageRecord> {
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
          if ((await this.runtime.state(name)).status === 'Running') {
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
        const rec = await this.images.import({ unified: out }, { aliases: opts.aliases ?? [] });
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
      const s = await this.runtime.state(name);
      const revert = new Reverter();
      try {
        if (opts.stateful) {
          this.requireStateful(r);
          if (s.status !== 'Running') throw new FailedPreconditionError(`instance "${name}" must be running for a stateful snapshot`);
          // Memory first (CRIU freezes the processes while it dumps, then lets them go on),
          // then the filesystem: files written in between are in the snapshot's filesystem.
          const dir = this.checkpointDir(name, `snapshot-${snapName}`);
          await this.runtime.checkpoint(name, dir, { leaveRunning: true });
          revert.add(() => fsp.rm(dir, { recursive: true, force: true }));
          await this.pool.snapshot(name, snapName);
        } else {
          // A running instance is frozen while its filesystem is copied, so the snapshot is consistent.
          const freeze = s.status === 'Running';
          if (freeze) await this.runtime.freeze(name);
          try {
            await this.pool.snapshot(name, snapName);
          } finally {
            if (freeze) await this.runtime.unfreeze(name);
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
      const s = await this.runtime.state(name);
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
