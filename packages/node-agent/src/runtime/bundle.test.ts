import { buildConfig, LXD_DEFAULT_DENY, ociResources, PRIVILEGED_CAPS, execProcess } from './bundle';

const opts = { cgroupParent: '/berth-test-unit' };

describe('buildConfig', () => {
  const cfg = buildConfig({ name: 'c1', rootfs: '/r' }, opts);
  const linux = cfg.linux as Record<string, any>;

  it('is unprivileged by default: a user namespace mapping root to 1000000 (65536 ids)', () => {
    expect(linux['namespaces'].map((n: { type: string }) => n.type).sort()).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts']);
    expect(linux['uidMappings']).toEqual([{ containerID: 0, hostID: 1_000_000, size: 65_536 }]);
    expect(linux['gidMappings']).toEqual([{ containerID: 0, hostID: 1_000_000, size: 65_536 }]);
    expect(buildConfig({ name: 'c1', rootfs: '/r' }, { ...opts, idmapBase: 2_000_000 }).linux['uidMappings']).toEqual([{ containerID: 0, hostID: 2_000_000, size: 65_536 }]);
  });

  it('runs /sbin/init with no_new_privs, without the host-only capabilities', () => {
    expect(cfg.process['args']).toEqual(['/sbin/init']);
    expect(cfg.process['noNewPrivileges']).toBe(true);
    const caps = (cfg.process['capabilities'] as Record<string, string[]>)['bounding']!;
    expect(caps).not.toContain('CAP_SYS_MODULE');
    expect(caps).not.toContain('CAP_SYS_TIME');
    expect(caps).toContain('CAP_SYS_BOOT');
    expect(cfg.hostname).toBe('c1');
  });

  it('denies LXD\'s default syscalls, the keyring and forced unmounts', () => {
    const rules = linux['seccomp'].syscalls as { names: string[]; errnoRet: number; args?: unknown[] }[];
    const denied = rules[0]!.names;
    for (const s of [...LXD_DEFAULT_DENY, 'kexec_file_load', 'keyctl', 'add_key', 'request_key']) expect(denied).toContain(s);
    expect(rules[0]!.errnoRet).toBe(38);
    expect(rules[1]).toMatchObject({ names: ['umount2'], errnoRet: 13 });
    expect(linux['maskedPaths']).toContain('/proc/kcore');
    expect(linux['readonlyPaths']).toContain('/proc/sys');
  });

  it('privileged: no user namespace and a reduced capability set', () => {
    const p = buildConfig({ name: 'p1', rootfs: '/r', privileged: true }, opts);
    expect((p.linux['namespaces'] as { type: string }[]).map((n) => n.type)).not.toContain('user');
    expect(p.linux['uidMappings']).toBeUndefined();
    expect((p.process['capabilities'] as Record<string, string[]>)['bounding']).toEqual(PRIVILEGED_CAPS);
    expect(PRIVILEGED_CAPS).not.toContain('CAP_SYS_ADMIN');
  });

  it('joins a given network namespace and puts the cgroup under the agent\'s parent', () => {
    const n = buildConfig({ name: 'n1', rootfs: '/r', networkNamespacePath: '/run/netns/x' }, opts);
    expect(n.linux['namespaces']).toContainEqual({ type: 'network', path: '/run/netns/x' });
    expect(n.linux['cgroupsPath']).toBe('/berth-test-unit/n1');
  });

  it('refuses bad names, relative paths and mappings onto host root', () => {
    expect(() => buildConfig({ name: '1abc', rootfs: '/r' }, opts)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'name' }));
    expect(() => buildConfig({ name: 'a-', rootfs: '/r' }, opts)).toThrow(expect.objectContaining({ field: 'name' }));
    expect(() => buildConfig({ name: 'a'.repeat(64), rootfs: '/r' }, opts)).toThrow(expect.objectContaining({ field: 'name' }));
    expect(() => buildConfig({ name: 'ok', rootfs: 'r' }, opts)).toThrow(expect.objectContaining({ field: 'rootfs' }));
    expect(() => buildConfig({ name: 'ok', rootfs: '/r', uidMappings: [{ containerId: 0, hostId: 0, size: 10 }] }, opts)).toThrow(expect.objectContaining({ field: 'uidMappings' }));
  });
});

describe('ociResources', () => {
  it('maps limits to OCI resources', () => {
    expect(ociResources({ memoryBytes: 64, memorySwapBytes: 128, processes: 10, cpuQuotaUs: 20_000, cpuset: '0', blkio: [{ major: 8, minor: 0, readBps: 1000 }] })).toEqual({
      memory: { limit: 64, swap: 128 },
      pids: { limit: 10 },
      cpu: { quota: 20_000, period: 100_000, cpus: '0' },
      blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }], throttleWriteBpsDevice: [], throttleReadIOPSDevice: [], throttleWriteIOPSDevice: [] },
    });
    expect(ociResources({})).toEqual({});
  });

  it('names the bad field', () => {
    expect(() => ociResources({ memoryBytes: -1 })).toThrow(expect.objectContaining({ field: 'limits.memoryBytes' }));
    expect(() => ociResources({ memoryBytes: 100, memorySwapBytes: 50 })).toThrow(expect.objectContaining({ field: 'limits.memorySwapBytes' }));
    expect(() => ociResources({ cpuset: 'all' })).toThrow(expect.objectContaining({ field: 'limits.cpuset' }));
  });
});

describe('execProcess', () => {
  it('takes the container\'s process settings and the exec\'s own', () => {
    const p = execProcess(buildConfig({ name: 'c1', rootfs: '/r' }, opts), { args: ['id'], uid: 5, gid: 6, cwd: '/tmp', tty: true });
    expect(p).toMatchObject({ args: ['id'], user: { uid: 5, gid: 6 }, cwd: '/tmp', terminal: true, noNewPrivileges: true });
    expect(() => execProcess(buildConfig({ name: 'c1', rootfs: '/r' }, opts), { args: [] })).toThrow(expect.objectContaining({ field: 'args' }));
  });
});
