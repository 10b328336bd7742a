import { formatTxnResponse, parseTxn, TxnTextError } from './txn-text';

const b = (s: string): Buffer => Buffer.from(s);

describe('raft-store txn: the text of a transaction (etcdctl\'s)', () => {
  it('reads compares, success and failure requests, quoted words and flags', () => {
    const r = parseTxn([
      'mod("key1") > "0"',
      'value("key 2") != "a \\"b\\""',
      'version("k3") = "0"',
      'create("k4") < "12"',
      'lease("k5") = "7"',
      '',
      'put key1 "over written"',
      'get key2 --prefix',
      'get a c --limit=2',
      '',
      'del key3',
      'del p --prefix',
      '',
    ].join('\n'));
    expect(r.compare).toEqual([
      { key: b('key1'), target: 'MOD', result: 'GREATER', modRevision: 0 },
      { key: b('key 2'), target: 'VALUE', result: 'NOT_EQUAL', value: b('a "b"') },
      { key: b('k3'), target: 'VERSION', result: 'EQUAL', version: 0 },
      { key: b('k4'), target: 'CREATE', result: 'LESS', createRevision: 12 },
      { key: b('k5'), target: 'LEASE', result: 'EQUAL', lease: 7 },
    ]);
    expect(r.success).toEqual([
      { requestPut: { key: b('key1'), value: b('over written') } },
      { requestRange: { key: b('key2'), rangeEnd: b('key3'), limit: 0 } },
      { requestRange: { key: b('a'), rangeEnd: b('c'), limit: 2 } },
    ]);
    expect(r.failure).toEqual([
      { requestDeleteRange: { key: b('key3'), rangeEnd: Buffer.alloc(0) } },
      { requestDeleteRange: { key: b('p'), rangeEnd: b('q') } },
    ]);
  });

  it('takes missing blocks as empty: a leading empty line means no compares', () => {
    expect(parseTxn('\nput a 1\n')).toEqual({ compare: [], success: [{ requestPut: { key: b('a'), value: b('1') } }], failure: [] });
    expect(parseTxn('value("a") = "1"\n\n\nput a 2')).toEqual({
      compare: [{ key: b('a'), target: 'VALUE', result: 'EQUAL', value: b('1') }], success: [], failure: [{ requestPut: { key: b('a'), value: b('2') } }],
    });
    expect(parseTxn('')).toEqual({ compare: [], success: [], failure: [] });
  });

  it('refuses a text it cannot read, naming the line and what is wrong', () => {
    const bad: Array<[string, RegExp]> = [
      ['size("a") = "1"', /^line 1: unknown compare target "size"/],
      ['value("a") ~ "1"', /^line 1: not a compare/],
      ['version("a") = "x"', /^line 1: version compares with a whole number, not "x"/],
      ['value("a") = "1" "2"', /^line 1: a compare takes one value after =, got 2/],
      ['value("a") = "1', /^line 1: a quoted word is not closed/],
      ['value("a\\q") = "1"', /^line 1: bad escape in the key/],
      ['\nput a', /^line 2: put takes KEY VALUE, got 1 words/],
      ['\nput a b --prefix', /^line 2: put does not take --prefix/],
      ['\nget a b --prefix', /^line 2: get takes --prefix or RANGE_END, not both/],
      ['\ndel a --limit=3', /^line 2: del does not take --limit=3/],
      ['\nincr a', /^line 2: not a request \(put, get or del\)/],
      ['\nput a 1\n\nput b 2\n\nput c 3', /^line 6: a transaction has three blocks/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseTxn(text)).toThrow(TxnTextError);
      expect(() => parseTxn(text)).toThrow(message);
    }
  });

  it('prints SUCCESS or FAILURE and each response as etcdctl does', () => {
    const kv = (k: string, v: string) => ({ key: b(k), value: b(v), createRevision: 1, modRevision: 1, version: 1, lease: 0 });
    const out = formatTxnResponse({
      header: null, succeeded: true,
      responses: [
        { responsePut: { header: null, prevKv: null } },
        { responseRange: { header: null, kvs: [kv('a', '1'), kv('b', '2')], more: false, count: 2 } },
        { responseDeleteRange: { header: null, deleted: 3, prevKvs: [] } },
      ],
    } as never);
    expect(out).toBe('SUCCESS\n\nOK\na\n1\nb\n2\n3');
    expect(formatTxnResponse({ header: null, succeeded: false, responses: [] } as never)).toBe('FAILURE\n');
  });
});
