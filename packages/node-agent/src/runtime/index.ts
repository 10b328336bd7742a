/**
 * Runtime drivers (design.md, "Runtime driver"): a name -> factory map, like LXD's
 * instance/drivers. The fake driver for callers' unit tests is exported but not registered.
 */
import { RuncDriver } from './runc';
import type { RuncDriverOptions } from './runc';
import type { RuntimeDriver } from './types';

export type RuntimeDriverFactory = (opts: RuncDriverOptions) => RuntimeDriver;

export const runtimeDrivers: Readonly<Record<string, RuntimeDriverFactory>> = Object.freeze({
  runc: (opts: RuncDriverOptions) => new RuncDriver(opts),
});

/** The named driver, or undefined when berth has none by that name. */
export function runtimeDriver(name: string, opts: RuncDriverOptions): RuntimeDriver | undefined {
  const factory = Object.prototype.hasOwnProperty.call(runtimeDrivers, name) ? runtimeDrivers[name] : undefined;
  return factory?.(opts);
}

export { RuncDriver, cgroupMounts } from './runc';
export type { RuncDriverOptions } from './runc';
export { FakeRuntimeDriver } from './fake';
export type { FakeExecAnswer } from './fake';
export {
  buildConfig, checkName, execProcess, ociResources, seccompProfile, cgroupsPathOf,
  DEFAULT_IDMAP_BASE, DEFAULT_IDMAP_SIZE, LXD_DEFAULT_DENY, BERTH_EXTRA_DENY, MASKED_PATHS, READONLY_PATHS,
  PRIVILEGED_CAPS, UNPRIVILEGED_CAPS,
} from './bundle';
export type { BundleOptions, OciConfig, OciMount } from './bundle';
export { shiftOwnership } from './idmap';
export type * from './types';
