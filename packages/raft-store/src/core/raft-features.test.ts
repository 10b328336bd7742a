/**
 * Golden tests of what production Raft adds to the paper, named by thesis section: pre-vote
 * (§9.6), check-quorum and the leader lease (§4.2.3, §6.4.1), leadership transfer (§3.10),
 * single-server membership changes and learners (§4.1-§4.2), ReadIndex (§6.4), log compaction
 * (§5), flow control and proposal limits.
 */
import { Harness, text } from '../sim/harness';
import { ConfChangeRefusedError, NotLeaderError, ProposalDroppedError } from './errors';
import type { Message, Ready } from './messages';

function leaderOf(h: Harness): number {
  const ls = [...h.nodes.values()].filter((n) => n.raw.raft.role === 'leader');
  expect(ls).toHaveLength(1);
  return ls[0]!.id;
}

describe('§9.6 pre-vote', () => {
  test('§9.6: a partitioned member keeps its term while it cannot win, and does not disrupt the leader when it returns', () => {
    const h = new Harness([1, 2, 3], { preVote: true });
    h.campaign(1);
    const term = h.raft(1).term;
    h.partition([3], [1, 2]);
    h.tick(3, 100);
    h.deliverAll();
    expect(h.raft(3).term).toBe(term);
    expect(h.raft(3).role).toBe('pre-candidate');
    h.heal();
    h.tick(1);
    h.deliverAll();
    expect(h.raft(1).role).toBe('leader');
    expect(h.raft(1).term).toBe(term);
    expect(h.raft(3).lead).toBe(1);
  });

  test('§9.6: a pre-vote changes neither the voter\'s term nor its vote', () => {
    const h = new Harness([1, 2, 3], { preVote: true });
    h.filter = (m) => m.type === 'MsgPreVote' || m.type === 'MsgPreVoteResp';
    h.tick(1, 20);
    h.deliverAll();
    // 1 won the pre-vote and moved on to a real election (whose messages were dropped).
    expect(h.raft(1).role).toBe('candidate');
    expect(h.raft(2).term).toBe(1);
    expect(h.raft(2).vote).toBe(0);
  });
});

describe('§4.2.3 check-quorum and leader lease', () => {
  test('§4.2.3: a leader that has not heard from a majority for an election timeout steps down', () => {
    const h = new Harness([1, 2, 3], { checkQuorum: true });
    h.campaign(1);
    h.partition([1], [2, 3]);
    h.tick(1, 10);
    expect(h.raft(1).role).toBe('leader'); // the first window had acks
    h.tick(1, 10);
    expect(h.raft(1).role).toBe('follower');
    expect(() => h.node(1).raw.propose(Buffer.from('x'))).toThrow(NotLeaderError);
  });

  test('§4.2.3: a member that heard from a leader within the election timeout ignores vote requests', () => {
    const h = new Harness([1, 2, 3], { checkQuorum: true });
    h.campaign(1);
    const term = h.raft(1).term;
    const vote: Message = {
      type: 'MsgVote', from: 3, to: 2, term: term + 1, index: 100, logTerm: 100,
      entries: [], commit: 0, reject: false, rejectHint: 0,
    };
    h.node(2).raw.step(vote);
    expect(h.raft(2).term).toBe(term);
    expect(h.flush(2)).toEqual([]);
  });
});

describe('§3.10 leadership transfer', () => {
  test('§3.10: transfer to an up-to-date voter: MsgTimeoutNow, the target wins at once', () => {
    const h = new Harness([1, 2, 3], { preVote: true, checkQuorum: true });
    h.campaign(1);
    h.node(1).raw.transferLeadership(3);
    h.deliverAll();
    expect(leaderOf(h)).toBe(3);
  });

  test('§3.10: a lagging target is caught up first; proposals are refused meanwhile', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.partition([3], [1, 2]);
    h.propose(1, 'a');
    h.propose(1, 'b');
    h.heal();
    h.node(1).raw.transferLeadership(3);
    expect(() => h.node(1).raw.propose(Buffer.from('c'))).toThrow(expect.objectContaining({ reason: 'transferring' }));
    h.deliverAll();
    expect(leaderOf(h)).toBe(3);
    expect(h.node(3).applied.map(text)).toEqual(expect.arrayContaining(['a', 'b']));
  });

  test('§3.10: a transfer that does not finish within an election timeout is aborted', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.partition([3], [1, 2]);
    h.node(1).raw.transferLeadership(3);
    h.deliverAll();
    expect(h.raft(1).leadTransferee).toBe(3);
    h.tick(1, 10);
    expect(h.raft(1).leadTransferee).toBe(0);
    expect(() => h.propose(1, 'ok again')).not.toThrow();
  });
});

describe('§4.1 membership changes, one server at a time', () => {
  test('§4.1: the new configuration takes effect on append, before commit; a second change waits for the first to commit', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.add(4);
    h.partition([1], [2, 3]); // nothing commits
    h.node(1).raw.proposeConfChange({ type: 'add-learner', nodeId: 4 });
    expect(h.raft(1).tracker.learners.has(4)).toBe(true);
    expect(() => h.node(1).raw.proposeConfChange({ type: 'remove', nodeId: 3 })).toThrow(
      expect.objectContaining({ code: 'CONF_CHANGE_REFUSED', reason: 'pending' }),
    );
    h.heal();
    h.tick(1);
    h.deliverAll();
    expect(h.raft(4).confState()).toEqual({ voters: [1, 2, 3], learners: [4] });
    expect(() => h.node(1).raw.proposeConfChange({ type: 'remove', nodeId: 3 })).not.toThrow();
  });

  test('§4.1: a config entry truncated away is rolled back on that member', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.filter = (m) => m.to !== 3 && !(m.from === 1 && m.to === 2 && m.type === 'MsgApp');
    h.node(1).raw.proposeConfChange({ type: 'add-learner', nodeId: 9 });
    h.deliverAll();
    // Only 1 has the change; 2 becomes leader of a new term without it.
    h.heal();
    h.filter = (m) => m.from !== 1 && m.to !== 1;
    h.campaign(2);
    expect(h.raft(2).role).toBe('leader');
    h.heal();
    h.tick(2);
    h.deliverAll();
    expect(h.raft(1).confState()).toEqual({ voters: [1, 2, 3], learners: [] });
    expect(h.raft(1).tracker.progress.has(9)).toBe(false);
  });

  test('§4.1: a new leader accepts no config change until an entry of its term is committed', () => {
    const h = new Harness([1, 2, 3]);
    h.filter = (m) => m.type !== 'MsgAppResp';
    h.campaign(1);
    expect(h.raft(1).role).toBe('leader');
    expect(() => h.node(1).raw.proposeConfChange({ type: 'add-learner', nodeId: 4 })).toThrow(ConfChangeRefusedError);
  });

  test('§4.2: the leader cannot remove itself; it must transfer leadership first', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    expect(() => h.node(1).raw.proposeConfChange({ type: 'remove', nodeId: 1 })).toThrow(
      expect.objectContaining({ reason: 'remove-leader' }),
    );
  });

  test('§4.1: removing a voter shrinks the quorum', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.node(1).raw.proposeConfChange({ type: 'remove', nodeId: 3 });
    h.deliverAll();
    h.partition([3], [1, 2]);
    const i = h.propose(1, 'two of two');
    expect(h.raft(1).log.committed).toBe(i);
    h.partition([2], [1, 3]);
    const j = h.propose(1, 'needs 2');
    expect(h.raft(1).log.committed).toBeLessThan(j);
  });
});

describe('§4.2.1 learners', () => {
  function withLearner(): Harness {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.add(4);
    h.node(1).raw.proposeConfChange({ type: 'add-learner', nodeId: 4 });
    h.deliverAll();
    h.tick(1);
    h.deliverAll();
    return h;
  }

  test('§4.2.1: a learner receives the log but never campaigns', () => {
    const h = withLearner();
    h.propose(1, 'to learner');
    expect(h.node(4).applied.map(text)).toContain('to learner');
    h.partition([4], [1, 2, 3]);
    h.tick(4, 100);
    expect(h.raft(4).role).toBe('follower');
  });

  test('§4.2.1: a learner does not count toward the commit quorum', () => {
    const h = withLearner();
    h.filter = (m) => m.from !== 2 && m.from !== 3;
    const i = h.propose(1, 'x');
    expect(h.raft(4).log.lastIndex()).toBeGreaterThanOrEqual(i);
    expect(h.raft(1).log.committed).toBeLessThan(i);
  });

  test('§4.2.1: promotion is refused while the learner lags, allowed once it caught up', () => {
    const h = new Harness([1, 2, 3], { promoteMaxLag: 5 });
    h.campaign(1);
    h.add(4);
    h.node(1).raw.proposeConfChange({ type: 'add-learner', nodeId: 4 });
    h.deliverAll();
    h.partition([4], [1, 2, 3]);
    for (let k = 0; k < 10; k++) h.propose(1, `p${k}`);
    expect(() => h.node(1).raw.proposeConfChange({ type: 'promote-learner', nodeId: 4 })).toThrow(
      expect.objectContaining({ reason: 'learner-lagging' }),
    );
    h.heal();
    h.tick(1);
    h.deliverAll();
    h.node(1).raw.proposeConfChange({ type: 'promote-learner', nodeId: 4 });
    h.deliverAll();
    expect(h.raft(4).confState()).toEqual({ voters: [1, 2, 3, 4], learners: [] });
  });
});

describe('§6.4 linearizable reads', () => {
  test('§6.4: ReadIndex on the leader is answered only after a heartbeat round confirms leadership', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    const i = h.propose(1, 'w');
    h.partition([1], [2, 3]);
    h.node(1).raw.readIndex('r1');
    h.deliverAll();
    expect(h.node(1).readStates).toEqual([]);
    h.heal();
    h.tick(1); // heartbeats carry the pending ctx
    h.deliverAll();
    expect(h.node(1).readStates).toEqual([{ index: i, ctx: 'r1' }]);
  });

  test('§6.4: a new leader defers reads until an entry of its term is committed', () => {
    const h = new Harness([1, 2, 3]);
    h.filter = (m) => m.type !== 'MsgAppResp';
    h.campaign(1);
    h.node(1).raw.readIndex('early');
    h.deliverAll();
    expect(h.node(1).readStates).toEqual([]);
    h.heal();
    h.tick(1);
    h.deliverAll();
    expect(h.node(1).readStates.map((r) => r.ctx)).toEqual(['early']);
    expect(h.node(1).readStates[0]!.index).toBe(h.raft(1).log.committed);
  });

  test('§6.4: a follower forwards the read to the leader and gets the read index back', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    const i = h.propose(1, 'w');
    h.node(2).raw.readIndex('f1');
    h.deliverAll();
    expect(h.node(2).readStates).toEqual([{ index: i, ctx: 'f1' }]);
  });

  test('§6.4.1: lease-based reads are answered without a round trip (requires check-quorum)', () => {
    const h = new Harness([1, 2, 3], { checkQuorum: true, readOnlyOption: 'lease-based' });
    h.campaign(1);
    h.partition([1], [2, 3]);
    h.node(1).raw.readIndex('lease');
    h.flush(1);
    expect(h.node(1).readStates.map((r) => r.ctx)).toEqual(['lease']);
    expect(() => new Harness([1], { checkQuorum: false, readOnlyOption: 'lease-based' })).toThrow(/requires checkQuorum/);
  });

  test('§6.4: readIndex with no known leader fails fast', () => {
    const h = new Harness([1, 2, 3]);
    expect(() => h.node(2).raw.readIndex('x')).toThrow(NotLeaderError);
  });
});

describe('§5 log compaction and snapshots', () => {
  test('§5 (compaction): a follower behind the leader\'s first index is sent a snapshot, installs it and catches up', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.partition([3], [1, 2]);
    for (let k = 0; k < 10; k++) h.propose(1, `s${k}`);
    const leader = h.node(1);
    const applied = leader.raw.status().applied;
    leader.store.createSnapshot(applied, leader.raw.confStateAt(applied), Buffer.from('state@' + applied));
    leader.store.compact(applied);
    h.heal();
    const snaps: Message[] = [];
    const stateWhileSending: string[] = [];
    h.filter = (m) => {
      if (m.type === 'MsgSnap') {
        snaps.push(m);
        stateWhileSending.push(h.raft(1).tracker.progress.get(3)!.state);
      }
      return true;
    };
    h.tick(1); // heartbeat
    h.deliverAll(); // 3 answers, the leader probes, 3 rejects, the leader needs compacted entries
    expect(snaps).toHaveLength(1);
    expect(stateWhileSending).toEqual(['snapshot']); // nothing else is sent to 3 meanwhile
    h.node(1).raw.reportSnapshot(3, true);
    h.tick(1);
    h.deliverAll();
    expect(h.node(3).store.snapshot().metadata.index).toBe(applied);
    expect(h.raft(3).log.committed).toBe(h.raft(1).log.committed);
    expect(h.raft(1).tracker.progress.get(3)!.state).toBe('replicate');
    h.propose(1, 'after');
    expect(h.node(3).applied.map(text)).toContain('after');
  });

  test('§5 (compaction): a failed snapshot is retried', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.partition([3], [1, 2]);
    for (let k = 0; k < 5; k++) h.propose(1, `s${k}`);
    const leader = h.node(1);
    const applied = leader.raw.status().applied;
    leader.store.createSnapshot(applied, leader.raw.confStateAt(applied), Buffer.from('img'));
    leader.store.compact(applied);
    let sent = 0;
    h.filter = (m) => {
      if (m.type === 'MsgSnap') sent++;
      return m.type !== 'MsgSnap' || sent > 1;
    };
    h.tick(1);
    h.deliverAll();
    h.node(1).raw.reportSnapshot(3, false);
    h.tick(1);
    h.deliverAll();
    expect(sent).toBe(2);
    h.node(1).raw.reportSnapshot(3, true);
    h.tick(1);
    h.deliverAll();
    expect(h.raft(3).log.committed).toBe(h.raft(1).log.committed);
  });
});

describe('flow control and proposal limits', () => {
  test('replicate state pipelines at most maxInflightMsgs MsgApps per follower', () => {
    const h = new Harness([1, 2, 3], { maxInflightMsgs: 2, maxSizePerMsg: 1 });
    h.campaign(1);
    const sent: Message[] = [];
    for (let k = 0; k < 5; k++) {
      h.node(1).raw.propose(Buffer.from(`x${k}`));
      sent.push(...h.flush(1));
    }
    // (Entry-less MsgApps telling a commit index take no slot: departure 16's updates.)
    expect(sent.filter((m) => m.type === 'MsgApp' && m.to === 2 && m.entries.length > 0)).toHaveLength(2);
    h.deliverAll();
    expect(h.raft(2).log.lastIndex()).toBe(h.raft(1).log.lastIndex());
  });

  test('the proposals made before a Ready leave in one MsgApp per follower (split only by maxSizePerMsg)', () => {
    const h = new Harness([1, 2, 3], { maxSizePerMsg: 200 });
    h.campaign(1);
    const first = h.node(1).raw.propose(Buffer.from('a'));
    for (let k = 0; k < 4; k++) h.node(1).raw.propose(Buffer.from(String(k)));
    expect(h.raft(1).msgs.filter((m) => m.type === 'MsgApp')).toHaveLength(0); // not sent at propose
    const sent = h.flush(1).filter((m) => m.type === 'MsgApp' && m.entries.length > 0);
    expect(sent.map((m) => [m.to, m.entries.map((e) => e.index)])).toEqual([2, 3].map((to) => [to, [0, 1, 2, 3, 4].map((i) => first + i)]));
    // More than maxSizePerMsg: several messages at once, as the window allows.
    for (let k = 0; k < 5; k++) h.node(1).raw.propose(Buffer.from('b'.repeat(60))); // 84 bytes each with overhead
    const big = h.flush(1).filter((m) => m.type === 'MsgApp' && m.to === 2 && m.entries.length > 0);
    expect(big.map((m) => m.entries.length)).toEqual([2, 2, 1]);
    // A leader that lost its role before the Ready sends nothing for them.
    h.deliverAll();
    h.node(1).raw.propose(Buffer.from('c'));
    h.node(1).raw.step({ type: 'MsgHeartbeat', from: 2, to: 1, term: h.raft(1).term + 1, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 });
    expect(h.raft(1).role).toBe('follower');
    expect(h.flush(1).filter((m) => m.type === 'MsgApp')).toHaveLength(0);
  });

  test('maxSizePerMsg batches entries per MsgApp', () => {
    const h = new Harness([1, 2, 3], { maxSizePerMsg: 100 });
    h.campaign(1);
    h.partition([2], [1, 3]);
    for (let k = 0; k < 10; k++) h.propose(1, 'y'.repeat(30));
    h.heal();
    const apps: Message[] = [];
    h.filter = (m) => {
      if (m.type === 'MsgApp' && m.to === 2 && m.entries.length > 0) apps.push(m);
      return true;
    };
    h.tick(1);
    h.deliverAll();
    expect(apps.length).toBeGreaterThan(2);
    for (const m of apps) expect(m.entries.length).toBeLessThanOrEqual(2);
    expect(h.raft(2).log.lastIndex()).toBe(h.raft(1).log.lastIndex());
  });

  test('proposals beyond maxUncommittedEntriesSize fail fast with ProposalDropped', () => {
    const h = new Harness([1, 2, 3], { maxUncommittedEntriesSize: 100 });
    h.campaign(1);
    h.partition([1], [2, 3]);
    h.node(1).raw.propose(Buffer.from('z'.repeat(60)));
    let err: unknown;
    try {
      h.node(1).raw.propose(Buffer.from('z'.repeat(60)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProposalDroppedError);
    expect(err).toMatchObject({ code: 'PROPOSAL_DROPPED', reason: 'uncommitted-size-limit', name: 'ProposalDroppedError' });
    h.heal();
    h.tick(1);
    h.deliverAll();
    expect(() => h.node(1).raw.propose(Buffer.from('z'.repeat(60)))).not.toThrow();
  });

  test('proposals on a follower fail fast with NOT_LEADER naming the leader', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    let err: unknown;
    try {
      h.node(2).raw.propose(Buffer.from('x'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotLeaderError);
    expect(err).toMatchObject({ code: 'NOT_LEADER', leaderId: 1, name: 'NotLeaderError' });
  });

  test('the Ready protocol: one outstanding Ready; messages come with the state they depend on', () => {
    const h = new Harness([1, 2, 3]);
    const raw = h.node(1).raw;
    for (let k = 0; k < 30 && !raw.hasReady(); k++) raw.tick();
    const rd = raw.ready();
    expect(rd.hardState).toMatchObject({ term: 2, vote: 1 });
    expect(rd.mustSync).toBe(true);
    expect(rd.messages.some((m) => m.type === 'MsgVote')).toBe(true);
    expect(() => raw.ready()).toThrow(expect.objectContaining({ code: 'READY_PROTOCOL' }));
    raw.advance(rd);
  });
});

describe('proposals forwarded by followers (MsgProp, etcd\'s way; design.md departure 15)', () => {
  test('a follower\'s proposal is appended by the leader in its term, with its forwardId, clientId and seq, and applied everywhere', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.node(2).raw.forwardProposal(Buffer.from('from-2'), { clientId: 'c', seq: 7 }, 42);
    const sent = h.flush(2);
    expect(sent.filter((m) => m.type === 'MsgProp').map((m) => [m.to, m.entries.length])).toEqual([[1, 1]]);
    h.deliverAll();
    for (const id of [1, 2, 3]) {
      const e = h.node(id).applied.find((x) => text(x) === 'from-2');
      expect(e).toMatchObject({ term: h.raft(1).term, forwardId: 42, clientId: 'c', seq: 7 });
    }
    expect(h.node(2).raw.takeDroppedProposals()).toEqual([]);
  });

  test('the proposals of one Ready leave in one MsgProp; a leader that changed meanwhile gets them', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    for (let k = 1; k <= 3; k++) h.node(3).raw.forwardProposal(Buffer.from(`p${k}`), undefined, k);
    const props = h.flush(3).filter((m) => m.type === 'MsgProp');
    expect(props.map((m) => m.entries.map((e) => e.forwardId))).toEqual([[1, 2, 3]]);
    h.deliverAll();
    // 2 takes over while 3 is cut off; 3 queues a proposal under leader 1, then hears 2 (a
    // heartbeat of the new term) before its next Ready: the proposal goes to 2.
    h.partition([3], [1, 2]);
    h.campaign(2);
    expect(h.raft(3).lead).toBe(1);
    h.node(3).raw.forwardProposal(Buffer.from('p4'), undefined, 4);
    h.node(3).raw.step({ type: 'MsgHeartbeat', from: 2, to: 3, term: h.raft(2).term, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 });
    expect(h.raft(3).lead).toBe(2);
    h.heal();
    expect(h.flush(3).filter((m) => m.type === 'MsgProp').map((m) => m.to)).toEqual([2]);
    h.deliverAll();
    expect(h.node(3).applied.map(text).filter((t) => t.startsWith('p'))).toEqual(['p1', 'p2', 'p3', 'p4']);
  });

  test('without a known leader (or as a candidate) forwardProposal fails with NOT_LEADER; the leader must propose()', () => {
    const h = new Harness([1, 2, 3]);
    expect(() => h.node(2).raw.forwardProposal(Buffer.from('x'), undefined, 1)).toThrow(NotLeaderError);
    h.campaign(1);
    expect(() => h.node(1).raw.forwardProposal(Buffer.from('x'), undefined, 1)).toThrow(NotLeaderError);
  });

  test('a leader that transfers leadership drops forwarded proposals and says so (MsgPropResp), as propose() would', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.partition([3], [1, 2]); // 3 cannot catch up, so the transfer to it stays pending
    h.node(1).raw.transferLeadership(3);
    expect(h.raft(1).leadTransferee).toBe(3);
    h.node(2).raw.forwardProposal(Buffer.from('during-transfer'), undefined, 9);
    h.deliverAll();
    expect(h.node(2).raw.takeDroppedProposals()).toEqual([{ forwardId: 9, reason: 'transferring' }]);
    expect(h.node(2).raw.takeDroppedProposals()).toEqual([]); // taken once
    expect(h.node(1).applied.map(text)).not.toContain('during-transfer');
  });

  test('forwarded proposals beyond the leader\'s maxUncommittedEntriesSize are dropped and reported; the others are appended', () => {
    const h = new Harness([1, 2, 3], { maxUncommittedEntriesSize: 100 });
    h.campaign(1);
    h.filter = (m) => !(m.from === 1 && m.type === 'MsgApp'); // the appends do not get out: nothing commits, the budget fills
    h.node(2).raw.forwardProposal(Buffer.from('a'.repeat(60)), undefined, 1);
    h.node(2).raw.forwardProposal(Buffer.from('b'.repeat(60)), undefined, 2);
    h.deliverAll();
    expect(h.node(2).raw.takeDroppedProposals()).toEqual([{ forwardId: 2, reason: 'uncommitted-size-limit' }]);
    expect(h.raft(1).log.lastIndex()).toBeGreaterThan(h.raft(1).log.committed);
  });

  test('a member that is not the leader passes a MsgProp on to the leader it knows, and reports it dropped when it knows none', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    const prop = (from: number, to: number, forwardId: number): Message => ({
      type: 'MsgProp', from, to, term: h.raft(1).term, logTerm: 0, index: 0, commit: 0, reject: false, rejectHint: 0,
      entries: [{ index: 0, term: 0, type: 'normal', data: Buffer.from(`via-${to}`), forwardId }],
    });
    h.node(3).raw.step(prop(2, 3, 5)); // 2 thought 3 led
    expect(h.flush(3).filter((m) => m.type === 'MsgProp').map((m) => [m.from, m.to])).toEqual([[2, 1]]);
    h.deliverAll();
    expect(h.node(2).applied.map(text)).toContain('via-3');
    // A member that knows no leader tells the proposer at once.
    const lone = new Harness([1, 2, 3]);
    lone.node(3).raw.step({ ...prop(2, 3, 6), term: lone.raft(3).term });
    expect(lone.flush(3).filter((m) => m.type === 'MsgPropResp').map((m) => [m.to, m.entries.map((e) => e.forwardId), m.entries[0]!.data.byteLength])).toEqual([[2, [6], 0]]);
  });
});

describe('appends sent while the leader persists (RawNode.takeEarlyAppends)', () => {
  const ack = (h: Harness, from: number, index: number): void =>
    h.node(1).raw.step({ type: 'MsgAppResp', from, to: 1, term: h.raft(1).term, logTerm: 0, index, commit: 0, reject: false, rejectHint: 0, entries: [] });

  test('hands over the appends of proposals made after the outstanding Ready, commit not counting the leader\'s unsynced copy, and not again in the next Ready', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    const raw = h.node(1).raw;
    raw.propose(Buffer.from('a'));
    const rd = raw.ready(); // the outstanding Ready: 'a' is being persisted
    const aIndex = rd.entries[0]!.index;
    const durable = aIndex - 1;
    // Follower 2 acks 'a' while the leader's fsync runs: the core commits it (counting the
    // leader's unsynced copy) and wants to tell them; a proposal arrives too.
    ack(h, 2, aIndex);
    expect(h.raft(1).log.committed).toBe(aIndex);
    raw.propose(Buffer.from('b'));
    const early = raw.takeEarlyAppends();
    expect(early.filter((m) => m.entries.some((e) => text(e) === 'b')).map((m) => m.to).sort()).toEqual([2, 3]);
    // 2 is not told 'a' is committed: only 2 holds it durably (the leader's copy does not count
    // yet). 3 is (departure 16): 2's durable copy and 3's own, once 3 persisted it, are a majority.
    for (const m of early) expect(m.commit).toBe(m.to === 2 ? durable : aIndex);
    expect(raw.takeEarlyAppends()).toEqual([]);
    h.node(1).store.append(rd.entries);
    raw.advance(rd);
    const next = raw.ready();
    expect(next.messages.filter((m) => m.type === 'MsgApp' && m.entries.some((e) => text(e) === 'b'))).toEqual([]);
    raw.advance(next);
    // A follower is never asked for this, nor a leader that lost its role.
    expect(h.node(2).raw.takeEarlyAppends()).toEqual([]);
  });

  test('an entry acked before the Ready that writes it is built is not told committed in that Ready (review of session 14)', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    const raw = h.node(1).raw;
    raw.propose(Buffer.from('a'));
    const rdA = raw.ready(); // persisting 'a'
    raw.propose(Buffer.from('b'));
    const early = raw.takeEarlyAppends(); // 'b' leaves now
    const bIndex = early.find((m) => m.entries.some((e) => text(e) === 'b'))!.entries.find((e) => text(e) === 'b')!.index;
    // 'a' is written; follower 2 has 'b' and acks it before the leader builds the Ready that writes 'b'.
    h.node(1).store.append(rdA.entries);
    raw.advance(rdA);
    ack(h, 2, bIndex);
    expect(h.raft(1).log.committed).toBe(bIndex); // the core counts its own unsynced 'b'
    const rdB = raw.ready();
    expect(rdB.entries.map(text)).toEqual(['b']);
    // Its appends leave before 'b' is persisted: none may tell 2 'b' is committed (2 is its only
    // durable copy); 3 may be told (departure 16: 2's copy and 3's own are a majority).
    const apps = rdB.messages.filter((m) => m.type === 'MsgApp');
    expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const m of apps) {
      if (m.to === 2) expect(m.commit).toBeLessThan(bIndex);
      else expect(m.commit).toBe(bIndex);
    }
    h.node(1).store.append(rdB.entries);
    raw.advance(rdB);
    // Once it is persisted, the next appends carry it.
    raw.propose(Buffer.from('c'));
    const rdC = raw.ready();
    expect(Math.max(...rdC.messages.filter((m) => m.type === 'MsgApp').map((m) => m.commit))).toBe(bIndex);
    raw.advance(rdC);
  });
});

describe('leader loss: a follower told its leader is unreachable (departure, design.md "Leader loss")', () => {
  const bothFollowersTold = (h: Harness, dead: number): void => {
    for (const id of [2, 3]) if (id !== dead) h.node(id).raw.reportUnreachable(dead);
  };

  test('the followers of a crashed leader elect one of them within ceil(electionTick / 4) ticks, not an election timeout', () => {
    const h = new Harness([1, 2, 3], { preVote: true, checkQuorum: true });
    h.campaign(1);
    const term = h.raft(1).term;
    h.partition([1], [2, 3]); // 1 is gone
    // Not told: 3 ticks each change nothing (the election timeout is 10-19 ticks).
    for (let i = 0; i < 3; i++) { h.tick(2); h.tick(3); h.deliverAll(); }
    expect([h.raft(2).role, h.raft(3).role]).toEqual(['follower', 'follower']);
    expect(h.raft(2).lead).toBe(1);
    bothFollowersTold(h, 1);
    expect(h.raft(2).lead).toBe(0);
    expect(h.raft(3).lead).toBe(0);
    for (let i = 0; i < 3 && ![2, 3].some((id) => h.raft(id).role === 'leader'); i++) { h.tick(2); h.deliverAll(); h.tick(3); h.deliverAll(); }
    const leaders = [2, 3].filter((id) => h.raft(id).role === 'leader');
    expect(leaders).toHaveLength(1);
    expect(h.raft(leaders[0]!).term).toBe(term + 1);
    h.propose(leaders[0]!, 'after');
    expect(h.node(5 - leaders[0]!).applied.map(text)).toContain('after');
  });

  test('the survivors campaign in the order of their ids, one tick apart, so that they do not split the vote', () => {
    const h = new Harness([1, 2, 3, 4, 5], { preVote: true, checkQuorum: true });
    h.campaign(1);
    const term = h.raft(1).term;
    h.partition([1], [2, 3, 4, 5]);
    for (const id of [2, 3, 4, 5]) h.node(id).raw.reportUnreachable(1);
    // One tick each, the highest id first: only 2 (rank 0) campaigns, and wins at once.
    for (const id of [5, 4, 3, 2]) h.tick(id);
    expect([2, 3, 4, 5].map((id) => h.raft(id).role)).toEqual(['pre-candidate', 'follower', 'follower', 'follower']);
    h.deliverAll();
    expect(h.raft(2).role).toBe('leader');
    expect(h.raft(2).term).toBe(term + 1);
    // The others hear it before their turn comes: nobody else campaigns.
    for (let i = 0; i < 3; i++) for (const id of [3, 4, 5]) h.tick(id);
    h.deliverAll();
    expect([3, 4, 5].map((id) => [h.raft(id).role, h.raft(id).lead, h.raft(id).term])).toEqual([3, 4, 5].map(() => ['follower', 2, term + 1]));
  });

  test('a false alarm (the leader is alive) changes no term and no leader: the others refuse the pre-vote', () => {
    const h = new Harness([1, 2, 3], { preVote: true, checkQuorum: true });
    h.campaign(1);
    const term = h.raft(1).term;
    h.node(2).raw.reportUnreachable(1);
    expect(h.raft(2).lead).toBe(0);
    h.tick(2, 3);
    h.deliverAll();
    expect(h.raft(2).role).toBe('pre-candidate');
    expect(h.raft(1).role).toBe('leader');
    expect([h.raft(1).term, h.raft(2).term, h.raft(3).term]).toEqual([term, term, term]);
    h.tick(1); // a heartbeat: 2 follows 1 again
    h.deliverAll();
    expect(h.raft(2).role).toBe('follower');
    expect(h.raft(2).lead).toBe(1);
    h.propose(1, 'still');
    expect(h.node(2).applied.map(text)).toContain('still');
  });

  test('after a false alarm, reports about that leader are ignored for an election timeout (a link failing one way cannot make a member forget its leader at every heartbeat)', () => {
    const h = new Harness([1, 2, 3], { preVote: true, checkQuorum: true });
    h.campaign(1);
    const term = h.raft(1).term;
    h.node(2).raw.reportUnreachable(1);
    expect(h.raft(2).lead).toBe(0);
    h.tick(1); // the leader's heartbeat: the alarm was false
    h.deliverAll();
    expect(h.raft(2).lead).toBe(1);
    h.node(2).raw.reportUnreachable(1); // muted
    expect(h.raft(2).lead).toBe(1);
    for (let i = 0; i < 10; i++) { h.tick(1); h.tick(2); h.deliverAll(); }
    h.node(2).raw.reportUnreachable(1); // an election timeout later: heard again
    expect(h.raft(2).lead).toBe(0);
    h.tick(1);
    h.deliverAll();
    expect([h.raft(1).role, h.raft(1).term, h.raft(2).lead]).toEqual(['leader', term, 1]);
  });

  test('off without pre-vote, without check-quorum, with lease-based reads, when turned off, and for a member that is not the leader', () => {
    for (const cfg of [{ preVote: false, checkQuorum: true }, { preVote: true, checkQuorum: false }, { preVote: true, checkQuorum: true, readOnlyOption: 'lease-based' as const }, { preVote: true, checkQuorum: true, leaderLossElection: false }]) {
      const h = new Harness([1, 2, 3], cfg);
      h.campaign(1);
      h.node(2).raw.reportUnreachable(1);
      expect(h.raft(2).lead).toBe(1);
      h.tick(2, 3);
      expect(h.raft(2).role).toBe('follower');
    }
    const h = new Harness([1, 2, 3], { preVote: true, checkQuorum: true });
    h.campaign(1);
    h.node(2).raw.reportUnreachable(3);
    expect(h.raft(2).lead).toBe(1);
  });
});

describe('the commit told counts the recipient (design.md departure 16)', () => {
  const ack = (h: Harness, from: number, index: number): void =>
    h.node(1).raw.step({ type: 'MsgAppResp', from, to: 1, term: h.raft(1).term, logTerm: 0, index, commit: 0, reject: false, rejectHint: 0, entries: [] });
  const apps = (ms: readonly Message[]): Message[] => ms.filter((m) => m.type === 'MsgApp');
  /** Leader 1 proposes `text` and persists its Ready (sent nowhere): the Ready and the entry's index. */
  const proposeAndPersist = (h: Harness, text: string): { rd: Ready; index: number } => {
    const raw = h.node(1).raw;
    raw.propose(Buffer.from(text));
    const rd = raw.ready();
    h.node(1).store.append(rd.entries);
    raw.advance(rd);
    return { rd, index: rd.entries[0]!.index };
  };

  test('3 voters: once the leader holds an entry durably, followers are told it is committed before any ack; a follower commits only what the message verified, and applies it after persisting it', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    const raw = h.node(1).raw;
    const { rd: rdA, index: aIndex } = proposeAndPersist(h, 'a');
    for (const m of apps(rdA.messages)) expect(m.commit).toBeLessThan(aIndex); // built before the persist
    // The leader's copy is durable: each follower's own copy would make a majority.
    expect(raw.hasReady()).toBe(true);
    const rd = raw.ready();
    const told = apps(rd.messages);
    expect(told.map((m) => [m.to, m.entries.length, m.commit])).toEqual([[2, 0, aIndex], [3, 0, aIndex]]);
    expect(h.raft(1).log.committed).toBeLessThan(aIndex); // no follower acked yet
    raw.advance(rd);
    // 2 gets the entry, then the commit: it commits, persists, applies.
    for (const m of [...apps(rdA.messages), ...told].filter((m) => m.to === 2)) h.node(2).raw.step(m);
    expect(h.raft(2).log.committed).toBe(aIndex);
    const rd2 = h.node(2).raw.ready();
    expect(rd2.entries.map(text)).toEqual(['a']);
    expect(rd2.committedEntries.map(text)).toContain('a'); // applied by the caller after persisting rd2
    h.node(2).raw.advance(rd2);
    // 3 lost the entry: the commit alone does not make it commit what it does not hold.
    const before = h.raft(3).log.committed;
    for (const m of told.filter((m) => m.to === 3)) h.node(3).raw.step(m);
    expect(h.raft(3).log.committed).toBe(before);
    // Once a follower acked, nobody is told again what they were told.
    ack(h, 2, aIndex);
    expect(h.raft(1).log.committed).toBe(aIndex);
    expect(apps(h.flush(1)).filter((m) => m.entries.length === 0)).toEqual([]);
  });

  test('5 voters: the leader and the recipient are not a majority; a third durable copy (an ack) is needed, and its sender is not told', () => {
    const h = new Harness([1, 2, 3, 4, 5]);
    h.campaign(1);
    const { index: aIndex } = proposeAndPersist(h, 'a');
    for (const m of apps(h.flush(1))) expect(m.commit).toBeLessThan(aIndex);
    ack(h, 2, aIndex);
    expect(h.raft(1).log.committed).toBeLessThan(aIndex); // 1 and 2: not a majority of 5
    const told = apps(h.flush(1));
    expect(told.map((m) => [m.to, m.commit])).toEqual([[3, aIndex], [4, aIndex], [5, aIndex]]);
  });

  test('a learner is not counted: it is told what the voters hold durably', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    h.add(4);
    h.node(1).raw.proposeConfChange({ type: 'add-learner', nodeId: 4 });
    h.deliverAll();
    const { index: aIndex } = proposeAndPersist(h, 'a');
    const told = apps(h.flush(1));
    expect(told.filter((m) => m.to === 4)).toEqual([]);
    expect(told.filter((m) => m.to !== 4).map((m) => m.commit)).toEqual([aIndex, aIndex]);
    ack(h, 2, aIndex);
    expect(apps(h.flush(1)).filter((m) => m.to === 4).map((m) => m.commit)).toEqual([aIndex]);
  });

  test('§5.4.2: an entry of an earlier term is not told committed by counting: a new leader holding it durably does not say so until its own term\'s entry counts', () => {
    const h = new Harness([1, 2, 3]);
    h.campaign(1);
    // 'old' reaches 2 only, sent by 1 before 1 persisted it (1 then stops, its Ready outstanding):
    // uncommitted, durable on 2 alone.
    const raw1 = h.node(1).raw;
    const oldIndex = raw1.propose(Buffer.from('old'));
    const rdOld = raw1.ready();
    for (const m of apps(rdOld.messages).filter((m) => m.to === 2)) h.node(2).raw.step(m);
    h.flush(2);
    h.queue = [];
    expect(h.raft(2).log.lastIndex()).toBe(oldIndex);
    expect(h.raft(2).log.committed).toBeLessThan(oldIndex);
    // 2 wins without 1; its first appends must not tell 3 that 'old' (term 1's) is committed,
    // though 2 holds it durably and 3's copy would make a majority.
    const seen: Message[] = [];
    h.filter = (m) => {
      seen.push(m);
      return m.from !== 1 && m.to !== 1;
    };
    h.campaign(2);
    expect(h.raft(2).role).toBe('leader');
    const first = seen.find((m) => m.type === 'MsgApp' && m.from === 2 && m.to === 3)!;
    expect(first.commit).toBeLessThan(oldIndex);
    // Once the new term's entry is durable on 2 and 3, everything is committed, 'old' too.
    expect(h.raft(3).log.committed).toBeGreaterThan(oldIndex);
    expect(h.node(3).applied.map(text)).toContain('old');
  });
});
