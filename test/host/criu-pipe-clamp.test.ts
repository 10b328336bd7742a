// deploy/criu-pipe-clamp.c, as setup-host built it (npm test runs setup-host first):
// preloaded, CRIU's one request for a 819-page tee pipe that the kernel refuses above
// fs.pipe-max-size (EPERM without CAP_SYS_RESOURCE) is made again at that limit; any other
// F_SETPIPE_SZ, refused or not, is left as the kernel answers it. Checked on real pipes by a
// program that calls fcntl through the C library (perl), with and without the library.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { criuPipeClampLib } from '@berth/node-agent';

// F_SETPIPE_SZ = 1031 (Linux); perl prints the size the kernel answered, or the error.
const PROBE = `
for my $size (@ARGV) {
  pipe(my $r, my $w) or die "pipe: $!";
  my $got = fcntl($r, 1031, $size + 0); # a number: a string would be passed as a pointer
  print defined $got ? "$size:" . ($got + 0) : "$size:$!", "\\n";
}
`;

function probe(sizes: number[], preload?: string): string[] {
  const env = { ...process.env };
  delete env['LD_PRELOAD'];
  if (preload) env['LD_PRELOAD'] = preload;
  const r = spawnSync('perl', ['-e', PROBE, ...sizes.map(String)], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`perl: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

describe('criu-pipe-clamp (preloaded into CRIU for lazy dumps)', () => {
  const max = Number(fs.readFileSync('/proc/sys/fs/pipe-max-size', 'utf8').trim());
  const teePipe = 819 * 4096;
  // Whether this process may exceed the limit (CAP_SYS_RESOURCE, bit 24 of its effective set).
  const mayExceed = (BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 24n) & 1n;

  it('is built on this host', () => {
    expect(criuPipeClampLib()).toMatch(/criu-pipe-clamp\.so$/);
  });

  it('makes CRIU\'s refused tee-pipe request at fs.pipe-max-size, and leaves every other request alone', () => {
    const other = 2 * max; // above the limit too, but not CRIU's tee pipe
    const without = probe([teePipe, other, 65536]);
    const withLib = probe([teePipe, other, 65536], criuPipeClampLib());
    if (mayExceed === 1n || teePipe <= max) {
      // Nothing is refused here: the library changes nothing.
      expect(withLib).toEqual(without);
      return;
    }
    expect(without[0]).toMatch(/^3354624:Operation not permitted$/);
    expect(withLib[0]).toBe(`3354624:${max}`);
    expect(withLib[1]).toBe(without[1]); // refused, as without the library
    expect(withLib[1]).toMatch(/Operation not permitted$/);
    expect(withLib[2]).toBe('65536:65536');
  });
});
