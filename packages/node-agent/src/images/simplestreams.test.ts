import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createCertificateAuthority, fingerprint, issueCertificate } from '@berth/control-plane';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { ImageStore } from './store';
import { SimplestreamsClient, SimplestreamsServer } from './simplestreams';
import { dir, file, GOOD_METADATA, gz, listTree, makeTestDir, removeTestDir, tarBuffer, unifiedImage } from './test-helpers';

/** A plain HTTP server in front of `upstream` whose `alter` may change each file response. */
async function proxy(upstream: string, alter: (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => boolean): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.range ?? ''}`.trim());
    http.get(new URL(req.url!, upstream), { headers: req.headers.range ? { range: req.headers.range } : {} }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.concat(chunks);
        if (alter(req, body, res)) return;
        res.writeHead(up.statusCode!, up.headers).end(body);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe('simplestreams: berth serves its images, and copies from such a server', () => {
  let tmp: string;
  let a: ImageStore;
  let b: ImageStore;
  let server: SimplestreamsServer;
  let unified: string;
  let split: string;

  beforeAll(async () => {
    tmp = makeTestDir('simplestreams');
    a = await ImageStore.open({ dataDir: path.join(tmp, 'a') });
    const u = await a.import({ unified: await writeBuffer(tmp, 'u.tar.gz', gz(await unifiedImage([file('rootfs/etc/motd', 'unified\n')]))) }, { aliases: ['test/one', 'one'] });
    unified = u.fingerprint;
    const meta = GOOD_METADATA.replace('release: "1"', 'release: "2"');
    const s = await a.import({
      metadata: await writeBuffer(tmp, 'm.tar.gz', gz(await tarBuffer([file('metadata.yaml', meta)]))),
      rootfs: await writeBuffer(tmp, 'r.tar.gz', gz(await tarBuffer([dir('etc/'), file('etc/hostname', 'split\n')]))),
    }, { aliases: ['test/two'] });
    split = s.fingerprint;
    server = await SimplestreamsServer.start({ store: a, listen: '127.0.0.1:0' });
  });
  beforeEach(async () => {
    b = await ImageStore.open({ dataDir: path.join(tmp, `b-${crypto.randomUUID()}`) });
  });
  afterAll(async () => {
    try {
      await server?.close();
    } finally {
      removeTestDir(tmp);
    }
  });

  it('serves a simplestreams catalog: a product per os:release:arch:variant, its aliases, one item per file', async () => {
    const products = await new SimplestreamsClient(server.url).products();
    expect(Object.keys(products.products)).toEqual(['test:1:amd64:default', 'test:2:amd64:default']);
    const one = products.products['test:1:amd64:default']!;
    expect(one.aliases).toBe('one,test/one');
    const [version] = Object.values(one.versions);
    expect(Object.keys(version!.items)).toEqual(['lxd_combined.tar.gz']);
    expect(version!.items['lxd_combined.tar.gz']).toMatchObject({ sha256: unified, path: `images/${unified}/lxd_combined.tar.gz` });
    const two = Object.values(products.products['test:2:amd64:default']!.versions)[0]!.items;
    expect(Object.keys(two).sort()).toEqual(['lxd.tar.xz', 'root.tar.xz']);
    expect(two['lxd.tar.xz']!.combined_rootxz_sha256).toBe(split);
  });

  it('copies an image by alias, unified or split, with the same fingerprint and the aliases asked for; once', async () => {
    const c = new SimplestreamsClient(server.url);
    const progress: number[] = [];
    const r1 = await c.copy(b, 'test/one', { aliases: ['mine'], onProgress: (done) => progress.push(done) });
    expect(r1.downloaded).toBe(true);
    expect(r1.record.fingerprint).toBe(unified);
    expect(progress[progress.length - 1]).toBe(r1.image.size);
    expect(await b.resolveAlias('mine')).toBe(unified);
    const r2 = await c.copy(b, 'test:2:amd64:default');
    expect(r2.record.fingerprint).toBe(split);
    expect((await b.get(split)).format).toBe('split');
    // Held already: not downloaded again; by fingerprint prefix too.
    expect((await c.copy(b, unified.slice(0, 12))).downloaded).toBe(false);
  });

  it('names what the server has when an alias is unknown, and refuses what is not simplestreams', async () => {
    const c = new SimplestreamsClient(server.url);
    await expect(c.find('nosuch')).rejects.toThrow(NotFoundError);
    await expect(c.find('nosuch')).rejects.toThrow(/no image "nosuch" for x86_64 on http:\/\/127\.0\.0\.1:\d+\/ \(it has: one, test\/one, test\/two\)/);
    expect(() => new SimplestreamsClient('ftp://x/')).toThrow(/over http: or https:, not ftp:/);
    const notStreams = await proxy(server.url, (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":1}');
      return true;
    });
    try {
      await expect(new SimplestreamsClient(notStreams.url).find('one')).rejects.toThrow(/is not a simplestreams index of images/);
    } finally {
      await notStreams.close();
    }
  });

  it('refuses a tampered file (SHA-256 checked before import) and imports nothing', async () => {
    const bad = await proxy(server.url, (req, body, res) => {
      if (!req.url!.startsWith('/images/')) return false;
      body[body.length >> 1]! ^= 0xff;
      res.writeHead(200, { 'content-length': body.length }).end(body);
      return true;
    });
    try {
      const before = listTree(b.root);
      await expect(new SimplestreamsClient(bad.url).copy(b, 'test/one')).rejects.toThrow(InvalidArgumentError);
      await expect(new SimplestreamsClient(bad.url).copy(b, 'test/one')).rejects.toThrow(/does not match the catalog .*: refused/);
      expect(listTree(b.root)).toEqual(before);
      expect(await b.list()).toEqual([]);
      expect(listTree(path.dirname(b.root)).filter((f) => f.startsWith('.simplestreams-'))).toEqual([]);
    } finally {
      await bad.close();
    }
  });

  it('resumes a download cut in the middle with a byte range', async () => {
    let cut = false;
    const flaky = await proxy(server.url, (req, body, res) => {
      if (!req.url!.startsWith('/images/') || cut) return false;
      cut = true;
      // Says the whole size, sends half, then drops the connection.
      res.writeHead(200, { 'content-length': body.length, 'accept-ranges': 'bytes' });
      res.write(body.subarray(0, body.length >> 1), () => res.socket!.destroy());
      return true;
    });
    try {
      const r = await new SimplestreamsClient(flaky.url).copy(b, 'one');
      expect(r.record.fingerprint).toBe(unified);
      const files = flaky.seen.filter((s) => s.startsWith('/images/'));
      expect(files).toHaveLength(2);
      expect(files[1]).toMatch(/ bytes=\d+-$/);
    } finally {
      await flaky.close();
    }
  });

  it('answers byte ranges and HEAD, and refuses other methods and paths', async () => {
    const get = (p: string, opts: http.RequestOptions = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> => new Promise((resolve, reject) => {
      http.request(new URL(p, server.url), opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    const whole = await get(`/images/${unified}/lxd_combined.tar.gz`);
    expect(crypto.createHash('sha256').update(whole.body).digest('hex')).toBe(unified);
    const part = await get(`/images/${unified}/lxd_combined.tar.gz`, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.body).toEqual(whole.body.subarray(10, 20));
    expect((await get(`/images/${unified}/lxd_combined.tar.gz`, { headers: { range: 'bytes=999999999-' } })).status).toBe(416);
    const head = await get(`/images/${unified}/lxd_combined.tar.gz`, { method: 'HEAD' });
    expect([head.status, Number(head.headers['content-length']), head.body.length]).toEqual([200, whole.body.length, 0]);
    expect((await get('/streams/v1/index.json', { method: 'POST' })).status).toBe(405);
    expect((await get(`/images/${split}/lxd_combined.tar.gz`)).status).toBe(404);
    expect((await get('/../etc/passwd')).status).toBe(404);
  });

  it('over https: checks the certificate, or the one pinned by its fingerprint', async () => {
    const ca = createCertificateAuthority({ commonName: 'berth-test-ss', validDays: 1 });
    const cert = issueCertificate(ca, { commonName: 'ss', ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' });
    const tls = await SimplestreamsServer.start({ store: a, listen: '127.0.0.1:0', tls: { keyPem: cert.keyPem, certPem: cert.certPem } });
    try {
      expect(tls.url).toMatch(/^https:/);
      await expect(new SimplestreamsClient(tls.url).find('one')).rejects.toThrow(/certificate/);
      expect((await new SimplestreamsClient(tls.url, { caPem: ca.certPem }).find('one')).fingerprint).toBe(unified);
      expect((await new SimplestreamsClient(tls.url, { certFingerprint: fingerprint(cert.certPem) }).copy(b, 'one')).record.fingerprint).toBe(unified);
      await expect(new SimplestreamsClient(tls.url, { certFingerprint: '00'.repeat(32) }).find('one')).rejects.toThrow(/showed certificate [0-9a-f]{16}, not the one accepted for this remote/);
    } finally {
      await tls.close();
    }
  });
});

async function writeBuffer(dirName: string, name: string, data: Buffer): Promise<string> {
  const p = path.join(dirName, name);
  await fs.promises.writeFile(p, data);
  return p;
}
