import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseMetadata, formatMetadata } from './metadata';
import { readTar, type TarEntry } from './tar';
import { dir, file, link, makeTestDir, removeTestDir, tarBuffer } from './test-helpers';
import { parseYaml } from './yaml';

async function readAll(buf: Buffer): Promise<Array<TarEntry & { data: string }>> {
  const out: Array<TarEntry & { data: string }> = [];
  for await (const { entry, body } of readTar([buf])) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c);
    out.push({ ...entry, data: Buffer.concat(chunks).toString() });
  }
  return out;
}

describe('tar reader and writer', () => {
  let tmp: string | undefined;
  afterEach(() => {
    removeTestDir(tmp);
    tmp = undefined;
  });

  const long = `rootfs/${'d'.repeat(120)}/${'f'.repeat(150)}`;
  const longTarget = `/${'t'.repeat(200)}`;

  it.each(['pax', 'gnu'] as const)('round-trips files, dirs, links and long names (%s)', async (longNames) => {
    const buf = await tarBuffer(
      [dir('rootfs/'), file('rootfs/a', 'hello', { uid: 1000, gid: 2000, mode: 0o4755 }), file(long, 'x'), link('rootfs/l', 'symlink', longTarget), link('rootfs/h', 'hardlink', 'rootfs/a')],
      { longNames },
    );
    expect(buf.length % 10240).toBe(0);
    const es = await readAll(buf);
    expect(es.map((e) => [e.name, e.type])).toEqual([
      ['rootfs/', 'dir'], ['rootfs/a', 'file'], [long, 'file'], ['rootfs/l', 'symlink'], ['rootfs/h', 'hardlink'],
    ]);
    expect(es[1]).toMatchObject({ data: 'hello', uid: 1000, gid: 2000, mode: 0o4755, mtime: 1700000000 });
    expect(es[3]!.linkname).toBe(longTarget);
    expect(es[4]!.linkname).toBe('rootfs/a');
  });

  it('reads what GNU tar writes (gnu and pax formats) and GNU tar reads what it writes', async () => {
    tmp = makeTestDir('gnutar');
    const src = path.join(tmp, 'src');
    const deep = path.join(src, 'x'.repeat(110), 'y'.repeat(110));
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'z'.repeat(100)), 'data');
    fs.symlinkSync('/' + 'q'.repeat(150), path.join(src, 'lnk'));
    for (const format of ['gnu', 'pax', 'ustar']) {
      const out = path.join(tmp, `${format}.tar`);
      try {
        execFileSync('tar', [`--format=${format}`, '-cf', out, '-C', src, '.'], { stdio: 'pipe' });
      } catch {
        expect(format).toBe('ustar'); // ustar cannot hold the long names: tar refuses
        continue;
      }
      const es = await readAll(fs.readFileSync(out));
      const names = es.map((e) => e.name);
      expect(names).toContain(`./${'x'.repeat(110)}/${'y'.repeat(110)}/${'z'.repeat(100)}`);
      expect(es.find((e) => e.name === './lnk')!.linkname).toBe('/' + 'q'.repeat(150));
    }
    const mine = path.join(tmp, 'mine.tar');
    fs.writeFileSync(mine, await tarBuffer([dir('a/'), file(`a/${'n'.repeat(200)}`, 'v'), link('a/s', 'symlink', '/x')]));
    const listing = execFileSync('tar', ['-tvf', mine], { encoding: 'utf8' });
    expect(listing).toContain('n'.repeat(200));
    expect(listing).toContain('a/s -> /x');
  });

  it('refuses a bad checksum, a truncated body and missing end blocks', async () => {
    const good = await tarBuffer([file('a', 'hello'), file('b', 'world')], { recordSize: 0 });
    const bad = Buffer.from(good);
    bad[1024 + 140] = 0x37; // in b's mtime, checksum not updated
    await expect(readAll(bad)).rejects.toThrow(/bad header checksum at byte 1024 after entry 'a'/);
    await expect(readAll(good.subarray(0, 1024 + 512 + 2))).rejects.toThrow(/truncated inside entry 'b'/);
    await expect(readAll(good.subarray(0, 2048))).rejects.toThrow(/missing end-of-archive blocks after entry 'b'/);
    await expect(readAll(good.subarray(0, 2048 + 512))).rejects.toThrow(/missing the second end-of-archive block/);
    await expect(readAll(Buffer.alloc(0))).rejects.toThrow(/archive is empty/);
    await expect(readAll(Buffer.from('not a tar'.repeat(100)))).rejects.toThrow(/bad header checksum at byte 0 at the start of the archive \(not a tar archive\?\)/);
  });
});

describe('YAML subset', () => {
  it('parses what LXD and go-yaml write', () => {
    const doc = parseYaml(`---
# a comment
architecture: x86_64
creation_date: 1424284563
properties:
  description: Ubuntu 22.04 LTS Intel 64bit   # trailing comment
  os: "Ubuntu"
  release: 'jammy 22.04'
  quoted: "a \\"b\\" \\u00e9 # not a comment"
templates:
  /etc/hosts:
    when:
    - create
    - rename
    template: hosts.tpl
    properties:
      foo: bar
  /etc/hostname:
    when: [start, copy]
    template: hostname.tpl
    create_only: true
list:
  - name: a
    value: 1
  - plain
  - []
empty:
nul: ~
flow: {a: 1, "b c": [x, y]}
block: |
  line one
  line two

folded: >-
  one
  two

  three
...
`);
    expect(doc).toEqual({
      architecture: 'x86_64',
      creation_date: 1424284563,
      properties: { description: 'Ubuntu 22.04 LTS Intel 64bit', os: 'Ubuntu', release: 'jammy 22.04', quoted: 'a "b" é # not a comment' },
      templates: {
        '/etc/hosts': { when: ['create', 'rename'], template: 'hosts.tpl', properties: { foo: 'bar' } },
        '/etc/hostname': { when: ['start', 'copy'], template: 'hostname.tpl', create_only: true },
      },
      list: [{ name: 'a', value: 1 }, 'plain', []],
      empty: null,
      nul: null,
      flow: { a: 1, 'b c': ['x', 'y'] },
      block: 'line one\nline two\n',
      folded: 'one two\nthree',
    });
  });

  it.each([
    ['a: &x 1\nb: *x\n', /line 1: unsupported YAML/],
    ['a: !!str 1\n', /line 1: unsupported YAML/],
    ['a: 1\na: 2\n', /line 2: duplicate key "a"/],
    ['a:\n\tb: 1\n', /line 2: tabs are not allowed/],
    ['a: one\n  two\n', /line 2: unexpected indentation/],
    ['a: "open\n', /line 1: unterminated double-quoted string/],
    ['a: b: c\n', /line 1: a plain value may not contain ": "/],
    ['a: 1\n---\nb: 2\n', /several documents/],
    ['a:\n  - x\n - y\n', /line 3: bad indentation/],
  ])('refuses %j', (text, re) => {
    expect(() => parseYaml(text, 'metadata.yaml')).toThrow(re);
    try {
      parseYaml(text, 'metadata.yaml');
    } catch (e) {
      expect((e as { code: string }).code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('metadata.yaml', () => {
  it('validates and normalizes, and formats back to what it parses', () => {
    const m = parseMetadata('architecture: amd64\ncreation_date: 5\nproperties:\n  os: x\n  n: 3\ntemplates:\n  /etc/hostname:\n    when: [create]\n    template: hostname.tpl\n', new Set(['hostname.tpl']));
    expect(m).toEqual({
      architecture: 'x86_64', creationDate: 5, properties: { os: 'x', n: '3' },
      templates: { '/etc/hostname': { when: ['create'], template: 'hostname.tpl', createOnly: false, properties: {} } },
    });
    expect(parseMetadata(formatMetadata(m), new Set(['hostname.tpl']))).toEqual(m);
  });

  it.each([
    ['creation_date: 1\n', /architecture is missing/],
    ['architecture: z80\ncreation_date: 1\n', /architecture "z80" is not one LXD knows/],
    ['architecture: x86_64\n', /creation_date is missing/],
    ['architecture: x86_64\ncreation_date: yesterday\n', /creation_date must be a non-negative integer/],
    ['architecture: x86_64\ncreation_date: 1\nproperties: [a]\n', /properties must be a mapping/],
    ['architecture: x86_64\ncreation_date: 1\ntemplates:\n  /etc/x:\n    when: [boot]\n    template: x.tpl\n', /when: "boot" is not one of/],
    ['architecture: x86_64\ncreation_date: 1\ntemplates:\n  /etc/x:\n    template: ../x.tpl\n', /is not a file name inside templates/],
    ['architecture: x86_64\ncreation_date: 1\ntemplates:\n  /etc/x:\n    template: missing.tpl\n', /is not in the image's templates/],
    ['- a\n- b\n', /must be a mapping/],
  ])('refuses %j', (text, re) => {
    expect(() => parseMetadata(text, new Set())).toThrow(re);
  });
});
