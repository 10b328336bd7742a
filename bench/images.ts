#!/usr/bin/env node
/**
 * npm run bench:images — a 200 MB image distributed by berth to 2 members of a 3-member cluster,
 * against copying the same bytes twice at once over loopback with a plain tool (curl from a
 * local HTTP server, no TLS), interleaved in the same run.
 *
 * 1. An LXD image of SIZE MiB (a random, incompressible rootfs blob; uncompressed tarball), one
 *    per run (the metadata differs, so the fingerprint does).
 * 2. The floor: a Node HTTP server on 127.0.0.1 sends the tarball; two `curl -o FILE` fetch it
 *    at once; the time until both are written. Beside it, what TLS and SHA-256 cost alone with
 *    C tools: two `openssl s_server -WWW` (TLS 1.3 AES-128-GCM) each send it to one `curl`,
 *    then `openssl dgst -sha256` hashes each copy (not a target: where the target stands).
 * 3. berth: a 3-member cluster of the whole-system tests (test/support/berth-cluster.ts: each
 *    berthd in its own network namespace on a test bridge with no uplink, folders and cgroups
 *    named berth-test-bimg*, so it runs beside a deploy/local-cluster); `berth image import` on member1; cluster.images_minimal_replica is
 *    3, so member2 and member3 pull it over the members' mutual TLS (ImageTransfer: ranges,
 *    CRC-32 per chunk, SHA-256 of the whole before import). From each puller's log: the fetch
 *    with its SHA-256 verification, and the pull with the image store's import (extraction).
 *    The distribution time is the slower of the two members' (they run at once).
 *
 *   npm run bench:images -- [--size-mib 200] [--runs 3] [--keep]
 *
 * Output: progress on stderr; a table, then one JSON line (the last line) on stdout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '@berth/node-agent/dist/runtime/page-server';
import { median, positiveInt } from './common';

const REPO = path.resolve(__dirname, '..', '..');
const BERTH_BIN = path.join(REPO, 'packages/cli/dist/bin/berth.js');
const CLUSTER_SUPPORT = path.join(REPO, 'test', 'dist', 'support', 'berth-cluster.js');

/** What this bench uses of test/support/berth-cluster.ts (loaded at run time: built with the tests). */
interface TestCluster {
  form(n: number, offlineThresholdS?: number): Promise<void>;
  berth(i: number, args: string[], timeoutMs?: number): { code: number | null; out: string; err: string };
  procs: Map<number, { output(): string }>;
  destroy(): Promise<void>;
}

interface Options { sizeMiB: number; runs: number; keep: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { sizeMiB: 200, runs: 3, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const n = (): number => positiveInt(a, argv[++i]);
    if (a === '--size-mib') o.sizeMiB = n();
    else if (a === '--runs') o.runs = n();
    else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') {
      console.log('npm run bench:images -- [--size-mib 200] [--runs 3] [--keep]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const log = (s: string): void => { process.stderr.write(`${s}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { env: env ?? process.env, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** An LXD unified image (uncompressed) with `blob` as its rootfs payload; distinct by `n`. */
function makeImage(dir: string, blob: string, n: number): string {
  const src = path.join(dir, `src${n}`);
  fs.mkdirSync(path.join(src, 'rootfs'), { recursive: true });
  fs.writeFileSync(path.join(src, 'metadata.yaml'), `architecture: x86_64\ncreation_date: ${1_700_000_000 + n}\nproperties:\n  description: bench image ${n}\n  os: bench\n`);
  fs.linkSync(blob, path.join(src, 'rootfs', 'blob'));
  const out = path.join(dir, `image${n}.tar`);
  run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-cf', out, '-C', src, 'metadata.yaml', 'rootfs']);
  fs.rmSync(src, { recursive: true });
  return out;
}

/** The floor: two curl processes fetch the file at once from a local HTTP server; ms until both are written. */
async function plainCopy(file: string, dir: string): Promise<number> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': fs.statSync(file).size });
    fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/image`;
  const outs = [path.join(dir, 'copy-a'), path.join(dir, 'copy-b')];
  const t = performance.now();
  await Promise.all(outs.map((o) => new Promise<void>((resolve, reject) => {
    const p = spawn('curl', ['-sS', '--fail', '-o', o, url], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`curl exited ${code}`))));
  })));
  const ms = performance.now() - t;
  server.close();
  for (const o of outs) {
    if (fs.statSync(o).size !== fs.statSync(file).size) throw new Error('curl wrote a short copy');
    fs.rmSync(o);
  }
  return ms;
}

/** A throw-away CA and a certificate for 127.0.0.1 (openssl), for the TLS floor. */
function makePki(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string): string => path.join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=bench-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run('openssl', ['req', ...ec, '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(f('ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n');
  run('openssl', ['x509', '-req', '-in', f('srv.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('srv.crt'), '-days', '1', '-extfile', f('ext')]);
  return { ca: f('ca.crt'), cert: f('srv.crt'), key: f('srv.key') };
}

/**
 * What TLS and SHA-256 cost alone here, with C tools (no berth): two `openssl s_server -WWW`
 * (TLS 1.3 AES-128-GCM, as berth's links negotiate; one server process per puller) each send
 * the tarball to one `curl --cacert`, which writes it; then `openssl dgst -sha256` of each copy
 * (SHA-NI). ms until both copies are written (TLS only) and until both are hashed.
 */
async function tlsShaCopy(file: string, dir: string, pki: { ca: string; cert: string; key: string }, sha256: string): Promise<{ tlsMs: number; tlsShaMs: number }> {
  const ports = [await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  const live = ports.map((port) => spawn('openssl', ['s_server', '-quiet', '-WWW', '-accept', `127.0.0.1:${port}`, '-cert', pki.cert, '-key', pki.key, '-ciphersuites', 'TLS_AES_128_GCM_SHA256'], { cwd: path.dirname(file), stdio: 'ignore' }));
  try {
    // Listening once a TCP connection is taken (s_server shrugs off the failed handshake).
    for (const port of ports) {
      const until = Date.now() + 10_000;
      while (!(await new Promise<boolean>((resolve) => {
        const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
        c.on('error', () => resolve(false));
      }))) {
        if (Date.now() > until) throw new Error('openssl s_server did not listen');
        await sleep(20);
      }
    }
  } catch (e) {
    for (const s of live) s.kill('SIGKILL');
    throw e;
  }
  const outs = [path.join(dir, 'tls-a'), path.join(dir, 'tls-b')];
  const t = performance.now();
  const copied: number[] = [];
  const hashed: number[] = [];
  try {
    await Promise.all(outs.map((o, i) => new Promise<void>((resolve, reject) => {
      const p = spawn('curl', ['-sS', '--fail', '--cacert', pki.ca, '-o', o, `https://127.0.0.1:${ports[i]}/${path.basename(file)}`], { stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`curl (TLS) exited ${code}`));
        copied.push(performance.now() - t);
        const d = spawn('openssl', ['dgst', '-sha256', '-r', o], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        d.stdout.on('data', (b: Buffer) => { out += b.toString(); });
        d.on('exit', (c) => {
          if (c !== 0 || !out.startsWith(sha256)) return reject(new Error(`openssl dgst: exit ${c}, ${out.trim()} (expected ${sha256})`));
          hashed.push(performance.now() - t);
          resolve();
        });
      });
    })));
  } finally {
    for (const s of live) s.kill('SIGKILL');
    for (const o of outs) fs.rmSync(o, { force: true });
  }
  return { tlsMs: Math.max(...copied), tlsShaMs: Math.max(...hashed) };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  for (const f of [BERTH_BIN, CLUSTER_SUPPORT]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npm run build`);
  if (spawnSync('curl', ['--version']).status !== 0) {
    log('curl is missing: apt-get install -y curl');
    run('apt-get', ['install', '-y', 'curl']);
  }
  if (spawnSync('openssl', ['version']).status !== 0) {
    log('openssl is missing: apt-get install -y openssl');
    run('apt-get', ['install', '-y', 'openssl']);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-images-'));
  const pki = makePki(work);
  const { BerthCluster } = require(CLUSTER_SUPPORT) as { BerthCluster: { create(n: number, label: string): TestCluster } };
  const c = BerthCluster.create(3, 'bimg');
  const ok = (i: number, args: string[]): string => {
    const r = c.berth(i, args, 600_000);
    if (r.code !== 0) throw new Error(`berth ${args.join(' ')} on member${i}: ${r.err}`);
    return r.out;
  };
  const down = async (): Promise<void> => {
    if (o.keep) return log('--keep: the cluster is left running (kill its berthd processes, then remove the berth-test-bimg* folders and namespaces)');
    await c.destroy();
  };
  process.on('SIGINT', () => { void down().finally(() => { fs.rmSync(work, { recursive: true, force: true }); process.exit(130); }); });
  const rows: Array<{ plain_ms: number; tls_ms: number; tls_sha_ms: number; import_ms: number; fetch_ms: number[]; pull_ms: number[]; wall_ms: number; resumed: number }> = [];
  let imageBytes = 0;
  try {
    log(`a ${o.sizeMiB} MiB random blob`);
    const blob = path.join(work, 'blob');
    const fd = fs.openSync(blob, 'w');
    for (let i = 0; i < o.sizeMiB; i++) fs.writeSync(fd, randomBytes(1 << 20));
    fs.closeSync(fd);
    log('a 3-member cluster on test hosts');
    await c.form(3);
    log(ok(1, ['image', 'replicas', '3']).trim());
    for (let r = 0; r < o.runs; r++) {
      const image = makeImage(work, blob, r);
      imageBytes = fs.statSync(image).size;
      const plain = await plainCopy(image, work);
      log(`run ${r + 1}: plain copy to 2 (curl over loopback): ${plain.toFixed(0)} ms`);
      const sha = createHash('sha256').update(fs.readFileSync(image)).digest('hex');
      const tls = await tlsShaCopy(image, work, pki, sha);
      log(`run ${r + 1}: C tools over TLS to 2 (openssl s_server -> curl): written ${tls.tlsMs.toFixed(0)} ms, + SHA-256 (openssl dgst) ${tls.tlsShaMs.toFixed(0)} ms`);
      const logs = [2, 3].map((i) => c.procs.get(i)!);
      const offsets = logs.map((p) => p.output().length);
      const t0 = performance.now();
      const out = ok(1, ['image', 'import', image, '--alias', `big${r}`]);
      const importMs = performance.now() - t0;
      const fp = /fingerprint: ([0-9a-f]{64})/.exec(out)?.[1];
      if (!fp) throw new Error(`no fingerprint in: ${out}`);
      const t1 = performance.now();
      const lines: string[] = [];
      for (;;) {
        lines.length = 0;
        for (let k = 0; k < logs.length; k++) {
          const text = logs[k]!.output().slice(offsets[k]);
          const l = text.split('\n').find((x) => x.startsWith(`images: pulled ${fp.slice(0, 12)}`) || x.startsWith(`images: pull of ${fp.slice(0, 12)}`));
          if (l) lines.push(l);
        }
        if (lines.length === 2) break;
        if (performance.now() - t1 > 600_000) throw new Error(`member2/member3 did not pull ${fp.slice(0, 12)} within 10 min: ${lines.join('; ')}`);
        await sleep(50);
      }
      const wall = performance.now() - t1;
      const failed = lines.find((l) => l.includes('failed'));
      if (failed) throw new Error(failed);
      const fetchMs = lines.map((l) => Number(/fetched and verified in (\d+) ms/.exec(l)?.[1]));
      const pullMs = lines.map((l) => Number(/ in (\d+) ms \(/.exec(l)?.[1]));
      const resumed = lines.reduce((n, l) => n + Number(/resumed (\d+)/.exec(l)?.[1] ?? 0), 0);
      log(`run ${r + 1}: berth import on member1 ${importMs.toFixed(0)} ms; member2/member3 fetched+verified ${fetchMs.join('/')} ms, pulled with import ${pullMs.join('/')} ms; both in ${wall.toFixed(0)} ms after the import returned`);
      rows.push({ plain_ms: plain, tls_ms: tls.tlsMs, tls_sha_ms: tls.tlsShaMs, import_ms: importMs, fetch_ms: fetchMs, pull_ms: pullMs, wall_ms: wall, resumed });
      fs.rmSync(image);
      // Free the members' disks for the next run.
      for (const i of [1, 2, 3]) c.berth(i, ['image', 'delete', fp]);
    }
  } finally {
    await down();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const figures = {
    image_bytes: imageBytes,
    plain_copy_to_2_ms: median(rows.map((r) => r.plain_ms)),
    c_tls_copy_to_2_ms: median(rows.map((r) => r.tls_ms)),
    c_tls_sha256_copy_to_2_ms: median(rows.map((r) => r.tls_sha_ms)),
    berth_fetch_verified_to_2_ms: median(rows.map((r) => Math.max(...r.fetch_ms))),
    berth_pull_with_import_to_2_ms: median(rows.map((r) => Math.max(...r.pull_ms))),
    berth_wall_after_import_ms: median(rows.map((r) => r.wall_ms)),
    berth_import_on_member1_ms: median(rows.map((r) => r.import_ms)),
    runs: rows,
  };
  const ratios = {
    fetch_verified_over_plain: figures.berth_fetch_verified_to_2_ms / figures.plain_copy_to_2_ms,
    pull_with_import_over_plain: figures.berth_pull_with_import_to_2_ms / figures.plain_copy_to_2_ms,
    c_tls_over_plain: figures.c_tls_copy_to_2_ms / figures.plain_copy_to_2_ms,
    c_tls_sha256_over_plain: figures.c_tls_sha256_copy_to_2_ms / figures.plain_copy_to_2_ms,
    fetch_verified_over_c_tls_sha256: figures.berth_fetch_verified_to_2_ms / figures.c_tls_sha256_copy_to_2_ms,
  };
  const table: Array<[string, string]> = [
    [`image: ${(imageBytes / 2 ** 20).toFixed(0)} MiB, to 2 members, median of ${rows.length} runs`, ''],
    ['plain copy: 2 x curl from a local HTTP server (loopback), ms', figures.plain_copy_to_2_ms.toFixed(0)],
    ['C tools over TLS: 2 x (openssl s_server -> curl), copies written, ms', figures.c_tls_copy_to_2_ms.toFixed(0)],
    ['C tools over TLS, then SHA-256 of each copy (openssl dgst), ms', figures.c_tls_sha256_copy_to_2_ms.toFixed(0)],
    ['berth: fetched over mTLS + SHA-256 verified on both members, ms', figures.berth_fetch_verified_to_2_ms.toFixed(0)],
    ['berth: pulled incl. the image store\'s import (extraction), ms', figures.berth_pull_with_import_to_2_ms.toFixed(0)],
    ['berth: both members done, after the import returned (replication tick included), ms', figures.berth_wall_after_import_ms.toFixed(0)],
    ['fetched+verified / plain copy (target <= 1.3)', ratios.fetch_verified_over_plain.toFixed(2)],
    ['pulled incl. import / plain copy', ratios.pull_with_import_over_plain.toFixed(2)],
    ['C tools over TLS / plain copy (what TLS alone costs here)', ratios.c_tls_over_plain.toFixed(2)],
    ['C tools over TLS + SHA-256 / plain copy', ratios.c_tls_sha256_over_plain.toFixed(2)],
    ['berth fetched+verified / C tools over TLS + SHA-256', ratios.fetch_verified_over_c_tls_sha256.toFixed(2)],
  ];
  const w = Math.max(...table.map((r) => r[0].length));
  for (const [k, v] of table) console.log(`${k.padEnd(w)}  ${v}`);
  console.log(JSON.stringify({ bench: 'images', date: new Date().toISOString(), host: { cores: os.cpus().length, loadavg: os.loadavg() }, config: o, figures, ratios }));
}

main().catch((e: unknown) => {
  console.error(`bench:images failed: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
