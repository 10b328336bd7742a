/**
 * Image servers (simplestreams), as lxc's `images:` remote: a server started by the test on
 * loopback serves busybox builds; a real berthd copies from it through the CLI, launches a
 * real container from it, and keeps an --auto-update image up to date.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { images } from '@berth/node-agent';
import { BERTH, cleanUpSingleHost, startBerthd, tempDir } from '../support/berthd';
import type { RunningBerthd } from '../support/berthd';

jest.setTimeout(180_000);

describe('berth and simplestreams image servers', () => {
  const tmp = tempDir('simplestreams');
  const side = tempDir('simplestreams-side');
  const conf = path.join(side.dir, 'conf');
  let daemon: RunningBerthd | undefined;
  let server: images.SimplestreamsServer | undefined;
  let upstream: images.ImageStore;
  let v1: string;

  // Not spawnSync: the image server runs in this process and must go on answering.
  const berth = (args: string[], dataDir = tmp.dir): Promise<{ code: number | null; out: string; err: string }> => new Promise((resolve) => {
    execFile(process.execPath, [BERTH, ...args], { encoding: 'utf8', env: { ...process.env, BERTH_DIR: dataDir, BERTH_CONF: conf }, timeout: 120_000 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, out, err });
    });
  });
  /** A busybox build made at `epoch` (another epoch: another fingerprint, same product). */
  const build = async (epoch: number): Promise<string> => {
    const out = path.join(side.dir, `busybox-${epoch}.tar.gz`);
    const b = await images.buildBusyboxImage({ out, epoch });
    await upstream.import({ unified: b.path });
    return b.fingerprint;
  };

  beforeAll(async () => {
    upstream = await images.ImageStore.open({ dataDir: path.join(side.dir, 'upstream') });
    v1 = await build(1700000000);
    await upstream.createAlias('bb/stable', v1);
    server = await images.SimplestreamsServer.start({ store: upstream, listen: '127.0.0.1:0' });
    // Auto-update every 2 s (hours, as LXD's images.auto_update_interval).
    daemon = await startBerthd(tmp.dir, 30_000, ['--images-auto-update-interval', String(2 / 3600)]);
  });
  afterAll(async () => {
    await server?.close();
    await cleanUpSingleHost(tmp, daemon);
    side.remove();
  });

  it('adds an image server as a remote after checking it speaks simplestreams', async () => {
    const bad = await berth(['remote', 'add', 'nothing', 'http://127.0.0.1:9/', '--protocol', 'simplestreams']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9\/streams\/v1\/index\.json/);
    expect((await berth(['remote', 'add', 'ftp', 'ftp://x/', '--protocol', 'simplestreams'])).err).toMatch(/over http: or https:, not ftp:/);
    const ok = await berth(['remote', 'add', 'ss', server!.url, '--protocol', 'simplestreams']);
    expect(ok.err).toBe('');
    expect(ok.out).toMatch(/Remote ss added: image server http:\/\/127\.0\.0\.1:\d+\/ \(simplestreams, 1 product\)/);
    const list = JSON.parse((await berth(['remote', 'list', '--format', 'json'])).out) as Array<{ name: string; protocol: string }>;
    expect(list.find((r) => r.name === 'ss')?.protocol).toBe('simplestreams');
    // It serves images only.
    const inst = await berth(['list', 'ss:']);
    expect(inst.code).toBe(2);
    expect(inst.err).toMatch(/remote "ss" is an image server \(simplestreams, http:\/\/127\.0\.0\.1:\d+\/\): it serves images only/);
    expect((await berth(['remote', 'switch', 'ss'])).err).toMatch(/"ss" is an image server: it cannot be the default remote/);
  });

  it('copies an image by its alias on the server, with the SHA-256 checked, and launches a real container from it', async () => {
    const unknown = await berth(['image', 'copy', 'ss:nosuch', 'local:']);
    expect(unknown.code).toBe(4); // not found
    expect(unknown.err).toMatch(/no image "nosuch" for x86_64 on http:\/\/127\.0\.0\.1:\d+\/ \(it has: bb\/stable\)/);
    const copy = await berth(['image', 'copy', 'ss:bb/stable', 'local:', '--alias', 'mybb', '--auto-update']);
    expect(copy.err).toBe('');
    expect(copy.out).toBe(`Image copied from ss with fingerprint: ${v1}\n`);
    const again = await berth(['image', 'copy', 'ss:bb/stable', 'local:']);
    expect(again.out).toBe(`Image ${v1} is here already\n`);
    const launch = await berth(['launch', 'ss:bb/stable', 'c1']);
    expect(launch.err).toBe('');
    expect(launch.out).toMatch(/^Launched c1 from /);
    const exec = await berth(['exec', 'c1', '--', 'echo', 'hello from c1']);
    expect([exec.code, exec.out]).toEqual([0, 'hello from c1\n']);
    const info = JSON.parse((await berth(['list', '--format', 'json'])).out) as Array<{ name: string; status: string; config: Record<string, string> }>;
    expect(info.find((i) => i.name === 'c1')?.status).toBe('Running');
  });

  it('moves an --auto-update image to the server\'s newer build, its alias with it; the old one stays while c1 uses it', async () => {
    const v2 = await build(1800000000);
    // The product's newest build: v2 (the alias follows the product, as simplestreams has it).
    const deadline = Date.now() + 60_000;
    let listed: Array<{ fingerprint: string; aliases: string[] }> = [];
    for (;;) {
      const r = await berth(['image', 'list', '--format', 'json']);
      listed = r.code === 0 ? (JSON.parse(r.out) as Array<{ fingerprint: string; aliases: Array<{ name: string }> }>).map((i) => ({ fingerprint: i.fingerprint, aliases: i.aliases.map((a) => a.name) })) : [];
      if (listed.some((i) => i.fingerprint === v2 && i.aliases.includes('mybb'))) break;
      if (Date.now() > deadline) throw new Error(`not updated: ${JSON.stringify(listed)}\n${fs.readFileSync(path.join(tmp.dir, 'images', 'sources.json'), 'utf8')}\n${daemon!.output()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // v1 is still there: c1 was made from it.
    expect(listed.map((i) => i.fingerprint).sort()).toEqual([v1, v2].sort());
    expect(listed.find((i) => i.fingerprint === v1)?.aliases).toEqual([]);
    expect(fs.existsSync(path.join(tmp.dir, 'images', 'sources.json'))).toBe(true);
  });

  it('a berthd serves its public images as a simplestreams server (--images-address), pinned by its certificate', async () => {
    const other = tempDir('simplestreams-server');
    let served: RunningBerthd | undefined;
    try {
      const port = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, '127.0.0.1', () => {
          const p = (probe.address() as net.AddressInfo).port;
          probe.close(() => resolve(p));
        });
      });
      served = await startBerthd(other.dir, 30_000, ['--images-address', `127.0.0.1:${port}`]);
      const fp = /public images served on https:\/\/127\.0\.0\.1:\d+ \(simplestreams; certificate SHA-256 ([0-9a-f]{64})\)/.exec((await served.waitForOutput(/public images served on .*\n/))[0])?.[1];
      expect(fp).toBeDefined();
      const pub = await build(1750000000);
      const file = path.join(side.dir, 'busybox-1750000000.tar.gz');
      const priv = path.join(side.dir, 'private.tar.gz');
      await images.buildBusyboxImage({ out: priv, epoch: 1760000000 });
      expect((await berth(['image', 'import', file, '--alias', 'shared', '--public'], other.dir)).code).toBe(0);
      expect((await berth(['image', 'import', priv, '--alias', 'mine'], other.dir)).code).toBe(0);
      const url = `https://127.0.0.1:${port}`;
      // Self-signed: refused until accepted, then pinned.
      const refused = await berth(['remote', 'add', 'peer', url, '--protocol', 'simplestreams']);
      expect(refused.code).not.toBe(0);
      expect(refused.err).toContain(`presents a certificate this system does not trust (SHA-256 ${fp})`);
      expect((await berth(['remote', 'add', 'peer', url, '--protocol', 'simplestreams', '--accept-certificate'])).out).toContain(`certificate ${fp!.slice(0, 16)} pinned`);
      // Only the public image is served.
      expect((await berth(['image', 'copy', 'peer:mine', 'local:'])).err).toMatch(/no image "mine" .*\(it has: shared\)/);
      const copied = await berth(['image', 'copy', 'peer:shared', 'local:', '--alias', 'from-peer']);
      expect(copied.err).toBe('');
      expect(copied.out).toBe(`Image copied from peer with fingerprint: ${pub}\n`);
    } finally {
      if (served) await cleanUpSingleHost(other, served);
      else other.remove();
    }
  });
});
