import { parseCgroupMounts } from './probe';

// Lines in /proc/self/mountinfo's format: ids, root, mount point, options, " - ", fstype, source, super options.
const line = (mp: string, fstype: string, opts: string): string => `30 25 0:26 / ${mp} rw,nosuid,nodev,noexec,relatime shared:5 - ${fstype} ${fstype} ${opts}`;

describe('parseCgroupMounts', () => {
  it('reads a hybrid layout: v1 controllers plus a cgroup2 tree', () => {
    const info = parseCgroupMounts([
      line('/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'rw,cpu,cpuacct'),
      line('/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'),
      line('/sys/fs/cgroup/systemd', 'cgroup', 'rw,xattr,name=systemd'),
      line('/sys/fs/cgroup/unified', 'cgroup2', 'rw,nsdelegate'),
      line('/', 'ext4', 'rw'),
    ].join('\n'));
    expect(info).toEqual({ layout: 'hybrid', controllers: ['cpu', 'cpuacct', 'memory'], unifiedMount: '/sys/fs/cgroup/unified' });
  });

  it('reads a pure v1 layout', () => {
    const info = parseCgroupMounts(line('/sys/fs/cgroup/pids', 'cgroup', 'rw,pids'));
    expect(info.layout).toBe('v1');
    expect(info.controllers).toEqual(['pids']);
  });

  it('reads a pure v2 layout (controllers come from cgroup.controllers later)', () => {
    const info = parseCgroupMounts(line('/sys/fs/cgroup', 'cgroup2', 'rw,nsdelegate,memory_recursiveprot'));
    expect(info).toEqual({ layout: 'v2', controllers: [], unifiedMount: '/sys/fs/cgroup' });
  });

  it('says none when no cgroup filesystem is mounted', () => {
    expect(parseCgroupMounts(line('/', 'ext4', 'rw')).layout).toBe('none');
  });
});
