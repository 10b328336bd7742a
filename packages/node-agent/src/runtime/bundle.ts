/**
 * OCI bundle generation: a ContainerSpec -> config.json (OCI runtime spec 1.0.2, as runc
 * 1.1 reads it). Pure: no I/O here, so the whole policy is unit-testable.
 *
 * Security defaults, and where they come from:
 * - user namespace root -> an unprivileged host range (LXD's default idmap 1000000/65536);
 * - every namespace new: mount, pid, ipc, uts, user, cgroup and network (loopback only);
 * - masked and read-only /proc and /sys paths as in `runc spec`;
 * - seccomp: LXD's default denylist (kexec_load, open_by_handle_at, init_module,
 *   finit_module, delete_module, and umount2 with MNT_FORCE refused with EACCES like LXC's
 *   reject_force_umount), plus kexec_file_load, create_module and the kernel keyring calls
 *   (add_key, request_key, keyctl: the keyring is not namespaced);
 * - capabilities: unprivileged containers keep LXC's set for unprivileged containers
 *   (all but sys_module, sys_rawio, sys_time, mac_admin, mac_override; they only act
 *   inside the user namespace); privileged ones get a reduced set (Docker's default plus
 *   sys_boot, so init can power off its own pid namespace).
 */
import { InvalidArgumentError } from '../errors';
import type { ContainerSpec, IdMapping, Limits } from './types';

export const DEFAULT_IDMAP_BASE = 1_000_000;
export const DEFAULT_IDMAP_SIZE = 65_536;

export interface BundleOptions {
  /** cgroupsPath parent, e.g. "/berth-node1" or "/berth-test-xyz". Absolute, one or more levels. */
  cgroupParent: string;
  idmapBase?: number;
  idmapSize?: number;
}

/** The subset of the OCI spec berth writes; typed loosely on purpose (it is JSON for runc). */
export type OciConfig = Record<string, unknown> & {
  process: Record<string, unknown>;
  linux: Record<string, unknown>;
  root: { path: string; readonly: boolean };
  mounts: OciMount[];
};

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;

/** LXD's instance name rule. */
export function checkName(name: string, field = 'name'): void {
  if (!NAME_RE.test(name) || name.endsWith('-')) {
    throw new InvalidArgumentError(field, `"${name}" is not a valid instance name (1-63 letters, digits and hyphens, starting with a letter, not ending with a hyphen)`);
  }
}

/** All capabilities runc 1.1 knows (Linux 5.9+). */
const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** LXC drops these for unprivileged containers; the rest only act inside the user namespace. */
const UNPRIVILEGED_DROP = ['CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_TIME', 'CAP_MAC_ADMIN', 'CAP_MAC_OVERRIDE'];
export const UNPRIVILEGED_CAPS = ALL_CAPS.filter((c) => !UNPRIVILEGED_DROP.includes(c));

/** Privileged containers: Docker's default set, plus SYS_BOOT (init powers off its pid namespace only). */
export const PRIVILEGED_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE', 'CAP_SYS_BOOT',
];

/** LXD's default seccomp denylist (lxd/seccomp: defaultSeccompPolicy), answered with ENOSYS. */
export const LXD_DEFAULT_DENY = ['kexec_load', 'open_by_handle_at', 'init_module', 'finit_module', 'delete_module'];
/** What berth adds: the file-based kexec, the obsolete create_module, the (un-namespaced) kernel keyring. */
export const BERTH_EXTRA_DENY = ['kexec_file_load', 'create_module', 'add_key', 'request_key', 'keyctl'];

const ENOSYS = 38;
const EACCES = 13;
const MNT_FORCE = 1;

export function seccompProfile(extraDeny: readonly string[] = []): Record<string, unknown> {
  const names = [...new Set([...LXD_DEFAULT_DENY, ...BERTH_EXTRA_DENY, ...extraDeny])];
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names, action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
      // LXC's reject_force_umount: umount2(path, flags & MNT_FORCE) -> EACCES.
      { names: ['umount2'], action: 'SCMP_ACT_ERRNO', errnoRet: EACCES, args: [{ index: 1, value: MNT_FORCE, valueTwo: MNT_FORCE, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  };
}

/** As `runc spec` masks and write-protects them. */
export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The cgroupsPath of a container: <parent>/<name>. */
export function cgroupsPathOf(parent: string, name: string): string {
  return `${parent.replace(/\/+$/, '')}/${name}`;
}

export function defaultIdMappings(opts: BundleOptions): IdMapping[] {
  return [{ containerId: 0, hostId: opts.idmapBase ?? DEFAULT_IDMAP_BASE, size: opts.idmapSize ?? DEFAULT_IDMAP_SIZE }];
}

function checkMappings(field: string, maps: IdMapping[]): void {
  if (maps.length === 0) throw new InvalidArgumentError(field, 'at least one mapping is needed');
  for (const m of maps) {
    if (![m.containerId, m.hostId, m.size].every((n) => Number.isInteger(n) && n >= 0) || m.size === 0) {
      throw new InvalidArgumentError(field, `bad mapping ${JSON.stringify(m)}`);
    }
    if (m.hostId === 0) throw new InvalidArgumentError(field, 'mapping onto host uid/gid 0 is what privileged means; use privileged: true');
  }
}

/** Limits -> OCI linux.resources (also the body of `runc update --resources`). */
export function ociResources(l: Limits, field = 'limits'): Record<string, unknown> {
  const positive = (k: string, v: number | undefined): void => {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new InvalidArgumentError(`${field}.${k}`, `must be a positive integer, got ${v}`);
  };
  positive('memoryBytes', l.memoryBytes);
  positive('memorySwapBytes', l.memorySwapBytes);
  positive('processes', l.processes);
  positive('cpuQuotaUs', l.cpuQuotaUs);
  positive('cpuPeriodUs', l.cpuPeriodUs);
  if (l.memorySwapBytes !== undefined && l.memoryBytes !== undefined && l.memorySwapBytes < l.memoryBytes) {
    throw new InvalidArgumentError(`${field}.memorySwapBytes`, 'must be >= memoryBytes (it is memory + swap)');
  }
  if (l.cpuset !== undefined && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(l.cpuset)) throw new InvalidArgumentError(`${field}.cpuset`, `"${l.cpuset}" is not a cpu list`);
  const r: Record<string, unknown> = {};
  if (l.memoryBytes !== undefined || l.memorySwapBytes !== undefined) {
    r['memory'] = {
      ...(l.memoryBytes !== undefined ? { limit: l.memoryBytes } : {}),
      ...(l.memorySwapBytes !== undefined ? { swap: l.memorySwapBytes } : {}),
    };
  }
  if (l.processes !== undefined) r['pids'] = { limit: l.processes };
  if (l.cpuQuotaUs !== undefined || l.cpuPeriodUs !== undefined || l.cpuset !== undefined) {
    r['cpu'] = {
      ...(l.cpuQuotaUs !== undefined ? { quota: l.cpuQuotaUs, period: l.cpuPeriodUs ?? 100_000 } : {}),
      ...(l.cpuQuotaUs === undefined && l.cpuPeriodUs !== undefined ? { period: l.cpuPeriodUs } : {}),
      ...(l.cpuset !== undefined ? { cpus: l.cpuset } : {}),
    };
  }
  if (l.blkio && l.blkio.length > 0) {
    const dev = (k: 'readBps' | 'writeBps' | 'readIops' | 'writeIops'): unknown[] =>
      l.blkio!.filter((t) => t[k] !== undefined).map((t) => ({ major: t.major, minor: t.minor, rate: t[k] }));
    r['blockIO'] = {
      throttleReadBpsDevice: dev('readBps'), throttleWriteBpsDevice: dev('writeBps'),
      throttleReadIOPSDevice: dev('readIops'), throttleWriteIOPSDevice: dev('writeIops'),
    };
  }
  return r;
}

/** The id a container's root has on the host (for ownership of the rootfs). */
export function hostRootIds(spec: ContainerSpec, opts: BundleOptions): { uid: number; gid: number } {
  if (spec.privileged) return { uid: 0, gid: 0 };
  const find = (maps: IdMapping[]): number => maps.find((m) => m.containerId === 0)?.hostId ?? -1;
  return { uid: find(spec.uidMappings ?? defaultIdMappings(opts)), gid: find(spec.gidMappings ?? defaultIdMappings(opts)) };
}

export function buildConfig(spec: ContainerSpec, opts: BundleOptions): OciConfig {
  checkName(spec.name);
  if (!spec.rootfs.startsWith('/')) throw new InvalidArgumentError('rootfs', 'must be an absolute path');
  if (!opts.cgroupParent.startsWith('/')) throw new InvalidArgumentError('cgroupParent', 'must be absolute');
  const privileged = spec.privileged === true;
  const uidMappings = spec.uidMappings ?? defaultIdMappings(opts);
  const gidMappings = spec.gidMappings ?? defaultIdMappings(opts);
  if (!privileged) {
    checkMappings('uidMappings', uidMappings);
    checkMappings('gidMappings', gidMappings);
    if (!uidMappings.some((m) => m.containerId === 0)) throw new InvalidArgumentError('uidMappings', 'container uid 0 must be mapped');
  }
  const caps = privileged ? PRIVILEGED_CAPS : UNPRIVILEGED_CAPS;
  const toOci = (m: IdMapping): Record<string, number> => ({ containerID: m.containerId, hostID: m.hostId, size: m.size });

  const namespaces: Record<string, string>[] = [
    { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' },
    spec.networkNamespacePath ? { type: 'network', path: spec.networkNamespacePath } : { type: 'network' },
  ];
  if (!privileged) namespaces.push({ type: 'user' });

  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755', 'size=65536k'] },
  ];
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    if (!m.source.startsWith('/') || !m.destination.startsWith('/')) throw new InvalidArgumentError(`mounts[${i}]`, 'source and destination must be absolute');
    mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', 'nosuid', 'nodev', m.readOnly ? 'ro' : 'rw'] });
  }

  const linux: Record<string, unknown> = {
    cgroupsPath: cgroupsPathOf(opts.cgroupParent, spec.name),
    namespaces,
    resources: {
      devices: [{ allow: false, access: 'rwm' }],
      ...ociResources(spec.limits ?? {}),
    },
    maskedPaths: MASKED_PATHS,
    readonlyPaths: READONLY_PATHS,
  };
  if (!privileged) {
    linux['uidMappings'] = uidMappings.map(toOci);
    linux['gidMappings'] = gidMappings.map(toOci);
  }
  if (spec.seccompDefault !== false || (spec.denySyscalls ?? []).length > 0) {
    linux['seccomp'] = spec.seccompDefault === false
      ? { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names: spec.denySyscalls, action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS }] }
      : seccompProfile(spec.denySyscalls);
  }

  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: spec.init ?? ['/sbin/init'],
      env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm', 'container=berth'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: spec.noNewPrivileges !== false,
    },
    root: { path: spec.rootfs, readonly: false },
    hostname: spec.hostname ?? spec.name,
    mounts,
    linux,
  };
}

/** The process.json of one `runc exec`: the container's init process settings with the exec's own. */
export function execProcess(config: OciConfig, p: { args: string[]; env?: string[]; uid?: number; gid?: number; cwd?: string; tty?: boolean }): Record<string, unknown> {
  if (p.args.length === 0) throw new InvalidArgumentError('args', 'at least the program is needed');
  const base = config.process;
  return {
    ...base,
    terminal: p.tty === true,
    args: p.args,
    env: p.env ?? base['env'],
    user: { uid: p.uid ?? 0, gid: p.gid ?? 0 },
    cwd: p.cwd ?? '/',
  };
}
