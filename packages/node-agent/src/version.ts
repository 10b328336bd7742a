export const BERTH_VERSION = '0.1.0';

/**
 * API extensions this daemon serves, append-only like LXD's: a client checks for a name
 * before it uses the feature. Never remove or rename an entry.
 */
export const API_EXTENSIONS: readonly string[] = [
  'host_capabilities',
  'instances',
  'instance_exec',
  'snapshots',
];
