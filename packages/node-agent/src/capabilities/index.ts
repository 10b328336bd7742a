export { probeHost, parseCgroupMounts } from './probe';
export { formatCapabilities } from './format';
export type { CgroupInfo, CgroupLayout, CriuInfo, CriuSource, Feature, HostCapabilities, ToolInfo } from './types';
import type { HostCapabilities } from './types';

/** The short names of what a host can do (berth cluster list's CAPABILITIES), from its report. */
export function featureNames(c: HostCapabilities): string[] {
  const out: string[] = [];
  if (c.criu?.checkpointRestore.supported) out.push('criu');
  if (c.criu?.lazyPages.supported) out.push('criu-lazy-pages');
  if (c.criu?.pageServerTls?.supported) out.push('criu-page-server');
  if (c.criu?.memDirtyTrack.supported) out.push('criu-dirty-tracking');
  const named: Array<[string, { supported: boolean } | undefined]> = [
    ['btrfs', c.btrfs], ['overlay', c.overlay], ['user-namespaces', c.userNamespaces], ['seccomp', c.seccomp],
    ['apparmor', c.apparmor], ['vxlan', c.vxlan], ['vlan', c.vlan],
  ];
  for (const [n, f] of named) if (f?.supported) out.push(n);
  return out;
}
