/**
 * What this host's kernel and tools can do, as probed (never assumed). The shape matches
 * berth.v1.HostCapabilities so the server returns it as it is. Later parts of berth refuse
 * what a host cannot do by naming the Feature that is missing and its `detail`.
 */
export interface Feature {
  supported: boolean;
  /** How it was probed and, when unsupported, why. */
  detail: string;
}

export type CgroupLayout = 'v1' | 'hybrid' | 'v2' | 'none';

export interface CgroupInfo {
  layout: CgroupLayout;
  /** v1: the mounted controller hierarchies; v2: the root's cgroup.controllers. */
  controllers: string[];
  /** Where the cgroup2 tree is mounted, if anywhere. */
  unifiedMount: string;
}

export interface ToolInfo {
  available: boolean;
  version: string;
  path: string;
  detail: string;
}

export type CriuSource = 'host' | 'berth-private' | 'none';

export interface CriuInfo extends ToolInfo {
  source: CriuSource;
  checkpointRestore: Feature;
  /** userfaultfd lazy pages (uffd and uffd-noncoop): post-copy migration. */
  lazyPages: Feature;
  /** Soft-dirty memory tracking: pre-dumps, so pre-copy migration. */
  memDirtyTrack: Feature;
  userNamespaces: Feature;
  /** A page server with TLS (CRIU built with GnuTLS): a live move's pages go straight to the target. */
  pageServerTls: Feature;
}

export interface HostCapabilities {
  hostname: string;
  os: string;
  kernelRelease: string;
  kernelVersion: string;
  architecture: string;
  cgroups: CgroupInfo;
  runc: ToolInfo;
  criu: CriuInfo;
  userNamespaces: Feature;
  seccomp: Feature;
  apparmor: Feature;
  btrfs: Feature;
  overlay: Feature;
  bridge: Feature;
  veth: Feature;
  vxlan: Feature;
  vlan: Feature;
  nftables: Feature;
  macvlan: Feature;
  probedAtUnixMs: number;
}
