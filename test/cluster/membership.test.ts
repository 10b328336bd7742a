/**
 * berthd members on test hosts (network namespaces on a bridge with no uplink): a cluster
 * founded with `berthd init`, grown with `berth cluster add` + `berthd join`, its Raft
 * traffic on mutual TLS, a leader killed with SIGKILL.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BERTH, BERTHD, removeCgroupParent, tempDir } from '../support/berthd';
import { TestNetwork } from '../support/netns';
import type { NetHost, NsProcess } from '../support/netns';

jest.setTimeout(180_000);

interface ListedMember { server_name: string; url: string; roles: string[]; status: string; leader: boolean }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let net: TestNetwork;
const dirs: Array<{ dir: string; remove: () => void }> = [];
const procs = new Map<number, NsProcess>();

const address = (h: NetHost): string => `${h.address}:8443`;
const clusterAddress = (h: NetHost): string => `${h.address}:8444`;

/** `berthd ARGS` (init, join) run to its end inside host i's namespace. */
function berthdIn(i: number, args: string[]): { code: number | null; out: string } {
  const r = spawnSync('ip', ['netns', 'exec', net.host(i).ns, process.execPath, BERTHD, '--data-dir', dirs[i - 1]!.dir, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The berth CLI against member i's local socket. */
function berth(i: number, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BERTH, ...args], { encoding: 'utf8', env: { ...process.env, BERTH_DIR: dirs[i - 1]!.dir }, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function startMember(i: number): Promise<void> {
  const p = net.spawnNode(net.host(i), BERTHD, ['--data-dir', dirs[i - 1]!.dir]);
  procs.set(i, p);
  await TestNetwork.waitExecd(p);
  const deadline = Date.now() + 30_000;
  while (!/serving on/.test(p.output())) {
    if (!p.alive()) throw new Error(`berthd ${i} exited:\n${p.output()}`);
    if (Date.now() > deadline) throw new Error(`berthd ${i} did not serve:\n${p.output()}`);
    await sleep(50);
  }
}

function list(i: number): ListedMember[] | undefined {
  const r = berth(i, ['cluster', 'list', '--format', 'json']);
  return r.code === 0 ? JSON.parse(r.out) as ListedMember[] : undefined;
}

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(250);
  }
}

function token(i: number, name: string): string {
  const r = berth(i, ['cluster', 'add', name, '--format', 'json']);
  if (r.code !== 0) throw new Error(`berth cluster add ${name} failed: ${r.err}`);
  return (JSON.parse(r.out) as { token: string }).token;
}

const settled = (want: number, on: number) => (): ListedMember[] | undefined => {
  const ms = list(on);
  if (!ms || ms.length !== want) return undefined;
  const voters = ms.filter((m) => m.roles.includes('voter')).length;
  const leaders = ms.filter((m) => m.leader).length;
  return voters === Math.min(3, want - (want % 2 === 0 ? 1 : 0)) && leaders === 1 && ms.every((m) => m.status === 'Online') ? ms : undefined;
};

beforeAll(() => {
  net = TestNetwork.create(4);
  for (let i = 1; i <= 4; i++) dirs.push(tempDir(`cluster${i}`));
});

afterAll(async () => {
  for (const p of procs.values()) if (p.alive()) p.proc.kill('SIGTERM');
  await Promise.all([...procs.values()].map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 10_000).unref())])));
  await net.destroy();
  for (const d of dirs) {
    await removeCgroupParent(d.dir);
    d.remove();
  }
});

describe('a cluster of berthd members', () => {
  it('is founded by berthd init and grown by tokens and joins: three voters, one leader, all online', async () => {
    const init = berthdIn(1, ['init', '--name', 'member1', '--address', address(net.host(1)), '--cluster-address', clusterAddress(net.host(1)), '--offline-threshold', '3']);
    expect(init.code).toBe(0);
    await startMember(1);
    await waitFor('member1 alone', settled(1, 1));
    for (const i of [2, 3]) {
      const t = token(1, `member${i}`);
      const j = berthdIn(i, ['join', t, '--address', address(net.host(i)), '--cluster-address', clusterAddress(net.host(i))]);
      expect(j.out).toMatch(new RegExp(`joined cluster .* as member${i}`));
      await startMember(i);
    }
    // Two members keep one voter and a stand-by; the third makes three voters.
    const ms = await waitFor('three voters', settled(3, 3));
    expect(ms.map((m) => m.server_name)).toEqual(['member1', 'member2', 'member3']);
    expect(ms.map((m) => m.url)).toEqual([1, 2, 3].map((i) => `https://${address(net.host(i))}`));
    // Every member reads the same membership through the replicated store.
    for (const i of [1, 2]) expect(list(i)?.map((m) => [m.server_name, m.roles.includes('voter')])).toEqual(ms.map((m) => [m.server_name, true]));
    // Each member got its own certificate, and keeps its own key.
    const keys = [1, 2, 3].map((i) => fs.readFileSync(path.join(dirs[i - 1]!.dir, 'cluster', 'member.key'), 'utf8'));
    expect(new Set(keys).size).toBe(3);
    expect(fs.statSync(path.join(dirs[1]!.dir, 'cluster', 'member.key')).mode & 0o077).toBe(0);
  });

  it('admits a member once per token; a used, altered or misnamed token is refused and changes nothing', async () => {
    const t = token(2, 'member4');
    // Asked again for the same name while the token is outstanding: refused.
    const again = berth(1, ['cluster', 'add', 'member4']);
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/already has a join token/);
    expect(berth(1, ['cluster', 'add', 'Bad_Name']).err).toMatch(/invalid member name "Bad_Name"/);
    // A token whose secret was altered: decoded fine, refused by the member.
    const decoded = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as { secret: string };
    const flipped = decoded.secret.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    const altered = Buffer.from(Buffer.from(t, 'base64url').toString('utf8').replace(decoded.secret, flipped)).toString('base64url');
    const bad = berthdIn(4, ['join', altered, '--address', address(net.host(4)), '--cluster-address', clusterAddress(net.host(4))]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/refused the join: join token refused: token: the secret does not match/);
    expect(fs.existsSync(path.join(dirs[3]!.dir, 'cluster', 'member.json'))).toBe(false);
    expect(berthdIn(4, ['join', t, '--name', 'member5', '--address', address(net.host(4)), '--cluster-address', clusterAddress(net.host(4))]).out)
      .toMatch(/this token admits "member4", not "member5"/);
    // The real one works once...
    expect(berthdIn(4, ['join', t, '--address', address(net.host(4)), '--cluster-address', clusterAddress(net.host(4))]).code).toBe(0);
    // ...and a second use, from another folder, is refused.
    const other = tempDir('cluster-again');
    try {
      const r = spawnSync('ip', ['netns', 'exec', net.host(4).ns, process.execPath, BERTHD, '--data-dir', other.dir, 'join', t, '--address', address(net.host(4)), '--cluster-address', clusterAddress(net.host(4))], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/no join token is outstanding for "member4"/);
    } finally {
      other.remove();
    }
    await startMember(4);
    // Four members: three voters and a stand-by learner.
    const ms = await waitFor('four members', settled(4, 1));
    expect(ms.filter((m) => m.roles.includes('learner')).map((m) => m.server_name)).toEqual(['member4']);
  });

  it('refuses Raft traffic from a peer without a certificate of the cluster CA, at the handshake', async () => {
    const { dir, remove } = tempDir('cluster-peer');
    try {
      const script = path.join(dir, 'peer.js');
      const pkiDir = path.join(dirs[0]!.dir, 'cluster');
      fs.writeFileSync(script, `
        const grpc = require(${JSON.stringify(require.resolve('@grpc/grpc-js'))});
        const { loadBerthV1 } = require(${JSON.stringify(require.resolve('@berth/proto'))});
        const { createCertificateAuthority, issueCertificate } = require(${JSON.stringify(require.resolve('@berth/control-plane'))});
        const fs = require('fs');
        const read = (f) => fs.readFileSync(${JSON.stringify(pkiDir)} + '/' + f);
        const v1 = loadBerthV1();
        const target = ${JSON.stringify(clusterAddress(net.host(2)))};
        const other = createCertificateAuthority({ commonName: 'intruder', validDays: 1 });
        const intruder = issueCertificate(other, { commonName: 'intruder', ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' });
        const tries = {
          member: grpc.credentials.createSsl(read('ca.crt'), read('member.key'), read('member.crt')),
          otherCa: grpc.credentials.createSsl(read('ca.crt'), Buffer.from(intruder.keyPem), Buffer.from(intruder.certPem)),
          noClientCert: grpc.credentials.createSsl(read('ca.crt')),
          plaintext: grpc.credentials.createInsecure(),
        };
        (async () => {
          const out = {};
          for (const [name, creds] of Object.entries(tries)) {
            const c = new v1.RaftTransport(target, creds);
            out[name] = await new Promise((resolve) => {
              const call = c.Stream({ deadline: Date.now() + 5000 }, (e) => resolve(e ? 'refused: ' + e.details : 'accepted'));
              call.on('error', () => undefined);
              call.write({ messages: [] });
              call.end();
            });
            c.close();
          }
          console.log(JSON.stringify(out));
        })();`);
      const p = net.spawnNode(net.client, script, []);
      await p.exited;
      const res = JSON.parse(p.output().trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}') as Record<string, string>;
      expect(res.member).toBe('accepted');
      for (const k of ['otherCa', 'noClientCert', 'plaintext']) expect(res[k]).toMatch(/^refused/);
    } finally {
      remove();
    }
  });

  it('elects a new leader within a few election timeouts when the leader is killed; the old one shows offline, then comes back', async () => {
    const before = await waitFor('a settled cluster', settled(4, 1));
    const oldLeader = before.find((m) => m.leader)!.server_name;
    const idx = Number(oldLeader.replace('member', ''));
    const survivor = idx === 1 ? 2 : 1;
    const t0 = Date.now();
    await TestNetwork.kill9(procs.get(idx)!);
    const after = await waitFor('a new leader', () => {
      const ms = list(survivor);
      const l = ms?.find((m) => m.leader);
      return l && l.server_name !== oldLeader ? ms : undefined;
    }, 20_000);
    const electedMs = Date.now() - t0;
    // Election timeout is 1-2 s (10-20 ticks of 100 ms): a few of them at most.
    expect(electedMs).toBeLessThan(10_000);
    // Still three voters, the dead one among them: removing it is the operator's call.
    expect(after.filter((m) => m.roles.includes('voter'))).toHaveLength(3);
    const offline = await waitFor('the old leader offline', () => list(survivor)?.find((m) => m.server_name === oldLeader && m.status === 'Offline'), 15_000);
    expect(offline.leader).toBe(false);
    // Writes work without it: a token is a Raft commit.
    expect(berth(survivor, ['cluster', 'add', 'member9']).code).toBe(0);
    console.log(`leader ${oldLeader} killed: new leader seen after ${electedMs} ms, offline after ${Date.now() - t0} ms`);
    await startMember(idx);
    await waitFor('the old leader back online', () => (list(survivor)?.find((m) => m.server_name === oldLeader)?.status === 'Online' ? true : undefined));
  });
});
