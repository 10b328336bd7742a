import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { berthBinDir, criuPipeClampLib } from '../host/paths';
import { describeResult, runTool } from '../host/run';
import { criuToolEnv } from '../runtime/criu-env';
import { uffdWindowAllowed } from '../runtime/lazy';
import { probePageServerTls } from '../runtime/page-server';
import type { CgroupInfo, CgroupLayout, CriuInfo, Feature, HostCapabilities, ToolInfo } from './types';

/**
 * Probes this host. Every answer comes from running the tool or reading the kernel's own
 * interface; network link types are tried for real inside a throwaway network namespace
 * (`unshare --net`), which vanishes with the probe, so nothing on the host changes.
 * Probes run concurrently; the whole takes about as long as `criu check`.
 */
export async function probeHost(): Promise<HostCapabilities> {
  const [osName, kernelVersion, cgroups, runc, criu, userNamespaces, seccomp, apparmor,
    btrfs, overlay, bridge, veth, vxlan, vlan, nftables, macvlan] = await Promise.all([
    probeOsName(), readText('/proc/sys/kernel/version'), probeCgroups(), probeRunc(), probeCriu(),
    probeUserNamespaces(), probeSeccomp(), probeAppArmor(),
    probeFilesystem('btrfs', 'mkfs.btrfs'), probeFilesystem('overlay'),
    probeLink('bridge', 'ip link add b0 type bridge'),
    probeLink('veth', 'ip link add v0 type veth peer name v1'),
    probeLink('vxlan', 'ip link add vx0 type vxlan id 42 dstport 4789 local 127.0.0.1'),
    probeLink('vlan', 'ip link add v0 type veth peer name v1 && ip link add link v0 name v0.10 type vlan id 10'),
    probeNftables(),
    probeLink('macvlan', 'ip link add v0 type veth peer name v1 && ip link add mv0 link v0 type macvlan mode bridge'),
  ]);
  return {
    hostname: os.hostname(),
    os: osName,
    kernelRelease: os.release(),
    kernelVersion: kernelVersion.trim(),
    architecture: os.machine(),
    cgroups, runc, criu, userNamespaces, seccomp, apparmor, btrfs, overlay,
    bridge, veth, vxlan, vlan, nftables, macvlan,
    probedAtUnixMs: Date.now(),
  };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}

function feature(supported: boolean, detail: string): Feature {
  return { supported, detail };
}

async function probeOsName(): Promise<string> {
  const text = await readText('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? 'unknown';
}

/** Reads /proc/self/mountinfo: v1 hierarchies are `cgroup` mounts, the unified tree `cgroup2`. */
export function parseCgroupMounts(mountinfo: string): CgroupInfo {
  const v1: string[] = [];
  let unifiedMount = '';
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mountPoint = pre.split(' ')[4] ?? '';
    const [fstype, , superOpts = ''] = post.split(' ');
    if (fstype === 'cgroup2') {
      unifiedMount ||= mountPoint;
    } else if (fstype === 'cgroup') {
      for (const opt of superOpts.split(',')) {
        if (['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'xattr', 'clone_children', 'nsdelegate'].includes(opt)) continue;
        if (opt.startsWith('release_agent=') || opt.startsWith('name=')) continue;
        if (!v1.includes(opt)) v1.push(opt);
      }
    }
  }
  let layout: CgroupLayout = 'none';
  if (v1.length > 0) layout = unifiedMount ? 'hybrid' : 'v1';
  else if (unifiedMount) layout = 'v2';
  return { layout, controllers: v1.sort(), unifiedMount };
}

async function probeCgroups(): Promise<CgroupInfo> {
  const info = parseCgroupMounts(await readText('/proc/self/mountinfo'));
  if (info.layout === 'v2') {
    const ctl = await readText(path.join(info.unifiedMount, 'cgroup.controllers'));
    info.controllers = ctl.split(/\s+/).filter(Boolean).sort();
  }
  return info;
}

async function which(cmd: string): Promise<string> {
  const r = await runTool('sh', ['-c', `command -v ${cmd}`]);
  return r.code === 0 ? r.stdout.trim() : '';
}

async function probeRunc(): Promise<ToolInfo> {
  const r = await runTool('runc', ['--version']);
  if (r.code !== 0) return { available: false, version: '', path: '', detail: describeResult('runc --version', r) };
  const version = /runc version (\S+)/.exec(r.stdout)?.[1] ?? '';
  return { available: true, version, path: await which('runc'), detail: r.stdout.trim().split('\n').join('; ') };
}

const CRIU_FEATURE_SUPPORTED = /is supported/;

async function criuFeature(criu: string, names: string[]): Promise<Feature> {
  const details: string[] = [];
  let ok = true;
  for (const name of names) {
    const r = await runTool(criu, ['check', '--feature', name], { env: criuToolEnv() });
    const said = (r.stdout + r.stderr).trim().split('\n').filter((l) => l.includes(name)).pop() ?? describeResult(`criu check --feature ${name}`, r);
    const yes = r.code === 0 && CRIU_FEATURE_SUPPORTED.test(said);
    ok &&= yes;
    details.push(said);
  }
  return feature(ok, details.join('; '));
}

async function probeCriu(): Promise<CriuInfo> {
  const no = (detail: string): Feature => feature(false, detail);
  const criuPath = await which('criu');
  if (!criuPath) {
    const detail = 'criu not found (deploy/setup-host installs it)';
    return { available: false, version: '', path: '', detail, source: 'none', checkpointRestore: no(detail), lazyPages: no(detail), memDirtyTrack: no(detail), userNamespaces: no(detail), pageServerTls: no(detail) };
  }
  const source = path.dirname(criuPath) === berthBinDir() ? 'berth-private' : 'host';
  const [ver, check] = await Promise.all([runTool(criuPath, ['--version']), runTool(criuPath, ['check'], { env: criuToolEnv() })]);
  const version = /Version:\s*(\S+)/.exec(ver.stdout)?.[1] ?? '';
  const checkSaid = (check.stdout + check.stderr).trim().split('\n').pop() ?? '';
  if (check.code !== 0) {
    const detail = `${criuPath} check failed: ${checkSaid || describeResult('criu check', check)}`;
    return { available: false, version, path: criuPath, detail, source, checkpointRestore: no(detail), lazyPages: no(detail), memDirtyTrack: no(detail), userNamespaces: no(detail), pageServerTls: no(detail) };
  }
  const [uffd, memDirtyTrack, userNamespaces, pageServerTls] = await Promise.all([
    criuFeature(criuPath, ['uffd', 'uffd-noncoop']),
    criuFeature(criuPath, ['mem_dirty_track']),
    criuFeature(criuPath, ['userns']),
    probePageServerTls(criuPath, os.tmpdir()).then((r) => feature(r.supported, r.detail)),
  ]);
  // Post-copy also needs (node-agent design.md, "Post-copy"): CRIU's lazy page server to
  // work, which here takes criu-pipe-clamp.so (deploy/setup-host builds it); and the restored
  // processes of an unprivileged container open their userfaultfd inside its user namespace,
  // which the kernel allows only with vm.unprivileged_userfaultfd=1: when it is 0, berthd
  // sets it to 1 just around such a restore (runtime/lazy.ts), unless BERTH_UFFD_WINDOW=0.
  const unprivUffd = (await readText('/proc/sys/vm/unprivileged_userfaultfd')).trim();
  const clamp = criuPipeClampLib();
  let lazyPages = uffd;
  if (uffd.supported && !clamp) {
    lazyPages = feature(false, `${uffd.detail}; but criu-pipe-clamp.so is not built (deploy/setup-host builds it): CRIU's lazy page server fails without it where no process holds CAP_SYS_RESOURCE`);
  } else if (uffd.supported && unprivUffd !== '1' && !uffdWindowAllowed()) {
    lazyPages = feature(false, `${uffd.detail}; but vm.unprivileged_userfaultfd=${unprivUffd || 'unknown'} and BERTH_UFFD_WINDOW=0: an unprivileged container cannot open a userfaultfd when restored`);
  } else if (uffd.supported) {
    lazyPages = feature(true, `${uffd.detail}; ${clamp}; vm.unprivileged_userfaultfd=${unprivUffd}${unprivUffd === '1' ? '' : ' (set to 1 by berthd only around a post-copy restore)'}`);
  }
  return {
    available: true, version, path: criuPath, source, detail: `criu check: ${checkSaid}`,
    checkpointRestore: feature(true, `criu check: ${checkSaid}`),
    lazyPages, memDirtyTrack, userNamespaces, pageServerTls,
  };
}

async function probeUserNamespaces(): Promise<Feature> {
  const r = await runTool('unshare', ['--user', '--map-root-user', 'id', '-u']);
  const max = (await readText('/proc/sys/user/max_user_namespaces')).trim();
  if (r.code === 0 && r.stdout.trim() === '0') return feature(true, `unshare --user --map-root-user: root inside; max_user_namespaces=${max}`);
  return feature(false, `${describeResult('unshare --user --map-root-user', r)}; max_user_namespaces=${max || 'unknown'}`);
}

async function probeSeccomp(): Promise<Feature> {
  const status = await readText('/proc/self/status');
  const actions = (await readText('/proc/sys/kernel/seccomp/actions_avail')).trim();
  const hasField = /^Seccomp:/m.test(status);
  // berth's filters answer denied calls with errno and need a filter mode (2).
  const ok = hasField && actions.split(' ').includes('errno');
  return feature(ok, hasField ? `seccomp actions: ${actions || 'none'}` : 'no Seccomp field in /proc/self/status (kernel without CONFIG_SECCOMP)');
}

async function probeAppArmor(): Promise<Feature> {
  const enabled = (await readText('/sys/module/apparmor/parameters/enabled')).trim();
  if (enabled === 'Y') return feature(true, '/sys/module/apparmor/parameters/enabled = Y');
  return feature(false, enabled ? `/sys/module/apparmor/parameters/enabled = ${enabled}` : 'AppArmor is not in this kernel (/sys/module/apparmor missing)');
}

async function probeFilesystem(fs: string, tool?: string): Promise<Feature> {
  const has = async (): Promise<boolean> => (await readText('/proc/filesystems')).split('\n').some((l) => l.split('\t').pop() === fs);
  let inKernel = await has();
  let how = '/proc/filesystems';
  if (!inKernel && (await which('modprobe'))) {
    await runTool('modprobe', ['-q', fs]);
    inKernel = await has();
    how = '/proc/filesystems after modprobe';
  }
  if (!inKernel) return feature(false, `${fs} not in ${how}`);
  if (!tool) return feature(true, `${fs} in ${how}`);
  const toolPath = await which(tool);
  return toolPath ? feature(true, `${fs} in ${how}; ${tool} at ${toolPath}`) : feature(false, `${fs} in ${how} but ${tool} not found (install btrfs-progs)`);
}

/** Tries to create a link inside a new, anonymous network namespace that dies with the command. */
async function probeLink(kind: string, script: string): Promise<Feature> {
  if (!(await which('ip'))) return feature(false, 'ip (iproute2) not found');
  const r = await runTool('unshare', ['--net', 'sh', '-c', `set -e; ${script}`]);
  if (r.code === 0) return feature(true, `created a ${kind} link in a scratch network namespace`);
  return feature(false, `creating a ${kind} link in a scratch network namespace: ${(r.stderr || r.stdout).trim() || describeResult('unshare', r)}`);
}

async function probeNftables(): Promise<Feature> {
  if (!(await which('nft'))) return feature(false, 'nft (nftables) not found');
  const r = await runTool('unshare', ['--net', 'nft', 'add table inet berth_probe']);
  if (r.code === 0) return feature(true, 'created an nftables table in a scratch network namespace');
  return feature(false, `nft add table in a scratch network namespace: ${(r.stderr || r.stdout).trim() || describeResult('nft', r)}`);
}
