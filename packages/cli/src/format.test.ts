import { csv, csvField, formatList, lxdInstance, toYaml, yamlScalar } from './format';
import type { ApiInstance } from './format';
import { EXIT, UsageError, exitCodeFor } from './exit';
import { ApiError, DaemonUnreachableError } from './client';
import { RemoteError, RemoteUnreachableError } from './remotes';
import { Status } from './wire';

const inst = (over: Partial<ApiInstance> = {}): ApiInstance => ({
  name: 'c1', status: 'Running', location: 'member2', config: { 'limits.memory': '64MiB', 'a.b': 'x' }, imageFingerprint: 'ab'.repeat(32),
  stateful: false, createdAtUnixMs: Date.UTC(2026, 10, 27, 4, 5, 6, 789), description: 'web', ...over,
});

describe('csv (RFC 4180)', () => {
  it('quotes only the fields that need it, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField('')).toBe('');
    expect(csv([['a', 'b,c'], ['"', '']])).toBe('a,"b,c"\n"""",\n');
    expect(csv([])).toBe('');
  });
});

describe('yaml', () => {
  it('quotes the scalars a YAML reader would take for something else', () => {
    for (const s of ['', 'true', 'no', 'y', 'null', '~', '12', '0755', '1e3', '0x1f', '.inf', '2026-11-27', '2026-11-27T04:05:06Z', 'a: b', 'x #y', '-x', ' lead', 'trail ', 'l1\nl2', '[x]', '{x}', '*a', '&a', '!t', '%p', '@a', '`a', '"q', "'q", '---', '...x', 'a:']) {
      expect(yamlScalar(s)).toBe(JSON.stringify(s));
    }
    for (const s of ['64MiB', 'Running', 'member2', 'limits.memory', 'a-b', 'a:b', 'x#y', 'c1/snap0']) expect(yamlScalar(s)).toBe(s);
  });

  it('writes block maps and sequences, with empty ones inline', () => {
    expect(toYaml({ a: 'x', b: { c: 1, d: [] }, e: ['p', { q: true, r: {} }], f: null })).toBe([
      'a: x', 'b:', '  c: 1', '  d: []', 'e:', '- p', '- q: true', '  r: {}', 'f: null', '',
    ].join('\n'));
    expect(toYaml([])).toBe('[]\n');
    expect(toYaml([['a', ['b']]])).toBe('- - a\n  - - b\n');
  });
});

describe('an instance with LXD\'s field names', () => {
  it('has name, status, status_code, type, location, config, created_at (RFC 3339)', () => {
    const j = lxdInstance(inst());
    expect(j).toEqual({
      name: 'c1', description: 'web', status: 'Running', status_code: 103, type: 'container', location: 'member2',
      config: { 'a.b': 'x', 'limits.memory': '64MiB' }, devices: {}, ephemeral: false, profiles: [], stateful: false,
      created_at: '2026-11-27T04:05:06.789Z', image_fingerprint: 'ab'.repeat(32),
    });
    expect(Object.keys(j['config'] as object)).toEqual(['a.b', 'limits.memory']);
    expect(lxdInstance(inst({ status: 'Stopped' }))['status_code']).toBe(102);
    expect(lxdInstance(inst({ status: 'Frozen' }))['status_code']).toBe(110);
    expect(lxdInstance(inst({ status: 'Unknown' }))['status_code']).toBe(0);
  });

  it('list formats: table (LOCATION when clustered), csv, json, yaml', () => {
    const two = [inst(), inst({ name: 'c,2', status: 'Stopped', location: 'member1' })];
    expect(formatList(two, 'csv')).toBe(`c1,RUNNING,${'ab'.repeat(6)},member2\n"c,2",STOPPED,${'ab'.repeat(6)},member1\n`);
    expect(formatList(two, 'table').split('\n')[1]).toMatch(/^\| NAME +\| STATUS +\| IMAGE +\| LOCATION \|$/);
    expect(formatList([inst({ location: '' })], 'table').split('\n')[1]).not.toMatch(/LOCATION/);
    expect(JSON.parse(formatList(two, 'json'))).toEqual(two.map(lxdInstance));
    expect(formatList([], 'json')).toBe('[]\n');
    expect(formatList([], 'yaml')).toBe('[]\n');
    expect(formatList(two, 'yaml')).toMatch(/^- name: c1\n {2}description: web\n {2}status: Running\n {2}status_code: 103\n/);
  });
});

describe('exit codes', () => {
  it('0 ok, 1 server failure, 2 usage, 3 unreachable, 4 not found', () => {
    expect(EXIT).toEqual({ OK: 0, FAILURE: 1, USAGE: 2, UNREACHABLE: 3, NOT_FOUND: 4 });
    expect(exitCodeFor(new ApiError(Status.FAILED_PRECONDITION, 'running'))).toBe(1);
    expect(exitCodeFor(new ApiError(Status.ALREADY_EXISTS, 'exists'))).toBe(1);
    expect(exitCodeFor(new ApiError(Status.UNAVAILABLE, 'no quorum'))).toBe(1);
    expect(exitCodeFor(new ApiError(Status.NOT_FOUND, 'no instance'))).toBe(4);
    expect(exitCodeFor(new UsageError('missing'))).toBe(2);
    const yerror = new Error('Unknown argument: x');
    yerror.name = 'YError';
    expect(exitCodeFor(yerror)).toBe(2);
    expect(exitCodeFor(new DaemonUnreachableError('/x/unix.socket', new Error('ENOENT')))).toBe(3);
    expect(exitCodeFor(new RemoteUnreachableError('cannot reach 10.0.0.1:8443'))).toBe(3);
    expect(exitCodeFor(new RemoteError('bad config'))).toBe(1);
    expect(exitCodeFor(new Error('anything else'))).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
  });
});
