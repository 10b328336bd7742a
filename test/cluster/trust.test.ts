/**
 * The public API over TCP: berthd members on test hosts, the CLI and raw gRPC clients in the
 * client namespace. An untrusted client (no certificate, one not in the trust store, one of
 * another CA) is refused and reads nothing; a trust token makes a client trusted once; removal
 * from the trust store takes effect on the next call.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BERTH, tempDir } from '../support/berthd';
import { BerthCluster, sleep } from '../support/berth-cluster';

jest.setTimeout(240_000);

let c: BerthCluster;
const dirs: Array<{ dir: string; remove: () => void }> = [];

beforeAll(async () => {
  c = BerthCluster.create(2, 'trust');
  await c.form(2);
}, 240_000);

afterAll(async () => {
  await c?.destroy();
  for (const d of dirs) d.remove();
});

function confDir(label: string): string {
  const d = tempDir(`trust-${label}`);
  dirs.push(d);
  return d.dir;
}

/** The berth CLI on the client host, with its own config folder and no BERTH_DIR. */
function client(conf: string, args: string[], timeoutMs = 60_000): { code: number | null; out: string; err: string } {
  const r = spawnSync('ip', ['netns', 'exec', c.net.client.ns, process.execPath, BERTH, ...args], {
    encoding: 'utf8', timeout: timeoutMs, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: conf, BERTH_CONF: conf },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function trustToken(name: string, expiry = '1h'): string {
  const r = c.berth(1, ['config', 'trust', 'add', name, '--expiry', expiry, '--format', 'json'], 30_000);
  if (r.code !== 0) throw new Error(`config trust add ${name}: ${r.err}`);
  return (JSON.parse(r.out) as { token: string }).token;
}

/** Raw gRPC calls from the client host with the given credentials; what each call answered. */
async function rawCalls(kind: 'none' | 'self-signed' | 'other-ca'): Promise<Record<string, string>> {
  const { dir, remove } = tempDir('trust-raw');
  try {
    const script = path.join(dir, 'raw.js');
    const caFile = path.join(c.dir(1), 'cluster', 'ca.crt');
    fs.writeFileSync(script, `
      const grpc = require(${JSON.stringify(require.resolve('@grpc/grpc-js'))});
      const { loadBerthV1 } = require(${JSON.stringify(require.resolve('@berth/proto'))});
      const pki = require(${JSON.stringify(require.resolve('@berth/control-plane'))});
      const fs = require('fs');
      const ca = fs.readFileSync(${JSON.stringify(caFile)});
      const kind = ${JSON.stringify(kind)};
      let creds;
      if (kind === 'none') creds = grpc.credentials.createSsl(ca);
      else if (kind === 'self-signed') { const k = pki.createSelfSignedClientCertificate({ commonName: 'stranger', validDays: 1 }); creds = grpc.credentials.createSsl(ca, Buffer.from(k.keyPem), Buffer.from(k.certPem)); }
      else { const other = pki.createCertificateAuthority({ commonName: 'other', validDays: 1 }); const k = pki.issueCertificate(other, { commonName: 'stranger', validDays: 1, usage: 'client' }); creds = grpc.credentials.createSsl(ca, Buffer.from(k.keyPem), Buffer.from(Buffer.from(k.certPem + other.certPem))); }
      const v1 = loadBerthV1();
      const target = ${JSON.stringify(c.address(2))};
      const unary = (Svc, method, req) => new Promise((resolve) => {
        const cl = new Svc(target, creds);
        cl[method](req, { deadline: Date.now() + 10000 }, (e, r) => { cl.close(); resolve(e ? 'refused ' + e.code + ': ' + e.details : 'answered ' + JSON.stringify(r)); });
      });
      (async () => {
        const out = {};
        out.ListInstances = await unary(v1.InstanceService, 'ListInstances', { location: '' });
        out.ListMembers = await unary(v1.ClusterService, 'ListMembers', {});
        out.GetServerInfo = await unary(v1.ServerService, 'GetServerInfo', {});
        out.ListTrusted = await unary(v1.TrustService, 'ListTrusted', {});
        out.CreateTrustToken = await unary(v1.TrustService, 'CreateTrustToken', { name: 'sneaky', ttlSeconds: 60 });
        out.WatchEvents = await new Promise((resolve) => {
          const cl = new v1.EventService(target, creds);
          const s = cl.WatchEvents({ types: [], instance: '' }, { deadline: Date.now() + 10000 });
          let got = 0;
          s.on('data', () => { got++; });
          s.on('error', (e) => { cl.close(); resolve((got ? 'answered ' + got + ' then ' : '') + 'refused ' + e.code + ': ' + e.details); });
          s.on('end', () => { cl.close(); resolve('answered ' + got); });
        });
        console.log(JSON.stringify(out));
      })();`);
    const p = c.net.spawnNode(c.net.client, script, []);
    await p.exited;
    const line = p.output().trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (!line) throw new Error(`raw client printed nothing:\n${p.output()}`);
    return JSON.parse(line) as Record<string, string>;
  } finally {
    remove();
  }
}

describe('the public API over TCP', () => {
  it('refuses an untrusted client (no certificate, one not in the trust store, one of another CA): it reads nothing and is told how to get trusted', async () => {
    for (const kind of ['none', 'self-signed', 'other-ca'] as const) {
      const res = await rawCalls(kind);
      for (const [call, answer] of Object.entries(res)) {
        // 16 UNAUTHENTICATED (no verified certificate), 7 PERMISSION_DENIED (verified, not trusted)
        expect([call, answer]).toEqual([call, expect.stringMatching(kind === 'self-signed' ? /^refused (16|7): berth member member2: not trusted: .*berth config trust add NAME/ : /^refused 16: berth member member2: not trusted: this client showed no client certificate/)]);
      }
    }
    // The trust store got nothing from those tries.
    const trusted = c.berth(1, ['config', 'trust', 'list', '--format', 'json']);
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.out)).toEqual([]);
    // The CLI without a token: refused, saying what to do; nothing saved.
    const conf = confDir('untrusted');
    const r = client(conf, ['remote', 'add', 'c1', c.address(1), '--accept-certificate']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/does not trust this client's certificate .*client\.crt/);
    expect(r.err).toMatch(/berth config trust add-cert/);
    expect(JSON.parse(client(conf, ['remote', 'list', '--format', 'json']).out).map((x: { name: string }) => x.name)).toEqual(['local']);
    // Without --accept-certificate or --ca-fingerprint: told the fingerprint to check.
    expect(client(conf, ['remote', 'add', 'c1', c.address(1)]).err).toMatch(/presents the cluster CA with fingerprint [0-9a-f]{64}/);
  });

  it('a trust token makes a client trusted once: altered, reused or expired tokens are refused; reads and writes through the remote reach the cluster', async () => {
    const conf = confDir('laptop');
    const token = trustToken('laptop');
    // Altered secret: refused by the member, nothing saved, the token still good.
    const text = Buffer.from(token, 'base64url').toString('utf8');
    const secret = (JSON.parse(text) as { secret: string }).secret;
    const altered = Buffer.from(text.replace(secret, secret.replace(/^./, (ch) => (ch === 'a' ? 'b' : 'a')))).toString('base64url');
    const bad = client(conf, ['remote', 'add', 'c1', c.address(2), '--token', altered]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/refused the token: trust token refused: token: the secret does not match/);
    // The real one, at member2 (the token was made on member1).
    const add = client(conf, ['remote', 'add', 'c1', c.address(2), '--token', token]);
    expect(add.err).toBe('');
    expect(add.out).toMatch(/Remote c1 added: .* trusted as "laptop"/);
    expect(add.code).toBe(0);
    expect(fs.statSync(path.join(conf, 'client.key')).mode & 0o077).toBe(0);
    // Reads through the remote.
    const members = client(conf, ['--remote', 'c1', 'cluster', 'list', '--format', 'json']);
    expect(members.code).toBe(0);
    expect((JSON.parse(members.out) as Array<{ server_name: string }>).map((m) => m.server_name)).toEqual(['member1', 'member2']);
    expect(client(conf, ['--remote', 'c1', 'list']).code).toBe(0);
    // A write through the remote: another client's token, then the trust list shows it.
    const made = client(conf, ['--remote', 'c1', 'config', 'trust', 'add', 'phone', '--format', 'json']);
    expect(made.code).toBe(0);
    const listed = JSON.parse(client(conf, ['--remote', 'c1', 'config', 'trust', 'list', '--format', 'json']).out) as Array<{ name: string }>;
    expect(listed.map((x) => x.name)).toEqual(['laptop']);
    // The default remote.
    expect(client(conf, ['remote', 'switch', 'c1']).code).toBe(0);
    expect(client(conf, ['remote', 'get-default']).out.trim()).toBe('c1');
    expect(client(conf, ['cluster', 'list']).out).toMatch(/member2/);
    expect(client(conf, ['remote', 'remove', 'c1']).err).toMatch(/is the default remote/);
    // A second use of the token, by another client: refused.
    const other = confDir('again');
    const again = client(other, ['remote', 'add', 'c1', c.address(1), '--token', token]);
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/no trust token is outstanding for "laptop"/);
    // The phone's token used by another client works once; an expired one does not.
    const phone = client(other, ['remote', 'add', 'c1', c.address(1), '--token', (JSON.parse(made.out) as { token: string }).token]);
    expect([phone.code, phone.err]).toEqual([0, '']);
    const short = trustToken('late', '1s');
    await sleep(1500);
    const late = client(confDir('late'), ['remote', 'add', 'c1', c.address(1), '--token', short]);
    expect(late.code).not.toBe(0);
    expect(late.err).toMatch(/token: expired at/);
    const names = (JSON.parse(c.berth(2, ['config', 'trust', 'list', '--format', 'json']).out) as Array<{ name: string }>).map((x) => x.name);
    expect(names).toEqual(['laptop', 'phone']);
  });

  it('removal from the trust store takes effect on the next call; a certificate added with add-cert is trusted without a token', async () => {
    const conf = confDir('laptop-2');
    const token = trustToken('desk');
    const added = client(conf, ['remote', 'add', 'c2', c.address(1), '--token', token]);
    expect([added.code, added.err]).toEqual([0, '']);
    expect(client(conf, ['--remote', 'c2', 'list']).code).toBe(0);
    const rm = c.berth(2, ['config', 'trust', 'remove', 'desk']);
    expect(rm.out).toMatch(/Removed desk/);
    const after = client(conf, ['--remote', 'c2', 'list']);
    expect(after.code).not.toBe(0);
    // Refused by the per-call check, or already at the handshake once the member dropped the
    // certificate from its TLS anchors (this CLI run opens a new connection).
    expect(after.err).toMatch(/berth member member1: not trusted: (client certificate [0-9a-f]{16} is not in the cluster's trust store|this client showed no client certificate)/);
    expect(client(conf, ['--remote', 'c2', 'cluster', 'list']).code).not.toBe(0);
    // The same client certificate added by file: trusted again, and `remote add` without a token works.
    const add = c.berth(1, ['config', 'trust', 'add-cert', path.join(conf, 'client.crt'), '--name', 'desk-again']);
    expect(add.out).toMatch(/Trusted desk-again: [0-9a-f]{64}/);
    expect(client(conf, ['--remote', 'c2', 'list']).code).toBe(0);
    const ca = JSON.parse(client(conf, ['remote', 'list', '--format', 'json']).out) as Array<{ name: string; ca_fingerprint: string }>;
    const fp = ca.find((x) => x.name === 'c2')!.ca_fingerprint;
    const plain = client(conf, ['remote', 'add', 'c3', c.address(2), '--ca-fingerprint', fp]);
    expect(plain.out).toMatch(/Remote c3 added/);
    expect(client(conf, ['--remote', 'c3', 'cluster', 'list']).code).toBe(0);
    // Bad input changes nothing.
    expect(c.berth(1, ['config', 'trust', 'remove', 'nobody']).err).toMatch(/no trusted client named "nobody"/);
    expect(c.berth(1, ['config', 'trust', 'add', 'Bad_Name']).err).toMatch(/invalid client name "Bad_Name"/);
  });

  it('says which remote it cannot reach and how to fix it', () => {
    const conf = confDir('unreachable');
    const r = client(conf, ['remote', 'add', 'nowhere', `${c.host(1).address}:9`, '--accept-certificate']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/cannot reach .*:9: .*is berthd running there/);
    const unknown = client(conf, ['--remote', 'nope', 'list']);
    expect(unknown.err).toMatch(/no remote named "nope"/);
  });
});
