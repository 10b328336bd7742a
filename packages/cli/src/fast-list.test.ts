import { parseListArgs } from './fast-list';

describe('berth list without yargs', () => {
  it('takes a plain list with --format and --target, in every spelling yargs takes', () => {
    expect(parseListArgs(['list'])).toEqual({ format: 'table', target: '' });
    expect(parseListArgs(['ls', '--format', 'json'])).toEqual({ format: 'json', target: '' });
    expect(parseListArgs(['list', '-f', 'csv', '--target', 'member2'])).toEqual({ format: 'csv', target: 'member2' });
    expect(parseListArgs(['list', '--format=yaml', '--target=m3'])).toEqual({ format: 'yaml', target: 'm3' });
  });

  it('leaves everything else to the full parser (which answers as before)', () => {
    for (const args of [
      [], ['info'], ['list', 'prod:'], ['list', '--remote', 'prod'], ['list', '-q'], ['list', '--help'],
      ['list', '--format'], ['list', '--format', 'xml'], ['list', '--format', 'json', '--format', 'csv'],
      ['list', '--target'], ['list', '--target', '--format'], ['list', '--bogus'], ['list', '--format=json=x'],
    ]) expect(parseListArgs(args)).toBeUndefined();
  });
});
