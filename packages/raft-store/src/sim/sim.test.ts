/**
 * Seeded simulation of 3- and 5-member clusters under every fault profile. A failure prints the
 * seed, the invariant, the one-line replay command and the last events.
 */
import type { Entry, Message } from '../core/messages';
import { RawNode } from '../core/raw-node';
import { InMemoryLogStore } from '../core/inmem-log-store';
import { SafetyChecker, SafetyViolation } from './invariants';
import { PROFILE_NAMES } from './profiles';
import { formatFailure } from './run-seeds';
import type { SimBug } from './simulation';
import { runSimulation } from './simulation';

const SEEDS_PER_PROFILE = 70;

describe('simulation: safety after every step, liveness after healing', () => {
  for (const profile of PROFILE_NAMES) {
    test(`${SEEDS_PER_PROFILE} seeds, profile ${profile}, 3 and 5 members`, () => {
      const failures: string[] = [];
      for (let seed = 1; seed <= SEEDS_PER_PROFILE; seed++) {
        const r = runSimulation({ seed, nodes: seed % 2 === 0 ? 3 : 5, profile });
        if (!r.ok) failures.push(formatFailure(r));
      }
      if (failures.length > 0) throw new Error(`${failures.length} seed(s) failed:\n${failures.join('\n\n')}`);
    });
  }
});

describe('the checkers can fail', () => {
  function firstFailure(bug: SimBug, profile: string, seeds: number): string | undefined {
    for (let seed = 1; seed <= seeds; seed++) {
      const r = runSimulation({ seed, nodes: seed % 2 === 0 ? 3 : 5, profile, bug });
      if (!r.ok) return formatFailure(r);
    }
    return undefined;
  }

  test('voters that skip the §5.4.1 up-to-date check are caught (leader completeness / state machine safety)', () => {
    const report = firstFailure('vote-ignores-log', 'partitions', 60);
    expect(report).toMatch(/leader-completeness|state-machine-safety|commit-stability|log-matching/);
    expect(report).toMatch(/replay: node packages\/raft-store\/dist\/sim\/run-seeds\.js --seed \d+ .*--bug vote-ignores-log --trace/);
    expect(report).toMatch(/last events:\n {2}\s*\d+ms /);
  });

  test('a node that acknowledges before it persists is caught once crashes lose the entries', () => {
    const report = firstFailure('send-before-persist', 'crashes', 80);
    expect(report).toBeDefined();
  });

  test('a leader that counts its unsynced copy in the commit it tells a follower is caught at the apply (durable-majority; design.md departure 16)', () => {
    const report = firstFailure('commit-counts-unsynced-leader', 'crashes', 60);
    expect(report).toMatch(/durable-majority: member \d+ applies \d+ \(term \d+\), durable only on/);
  });

  test('a node that forgets its vote across a restart is caught (two leaders in one term)', () => {
    const report = firstFailure('forget-vote', 'elections', 200);
    expect(report).toMatch(/election-safety|leader-completeness|state-machine-safety|log-matching|commit-stability/);
  });

  test('the checker flags two leaders in one term and diverging logs', () => {
    const mk = (id: number): RawNode => {
      const s = new InMemoryLogStore();
      s.bootstrap([1, 2]);
      return new RawNode({ id, randomInt: () => 0, preVote: false }, s);
    };
    const a = mk(1);
    const b = mk(2);
    for (const n of [a, b]) {
      while (n.raft.role !== 'candidate') n.tick();
      const vote: Message = { type: 'MsgVoteResp', from: n.raft.id === 1 ? 2 : 1, to: n.raft.id, term: n.raft.term, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
      n.step(vote);
    }
    expect(a.raft.role).toBe('leader');
    expect(b.raft.role).toBe('leader');
    const c = new SafetyChecker();
    expect(() => c.afterStep([{ id: 1, raw: a }, { id: 2, raw: b }])).toThrow(SafetyViolation);
    const e = (index: number, term: number, d: string): Entry => ({ index, term, type: 'normal', data: Buffer.from(d) });
    const c2 = new SafetyChecker();
    c2.onPersistEntries(1, [e(1, 1, 'x'), e(2, 1, 'y')]);
    expect(() => c2.onPersistEntries(2, [e(1, 1, 'z'), e(2, 1, 'y')])).toThrow(/log-matching/);
  });
});

describe('replay and history', () => {
  test('a seed replays exactly, and records a generic client history', () => {
    const a = runSimulation({ seed: 77, nodes: 5, profile: 'chaos' });
    const b = runSimulation({ seed: 77, nodes: 5, profile: 'chaos' });
    expect(a.ok).toBe(true);
    expect(b.stats).toEqual(a.stats);
    expect(b.trace).toEqual(a.trace);
    expect(a.history.length).toBeGreaterThan(10);
    for (const h of a.history) {
      expect(Object.keys(h).sort()).toEqual(['callTime', 'clientId', 'input', 'op', 'output', 'returnTime']);
      expect(h.returnTime).toBeGreaterThanOrEqual(h.callTime);
      expect(h.output).toBeDefined();
    }
    expect(new Set(a.history.map((h) => h.op))).toEqual(new Set(['put', 'get', 'cas']));
  });
});

describe('linearizability of the simulated KV (checker from src/check)', () => {
  // Imported lazily so the safety suite above does not depend on the checker package.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const check = require('../check') as typeof import('../check');
  type Op = import('../check').Operation<import('../check').KvInput, import('../check').KvOutput>;

  function toOperations(history: ReturnType<typeof runSimulation>['history']): Op[] {
    return history.map((h) => {
      const i = h.input as { key: string; value?: string; expected?: string | null };
      const input: import('../check').KvInput =
        h.op === 'put'
          ? { op: 'put', key: i.key, value: i.value! }
          : h.op === 'get'
            ? { op: 'get', key: i.key }
            : { op: 'cas', key: i.key, expected: i.expected ?? null, value: i.value! };
      const o = h.output as { ok?: boolean; value?: string | null } | undefined;
      const output = h.op === 'get' ? (o?.value ?? null) : h.op === 'cas' ? (o?.ok ?? false) : undefined;
      return { clientId: h.clientId, input, output, call: h.callTime, return: h.returnTime, ...(h.output === undefined ? { pending: true } : {}) };
    });
  }

  test('ReadIndex reads and writes are linearizable across fault profiles', () => {
    for (let seed = 1; seed <= 24; seed++) {
      const profile = PROFILE_NAMES[seed % PROFILE_NAMES.length]!;
      const r = runSimulation({ seed, nodes: seed % 2 === 0 ? 3 : 5, profile });
      expect(r.ok).toBe(true);
      const res = check.checkLinearizable(toOperations(r.history), check.kvModel, { timeoutMs: 10_000 });
      if (!res.ok) throw new Error(`seed ${seed} (${profile}) not linearizable: ${JSON.stringify(res).slice(0, 2000)}`);
    }
  });

  test('a stale read planted in a history is reported', () => {
    const r = runSimulation({ seed: 3, nodes: 3, profile: 'calm' });
    const ops = toOperations(r.history);
    // Find a get that returned a value written earlier, and make it return the initial absent state.
    const idx = ops.findIndex((o, k) => o.input.op === 'get' && o.output !== null && k > 20);
    expect(idx).toBeGreaterThan(0);
    ops[idx] = { ...ops[idx]!, output: 'never-written' };
    expect(check.checkLinearizable(ops, check.kvModel).ok).toBe(false);
  });
});
