/**
 * The CLI's descriptor codec against protobufjs (what @grpc/proto-loader runs), for every
 * message type of berth.v1: the same bytes from encode, the same objects (and key order) from
 * decode, the same errors for bad input.
 */
import * as protobuf from 'protobufjs';
import { BERTH_V1_DESCRIPTOR_JSON } from '@berth/proto/dist/gen/descriptor';
import { DescriptorCodecs } from './codec';

const descriptor = JSON.parse(BERTH_V1_DESCRIPTOR_JSON) as protobuf.INamespace;
const root = protobuf.Root.fromJSON(descriptor);
const codecs = new DescriptorCodecs(descriptor as ConstructorParameters<typeof DescriptorCodecs>[0], 'berth.v1');
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };

/** A deterministic pseudo-random source (xorshift32). */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const STRINGS = ['', 'c1', 'limits.memory', 'ünïcödé ✓ 𝄞', 'a: b, "c"', 'x'.repeat(300)];

/** A plain object for `type` with some fields set (as callers of the API would pass). */
function sample(type: protobuf.Type, r: () => number, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const chosenOneof = new Map(type.oneofsArray.map((of) => [of.name, of.fieldsArray[Math.floor(r() * of.fieldsArray.length)]!.name]));
  for (const f of type.fieldsArray) {
    f.resolve();
    if (f.partOf && chosenOneof.get(f.partOf.name) !== f.name) continue;
    if (!f.partOf && r() < 0.2) continue;
    const one = (): unknown => {
      if (f.resolvedType instanceof protobuf.Type) return depth > 3 ? {} : sample(f.resolvedType, r, depth + 1);
      if (f.resolvedType instanceof protobuf.Enum) return Object.keys(f.resolvedType.values)[0];
      switch (f.type) {
        case 'string': return STRINGS[Math.floor(r() * STRINGS.length)];
        case 'bool': return r() < 0.5;
        case 'bytes': return Buffer.from(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256)));
        case 'double': case 'float': return r() < 0.2 ? 0 : (r() - 0.5) * 1e6;
        case 'int32': case 'sint32': case 'sfixed32': return Math.floor((r() - 0.5) * 2 ** 32);
        case 'uint32': case 'fixed32': return Math.floor(r() * 2 ** 32);
        case 'int64': case 'sint64': case 'sfixed64': return r() < 0.3 ? Math.floor((r() - 0.5) * 2 ** 53) : Math.floor(r() * 1e6);
        default: return r() < 0.3 ? Math.floor(r() * 2 ** 53) : Math.floor(r() * 1e6);
      }
    };
    if (f.map) o[f.name] = Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, (_, i) => [`k${i}.${STRINGS[i % STRINGS.length]}`, one()]));
    else if (f.repeated) o[f.name] = Array.from({ length: Math.floor(r() * 4) }, one);
    else o[f.name] = one();
  }
  return o;
}

/** JSON with the key order kept and Buffers as hex, so order differences show. */
const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => ((x as { type?: string })?.type === 'Buffer' ? `hex:${Buffer.from((x as { data: number[] }).data).toString('hex')}` : x));

describe('DescriptorCodecs (berth.v1) against protobufjs', () => {
  const names = codecs.typeNames();

  it('knows every message type of berth.v1', () => {
    expect(names.length).toBeGreaterThan(50);
    expect(names).toEqual(expect.arrayContaining(['Instance', 'ListInstancesRequest', 'ListInstancesResponse', 'ServerInfo', 'ExecInput']));
  });

  it('encodes to the same bytes and decodes to the same objects, for every type', () => {
    let checked = 0;
    for (const name of names) {
      const pb = root.lookupType(`berth.v1.${name}`);
      const mine = codecs.type(name);
      const r = rng(name.length * 7919 + 17);
      for (let i = 0; i < 25; i++) {
        const obj = i === 0 ? {} : sample(pb, r);
        const want = Buffer.from(pb.encode(pb.fromObject(obj)).finish());
        const got = mine.encode(obj);
        expect({ name, obj: show(obj), bytes: got.toString('hex') }).toEqual({ name, obj: show(obj), bytes: want.toString('hex') });
        expect({ name, decoded: show(mine.decode(want)) }).toEqual({ name, decoded: show(pb.toObject(pb.decode(want), TO_OBJECT)) });
        checked++;
      }
    }
    expect(checked).toBe(names.length * 25);
  });

  it('skips unknown fields of every wire type, as protobufjs does', () => {
    const pb = root.lookupType('berth.v1.Instance');
    const known = Buffer.from(pb.encode(pb.fromObject({ name: 'c1', config: { a: 'b' }, createdAtUnixMs: 1234 })).finish());
    // field 90 varint, 91 fixed64, 92 length-delimited, 93 fixed32, 94 a group holding a varint
    const unknown = Buffer.from([0xd0, 0x05, 0x96, 0x01, 0xd9, 0x05, 1, 2, 3, 4, 5, 6, 7, 8, 0xe2, 0x05, 2, 0x61, 0x62, 0xed, 0x05, 1, 2, 3, 4, 0xf3, 0x05, 0x08, 0x01, 0xf4, 0x05]);
    const bytes = Buffer.concat([unknown, known]);
    expect(show(codecs.type('Instance').decode(bytes))).toBe(show(pb.toObject(pb.decode(bytes), TO_OBJECT)));
  });

  it('accepts int64 as decimal strings and decodes a repeated scalar sent unpacked', () => {
    const pb = root.lookupType('berth.v1.Instance');
    expect(codecs.type('Instance').encode({ createdAtUnixMs: '9007199254740993' }).toString('hex'))
      .toBe(Buffer.from(pb.encode(pb.fromObject({ createdAtUnixMs: '9007199254740993' })).finish()).toString('hex'));
    const withList = root.lookupType('berth.v1.' + names.find((n) => root.lookupType(`berth.v1.${n}`).fieldsArray.some((f) => f.repeated && f.type === 'uint64'))!);
    const f = withList.fieldsArray.find((x) => x.repeated && x.type === 'uint64')!;
    const tag = (f.id << 3) | 0;
    const unpacked = Buffer.from([tag, 5, tag, 7]);
    expect(codecs.type(withList.name).decode(unpacked)[f.name]).toEqual([5, 7]);
  });

  it('refuses what protobufjs refuses, with the same messages', () => {
    const cases: Array<[string, unknown]> = [
      ['ListInstancesRequest', null],
      ['ListInstancesRequest', 'x'],
      ['ListInstancesResponse', { instances: 'nope' }],
      ['ListInstancesResponse', { instances: [5] }],
      ['Instance', { config: 7 }],
    ];
    for (const [name, obj] of cases) {
      const pb = root.lookupType(`berth.v1.${name}`);
      let want = '';
      try {
        pb.fromObject(obj as Record<string, unknown>);
      } catch (e) {
        want = (e as Error).message;
      }
      expect(want).not.toBe('');
      expect(() => codecs.type(name).encode(obj as object)).toThrow(want);
    }
    expect(() => codecs.type('Instance').decode(Buffer.from([0x0a, 0x05, 0x61]))).toThrow(RangeError);
    expect(() => codecs.type('Instance').decode(Buffer.from([0xd7, 0x05]))).toThrow(/invalid wire type 7/);
  });

  it('finds the unary methods and refuses streaming ones', () => {
    const { req, res } = codecs.unary('InstanceService', 'ListInstances');
    expect([req.fullName, res.fullName]).toEqual(['.berth.v1.ListInstancesRequest', '.berth.v1.ListInstancesResponse']);
    expect(() => codecs.unary('InstanceService', 'Exec')).toThrow(/streams: not a unary call/);
    expect(() => codecs.unary('InstanceService', 'Nope')).toThrow(/no method InstanceService\/Nope/);
  });
});
