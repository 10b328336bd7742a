/**
 * Images between the members of a three-member cluster (real berthd processes on test hosts,
 * real runc containers, images streamed over the members' mutual TLS): replication to
 * cluster.images_minimal_replica, a launch on a member without the image while the importing
 * member is dead, every transfer cut mid-stream and resumed from its offset, a tampered image
 * refused, concurrent launches sharing one transfer, and placement's image-availability verdict.
 *
 * Faults are the serving side's test-only hooks (image-transfer.ts, off unless set in a
 * berthd's environment): every member here cuts each Fetch once at CUT_AT; one member is
 * restarted to serve tampered bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { BerthClient } from '@berth/cli';
import { images } from '@berth/node-agent';
import { BERTH } from '../support/berthd';
import { BerthCluster, waitFor } from '../support/berth-cluster';

jest.setTimeout(600_000);

const CUT_AT = (1 << 20) + 4321;

let c: BerthCluster;
let work: string;

/** Members (1..3) whose image store holds the image. */
function holders(fp: string): number[] {
  return [1, 2, 3].filter((i) => fs.existsSync(path.join(c.dir(i), 'images', fp, 'image.json')));
}

/** A fresh image (busybox, uncompressed, so it is larger than CUT_AT), distinct by its epoch. */
async function buildImage(n: number): Promise<{ path: string; fingerprint: string }> {
  const out = path.join(work, `img${n}.tar`);
  const b = await images.buildBusyboxImage({ out, compression: 'none', epoch: 1_600_000_000 + n });
  return { path: out, fingerprint: b.fingerprint };
}

function ok(i: number, args: string[]): string {
  const r = c.berth(i, args);
  if (r.code !== 0) throw new Error(`berth ${args.join(' ')} on member${i}: ${r.err}`);
  return r.out;
}

/** Member i's test-only serving faults, read when its berthd starts (image-transfer.ts). */
function faults(i: number, f: Record<string, string>): void {
  fs.writeFileSync(path.join(c.dir(i), 'berth-test-image-faults.json'), JSON.stringify(f));
}

function pulledLines(i: number, fp: string): string[] {
  return c.procs.get(i)!.output().split('\n').filter((l) => l.startsWith(`images: pulled ${fp.slice(0, 12)}`));
}

beforeAll(async () => {
  c = BerthCluster.create(3, 'img');
  work = path.join(c.dir(1), '..', `${path.basename(c.dir(1))}-work`);
  fs.mkdirSync(work);
  // Jest's process.env does not reach the berthd children: the fault file in each data folder.
  for (const i of [1, 2, 3]) faults(i, { BERTH_TEST_IMAGE_SERVE_CUT_AT: String(CUT_AT) });
  await c.form(3);
});

afterAll(async () => {
  await c.destroy();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('images in a cluster', () => {
  let img1: { path: string; fingerprint: string };

  it('an image imported on one member reaches cluster.images_minimal_replica; every transfer cut mid-stream resumes from its offset', async () => {
    expect(ok(2, ['image', 'replicas'])).toMatch(/cluster.images_minimal_replica: 3/);
    const bad = c.berth(2, ['image', 'replicas', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/-1 \(every member\) or a whole number >= 1/);
    expect(ok(2, ['image', 'replicas', '2'])).toMatch(/: 2/);

    img1 = await buildImage(1);
    expect(ok(1, ['image', 'import', img1.path, '--alias', 'img1'])).toContain(img1.fingerprint);
    const two = await waitFor('img1 on 2 members', () => (holders(img1.fingerprint).length === 2 ? holders(img1.fingerprint) : undefined), 60_000);
    expect(two).toContain(1);
    const puller = two.find((i) => i !== 1)!;
    await waitFor('the pull logged', () => (pulledLines(puller, img1.fingerprint).length > 0 ? true : undefined));
    // The transfer was cut at CUT_AT by the serving member and resumed from there.
    const out = c.procs.get(puller)!.output();
    expect(out).toMatch(new RegExp(`broke at offset ${CUT_AT} .*resuming from offset ${CUT_AT}`));
    expect(pulledLines(puller, img1.fingerprint)).toHaveLength(1);
    // The bytes came on data links (TLS sockets beside the gRPC listener), not the gRPC stream.
    expect(pulledLines(puller, img1.fingerprint)[0]).toMatch(/for replication from member1=\d+ .*all on data links, then imported\); resumed 1$/);
    // The pulled copy is the image: the store checked its fingerprint on import.
    const rec = JSON.parse(fs.readFileSync(path.join(c.dir(puller), 'images', img1.fingerprint, 'image.json'), 'utf8')) as { fingerprint: string; size: number };
    expect(rec.fingerprint).toBe(img1.fingerprint);
    expect(rec.size).toBe(fs.statSync(img1.path).size);
    // Every member lists the cluster's images with their locations.
    const third = [1, 2, 3].find((i) => !two.includes(i))!;
    const list = ok(third, ['image', 'list']);
    const row = list.split('\n').find((l) => l.includes(img1.fingerprint.slice(0, 12)));
    expect(row).toBeDefined();
    expect(row).toContain('img1');
    expect(row).toContain(two.map((i) => `member${i}`).sort().join(','));
    // Still 2 a few passes of the rule later (the third member does not pull it).
    await new Promise((r) => setTimeout(r, 5000));
    expect(holders(img1.fingerprint)).toEqual(two);
  });

  it('concurrent launches of an image on a member without it share one transfer', async () => {
    expect(ok(1, ['image', 'replicas', '1'])).toMatch(/: 1/);
    const img3 = await buildImage(3);
    ok(1, ['image', 'import', img3.path, '--alias', 'img3']);
    await waitFor('img3 recorded', () => (ok(3, ['image', 'list']).includes(img3.fingerprint.slice(0, 12)) ? true : undefined));
    expect(holders(img3.fingerprint)).toEqual([1]);
    const launch = (name: string): Promise<{ code: number | null; err: string }> => new Promise((resolve) => {
      const p = spawn(process.execPath, [BERTH, 'launch', 'img3', name, '--target', 'member3'], { env: { ...process.env, BERTH_DIR: c.dir(2) }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      p.on('exit', (code) => resolve({ code, err }));
    });
    const [a, b] = await Promise.all([launch('cc1'), launch('cc2')]);
    expect(a).toEqual({ code: 0, err: '' });
    expect(b).toEqual({ code: 0, err: '' });
    expect(c.runc(3, 'cc1')?.status).toBe('running');
    expect(c.runc(3, 'cc2')?.status).toBe('running');
    expect(holders(img3.fingerprint)).toEqual([1, 3]);
    await waitFor('the pull logged', () => (pulledLines(3, img3.fingerprint).length > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 3000));
    expect(pulledLines(3, img3.fingerprint)).toHaveLength(1);
    expect(pulledLines(3, img3.fingerprint)[0]).toMatch(/for launch of cc[12] from member1=/);
    // The pull was an operation with its progress.
    const ops = JSON.parse(ok(3, ['operation', 'list', '--format', 'json'])) as Array<{ id: string; description: string; status: string }>;
    const pull = ops.filter((o) => o.description.startsWith(`Pulling image ${img3.fingerprint.slice(0, 12)} to member3`));
    expect(pull).toHaveLength(1);
    expect(pull[0]!.status).toBe('success');
    const client = new BerthClient(path.join(c.dir(3), 'unix.socket'));
    try {
      const op = await client.rpc<{ metadata: Record<string, string> }>('GetOperation', { id: pull[0]!.id, waitSeconds: 0 }, 30_000, 'operations');
      const size = String(fs.statSync(img3.path).size);
      expect(op.metadata).toMatchObject({ 'progress.bytes': size, 'progress.total': size, 'progress.peers': 'member1' });
      expect(Number(op.metadata['progress.rate_bps'])).toBeGreaterThan(0);
    } finally {
      client.close();
    }
    expect(ok(3, ['image', 'transfers'])).not.toContain('Pulling image');
  });

  it('a launch on a member without the image works while the importing member is dead; placement says why when no holder is up', async () => {
    const img4 = await buildImage(4);
    ok(1, ['image', 'import', img4.path, '--alias', 'img4']);
    await waitFor('img4 recorded', () => (ok(2, ['image', 'list']).includes(img4.fingerprint.slice(0, 12)) ? true : undefined));
    const lacking = [2, 3].find((i) => !holders(img1.fingerprint).includes(i))!;
    await c.kill9(1);
    await waitFor('member1 offline', () => c.list(2)?.find((m) => m.server_name === 'member1' && m.status === 'Offline'), 60_000);
    const r = c.berth(2, ['launch', 'img1', 'd1', '--target', `member${lacking}`]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(c.runc(lacking, 'd1')?.status).toBe('running');
    expect(holders(img1.fingerprint)).toContain(lacking);

    // img4's only holder is dead: no member can get it.
    const dry = c.berth(2, ['launch', 'img4', 'd2', '--dry-run']);
    expect(`${dry.out}${dry.err}`).toMatch(/member2.*image img4 is not here, and no online member holds it to pull from \(held by member1: offline\)/);
    expect(`${dry.out}${dry.err}`).toMatch(/member3.*image img4 is not here/);
    // The leader's placer passes them by in the same way: refused, saying why; nothing runs.
    const real = c.berth(2, ['launch', 'img4', 'd2']);
    expect(real.code).not.toBe(0);
    expect(real.err).toMatch(/no member can take d2: .*image img4 is not here, and no online member holds it to pull from/);
    for (const i of [2, 3]) expect(c.runc(i, 'd2')).toBeUndefined();
    ok(2, ['delete', 'd2']);
  });

  it('a tampered image is detected and refused: nothing is imported, the launch fails saying why', async () => {
    // member2 comes back serving tampered bytes (its CRCs match; only the SHA-256 tells).
    const p2 = c.procs.get(2)!;
    p2.proc.kill('SIGTERM');
    await p2.exited;
    faults(2, { BERTH_TEST_IMAGE_SERVE_TAMPERED: 'sha256@4000' });
    await c.start(2);
    const img2 = await buildImage(2);
    await waitFor('member2 serving', () => (c.berth(2, ['image', 'import', img2.path, '--alias', 'img2']).code === 0 ? true : undefined), 60_000);
    const r = c.berth(3, ['launch', 'img2', 't1', '--target', 'member3']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/hash to SHA-256 [0-9a-f]{64}, not its fingerprint: refused/);
    expect(holders(img2.fingerprint)).toEqual([2]);
    expect(fs.readdirSync(path.join(c.dir(3), 'image-pulls'))).toEqual([]);
    expect(fs.readdirSync(path.join(c.dir(3), 'images', '.tmp'))).toEqual([]);
  });

  it('berth image delete removes an image from every member, and is refused while an instance uses it', async () => {
    const used = c.berth(3, ['image', 'delete', 'img1']);
    expect(used.code).not.toBe(0);
    expect(used.err).toMatch(/is used by instance\(s\) d1/);
    expect(holders(img1.fingerprint).filter((i) => i !== 1)).toHaveLength(2);
    expect(c.berth(3, ['delete', 'd1', '--force']).code).toBe(0);
    expect(c.berth(3, ['image', 'delete', 'img1']).code).toBe(0);
    // Each live member removes its copy on its next tick (member1 is dead: its copy waits for it).
    await waitFor('img1 gone from member2 and member3', () => (holders(img1.fingerprint).every((i) => i === 1) ? true : undefined), 60_000);
    expect(ok(3, ['image', 'list'])).not.toContain(img1.fingerprint.slice(0, 12));
  });
});
