/**
 * The transfer logic on real gRPC (insecure, 127.0.0.1) over real image stores: ranges from
 * several peers, a cut stream resumed from its offset, a corrupt chunk (CRC) and tampered bytes
 * (SHA-256) refused, a dead peer passed by; each fetch both ways the bytes can come: on the
 * Fetch call's gRPC stream (insecure gRPC) and on data links (gRPC and links with TLS
 * certificates of a test CA, as members have). The members' peer checks are covered by
 * test/cluster/images.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadBerthV1 } from '@berth/proto';
import { channelCredentials, createCertificateAuthority, issueCertificate, serverCredentials } from '@berth/control-plane';
import type { MemberPki } from '@berth/control-plane';
import type { ImageTransferClient } from '@berth/proto';
import { ImageStore } from '../images/store';
import { file, makeTestDir, removeTestDir, unifiedImage } from '../images/test-helpers';
import { TamperedImageError, fetchImage as fetchOver, imageTransferHandlers } from './image-transfer';
import type { FetchImageOptions, ServeTestFaults, TransferPeer } from './image-transfer';
import { DataListener } from './data-link';

const MiB = 1 << 20;

let tmp: string;
let store: ImageStore;
let fp: string;
let size: number;
const servers: grpc.Server[] = [];
const clients: grpc.Client[] = [];

const ca = createCertificateAuthority({ commonName: 'berth-test-ca', validDays: 1 });
const pkiOf = (cn: string): MemberPki => {
  const c = issueCertificate(ca, { commonName: cn, ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' });
  return { caPem: ca.certPem, certPem: c.certPem, keyPem: c.keyPem };
};
const holderPki = pkiOf('holder');
const pullerPki = pkiOf('puller');
const listeners: DataListener[] = [];
/** How the bytes come in the current describe: false, on the Fetch stream; true, on data links. */
let linked = false;

async function serve(faults: ServeTestFaults = {}, images = store): Promise<ImageTransferClient> {
  const server = new grpc.Server();
  let links;
  if (linked) {
    const listener = await DataListener.start('127.0.0.1:0', holderPki, () => undefined);
    listeners.push(listener);
    links = { listener, pki: holderPki };
  }
  server.addService(loadBerthV1().ImageTransfer.service, imageTransferHandlers(images, faults, links));
  const creds = linked ? serverCredentials(holderPki) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  servers.push(server);
  const c = new (loadBerthV1().ImageTransfer)(`127.0.0.1:${port}`, linked ? channelCredentials(pullerPki) : grpc.credentials.createInsecure());
  clients.push(c);
  return c;
}

/** fetchImage over the current describe's transport; every byte must have come that way. */
async function fetchImage(o: FetchImageOptions): ReturnType<typeof fetchOver> {
  const r = await fetchOver({ ...o, links: linked ? { pki: pullerPki } : undefined });
  expect(r.linked).toBe(linked ? r.bytes : 0);
  return r;
}

const sha = (f: string): string => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

beforeAll(async () => {
  tmp = makeTestDir('transfer');
  store = await ImageStore.open({ dataDir: path.join(tmp, 'src') });
  // ~5 MiB of incompressible rootfs data: several chunks, several ranges.
  const tar = await unifiedImage([file('rootfs/blob', randomBytes(5 * MiB))]);
  const src = path.join(tmp, 'image.tar');
  fs.writeFileSync(src, tar);
  const rec = await store.import({ unified: src });
  fp = rec.fingerprint;
  size = rec.size;
});

afterAll(async () => {
  for (const l of listeners) await l.close();
  for (const c of clients) c.close();
  for (const s of servers) s.forceShutdown();
  removeTestDir(tmp);
});

describe.each([['on the Fetch stream', false], ['on data links (TLS)', true]])('fetchImage, the bytes %s', (_how, viaLinks) => {
  beforeAll(() => { linked = viaLinks; });

    it('Stat answers the stream of a held image, and present=false for one not held', async () => {
      const c = await serve();
      const stat = (f: string): Promise<{ present: boolean; sizeBytes: string; files: Array<{ role: string }> }> => new Promise((resolve, reject) => c.Stat({ fingerprint: f }, (e, r) => (e ? reject(e) : resolve(r as never))));
      const st = await stat(fp);
      expect(st.present).toBe(true);
      expect(Number(st.sizeBytes)).toBe(size);
      expect(st.files.map((x) => x.role)).toEqual(['unified']);
      expect((await stat('0'.repeat(64))).present).toBe(false);
    });

    it('fetches an image whole from one peer; its bytes hash to the fingerprint', async () => {
      const out = path.join(tmp, 'one');
      const r = await fetchImage({ fingerprint: fp, size, peers: [{ name: 'a', client: await serve() }], file: out });
      expect(sha(out)).toBe(fp);
      expect(r).toMatchObject({ bytes: size, byPeer: { a: size }, resumed: 0 });
    });

    it('splits a large image in ranges fetched from several peers in parallel', async () => {
      const out = path.join(tmp, 'two');
      const peers: TransferPeer[] = [{ name: 'a', client: await serve() }, { name: 'b', client: await serve() }];
      const seen: number[] = [];
      const r = await fetchImage({ fingerprint: fp, size, peers, file: out, rangeBytes: MiB, onProgress: (d) => seen.push(d) });
      expect(sha(out)).toBe(fp);
      expect(r.byPeer['a']! > 0 && r.byPeer['b']! > 0).toBe(true);
      expect(r.byPeer['a']! + r.byPeer['b']!).toBe(size);
      expect(seen[seen.length - 1]).toBe(size);
    });

    it('resumes a cut transfer from the offset it reached, not from the start', async () => {
      const out = path.join(tmp, 'cut');
      const cutAt = 2 * MiB + 12345;
      const logs: string[] = [];
      const r = await fetchImage({ fingerprint: fp, size, peers: [{ name: 'a', client: await serve({ cutAt }) }], file: out, log: (l) => logs.push(l) });
      expect(sha(out)).toBe(fp);
      expect(r.resumed).toBe(1);
      // Exactly the image's bytes were kept: nothing before the cut was fetched twice.
      expect(r.bytes).toBe(size);
      expect(logs.join('\n')).toMatch(new RegExp(`broke at offset ${cutAt} .*resuming from offset ${cutAt}`));
    });

    it('refuses a chunk whose CRC-32 does not match, drops that peer and takes the bytes from another', async () => {
      const out = path.join(tmp, 'crc');
      const peers: TransferPeer[] = [{ name: 'bad', client: await serve({ tamper: { mode: 'crc', at: 100 } }) }, { name: 'good', client: await serve() }];
      const r = await fetchImage({ fingerprint: fp, size, peers, file: out, parallel: 1 });
      expect(sha(out)).toBe(fp);
      expect(r.dropped['bad']).toMatch(/offset 0 failed its CRC-32 check/);
      expect(r.byPeer['good']).toBe(size);
    });

    it('refuses tampered bytes whose CRCs match: the SHA-256 differs, the fetch fails and keeps nothing', async () => {
      const out = path.join(tmp, 'sha');
      const peers: TransferPeer[] = [{ name: 'evil', client: await serve({ tamper: { mode: 'sha256', at: 3 * MiB + 7 } }) }];
      await expect(fetchImage({ fingerprint: fp, size, peers, file: out })).rejects.toThrow(TamperedImageError);
      await expect(fetchImage({ fingerprint: fp, size, peers, file: out })).rejects.toThrow(/hash to SHA-256 [0-9a-f]{64}, not its fingerprint: refused/);
      expect(fs.existsSync(out)).toBe(false);
    });

    it('passes by a peer that is down when another holds the image', async () => {
      const out = path.join(tmp, 'down');
      const dead = await serve();
      const deadServer = servers[servers.length - 1]!;
      // The live server first: started after the dead one's shutdown it could be given the
      // same port, and the "dead" client would then reach it (seen once in CI).
      const up = await serve();
      deadServer.forceShutdown();
      const r = await fetchImage({ fingerprint: fp, size, peers: [{ name: 'dead', client: dead }, { name: 'up', client: up }], file: out, rangeBytes: MiB });
      expect(sha(out)).toBe(fp);
      expect(r.byPeer['up']).toBe(size);
      expect(r.byPeer['dead']).toBeUndefined();
    });

    it('fails naming each peer when none can serve it, and keeps nothing', async () => {
      const out = path.join(tmp, 'none');
      const empty = await ImageStore.open({ dataDir: path.join(tmp, 'empty') });
      await expect(fetchImage({ fingerprint: fp, size, peers: [{ name: 'lacks', client: await serve({}, empty) }], file: out })).rejects.toThrow(/every peer failed \(lacks: .*not found/);
      expect(fs.existsSync(out)).toBe(false);
    });
});
