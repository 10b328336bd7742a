/**
 * berthd members on test hosts (network namespaces on a bridge with no uplink): a cluster
 * founded with `berthd init`, grown with `berth cluster add` + `berthd join`, its Raft
 * traffic on mutual TLS, a leader killed with SIGKILL.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../support/berthd';
import { BerthCluster, sleep, waitFor } from '../support/berth-cluster';
import type { NetHost } from '../support/netns';

jest.setTimeout(180_000);

let c: BerthCluster;

beforeAll(() => {
  c = BerthCluster.create(4, 'cluster');
});

afterAll(async () => {
  await c.destroy();
});

describe('a cluster of berthd members', () => {
  it('is founded by berthd init and grown by tokens and joins: three voters, one leader, all online', async () => {
    const init = c.berthd(1, ['init', '--name', 'member1', '--address', c.address(1), '--cluster-address', c.clusterAddress(1), '--offline-threshold', '3']);
    expect(init.code).toBe(0);
    await c.start(1);
    await waitFor('member1 alone', c.settled(1, 1));
    for (const i of [2, 3]) {
      const j = c.berthd(i, ['join', c.token(1, `member${i}`), '--address', c.address(i), '--cluster-address', c.clusterAddress(i)]);
      expect(j.out).toMatch(new RegExp(`joined cluster .* as member${i}`));
      await c.start(i);
    }
    // Two members keep one voter and a stand-by; the third makes three voters.
    const ms = await waitFor('three voters', c.settled(3, 3));
    expect(ms.map((m) => m.server_name)).toEqual(['member1', 'member2', 'member3']);
    expect(ms.map((m) => m.url)).toEqual([1, 2, 3].map((i) => `https://${c.address(i)}`));
    // Every member reads the same membership through the replicated store.
    for (const i of [1, 2]) expect(c.list(i)?.map((m) => [m.server_name, m.roles.includes('voter')])).toEqual(ms.map((m) => [m.server_name, true]));
    // Each shows what its host can do, as its own capability report (berth info) says.
    const info = JSON.parse(c.berth(2, ['info', '--format', 'json']).out) as { capabilities: { criu: { checkpointRestore: { supported: boolean } }; userNamespaces: { supported: boolean } } };
    for (const m of ms) {
      expect(m.capabilities.includes('criu')).toBe(info.capabilities.criu.checkpointRestore.supported);
      expect(m.capabilities.includes('user-namespaces')).toBe(info.capabilities.userNamespaces.supported);
    }
    // Each member got its own certificate, and keeps its own key.
    const keys = [1, 2, 3].map((i) => fs.readFileSync(path.join(c.dir(i), 'cluster', 'member.key'), 'utf8'));
    expect(new Set(keys).size).toBe(3);
    expect(fs.statSync(path.join(c.dir(2), 'cluster', 'member.key')).mode & 0o077).toBe(0);
  });

  it('admits a member once per token; a used, altered or misnamed token is refused and changes nothing', async () => {
    const t = c.token(2, 'member4');
    // Asked again for the same name while the token is outstanding: refused.
    const again = c.berth(1, ['cluster', 'add', 'member4']);
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/already has a join token/);
    expect(c.berth(1, ['cluster', 'add', 'Bad_Name']).err).toMatch(/invalid member name "Bad_Name"/);
    // A token whose secret was altered: decoded fine, refused by the member.
    const text = Buffer.from(t, 'base64url').toString('utf8');
    const secret = (JSON.parse(text) as { secret: string }).secret;
    const altered = Buffer.from(text.replace(secret, secret.replace(/^./, (ch) => (ch === 'a' ? 'b' : 'a')))).toString('base64url');
    const join = (token: string, extra: string[] = [], dir?: string): { code: number | null; out: string } =>
      c.berthd(4, ['join', token, '--address', c.address(4), '--cluster-address', c.clusterAddress(4), ...extra], dir);
    const bad = join(altered);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/refused the join: join token refused: token: the secret does not match/);
    expect(fs.existsSync(path.join(c.dir(4), 'cluster', 'member.json'))).toBe(false);
    expect(join(t, ['--name', 'member5']).out).toMatch(/this token admits "member4", not "member5"/);
    // The real one works once...
    expect(join(t).code).toBe(0);
    // ...and a second use, from another folder, is refused.
    const other = tempDir('cluster-again');
    try {
      const r = join(t, [], other.dir);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/no join token is outstanding for "member4"/);
    } finally {
      other.remove();
    }
    await c.start(4);
    // Four members: three voters and a stand-by learner.
    const ms = await waitFor('four members', c.settled(4, 1));
    expect(ms.filter((m) => m.roles.includes('learner')).map((m) => m.server_name)).toEqual(['member4']);
  });

  it('refuses Raft traffic from a peer without a certificate of the cluster CA, at the handshake, and from certificates of no member', async () => {
    const res = await peerCalls(c.net.client, path.join(c.dir(1), 'cluster'), c.clusterAddress(2));
    expect(res['member']).toBe('accepted');
    for (const k of ['otherCa', 'noClientCert', 'plaintext']) expect(res[k]).toMatch(/^refused/);
    // Signed by the cluster CA (every member holds its key) but no member's certificate.
    expect(res['minted']).toMatch(/^refused: .*certificate [0-9a-f]{16} \(CN=member2\) is not a member's/);
  });

  it('elects a new leader within a few election timeouts when the leader is killed; the old one shows offline, then comes back', async () => {
    const before = await waitFor('a settled cluster', c.settled(4, 1));
    const oldLeader = before.find((m) => m.leader)!.server_name;
    const idx = Number(oldLeader.replace('member', ''));
    const survivor = idx === 1 ? 2 : 1;
    const t0 = Date.now();
    await c.kill9(idx);
    const after = await waitFor('a new leader', () => {
      const ms = c.list(survivor);
      const l = ms?.find((m) => m.leader);
      return l && l.server_name !== oldLeader ? ms : undefined;
    }, 20_000);
    const electedMs = Date.now() - t0;
    // Election timeout is 1-2 s (10-20 ticks of 100 ms): a few of them at most.
    expect(electedMs).toBeLessThan(10_000);
    // Still three voters, the dead one among them: removing it is the operator's call.
    expect(after.filter((m) => m.roles.includes('voter'))).toHaveLength(3);
    const offline = await waitFor('the old leader offline', () => c.list(survivor)?.find((m) => m.server_name === oldLeader && m.status === 'Offline'), 15_000);
    expect(offline.leader).toBe(false);
    // Writes work without it: a token is a Raft commit.
    expect(c.berth(survivor, ['cluster', 'add', 'member9']).code).toBe(0);
    console.log(`leader ${oldLeader} killed: new leader seen after ${electedMs} ms, offline after ${Date.now() - t0} ms`);
    await c.start(idx);
    await waitFor('the old leader back online', () => (c.list(survivor)?.find((m) => m.server_name === oldLeader)?.status === 'Online' ? true : undefined));
  });

  it('without quorum answers writes and reads within the request timeout, naming the voters it cannot reach', async () => {
    const ms = await waitFor('a settled cluster', c.settled(4, 4));
    const voters = ms.filter((m) => m.roles.includes('voter')).map((m) => Number(m.server_name.replace('member', '')));
    const [keep, ...kill] = voters;
    for (const i of kill) await c.kill9(i);
    try {
      const t0 = Date.now();
      const w = c.berth(keep!, ['cluster', 'add', 'member7']);
      const writeMs = Date.now() - t0;
      expect(w.code).not.toBe(0);
      expect(w.err).toMatch(/no quorum: 2 of 3 voters unreachable from this member: /);
      for (const i of kill) expect(w.err).toMatch(new RegExp(`member${i} \\(${c.clusterAddress(i).replace(/\./g, '\\.')}, (silent|never)`));
      expect(w.err).not.toMatch(/cannot reach berthd/);
      // The request timeout is 10 s; the answer comes within it (plus the CLI's start).
      expect(writeMs).toBeLessThan(14_000);
      const r = c.berth(keep!, ['cluster', 'list']);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/no quorum: 2 of 3 voters unreachable/);
      console.log(`no quorum: write refused after ${writeMs} ms: ${w.err.trim()}`);
    } finally {
      for (const i of kill) await c.start(i);
    }
    await waitFor('quorum back', c.settled(4, keep!), 30_000);
  });

  it('replaces a voter lost for longer than the offline threshold by the stand-by; back, it is the stand-by', async () => {
    const ms = await waitFor('a settled cluster', c.settled(4, 1));
    const standby = ms.find((m) => m.roles.includes('learner'))!.server_name;
    const victim = ms.find((m) => m.roles.includes('voter') && !m.leader)!.server_name;
    const v = Number(victim.replace('member', ''));
    const asker = Number(ms.find((m) => m.server_name !== victim)!.server_name.replace('member', ''));
    await c.kill9(v);
    const t0 = Date.now();
    const after = await waitFor('the stand-by promoted', () => {
      const l = c.list(asker);
      const roles = (n: string): string[] => l?.find((m) => m.server_name === n)?.roles ?? [];
      return roles(standby).includes('voter') && !roles(victim).includes('voter') ? l : undefined;
    }, 40_000);
    console.log(`voter ${victim} killed: stand-by ${standby} promoted after ${Date.now() - t0} ms (offline threshold 3 s)`);
    expect(after!.filter((m) => m.roles.includes('voter'))).toHaveLength(3);
    await c.start(v);
    const back = await waitFor(`${victim} back as stand-by`, () => {
      const m = c.list(asker)?.find((x) => x.server_name === victim);
      return m?.status === 'Online' && m.roles.includes('learner') ? m : undefined;
    }, 40_000);
    expect(back.roles).toEqual(['learner']);
  });

  it('a voter given the database-client role hands its vote to the stand-by and is never promoted again until the role goes', async () => {
    const ms = await waitFor('a settled cluster', c.settled(4, 1));
    const voter = ms.find((m) => m.roles.includes('voter') && !m.leader)!.server_name;
    expect(c.berth(2, ['cluster', 'role', 'add', voter, 'chef']).err).toMatch(/role: "chef" cannot be given/);
    expect(c.berth(2, ['cluster', 'role', 'add', voter, 'database-client']).err).toBe('');
    const after = await waitFor(`${voter} to give its vote away`, () => {
      const l = c.list(1);
      const v = l?.find((m) => m.server_name === voter);
      return v && v.roles.includes('learner') && l!.filter((m) => m.roles.includes('voter')).length === 3 ? l : undefined;
    }, 40_000);
    expect(after.find((m) => m.server_name === voter)!.roles).toEqual(['learner', 'database-client']);
    // No stand-by is left to take a vote: another voter cannot be given the role.
    const other = after.find((m) => m.roles.includes('voter') && !m.leader)!.server_name;
    expect(c.berth(1, ['cluster', 'role', 'add', other, 'database-client']).err).toMatch(/no online stand-by can take its vote/);
    expect(c.berth(1, ['cluster', 'role', 'remove', voter, 'database-client']).err).toBe('');
    await waitFor('a settled cluster', c.settled(4, 1));
  });

  it('berth cluster remove takes a member out of Raft and the records, the leader too (it hands over first)', async () => {
    const ms = await waitFor('a settled cluster', c.settled(4, 1));
    expect(c.berth(1, ['cluster', 'remove', 'nosuch']).err).toMatch(/no member named "nosuch"/);
    const voter = ms.find((m) => m.roles.includes('voter') && !m.leader)!.server_name;
    const asker = Number(ms.find((m) => m.server_name !== voter)!.server_name.replace('member', ''));
    const r = c.berth(asker, ['cluster', 'remove', voter]);
    expect(r.err).toBe('');
    expect(r.out).toMatch(new RegExp(`Member ${voter} removed`));
    // Three left, all voters again (the stand-by promoted).
    const three = await waitFor('three voters left', c.settled(3, asker), 30_000);
    expect(three.map((m) => m.server_name)).not.toContain(voter);
    // The removed member's berthd learns it (its peers refuse its certificate), stops, and
    // keeps its cluster state aside; it then serves this host alone when started again.
    const gone = Number(voter.replace('member', ''));
    const exit = await Promise.race([c.procs.get(gone)!.exited, sleep(60_000).then(() => 'still running')]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(c.procs.get(gone)!.output()).toMatch(new RegExp(`member ${voter} was removed from the cluster`));
    expect(fs.existsSync(path.join(c.dir(gone), 'cluster'))).toBe(false);
    const kept = fs.readdirSync(c.dir(gone)).filter((f) => f.startsWith('cluster.removed-'));
    expect(kept).toHaveLength(1);
    // Its certificate, and one it mints with the CA key it still has, are refused by the rest.
    const res = await peerCalls(c.host(gone), path.join(c.dir(gone), kept[0]!), c.clusterAddress(asker));
    expect(res['member']).toMatch(new RegExp(`^refused: .*member ${voter} was removed from the cluster.*\\[removed ${voter}\\]$`));
    expect(res['minted']).toMatch(/^refused: .*is not a member's/);
    // The leader itself: it hands leadership over, then the new leader removes it.
    const leader = three.find((m) => m.leader)!.server_name;
    const other = Number(three.find((m) => !m.leader)!.server_name.replace('member', ''));
    expect(c.berth(other, ['cluster', 'remove', leader]).code).toBe(0);
    const two = await waitFor('two members, a new leader', () => {
      const l = c.list(other);
      return l && l.length === 2 && l.some((m) => m.leader && m.server_name !== leader) ? l : undefined;
    }, 30_000);
    expect(two.map((m) => m.server_name)).not.toContain(leader);
  });
});

/**
 * Raft calls to `target` from host `from`, with the member certificate in `pkiDir` and with
 * others: one of another CA, none, plaintext, and one `minted` with the cluster CA's key
 * (CN member2, a new key). What each got: accepted, or refused with the status details (and
 * `[removed X]` when the refusal names a removed member).
 */
async function peerCalls(from: NetHost, pkiDir: string, target: string): Promise<Record<string, string>> {
  const { dir, remove } = tempDir('cluster-peer');
  try {
    const script = path.join(dir, 'peer.js');
    fs.writeFileSync(script, `
      const grpc = require(${JSON.stringify(require.resolve('@grpc/grpc-js'))});
      const { loadBerthV1 } = require(${JSON.stringify(require.resolve('@berth/proto'))});
      const { createCertificateAuthority, issueCertificate } = require(${JSON.stringify(require.resolve('@berth/control-plane'))});
      const fs = require('fs');
      const read = (f) => fs.readFileSync(${JSON.stringify(pkiDir)} + '/' + f);
      const v1 = loadBerthV1();
      const target = ${JSON.stringify(target)};
      const other = createCertificateAuthority({ commonName: 'intruder', validDays: 1 });
      const intruder = issueCertificate(other, { commonName: 'intruder', ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' });
      const minted = issueCertificate({ certPem: read('ca.crt').toString(), keyPem: read('ca.key').toString() }, { commonName: 'member2', ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' });
      const tries = {
        member: grpc.credentials.createSsl(read('ca.crt'), read('member.key'), read('member.crt')),
        otherCa: grpc.credentials.createSsl(read('ca.crt'), Buffer.from(intruder.keyPem), Buffer.from(intruder.certPem)),
        noClientCert: grpc.credentials.createSsl(read('ca.crt')),
        plaintext: grpc.credentials.createInsecure(),
        minted: grpc.credentials.createSsl(read('ca.crt'), Buffer.from(minted.keyPem), Buffer.from(minted.certPem)),
      };
      (async () => {
        const out = {};
        for (const [name, creds] of Object.entries(tries)) {
          const client = new v1.RaftTransport(target, creds);
          out[name] = await new Promise((resolve) => {
            const call = client.Stream({ deadline: Date.now() + 5000 }, (e) => {
              const removed = e && e.metadata ? e.metadata.get('berth-removed') : [];
              resolve(e ? 'refused: ' + e.details + (removed.length ? ' [removed ' + removed[0] + ']' : '') : 'accepted');
            });
            call.on('error', () => undefined);
            call.write({ messages: [] });
            call.end();
          });
          client.close();
        }
        console.log(JSON.stringify(out));
      })();`);
    const p = c.net.spawnNode(from, script, []);
    await p.exited;
    return JSON.parse(p.output().trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}') as Record<string, string>;
  } finally {
    remove();
  }
}
