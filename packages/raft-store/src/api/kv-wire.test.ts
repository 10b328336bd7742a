import { loadEtcdV3 } from '@berth/proto';
import type { etcd } from '@berth/proto';
import { decodePutRequest, decodeRangeRequest, encodePutResponse, encodeRangeResponse } from './kv-wire';

const kv = loadEtcdV3().KV.service;
const b = (s: string): Buffer => Buffer.from(s);

describe('kv-wire: requests decode to what proto-loader makes of them', () => {
  const puts: etcd.PutRequest[] = [
    { key: b('k'), value: b('v'.repeat(300)) },
    { key: b('key/ü'), value: Buffer.alloc(0), lease: 2 ** 40 + 7, prevKv: true, ignoreValue: true, ignoreLease: true },
    { key: b('neg'), lease: -5 },
    {},
  ];
  it.each(puts.map((p, i) => [i, p] as const))('PutRequest %i', (_i, p) => {
    const bytes = kv.Put.requestSerialize(p);
    expect(decodePutRequest(bytes)).toEqual(kv.Put.requestDeserialize(bytes));
  });

  const ranges: etcd.RangeRequest[] = [
    { key: b('a') },
    { key: b('a'), rangeEnd: b('b'), limit: 10, revision: 2 ** 33, sortOrder: 'DESCEND', sortTarget: 'MOD', serializable: true, keysOnly: true, countOnly: true,
      minModRevision: 1, maxModRevision: 2, minCreateRevision: 3, maxCreateRevision: 4 },
    { key: b('\0'), rangeEnd: b('\0'), limit: -1, revision: -2 },
    { sortOrder: 'ASCEND', sortTarget: 'VALUE' },
  ];
  it.each(ranges.map((r, i) => [i, r] as const))('RangeRequest %i', (_i, r) => {
    const bytes = kv.Range.requestSerialize(r);
    expect(decodeRangeRequest(bytes)).toEqual(kv.Range.requestDeserialize(bytes));
  });

  it('skips fields it does not know and keeps an unknown enum value as its number', () => {
    // RangeRequest{key = "x", sort_order = 9, field 20 = 1}
    const bytes = Buffer.from([0x0a, 1, 0x78, 0x28, 9, 0xa0, 0x01, 1]);
    expect(decodeRangeRequest(bytes)).toEqual(kv.Range.requestDeserialize(bytes));
    expect(decodeRangeRequest(bytes).sortOrder).toBe(9);
  });

  it('refuses a truncated request', () => {
    const bytes = kv.Put.requestSerialize({ key: b('key'), value: b('value') });
    expect(() => decodePutRequest(bytes.subarray(0, bytes.length - 2))).toThrow(/past the end/);
  });
});

describe('kv-wire: responses encode to what protobufjs reads back the same', () => {
  const header = { clusterId: 2 ** 47 + 3, memberId: 2, revision: 123_456, raftTerm: 9 };
  const kvA = { key: b('a'), createRevision: 5, modRevision: 2 ** 35, version: 3, value: b('x'.repeat(256)), lease: 0 };
  const kvB = { key: b('b/ß'), createRevision: 1, modRevision: 1, version: 1, value: Buffer.alloc(0), lease: 77 };

  it.each([
    [{ header }],
    [{ header, prevKv: kvA }],
    [{ header: { clusterId: 0, memberId: 0, revision: 0, raftTerm: 0 } }],
  ] as Array<[etcd.PutResponse]>)('PutResponse %#', (res) => {
    const mine = encodePutResponse(res);
    expect(kv.Put.responseDeserialize(mine)).toEqual(kv.Put.responseDeserialize(kv.Put.responseSerialize(res)));
  });

  it.each([
    [{ header, kvs: [], more: false, count: 0 }],
    [{ header, kvs: [kvA, kvB], more: true, count: 2 ** 34 }],
    [{ header, kvs: [kvB], count: 1 }],
  ] as Array<[etcd.RangeResponse]>)('RangeResponse %#', (res) => {
    const mine = encodeRangeResponse(res);
    expect(kv.Range.responseDeserialize(mine)).toEqual(kv.Range.responseDeserialize(kv.Range.responseSerialize(res)));
  });
});
