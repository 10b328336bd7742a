/**
 * Golden tests of the rules of the Raft paper (Ongaro & Ousterhout, extended version) and
 * Ongaro's thesis, one rule per test, named by section (after etcd's raft_paper_test.go).
 */
import { Harness, text } from '../sim/harness';
import { InMemoryLogStore } from './inmem-log-store';
import type { Entry, Message } from './messages';
import { NONE } from './messages';
import { RawNode } from './raw-node';

function msg(m: Partial<Message> & Pick<Message, 'type' | 'from' | 'to' | 'term'>): Message {
  return { logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...m };
}

function ent(index: number, term: number, data = ''): Entry {
  return { index, term, type: 'normal', data: Buffer.from(data) };
}

/** A single node (id 1 of voters 1,2,3) over a log whose entries after bootstrap have `terms`. */
function single(terms: number[] = [], cfg: { preVote?: boolean; checkQuorum?: boolean } = {}): { raw: RawNode; store: InMemoryLogStore } {
  const store = new InMemoryLogStore();
  store.bootstrap([1, 2, 3]);
  store.append(terms.map((t, i) => ent(4 + i, t, `e${4 + i}`)));
  const last = terms[terms.length - 1] ?? 1;
  store.setHardState({ term: last, vote: 0, commit: 3 });
  const raw = new RawNode({ id: 1, randomInt: () => 0, preVote: false, checkQuorum: false, ...cfg }, store);
  drain(raw, store);
  return { raw, store };
}

/** Handles all Readys; returns the messages sent. */
function drain(raw: RawNode, store: InMemoryLogStore): Message[] {
  const out: Message[] = [];
  while (raw.hasReady()) {
    const rd = raw.ready();
    if (rd.snapshot) store.applySnapshot(rd.snapshot);
    store.append(rd.entries);
    if (rd.hardState) store.setHardState(rd.hardState);
    out.push(...rd.messages);
    raw.advance(rd);
  }
  return out;
}

describe('§5.1 terms', () => {
  test('§5.1: a follower that sees a higher term adopts it and forgets its vote', () => {
    const { raw } = single();
    raw.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 1, index: 3, logTerm: 1 }));
    expect(raw.raft.vote).toBe(2);
    raw.step(msg({ type: 'MsgApp', from: 3, to: 1, term: 5, index: 3, logTerm: 1 }));
    expect(raw.raft.term).toBe(5);
    expect(raw.raft.vote).toBe(NONE);
    expect(raw.raft.lead).toBe(3);
    expect(raw.raft.role).toBe('follower');
  });

  test('§5.1: a leader or candidate that sees a higher term reverts to follower', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    expect(h.raft(1).role).toBe('leader');
    h.raft(1).step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 7 }));
    expect(h.raft(1).role).toBe('follower');
    expect(h.raft(1).term).toBe(7);
  });

  test('§5.1: a request with a stale term is rejected and tells the sender the current term', () => {
    const { raw, store } = single([], { checkQuorum: true });
    raw.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 3, index: 3, logTerm: 1 }));
    drain(raw, store);
    raw.step(msg({ type: 'MsgApp', from: 3, to: 1, term: 2, index: 3, logTerm: 1, entries: [ent(4, 2, 'stale')] }));
    const out = drain(raw, store);
    expect(raw.raft.log.lastIndex()).toBe(3);
    expect(out).toEqual([expect.objectContaining({ type: 'MsgAppResp', to: 3, term: 3 })]);
  });
});

describe('§5.2 leader election', () => {
  test('§5.2: a follower that hears nothing for its election timeout becomes candidate, votes for itself and requests votes', () => {
    const { raw, store } = single();
    for (let i = 0; i < 9; i++) raw.tick();
    expect(raw.raft.role).toBe('follower');
    raw.tick();
    expect(raw.raft.role).toBe('candidate');
    expect(raw.raft.term).toBe(2);
    expect(raw.raft.vote).toBe(1);
    const out = drain(raw, store);
    expect(out.map((m) => [m.type, m.to, m.term, m.index, m.logTerm])).toEqual([
      ['MsgVote', 2, 2, 3, 1],
      ['MsgVote', 3, 2, 3, 1],
    ]);
    expect(store.initialState().hardState).toMatchObject({ term: 2, vote: 1 });
  });

  test('§5.2: election timeouts are randomized in [electionTick, 2*electionTick) by the injected rng', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const store = new InMemoryLogStore();
      store.bootstrap([1, 2, 3]);
      let x = seed;
      const raw = new RawNode({ id: 1, electionTick: 10, preVote: false, randomInt: (n) => (x = (x * 7 + 3) % 97) % n }, store);
      let ticks = 0;
      while (raw.raft.role === 'follower') {
        raw.tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      seen.add(ticks);
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  test('§5.2: a candidate that receives votes from a majority becomes leader and appends an empty entry', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    const r = h.raft(1);
    expect(r.role).toBe('leader');
    expect(r.log.lastIndex()).toBe(4);
    expect(r.log.term(4)).toBe(r.term);
    expect(r.log.committed).toBe(4);
    expect(h.raft(2).lead).toBe(1);
  });

  test('§5.2: a server votes for at most one candidate per term, first come first served', () => {
    const { raw, store } = single();
    raw.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 2, index: 3, logTerm: 1 }));
    raw.step(msg({ type: 'MsgVote', from: 3, to: 1, term: 2, index: 3, logTerm: 1 }));
    raw.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 2, index: 3, logTerm: 1 })); // retransmission
    const out = drain(raw, store).map((m) => [m.to, m.reject]);
    expect(out).toEqual([
      [2, false],
      [3, true],
      [2, false],
    ]);
  });

  test('§5.2: a candidate that receives an AppendEntries from a leader of its term becomes follower', () => {
    const { raw } = single();
    for (let i = 0; i < 10; i++) raw.tick();
    expect(raw.raft.role).toBe('candidate');
    raw.step(msg({ type: 'MsgApp', from: 3, to: 1, term: 2, index: 3, logTerm: 1 }));
    expect(raw.raft.role).toBe('follower');
    expect(raw.raft.lead).toBe(3);
  });

  test('§5.2: a candidate rejected by a majority returns to follower and retries after a new timeout', () => {
    const { raw } = single();
    for (let i = 0; i < 10; i++) raw.tick();
    raw.step(msg({ type: 'MsgVoteResp', from: 2, to: 1, term: 2, reject: true }));
    raw.step(msg({ type: 'MsgVoteResp', from: 3, to: 1, term: 2, reject: true }));
    expect(raw.raft.role).toBe('follower');
    for (let i = 0; i < 10; i++) raw.tick();
    expect(raw.raft.role).toBe('candidate');
    expect(raw.raft.term).toBe(3);
  });
});

describe('§5.3 log replication', () => {
  test('§5.3: the leader replicates an entry and commits it once a majority stores it; followers learn the commit', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.filter = (m) => m.to !== 3 && m.from !== 3;
    const i = h.propose(1, 'x');
    expect(h.raft(1).log.committed).toBe(i);
    expect(h.node(2).applied.map(text)).toContain('x');
    expect(h.raft(3).log.lastIndex()).toBeLessThan(i);
    h.heal();
    h.tick(1); // heartbeat -> follower 3 is behind -> append
    h.deliverAll();
    expect(h.node(3).applied.map(text)).toContain('x');
  });

  test('§5.3: a follower rejects AppendEntries whose (prevLogIndex, prevLogTerm) it does not hold, with a conflict hint', () => {
    const { raw, store } = single([2, 2, 3]); // indexes 4,5 term 2; 6 term 3
    raw.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 5, index: 6, logTerm: 4, entries: [ent(7, 5)] }));
    const [resp] = drain(raw, store);
    expect(resp).toMatchObject({ type: 'MsgAppResp', reject: true, index: 6, rejectHint: 6, logTerm: 3 });
    expect(raw.raft.log.lastIndex()).toBe(6);
  });

  test('§5.3: conflicting entries are deleted and replaced by the leader\'s; matching ones are kept', () => {
    const { raw, store } = single([2, 2, 2]);
    raw.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 3, index: 4, logTerm: 2, entries: [ent(5, 3, 'new5')], commit: 3 }));
    drain(raw, store);
    expect(raw.raft.log.lastIndex()).toBe(5);
    expect(store.term(5)).toBe(3);
    expect(store.term(4)).toBe(2);
    // A stale, duplicated MsgApp that is a prefix of our log never truncates it.
    raw.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 3, index: 3, logTerm: 1, entries: [ent(4, 2, 'e4')] }));
    drain(raw, store);
    expect(raw.raft.log.lastIndex()).toBe(5);
  });

  test('§5.3: fast backtracking skips a whole diverging term per round trip', () => {
    // Leader 1 holds 4..53 at term 2; follower 2 holds 4..40 at term 1 (from an old leader).
    const terms = Array.from({ length: 50 }, () => 2);
    const { raw, store } = single(terms);
    for (let i = 0; i < 10; i++) raw.tick();
    raw.step(msg({ type: 'MsgVoteResp', from: 2, to: 1, term: 3 }));
    expect(raw.raft.role).toBe('leader');
    const probe = drain(raw, store).find((m) => m.type === 'MsgApp' && m.to === 2)!;
    expect([probe.index, probe.logTerm]).toEqual([53, 2]);
    // What the follower answers (computed as its handleAppendEntries does): hint (40, term 1).
    raw.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 3, index: 53, reject: true, rejectHint: 40, logTerm: 1 }));
    const next = drain(raw, store).find((m) => m.type === 'MsgApp' && m.to === 2)!;
    // The leader skips every index whose term is > 1 in its own log: straight to index 3.
    expect([next.index, next.logTerm]).toEqual([3, 1]);
  });
});

describe('§5.4 safety', () => {
  test('§5.4.1: a voter denies its vote to a candidate whose log is less up-to-date', () => {
    const { raw, store } = single([2, 3]); // last (5, 3)
    raw.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 4, index: 9, logTerm: 2 })); // older last term
    raw.step(msg({ type: 'MsgVote', from: 3, to: 1, term: 5, index: 4, logTerm: 3 })); // same term, shorter
    raw.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 6, index: 5, logTerm: 3 })); // as up-to-date
    const out = drain(raw, store).filter((m) => m.type === 'MsgVoteResp');
    expect(out.map((m) => [m.to, m.reject])).toEqual([
      [2, true],
      [3, true],
      [2, false],
    ]);
  });

  test('§5.4.2: a leader never commits an entry of an earlier term by counting replicas (Figure 8)', () => {
    // Node 1 has an entry of term 2 at index 4 that a majority (1, 2) stores; 1 becomes leader of term 3.
    const store = new InMemoryLogStore();
    store.bootstrap([1, 2, 3]);
    store.append([ent(4, 2, 'old')]);
    store.setHardState({ term: 2, vote: 0, commit: 3 });
    const raw = new RawNode({ id: 1, randomInt: () => 0, preVote: false }, store);
    drain(raw, store);
    for (let i = 0; i < 10; i++) raw.tick();
    raw.step(msg({ type: 'MsgVoteResp', from: 2, to: 1, term: 3 }));
    expect(raw.raft.role).toBe('leader');
    drain(raw, store);
    // Follower 2 acknowledges index 4 (the old-term entry) only.
    raw.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 3, index: 4 }));
    expect(raw.raft.log.committed).toBe(3);
    // Once the term-3 no-op at index 5 is on a majority, both commit.
    raw.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 3, index: 5 }));
    expect(raw.raft.log.committed).toBe(5);
  });

  test('§5.4.3/§5.5: a restarted follower keeps its term, vote and log', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.propose(1, 'durable');
    const before = h.raft(2);
    const [term, vote, last] = [before.term, before.vote, before.log.lastIndex()];
    h.restart(2);
    expect([h.raft(2).term, h.raft(2).vote, h.raft(2).log.lastIndex()]).toEqual([term, vote, last]);
  });
});
