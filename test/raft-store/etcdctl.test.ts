// etcd's own client, etcdctl 3.4 from Debian, drives a 3-member raft-store cluster
// unchanged: the wire API is etcd's.
import { spawn } from 'node:child_process';
import { startLoopbackCluster } from '@berth/raft-store/dist/testing';
import type { LoopbackCluster } from '@berth/raft-store/dist/testing';
import { tempDir } from '../support/berthd';

const tmp = tempDir('etcdctl');
let cluster: LoopbackCluster | undefined;
let endpoints = '';

beforeAll(async () => {
  cluster = await startLoopbackCluster(3, 'etcdctl-test', tmp.dir);
  endpoints = cluster.peers.map((p) => p.clientAddress).join(',');
});

afterAll(async () => {
  await cluster?.stop();
  tmp.remove();
});

// Asynchronous on purpose: the members run in this process, so a blocking spawn would
// stop them from answering.
function etcdctl(args: string[], input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('etcdctl', ['--endpoints', endpoints, '--command-timeout=10s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    child.stdin.end(input ?? '');
  });
}

describe('etcdctl 3.4 against raft-store', () => {
  it('puts and gets, also by prefix, through any member', async () => {
    expect((await etcdctl(['put', 'app/a', '1'])).out.trim()).toBe('OK');
    expect((await etcdctl(['put', 'app/b', '2'])).out.trim()).toBe('OK');
    expect((await etcdctl(['put', 'other', '3'])).out.trim()).toBe('OK');
    expect((await etcdctl(['get', 'app/', '--prefix'])).out.trim().split('\n')).toEqual(['app/a', '1', 'app/b', '2']);
    expect((await etcdctl(['get', 'app/a', '--print-value-only'])).out.trim()).toBe('1');
    const json = JSON.parse((await etcdctl(['get', 'app/', '--prefix', '-w', 'json'])).out) as { count: number; header: { revision: number } };
    expect(json.count).toBe(2);
    expect(json.header.revision).toBeGreaterThanOrEqual(3);
  });

  it('runs a transaction: compare, then success or failure ops', async () => {
    await etcdctl(['put', 'lock', 'free']);
    const won = (await etcdctl(['txn'], 'value("lock") = "free"\n\nput lock taken\n\nput lost yes\n\n'));
    expect(won.out.trim().split('\n')[0]).toBe('SUCCESS');
    const lost = (await etcdctl(['txn'], 'value("lock") = "free"\n\nput lock again\n\nput lost yes\n\n'));
    expect(lost.out.trim().split('\n')[0]).toBe('FAILURE');
    expect((await etcdctl(['get', 'lock', '--print-value-only'])).out.trim()).toBe('taken');
    expect((await etcdctl(['get', 'lost', '--print-value-only'])).out.trim()).toBe('yes');
  });

  it('watches from a revision and sees later changes', async () => {
    const rev = (JSON.parse((await etcdctl(['put', 'w', 'first', '-w', 'json'])).out) as { header: { revision: number } }).header.revision;
    const child = spawn('etcdctl', ['--endpoints', endpoints, 'watch', 'w', `--rev=${rev}`], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      await new Promise((r) => setTimeout(r, 500));
      await etcdctl(['put', 'w', 'second']);
      await etcdctl(['del', 'w']);
      const deadline = Date.now() + 10_000;
      while (!out.includes('DELETE')) {
        if (Date.now() > deadline) throw new Error(`watch saw only: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(out.trim().split('\n')).toEqual(['PUT', 'w', 'first', 'PUT', 'w', 'second', 'DELETE', 'w']);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('grants, keeps alive, inspects and revokes a lease, whose keys go with it', async () => {
    const grant = (await etcdctl(['lease', 'grant', '60']));
    const id = /lease ([0-9a-f]+) granted with TTL\(60s\)/.exec(grant.out)?.[1];
    expect(id).toBeDefined();
    expect((await etcdctl(['put', '--lease', id!, 'member/alive', 'yes'])).out.trim()).toBe('OK');
    expect((await etcdctl(['lease', 'keep-alive', '--once', id!])).out).toContain(`lease ${id} keepalived with TTL(60)`);
    expect((await etcdctl(['lease', 'timetolive', id!, '--keys'])).out).toMatch(new RegExp(`lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[member/alive\\]\\)`));
    expect((await etcdctl(['lease', 'list'])).out).toContain(id!);
    expect((await etcdctl(['lease', 'revoke', id!])).out).toContain(`lease ${id} revoked`);
    expect((await etcdctl(['get', 'member/alive'])).out.trim()).toBe('');
  });

  it('lists members and their status', async () => {
    const list = (await etcdctl(['member', 'list'])).out.trim().split('\n');
    expect(list).toHaveLength(3);
    const status = JSON.parse((await etcdctl(['endpoint', 'status', '-w', 'json'])).out) as Array<{ Status: { leader: number; raftTerm: number } }>;
    expect(new Set(status.map((s) => s.Status.leader)).size).toBe(1);
  });

  it('gets etcd\'s errors for bad requests', async () => {
    const r = (await etcdctl(['put', 'k', 'v', '--lease', 'abc123']));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('requested lease not found');
    await etcdctl(['put', 'c', '1']);
    const rev = (JSON.parse((await etcdctl(['put', 'c', '2', '-w', 'json'])).out) as { header: { revision: number } }).header.revision;
    expect((await etcdctl(['compaction', String(rev)])).out).toContain(`compacted revision ${rev}`);
    const w = (await etcdctl(['watch', 'c', '--rev=1']));
    expect(w.err + w.out).toContain('required revision has been compacted');
  });
});
