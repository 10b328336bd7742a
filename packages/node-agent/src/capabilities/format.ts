import type { Feature, HostCapabilities } from './types';

function mark(f: Feature): string {
  return f.supported ? 'yes' : 'no ';
}

/** The report as a person reads it: one line per capability, why-not beside each "no". */
export function formatCapabilities(c: HostCapabilities): string {
  const rows: Array<[string, string]> = [];
  const feat = (name: string, f: Feature): void => { rows.push([name, `${mark(f)}  ${f.detail}`]); };
  rows.push(['host', `${c.hostname}, ${c.os}, ${c.architecture}`]);
  rows.push(['kernel', `${c.kernelRelease} (${c.kernelVersion})`]);
  rows.push(['cgroups', `${c.cgroups.layout}; controllers: ${c.cgroups.controllers.join(', ') || 'none'}${c.cgroups.unifiedMount ? `; cgroup2 at ${c.cgroups.unifiedMount}` : ''}`]);
  rows.push(['runc', c.runc.available ? `${c.runc.version}  ${c.runc.path}` : `missing  ${c.runc.detail}`]);
  rows.push(['criu', c.criu.available ? `${c.criu.version}  ${c.criu.source}  ${c.criu.path}` : `unusable  ${c.criu.detail}`]);
  feat('  checkpoint/restore', c.criu.checkpointRestore);
  feat('  lazy pages (uffd)', c.criu.lazyPages);
  feat('  dirty tracking', c.criu.memDirtyTrack);
  if (c.criu.pageServerTls) feat('  page server (TLS)', c.criu.pageServerTls);
  feat('  user namespaces', c.criu.userNamespaces);
  feat('user namespaces', c.userNamespaces);
  feat('seccomp', c.seccomp);
  feat('apparmor', c.apparmor);
  feat('btrfs', c.btrfs);
  feat('overlay', c.overlay);
  feat('bridge', c.bridge);
  feat('veth', c.veth);
  feat('vxlan', c.vxlan);
  feat('vlan', c.vlan);
  feat('macvlan', c.macvlan);
  feat('nftables', c.nftables);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${k.padEnd(width)}${v}`).join('\n');
}
