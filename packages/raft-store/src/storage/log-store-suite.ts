/**
 * The conformance suite every LogStorage implementation passes (containerd's idea: one
 * suite per interface, run against each implementation). The write side differs per
 * implementation, so each provides an adapter.
 */
import { CompactedError, UnavailableError } from '../core/errors';
import type { ConfState, Entry, HardState } from '../core/messages';
import type { LogStorage } from '../core/storage';

export interface LogStoreAdapter {
  store: LogStorage;
  append(entries: Entry[]): Promise<void>;
  setHardState(hs: HardState): Promise<void>;
  compact(index: number, conf: ConfState): Promise<void>;
  /** Closes and opens again from what is durable; undefined for memory-only stores. */
  reopen?: () => Promise<LogStorage>;
  close(): Promise<void>;
}

const ent = (index: number, term: number, data = `e${index}`): Entry => ({ index, term, type: 'normal', data: Buffer.from(data) });
const conf: ConfState = { voters: [1, 2, 3], learners: [] };

export function logStoreConformance(name: string, make: () => Promise<LogStoreAdapter>): void {
  describe(`LogStorage conformance: ${name}`, () => {
    let a: LogStoreAdapter;
    beforeEach(async () => { a = await make(); });
    afterEach(async () => { await a.close(); });

    it('starts empty: first 1, last 0, term(0) = 0', () => {
      expect(a.store.firstIndex()).toBe(1);
      expect(a.store.lastIndex()).toBe(0);
      expect(a.store.term(0)).toBe(0);
      expect(a.store.initialState().hardState).toEqual({ term: 0, vote: 0, commit: 0 });
    });

    it('appends and reads back entries and terms', async () => {
      await a.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
      expect(a.store.lastIndex()).toBe(3);
      expect(a.store.entries(1, 4, Infinity).map((e) => [e.index, e.term, Buffer.from(e.data).toString()])).toEqual([[1, 1, 'e1'], [2, 1, 'e2'], [3, 2, 'e3']]);
      expect(a.store.term(3)).toBe(2);
      expect(() => a.store.term(4)).toThrow(UnavailableError);
      expect(() => a.store.entries(2, 5, Infinity)).toThrow(UnavailableError);
    });

    it('limits entries() by size but always returns at least one', async () => {
      await a.append([ent(1, 1, 'x'.repeat(100)), ent(2, 1, 'y'.repeat(100)), ent(3, 1)]);
      expect(a.store.entries(1, 4, 1)).toHaveLength(1);
      expect(a.store.entries(1, 4, 250).length).toBe(2);
    });

    it('replaces a conflicting suffix', async () => {
      await a.append([ent(1, 1), ent(2, 1), ent(3, 1), ent(4, 1)]);
      await a.append([ent(3, 2, 'new3')]);
      expect(a.store.lastIndex()).toBe(3);
      expect(Buffer.from(a.store.entries(3, 4, Infinity)[0]!.data).toString()).toBe('new3');
      expect(a.store.term(3)).toBe(2);
    });

    it('refuses an append that leaves a gap', async () => {
      await a.append([ent(1, 1)]);
      await expect(a.append([ent(3, 1)])).rejects.toThrow(/gap/);
      expect(a.store.lastIndex()).toBe(1);
    });

    it('compacts: entries at or below the index are gone, its term is kept', async () => {
      await a.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2)]);
      await a.compact(2, conf);
      expect(a.store.firstIndex()).toBe(3);
      expect(a.store.term(2)).toBe(1);
      expect(() => a.store.term(1)).toThrow(CompactedError);
      expect(() => a.store.entries(2, 4, Infinity)).toThrow(CompactedError);
      expect(a.store.entries(3, 5, Infinity).map((e) => e.index)).toEqual([3, 4]);
    });

    it('keeps hard state, entries and compaction across a reopen', async () => {
      if (!a.reopen) return;
      await a.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
      await a.setHardState({ term: 2, vote: 3, commit: 2 });
      await a.compact(1, conf);
      const s = await a.reopen();
      expect(s.initialState()).toEqual({ hardState: { term: 2, vote: 3, commit: 2 }, confState: conf });
      expect(s.firstIndex()).toBe(2);
      expect(s.lastIndex()).toBe(3);
      expect(s.term(1)).toBe(1);
      expect(s.entries(2, 4, Infinity).map((e) => e.term)).toEqual([1, 2]);
    });

    it('carries conf changes and client ids intact', async () => {
      await a.append([{ index: 1, term: 1, type: 'conf-change', data: new Uint8Array(), confChange: { type: 'add-learner', nodeId: 7 } },
        { index: 2, term: 1, type: 'normal', data: Buffer.from('p'), clientId: 'c1', seq: 42 }]);
      const s = a.reopen ? await a.reopen() : a.store;
      const [c, n] = s.entries(1, 3, Infinity);
      expect(c!.confChange).toEqual({ type: 'add-learner', nodeId: 7 });
      expect([n!.clientId, n!.seq]).toEqual(['c1', 42]);
    });
  });
}
