import { EXIT, exitCodeFor } from './exit';
import { applyRemotePrefixes, splitRemote } from './remote-prefix';
import { currentRemote, selectRemote } from './remotes';

const known = (): string[] => ['prod', 'lab'];

/** Runs the middleware on an argv as yargs makes it; answers the argv and the remote it selected. */
function apply(argv: Record<string, unknown>): { argv: Record<string, unknown>; remote: string } {
  selectRemote(typeof argv['remote'] === 'string' ? argv['remote'] : undefined);
  applyRemotePrefixes(argv, known);
  return { argv, remote: currentRemote({ BERTH_DIR: '/nowhere' }) };
}

function usageError(argv: Record<string, unknown>): string {
  try {
    apply(argv);
  } catch (e) {
    expect(exitCodeFor(e)).toBe(EXIT.USAGE);
    return (e as Error).message;
  }
  throw new Error(`no error for ${JSON.stringify(argv)}`);
}

describe('REMOTE:NAME arguments (lxc\'s form)', () => {
  afterEach(() => selectRemote(undefined));

  it('splits at the first colon only', () => {
    expect(splitRemote('c1')).toEqual({ name: 'c1' });
    expect(splitRemote('prod:c1')).toEqual({ remote: 'prod', name: 'c1' });
    expect(splitRemote('prod:c1/snap0')).toEqual({ remote: 'prod', name: 'c1/snap0' });
    expect(splitRemote('prod:')).toEqual({ remote: 'prod', name: '' });
  });

  it('takes a bare REMOTE: for monitor and cluster list too', () => {
    expect(apply({ _: ['monitor'], server: 'prod:' })).toMatchObject({ remote: 'prod' });
    expect(apply({ _: ['cluster'], action: 'list', name: 'lab:' })).toMatchObject({ argv: { name: undefined }, remote: 'lab' });
    expect(apply({ _: ['cluster'], action: 'show', name: 'lab:member2' })).toMatchObject({ argv: { name: 'member2' }, remote: 'lab' });
    expect(usageError({ _: ['cluster'], action: 'show', name: 'lab:' })).toMatch(/the member's name is missing after "lab:"/);
    expect(usageError({ _: ['monitor'], server: 'nope:' })).toMatch(/no remote named "nope" in "nope:"/);
  });

  it('selects the remote and strips the prefix, for the commands that name instances', () => {
    expect(apply({ _: ['info'], name: 'prod:c1' })).toMatchObject({ argv: { name: 'c1' }, remote: 'prod' });
    expect(apply({ _: ['launch'], image: 'busybox', name: 'lab:c2' })).toMatchObject({ argv: { image: 'busybox', name: 'c2' }, remote: 'lab' });
    expect(apply({ _: ['exec'], name: 'prod:c1', command: ['ps'] })).toMatchObject({ argv: { name: 'c1', command: ['ps'] }, remote: 'prod' });
    expect(apply({ _: ['config', 'set'], name: 'prod:c1', pairs: ['a=b:c'] })).toMatchObject({ argv: { name: 'c1', pairs: ['a=b:c'] }, remote: 'prod' });
    expect(apply({ _: ['rename'], name: 'prod:a', 'new-name': 'prod:b', newName: 'prod:b' })).toMatchObject({ argv: { name: 'a', 'new-name': 'b', newName: 'b' }, remote: 'prod' });
    expect(apply({ _: ['publish'], source: 'prod:c1/snap0' })).toMatchObject({ argv: { source: 'c1/snap0' }, remote: 'prod' });
    expect(apply({ _: ['stop'], name: 'local:c1' })).toMatchObject({ argv: { name: 'c1' }, remote: 'local' });
  });

  it('a bare REMOTE: for list (its instances) and info (the server)', () => {
    expect(apply({ _: ['list'], server: 'prod:' })).toMatchObject({ argv: { server: '' }, remote: 'prod' });
    expect(apply({ _: ['ls'], server: 'lab:' })).toMatchObject({ remote: 'lab' });
    const info = apply({ _: ['info'], name: 'prod:' });
    expect(info.remote).toBe('prod');
    expect(info.argv['name']).toBeUndefined();
  });

  it('leaves plain names, other arguments and other commands alone', () => {
    expect(apply({ _: ['info'], name: 'c1' })).toMatchObject({ argv: { name: 'c1' }, remote: 'local' });
    expect(apply({ _: ['exec'], name: 'c1', command: ['echo', 'a:b'] })).toMatchObject({ argv: { command: ['echo', 'a:b'] }, remote: 'local' });
    expect(apply({ _: ['image'], action: 'import', args: ['x:y'] })).toMatchObject({ argv: { args: ['x:y'] }, remote: 'local' });
    expect(apply({ _: ['info'], name: 'prod:c1', remote: 'prod' })).toMatchObject({ remote: 'prod' });
  });

  it('usage errors (exit 2): an unknown remote (named, with the known ones), conflicts, missing parts', () => {
    expect(usageError({ _: ['info'], name: 'nope:c1' })).toBe('no remote named "nope" in "nope:c1" (the remotes: local, lab, prod; see: berth remote list; add one with: berth remote add nope ADDRESS --token TOKEN)');
    expect(usageError({ _: ['list'], server: 'nope:' })).toMatch(/^no remote named "nope"/);
    expect(usageError({ _: ['info'], name: 'prod:c1', remote: 'lab' })).toBe('prod:c1 names remote "prod" but --remote says "lab"');
    expect(usageError({ _: ['copy'], source: 'prod:c1', name: 'lab:c2' })).toBe('prod:c1 and lab:c2 name different remotes: berth copy works within one remote');
    expect(usageError({ _: ['start'], name: 'prod:' })).toBe('prod:: the instance\'s name is missing after "prod:"');
    expect(usageError({ _: ['start'], name: ':c1' })).toBe(':c1: the remote\'s name is missing before ":"');
    expect(usageError({ _: ['list'], server: 'c1' })).toMatch(/give a remote as REMOTE:/);
  });
});
