import { loadBerthV1 } from '@berth/proto';
import type { RaftMessage__Output } from '@berth/proto';
import type { Message } from '../core/messages';
import { fromWire, toWire } from './grpc-transport';
import { decodeForwardBatch, decodeRaftBatch, encodeForwardBatch, encodeRaftBatch } from './raft-wire';

const svc = loadBerthV1().RaftTransport.service;
const BIG = 2 ** 53 - 1;

const msg = (over: Partial<Message>): Message => ({
  type: 'MsgApp', from: 1, to: 2, term: 3, logTerm: 2, index: 10, commit: 9, reject: false, rejectHint: 0, entries: [], ...over,
});

const samples: Message[] = [
  msg({}),
  msg({ type: 'MsgAppResp', from: 2, to: 1, reject: true, rejectHint: 7, term: 0, logTerm: 0, index: 0, commit: 0 }),
  msg({ type: 'MsgHeartbeat', context: '' }),
  msg({ type: 'MsgReadIndex', context: 'rd-ßü-1' }),
  msg({
    from: 0x1_0000_0001, to: BIG, term: BIG, logTerm: 2 ** 40, index: 2 ** 35 + 3, commit: 127, rejectHint: 128,
    entries: [
      { index: 2 ** 35 + 4, term: 2 ** 40, type: 'normal', data: Buffer.from('payload'), clientId: 'client-é', seq: 0 },
      { index: 2 ** 35 + 5, term: 2 ** 40, type: 'normal', data: new Uint8Array() },
      { index: 2 ** 35 + 6, term: 2 ** 40, type: 'conf-change', data: new Uint8Array(), confChange: { type: 'remove', nodeId: 300 } },
      { index: 2 ** 35 + 7, term: 2 ** 40, type: 'normal', data: Buffer.alloc(70_000, 7), clientId: 'c', seq: 2 ** 33 },
    ],
  }),
  msg({
    type: 'MsgSnap', context: 'x',
    snapshot: { metadata: { index: 90, term: 5, confState: { voters: [1, 2, 2 ** 34], learners: [4] } }, data: new Uint8Array() },
  }),
  msg({ type: 'MsgSnap', snapshot: { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: new Uint8Array() } }),
  msg({ type: 'MsgTimeoutNow' }),
  msg({
    type: 'MsgProp', from: 3, to: 1, logTerm: 0, index: 0, commit: 0,
    entries: [
      { index: 0, term: 0, type: 'normal', data: Buffer.from('fwd'), forwardId: 2 ** 47 + 5 },
      { index: 0, term: 0, type: 'normal', data: Buffer.from('fwd2'), clientId: 'c', seq: 4, forwardId: 1 },
    ],
  }),
  msg({ type: 'MsgPropResp', from: 1, to: 3, reject: true, rejectHint: 2, logTerm: 0, index: 0, commit: 0, entries: [{ index: 0, term: 0, type: 'normal', data: new Uint8Array(), forwardId: 77 }] }),
];

/** What the receiving side hands the core: entries' data compared by content. */
function plain(m: Message): unknown {
  return { ...m, entries: m.entries.map((e) => ({ ...e, data: Buffer.from(e.data).toString('hex') })) };
}

describe('raft-wire: RaftMessageBatch', () => {
  it('round-trips every field, 64-bit values below 2^53 included', () => {
    const { messages, malformed } = decodeRaftBatch(encodeRaftBatch('cluster-α', samples));
    expect(malformed).toBe(0);
    expect(messages.map((w) => w.clusterId)).toEqual(samples.map(() => 'cluster-α'));
    expect(messages.map((w) => plain(w.message))).toEqual(samples.map(plain));
  });

  it('protobufjs reads what it writes, field for field', () => {
    const bytes = encodeRaftBatch('cl', samples);
    const viaPbjs = (svc.Stream.requestDeserialize(bytes) as { messages: RaftMessage__Output[] }).messages;
    expect(viaPbjs.map((w) => plain(fromWire(w)))).toEqual(samples.map(plain));
    expect(viaPbjs.every((w) => w.clusterId === 'cl')).toBe(true);
  });

  it('reads what protobufjs writes', () => {
    const bytes = svc.Stream.requestSerialize({ messages: samples.map((m) => toWire('cl', m)) });
    const { messages, malformed } = decodeRaftBatch(bytes);
    expect(malformed).toBe(0);
    expect(messages.map((w) => plain(w.message))).toEqual(samples.map(plain));
  });

  it('reads unpacked repeated ids and skips unknown fields', () => {
    // RaftMessage{type = 9 (MsgSnap), snapshot_voters = 1, snapshot_voters = 3 (unpacked),
    // field 30 (unknown, varint), field 31 (unknown, bytes)}, in a batch.
    const inner = Buffer.from([0x10, 9, 0x78, 1, 0x78, 3, 0xf0, 0x01, 5, 0xfa, 0x01, 2, 0xaa, 0xbb]);
    const bytes = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
    const { messages } = decodeRaftBatch(bytes);
    expect(messages[0]!.message.snapshot!.metadata.confState.voters).toEqual([1, 3]);
  });

  it('leaves out a message it cannot decode and keeps the others', () => {
    const good = encodeRaftBatch('cl', [samples[0]!]);
    const unknownType = Buffer.from([0x0a, 2, 0x10, 99]); // type 99
    const truncated = Buffer.from([0x0a, 3, 0x42, 5, 1]); // entries field claims 5 bytes, has 1
    const { messages, malformed } = decodeRaftBatch(Buffer.concat([unknownType, good, truncated, good]));
    expect(malformed).toBe(2);
    expect(messages).toHaveLength(2);
  });

  it('refuses a batch whose own framing is broken', () => {
    const good = encodeRaftBatch('cl', [samples[0]!]);
    expect(() => decodeRaftBatch(good.subarray(0, good.length - 1))).toThrow(/past the end/);
    expect(() => decodeRaftBatch(Buffer.from([0x0a, 0x80]))).toThrow(/truncated varint/);
  });
});

describe('raft-wire: ForwardBatch', () => {
  const items = [{ id: 1, body: Buffer.from('req') }, { id: 2 ** 40, error: 'not leader — ask 3' }, { id: 3, body: Buffer.alloc(0) }];

  it('round-trips, and matches protobufjs in both directions', () => {
    const expected = [{ id: 1, body: 'req', error: '' }, { id: 2 ** 40, body: '', error: 'not leader — ask 3' }, { id: 3, body: '', error: '' }];
    const show = (xs: Array<{ id: number; body: Buffer; error: string }>) => xs.map((x) => ({ id: Number(x.id), body: x.body.toString(), error: x.error }));
    expect(show(decodeForwardBatch(encodeForwardBatch(items)))).toEqual(expected);
    const viaPbjs = svc.Forward.requestDeserialize(encodeForwardBatch(items)) as { items: Array<{ id: number; body: Buffer; error: string }> };
    expect(show(viaPbjs.items)).toEqual(expected);
    expect(show(decodeForwardBatch(svc.Forward.responseSerialize({ items })))).toEqual(expected);
  });
});
