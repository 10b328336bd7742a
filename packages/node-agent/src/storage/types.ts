import type { Readable } from 'node:stream';

/**
 * Storage driver: one storage pool on this host (LXD's storage/drivers).
 *
 * Lifecycle. A driver object is bound to one pool (`PoolRef`: its name and the agent's data
 * folder). `createPool(cfg)` makes the pool once (dir: folders; btrfs: a sparse loop file,
 * mkfs, losetup, mount, or a bind mount of an existing btrfs mount) and records its config
 * beside it, so `activate()` can bring it back after an agent restart or a reboot (mount
 * again if it is not mounted); `deactivate()` unmounts without deleting (host shutdown);
 * `deletePool()` removes everything the pool holds and what backs it (loop file and device).
 * Callers check that a pool is unused before they delete it; the driver does not.
 *
 * Terms.
 * - image volume: the unpacked content of an image, named by its fingerprint, read-only once
 *   made (`createImage`). Instance volumes are made from it by copy (dir) or by a writable
 *   subvolume snapshot (btrfs, instant); after that they share nothing the caller can see.
 * - instance volume ("volume"): the root filesystem of one instance, `volumePath(vol)`.
 * - snapshot: a point-in-time, read-only copy of a volume, named `vol/snap` where a single
 *   string is needed. Snapshots belong to their volume: rename and delete take them along.
 * - stream form: `export` writes a volume (and its snapshots, oldest first) as one byte stream
 *   that `import` turns back into a volume, on another pool or host (moves). See stream.ts.
 *
 * Errors (src/errors.ts): a bad name or config value -> InvalidArgumentError naming the field;
 * a missing pool, volume, snapshot or image -> NotFoundError; a name in use ->
 * AlreadyExistsError; what the driver or pool cannot do (quota on dir, a btrfs stream into a
 * dir pool) -> NotSupportedError naming the capability; a tool that fails -> InternalError
 * with what it said. Every change of more than one step is undone by a Reverter when it
 * fails: a failed create or import leaves no volume, subvolume, mount or loop device.
 *
 * Concurrency: the driver does not lock. The agent serializes changes to one volume (it
 * already does so per instance); different volumes may be changed at the same time.
 */
export interface StorageDriver {
  /** "dir" | "btrfs" */
  readonly name: string;
  readonly pool: PoolRef;
  /** Whether this driver can be used on this host, and why not. */
  info(): StorageDriverInfo;
  /** The stream formats import reads, and the one export writes natively (export also writes tar). */
  streamFormats(): { import: readonly StreamFormat[]; native: StreamFormat };

  /** Makes the pool. Refused (AlreadyExistsError) if the pool was already made. */
  createPool(cfg?: PoolConfig): Promise<void>;
  /** Brings a made pool back (mounts it, clears half-done work); a no-op when it is up. */
  activate(): Promise<void>;
  /** Unmounts the pool and detaches its loop device; the content stays (btrfs only does work). */
  deactivate(): Promise<void>;
  /** Removes the pool, its volumes, snapshots and images, and its loop file and device. */
  deletePool(): Promise<void>;
  /** The pool's recorded config, or NotFoundError if the pool was not made. */
  poolConfig(): Promise<PoolConfig>;

  /**
   * Makes an image volume: `fill(dir)` writes the image's content into `dir` (which is not
   * yet visible under the image's name); if it throws, nothing is left. Returns its path.
   */
  createImage(fingerprint: string, fill: (dir: string) => Promise<void>): Promise<string>;
  deleteImage(fingerprint: string): Promise<void>;
  listImages(): Promise<string[]>;

  /**
   * Makes an instance volume: empty, from an image (copy or snapshot), from another volume
   * (copy of an instance; with `snapshots: true` its snapshots are copied too) or from a
   * snapshot ("vol/snap"). Returns the volume's path.
   */
  createVolume(vol: string, from?: VolumeSource): Promise<string>;
  deleteVolume(vol: string): Promise<void>;
  renameVolume(from: string, to: string): Promise<void>;
  listVolumes(): Promise<string[]>;
  /** Where the volume is; NotFoundError if it does not exist. */
  volumePath(vol: string): Promise<string>;

  snapshot(vol: string, snap: string): Promise<void>;
  /** Replaces the volume's content with the snapshot's. Other snapshots stay. */
  restore(vol: string, snap: string): Promise<void>;
  deleteSnapshot(vol: string, snap: string): Promise<void>;
  /** Snapshot names, oldest first. */
  listSnapshots(vol: string): Promise<string[]>;

  /**
   * Bytes the volume uses: with btrfs quotas, its qgroup's referenced bytes (which counts
   * extents shared with its image and snapshots); otherwise the disk blocks under it (du).
   */
  usage(vol: string): Promise<VolumeUsage>;
  /** Limits the volume to `bytes` (0 removes the limit). dir: NotSupportedError("storage.quota"). */
  setQuota(vol: string, bytes: number): Promise<void>;

  /**
   * The stream form of a volume and its snapshots. Errors (a missing volume, a failing tool)
   * arrive as the stream's 'error'. btrfs exports a consistent point in time (a read-only
   * snapshot taken at the start); dir reads the live folder, so stop or freeze the instance.
   */
  export(vol: string, opts?: ExportOptions): Readable;
  /**
   * Makes volume `vol` (with the snapshots the stream carries) from a stream of `export`.
   * A truncated, corrupt or foreign stream is refused (InvalidArgumentError, field "stream")
   * and leaves nothing.
   */
  import(vol: string, stream: Readable): Promise<void>;
}

/** What a name refers to, for the pool. */
export interface PoolRef {
  /** Pool name: 1-63 letters, digits and hyphens, not starting with a digit or hyphen. */
  name: string;
  /** The agent's data folder: the pool lives at <dataDir>/storage/<name>. */
  dataDir: string;
}

/**
 * Pool config, LXD's key names. Unknown keys are refused.
 * - dir: no keys.
 * - btrfs: `size` ("512MiB", "2GiB", bytes; at least 128MiB) for a loop file that berth
 *   creates at <dataDir>/disks/<pool>.img, or `source` (an existing btrfs mount or a folder
 *   on one; bind-mounted at the pool's path); `btrfs.mount_options` (loop pools; default
 *   "user_subvol_rm_allowed"); `btrfs.quotas` ("true" enables qgroups so setQuota works;
 *   they cost time on snapshot deletion, so they are off by default).
 */
export type PoolConfig = Readonly<Record<string, string>>;

export type VolumeSource =
  | { image: string }
  | { volume: string; snapshots?: boolean }
  | { snapshot: string };

export interface VolumeUsage {
  bytes: number;
  /** The quota in bytes, when one is set. */
  quotaBytes?: number;
}

/**
 * Stream formats: "tar" (GNU tar, numeric owners, xattrs, ACLs, devices, hard links; any
 * driver imports it) and "btrfs" (btrfs send; snapshots after the first are sent as
 * increments on the previous one; only a btrfs pool imports it). Default: the driver's own.
 */
export type StreamFormat = 'tar' | 'btrfs';

export interface ExportOptions {
  format?: StreamFormat;
  /** Leave the snapshots out (default: they are included, oldest first). */
  volumeOnly?: boolean;
}

export interface StorageDriverInfo {
  usable: boolean;
  /** Why it is not usable (or how it was probed when it is). */
  reason: string;
  version: string;
}
