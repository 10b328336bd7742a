// deploy/criu-tcp-push.c, as setup-host built it (npm test runs setup-host first): preloaded,
// it must turn TCP_CORK into TCP_NODELAY and leave every other socket option alone. Checked
// on a real socket by a program that sets the options through the C library (perl), with and
// without the library, reading them back from the kernel.
import { spawnSync } from 'node:child_process';
import { criuTcpPushLib } from '@berth/node-agent';

const PROBE = `
use Socket;
socket(my $s, PF_INET, SOCK_STREAM, 6) or die "socket: $!";
setsockopt($s, 6, 3, pack("i", 1)) or die "TCP_CORK on: $!";
setsockopt($s, SOL_SOCKET, SO_KEEPALIVE, pack("i", 1)) or die "SO_KEEPALIVE: $!";
my $get = sub { unpack("i", getsockopt($s, $_[0], $_[1])) };
my $corked = $get->(6, 3);
setsockopt($s, 6, 3, pack("i", 0)) or die "TCP_CORK off: $!";
print "cork=$corked nodelay=", $get->(6, 1), " keepalive=", $get->(SOL_SOCKET, SO_KEEPALIVE), " uncorked=", $get->(6, 3), "\\n";
`;

function probe(preload?: string): string {
  const env = { ...process.env };
  delete env['LD_PRELOAD'];
  if (preload) env['LD_PRELOAD'] = preload;
  const r = spawnSync('perl', ['-e', PROBE], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`perl: ${r.stderr}`);
  return r.stdout.trim();
}

describe('criu-tcp-push (preloaded into CRIU for dumps to a page server)', () => {
  it('is built on this host', () => {
    expect(criuTcpPushLib()).toMatch(/criu-tcp-push\.so$/);
  });

  it('turns TCP_CORK into TCP_NODELAY and passes other options through', () => {
    expect(probe()).toBe('cork=1 nodelay=0 keepalive=1 uncorked=0');
    expect(probe(criuTcpPushLib())).toBe('cork=0 nodelay=1 keepalive=1 uncorked=0');
  });
});
