import type { HostCapabilities } from '../capabilities';
import { InvalidArgumentError } from '../errors';
import { BtrfsDriver, btrfsInfo } from './btrfs';
import { PoolLayout, readPoolRecord } from './common';
import { DirDriver, dirInfo } from './dir';
import type { PoolRef, StorageDriver, StorageDriverInfo } from './types';

export interface StorageDriverOptions {
  /** The host's capability report; without it, info() probes directly. */
  caps?: HostCapabilities;
}

export type StorageDriverFactory = (pool: PoolRef, opts?: StorageDriverOptions) => StorageDriver;

/** Storage drivers by name (LXD's storage/drivers map). */
export const storageDrivers: Readonly<Record<string, { factory: StorageDriverFactory; info: (caps?: HostCapabilities) => StorageDriverInfo }>> = {
  dir: { factory: (pool, opts) => new DirDriver(pool, opts), info: () => dirInfo() },
  btrfs: { factory: (pool, opts) => new BtrfsDriver(pool, opts), info: (caps) => btrfsInfo(caps) },
};

/** A driver bound to `pool`; InvalidArgumentError("driver") for a name no driver has. */
export function newStorageDriver(driver: string, pool: PoolRef, opts: StorageDriverOptions = {}): StorageDriver {
  const entry = Object.prototype.hasOwnProperty.call(storageDrivers, driver) ? storageDrivers[driver] : undefined;
  if (!entry) throw new InvalidArgumentError('driver', `unknown storage driver ${JSON.stringify(driver)} (known: ${Object.keys(storageDrivers).join(', ')})`);
  return entry.factory(pool, opts);
}

/** Every driver's info() on this host, for the capability report and `berth storage`. */
export function storageDriverInfo(caps?: HostCapabilities): Record<string, StorageDriverInfo> {
  return Object.fromEntries(Object.entries(storageDrivers).map(([name, d]) => [name, d.info(caps)]));
}

/**
 * Opens a pool made earlier (its driver is in its record) and activates it: what the agent
 * does for each of its pools when it starts. NotFoundError if the pool was never made.
 */
export async function openStoragePool(pool: PoolRef, opts: StorageDriverOptions = {}): Promise<StorageDriver> {
  const rec = await readPoolRecord(new PoolLayout(pool));
  const d = newStorageDriver(rec.driver, pool, opts);
  await d.activate();
  return d;
}

export { BtrfsDriver } from './btrfs';
export { DirDriver } from './dir';
export { copyFrom, parseSize } from './common';
export { MAGIC as VOLUME_STREAM_MAGIC } from './stream';
export type { ExportOptions, PoolConfig, PoolRef, StorageDriver, StorageDriverInfo, StreamFormat, VolumeSource, VolumeUsage } from './types';
