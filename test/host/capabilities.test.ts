// The capability report must agree with what this host really does. Each claim is
// checked here against a separate run of the tool or a different kernel interface than
// the one the probe reads, never against values written into the test.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { berthBinDir, criuPipeClampLib, probeHost } from '@berth/node-agent';
import type { HostCapabilities } from '@berth/node-agent';
import { sh } from '../support/shell';

let report: HostCapabilities;

beforeAll(async () => {
  report = await probeHost();
});

const ok = (script: string): boolean => sh(script).code === 0;

describe('host capability report', () => {
  it('names this kernel', () => {
    expect(report.kernelRelease).toBe(sh('uname -r').out.trim());
    expect(report.architecture).toBe(sh('uname -m').out.trim());
  });

  it('gets the cgroup layout and controllers right', () => {
    const rootFs = sh('stat -f -c %T /sys/fs/cgroup').out.trim();
    const unified = sh('findmnt -n -t cgroup2 -o TARGET').out.trim().split('\n')[0] ?? '';
    const expected = rootFs === 'cgroup2fs' ? 'v2' : unified ? 'hybrid' : 'v1';
    expect(report.cgroups.layout).toBe(expected);
    expect(report.cgroups.unifiedMount).toBe(unified);
    if (expected !== 'v2') {
      // /proc/cgroups: subsystem, hierarchy id, count, enabled. Mounted v1 controllers have a hierarchy.
      const mounted = fs.readFileSync('/proc/cgroups', 'utf8').split('\n')
        .filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'))
        .filter(([, hier, , enabled]) => hier !== '0' && enabled === '1').map(([name]) => name).sort();
      expect(report.cgroups.controllers).toEqual(mounted);
    }
  });

  it('reports runc as `runc --version` does', () => {
    const r = sh('runc --version');
    expect(report.runc.available).toBe(r.code === 0);
    if (r.code === 0) {
      expect(r.out).toContain(`runc version ${report.runc.version}`);
      expect(fs.existsSync(report.runc.path)).toBe(true);
    }
  });

  it('reports CRIU as the criu on berth\'s PATH does, with its features', () => {
    const c = report.criu;
    const found = sh('command -v criu').out.trim();
    expect(c.path).toBe(found);
    if (!found) {
      expect(c.available).toBe(false);
      return;
    }
    expect(c.source).toBe(path.dirname(found) === berthBinDir() ? 'berth-private' : 'host');
    expect(sh(`"${found}" --version`).out).toContain(`Version: ${c.version}`);
    const checks = sh(`"${found}" check`).code === 0;
    expect(c.available).toBe(checks);
    expect(c.checkpointRestore.supported).toBe(checks);
    if (!checks) return;
    const feat = (name: string): boolean => {
      const r = sh(`"${found}" check --feature ${name}`);
      return r.code === 0 && /is supported/.test(r.out + r.err);
    };
    // Lazy pages also need criu-pipe-clamp.so (setup-host builds it) and, for unprivileged
    // containers, a userfaultfd they may open: vm.unprivileged_userfaultfd=1, or berthd's window
    // around the restore (allowed unless BERTH_UFFD_WINDOW=0).
    const unprivUffd = fs.readFileSync('/proc/sys/vm/unprivileged_userfaultfd', 'utf8').trim();
    const uffd = feat('uffd') && feat('uffd-noncoop');
    expect(c.lazyPages.supported).toBe(uffd && criuPipeClampLib() !== undefined && (unprivUffd === '1' || process.env['BERTH_UFFD_WINDOW'] !== '0'));
    if (c.lazyPages.supported) expect(c.lazyPages.detail).toContain(`vm.unprivileged_userfaultfd=${unprivUffd}${unprivUffd === '1' ? '' : ' (set to 1 by berthd only around a post-copy restore)'}`);
    expect(c.memDirtyTrack.supported).toBe(feat('mem_dirty_track'));
    expect(c.userNamespaces.supported).toBe(feat('userns'));
  });

  it('says whether CRIU\'s page server speaks TLS as a real TLS session with it does', () => {
    if (!report.criu.available) return;
    const found = sh('command -v criu').out.trim();
    // A CA and a certificate made by openssl (not berth's PKI), a page server with them, and
    // openssl s_client presenting the same certificate: the handshake completes or not.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-pstls-'));
    try {
      const r = sh(`set -e; cd "${dir}"
        openssl ecparam -name prime256v1 -genkey -noout -out ca.key
        openssl req -x509 -new -key ca.key -subj /CN=t-ca -days 1 -out ca.crt 2>/dev/null
        openssl ecparam -name prime256v1 -genkey -noout -out m.key
        openssl req -new -key m.key -subj /CN=m -out m.csr 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > ext
        openssl x509 -req -in m.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile ext -out m.crt 2>/dev/null
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        mkdir img
        timeout 20 "${found}" page-server --images-dir "${dir}/img" --address 127.0.0.1 --port $port --tls --tls-cacert "${dir}/ca.crt" --tls-cert "${dir}/m.crt" --tls-key "${dir}/m.key" -o "${dir}/ps.log" -v4 &
        for i in $(seq 50); do grep -q "Starting page server" "${dir}/ps.log" 2>/dev/null && break; sleep 0.1; done
        echo | timeout 10 openssl s_client -connect 127.0.0.1:$port -CAfile ca.crt -cert m.crt -key m.key >/dev/null 2>&1 || true
        wait || true
        grep -c "TLS handshake completed" "${dir}/ps.log" || true`);
      const handshake = Number(r.out.trim().split('\n').pop()) > 0;
      expect(report.criu.pageServerTls.supported).toBe(handshake);
      expect(report.criu.pageServerTls.detail.length).toBeGreaterThan(5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports kernel features as they behave', () => {
    expect(report.userNamespaces.supported).toBe(ok('unshare -Ur true'));
    expect(report.seccomp.supported).toBe(ok('grep -q "^Seccomp:" /proc/self/status'));
    expect(report.apparmor.supported).toBe(ok('test -d /sys/kernel/security/apparmor || test "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y'));
    expect(report.btrfs.supported).toBe(ok('grep -qw btrfs /proc/filesystems && command -v mkfs.btrfs'));
    expect(report.overlay.supported).toBe(ok('grep -qw overlay /proc/filesystems'));
  });

  it('reports link types as creating them in a scratch network namespace does', () => {
    const link = (script: string): boolean => ok(`unshare -n sh -ec '${script}'`);
    expect(report.bridge.supported).toBe(link('ip link add br-t type bridge'));
    expect(report.veth.supported).toBe(link('ip link add va type veth peer name vb'));
    expect(report.vxlan.supported).toBe(link('ip link add vx type vxlan id 7 dstport 4789 local 127.0.0.1'));
    expect(report.vlan.supported).toBe(link('ip link add va type veth peer name vb; ip link add link va name va.5 type vlan id 5'));
    expect(report.macvlan.supported).toBe(link('ip link add va type veth peer name vb; ip link add mv link va type macvlan'));
    expect(report.nftables.supported).toBe(link('nft list ruleset'));
  });

  it('explains every unsupported feature', () => {
    const features = [report.userNamespaces, report.seccomp, report.apparmor, report.btrfs, report.overlay,
      report.bridge, report.veth, report.vxlan, report.vlan, report.nftables, report.macvlan,
      report.criu.checkpointRestore, report.criu.lazyPages, report.criu.memDirtyTrack, report.criu.userNamespaces];
    for (const f of features) expect(f.detail.length).toBeGreaterThan(5);
  });
});
