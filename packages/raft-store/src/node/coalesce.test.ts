import type { Entry, Message } from '../core/messages';
import { coalesceAppends } from './coalesce';

const ent = (index: number, term = 2, bytes = 10): Entry => ({ index, term, type: 'normal', data: Buffer.alloc(bytes) });
const app = (to: number, index: number, logTerm: number, entries: Entry[], commit = 0, term = 2): Message => ({
  type: 'MsgApp', from: 1, to, term, logTerm, index, entries, commit, reject: false, rejectHint: 0,
});
const hb = (to: number): Message => ({ type: 'MsgHeartbeat', from: 1, to, term: 2, logTerm: 0, index: 0, entries: [], commit: 3, reject: false, rejectHint: 0 });
const idx = (m: Message): number[] => m.entries.map((e) => e.index);

describe('coalesceAppends', () => {
  it('merges MsgApps to one member that continue each other, keeping the first prev and the larger commit', () => {
    const out = coalesceAppends([app(2, 10, 1, [ent(11)], 9), app(2, 11, 2, [ent(12), ent(13)], 11), app(2, 13, 2, [ent(14)], 10)], 1 << 20);
    expect(out).toHaveLength(1);
    expect([out[0]!.index, out[0]!.logTerm, out[0]!.commit]).toEqual([10, 1, 11]);
    expect(idx(out[0]!)).toEqual([11, 12, 13, 14]);
  });

  it('merges per member and leaves other members\' messages where they were', () => {
    const out = coalesceAppends([app(2, 10, 2, [ent(11)]), app(3, 10, 2, [ent(11)]), app(2, 11, 2, [ent(12)]), app(3, 11, 2, [ent(12)])], 1 << 20);
    expect(out.map((m) => [m.to, ...idx(m)])).toEqual([[2, 11, 12], [3, 11, 12]]);
  });

  it('does not merge across a gap, another term, a mismatching prev term, or another message in between', () => {
    const gap = coalesceAppends([app(2, 10, 2, [ent(11)]), app(2, 12, 2, [ent(13)])], 1 << 20);
    expect(gap).toHaveLength(2);
    const term = coalesceAppends([app(2, 10, 2, [ent(11)]), app(2, 11, 2, [ent(12, 3)], 0, 3)], 1 << 20);
    expect(term).toHaveLength(2);
    const prevTerm = coalesceAppends([app(2, 10, 2, [ent(11, 2)]), app(2, 11, 1, [ent(12)])], 1 << 20);
    expect(prevTerm).toHaveLength(2);
    const between = coalesceAppends([app(2, 10, 2, [ent(11)]), hb(2), app(2, 11, 2, [ent(12)])], 1 << 20);
    expect(between.map((m) => m.type)).toEqual(['MsgApp', 'MsgHeartbeat', 'MsgApp']);
  });

  it('an entry-less MsgApp (a probe) continues at its own prev', () => {
    const out = coalesceAppends([app(2, 10, 2, []), app(2, 10, 2, [ent(11)])], 1 << 20);
    expect(out).toHaveLength(1);
    expect([out[0]!.index, ...idx(out[0]!)]).toEqual([10, 11]);
  });

  it('stops merging at maxBytes of entry data', () => {
    const out = coalesceAppends([app(2, 10, 2, [ent(11, 2, 60)]), app(2, 11, 2, [ent(12, 2, 60)]), app(2, 12, 2, [ent(13, 2, 30)])], 100);
    expect(out.map(idx)).toEqual([[11], [12, 13]]);
  });

  it('does not touch the messages it was given', () => {
    const a = app(2, 10, 2, [ent(11)]);
    coalesceAppends([a, app(2, 11, 2, [ent(12)])], 1 << 20);
    expect(idx(a)).toEqual([11]);
  });
});
