// The `raft-store` command with TLS, as an operator runs it: three `raft-store start`
// processes with etcd's flags (mutual TLS between members, the client port asking for client
// certificates), then put/get/status through the command with --cacert/--cert/--key; a client
// without a certificate is refused. Flags given wrong are refused before anything starts,
// naming the flag and the file.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCertificateAuthority, issueCertificate } from '@berth/control-plane';
import { freePort } from '@berth/raft-store/dist/testing';
import { clientCredentials, memberTls, TlsFlagError } from '@berth/raft-store/dist/bin/tls-flags';
import { tempDir } from '../support/berthd';

const BIN = require.resolve('@berth/raft-store/dist/bin/raft-store.js');
const tmp = tempDir('command-tls');
const file = (name: string, text: string): string => {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, text);
  return p;
};

const ca = createCertificateAuthority({ commonName: 'store CA', validDays: 1 });
const other = createCertificateAuthority({ commonName: 'someone else', validDays: 1 });
const caFile = file('ca.pem', ca.certPem);
const memberFiles = [1, 2, 3].map((i) => {
  const c = issueCertificate(ca, { commonName: `m${i}`, ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' });
  return { cert: file(`m${i}.crt`, c.certPem), key: file(`m${i}.key`, c.keyPem) };
});
const op = issueCertificate(ca, { commonName: 'operator', validDays: 1, usage: 'client' });
const opCert = file('op.crt', op.certPem);
const opKey = file('op.key', op.keyPem);
const stranger = issueCertificate(other, { commonName: 'stranger', validDays: 1, usage: 'client' });
const strangerCert = file('stranger.crt', stranger.certPem);
const strangerKey = file('stranger.key', stranger.keyPem);

const procs: ChildProcess[] = [];
let endpoints = '';

/** Runs the command to its end: status, stdout, stderr. */
function run(args: string[], input?: string): { status: number | null; out: string; err: string } {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 30_000, ...(input !== undefined ? { input } : {}) });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  const peerPorts = [await freePort(), await freePort(), await freePort()];
  const clientPorts = [await freePort(), await freePort(), await freePort()];
  const peerArgs = [0, 1, 2].flatMap((i) => ['--peer', `${i + 1}=127.0.0.1:${peerPorts[i]}=127.0.0.1:${clientPorts[i]}`]);
  endpoints = clientPorts.map((p) => `127.0.0.1:${p}`).join(',');
  for (let i = 0; i < 3; i++) {
    const f = memberFiles[i]!;
    procs.push(spawn(BIN, ['start', '--id', String(i + 1), '--cluster', 'command-tls', '--data-dir', path.join(tmp.dir, `m${i + 1}`),
      '--peer-listen', `127.0.0.1:${peerPorts[i]}`, '--client-listen', `127.0.0.1:${clientPorts[i]}`, '--tick-ms', '20', ...peerArgs,
      '--cert-file', f.cert, '--key-file', f.key, '--client-cert-auth', '--trusted-ca-file', caFile,
      '--peer-cert-file', f.cert, '--peer-key-file', f.key, '--peer-trusted-ca-file', caFile], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }
  for (const p of procs) {
    p.stdout!.resume();
    p.stderr!.resume();
  }
});

afterAll(async () => {
  await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    const kill = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.once('exit', () => { clearTimeout(kill); resolve(); });
    p.kill('SIGTERM');
  })));
  tmp.remove();
});

const tlsArgs = ['--cacert', caFile, '--cert', opCert, '--key', opKey];

describe('raft-store command over TLS', () => {
  it('three members started with TLS flags elect a leader and serve put/get/status to a client with a certificate', async () => {
    // Wait for a leader through the command itself.
    const deadline = Date.now() + 30_000;
    let status = run(['--endpoints', endpoints, ...tlsArgs, 'status']);
    while (!/leader [1-3] /.test(status.out) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = run(['--endpoints', endpoints, ...tlsArgs, 'status']);
    }
    expect(status.out).toMatch(/member \d+ term \d+ leader [1-3] /);
    const put = run(['--endpoints', endpoints, ...tlsArgs, 'put', 'greeting', 'over tls']);
    expect(put.err).toBe('');
    expect(put.out).toMatch(/^OK \(revision \d+\)/);
    // Each member answers a linearizable get of it.
    for (const ep of endpoints.split(',')) {
      const get = run(['--endpoints', ep, ...tlsArgs, 'get', 'greeting']);
      expect(get.out).toBe('greeting\nover tls\n');
    }
    const verbose = run(['--endpoints', endpoints.split(',')[0]!, ...tlsArgs, 'status', '--verbose']);
    expect(verbose.status).toBe(0);
    expect(JSON.parse(verbose.out)).toMatchObject({ endpoint: endpoints.split(',')[0] });
  });

  it('runs a txn read from standard input (etcdctl\'s text) and ranges with an end and a limit', () => {
    const ep = ['--endpoints', endpoints, ...tlsArgs];
    for (const k of ['r/a', 'r/b', 'r/c', 'r/d']) expect(run([...ep, 'put', k, `v-${k}`]).status).toBe(0);
    // The compare holds: the success requests run, their responses printed as etcdctl prints them.
    const ok = run([...ep, 'txn'], 'value("r/a") = "v-r/a"\nversion("r/z") = "0"\n\nput r/z "made by txn"\nget r/a r/c\n\nput r/z failed\n');
    expect(ok).toEqual({ status: 0, out: 'SUCCESS\n\nOK\nr/a\nv-r/a\nr/b\nv-r/b\n', err: '' });
    // It does not hold any more (r/z exists): the failure requests run.
    const no = run([...ep, 'txn'], 'version("r/z") = "0"\n\nput r/z again\n\ndel r/d\n');
    expect(no).toEqual({ status: 0, out: 'FAILURE\n\n1\n', err: '' });
    expect(run([...ep, 'get', 'r/z']).out).toBe('r/z\nmade by txn\n');
    expect(run([...ep, 'get', 'r/', '--prefix', '--limit', '2']).out).toBe('r/a\nv-r/a\nr/b\nv-r/b\n');
    expect(run([...ep, 'get', 'r/b', 'r/z']).out).toBe('r/b\nv-r/b\nr/c\nv-r/c\n');
    expect(run([...ep, 'get', 'r/c', '--from-key']).out).toBe('r/c\nv-r/c\nr/z\nmade by txn\n');
    // A text that does not parse sends nothing.
    const bad = run([...ep, 'txn'], 'value("r/a") = "v-r/a"\n\nput r/q\n');
    expect(bad.status).toBe(1);
    expect(bad.err).toMatch(/^Error: line 3: put takes KEY VALUE, got 1 words/);
    expect(run([...ep, 'get', 'r/q']).out).toBe('');
    expect(run([...ep, 'get', 'r/a', 'r/c', '--prefix']).err).toMatch(/get takes one of --prefix, --from-key and RANGE_END/);
  });

  it('refuses a second member on a running member\'s data folder, naming the folder in use', () => {
    const f = memberFiles[0]!;
    const r = run(['start', '--id', '1', '--cluster', 'command-tls', '--data-dir', path.join(tmp.dir, 'm1'), '--peer-listen', '127.0.0.1:0', '--client-listen', '127.0.0.1:0',
      '--peer', '1=127.0.0.1:1=127.0.0.1:2', '--cert-file', f.cert, '--key-file', f.key]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^Error: the LevelDB database .*m1\/log is in use: its lock \(.*m1\/log\/LOCK\) is held by another process/);
  });

  it('refuses a client without a certificate, with a stranger\'s, or without TLS; nothing is written', () => {
    const ep = endpoints.split(',')[0]!;
    for (const args of [['--cacert', caFile], ['--cacert', caFile, '--cert', strangerCert, '--key', strangerKey], []]) {
      const r = run(['--endpoints', ep, '--timeout', '3000', ...args, 'put', 'intruder', 'x']);
      expect(r.status).toBe(1);
      expect(r.err).toMatch(/^Error: /);
    }
    expect(run(['--endpoints', ep, ...tlsArgs, 'get', 'intruder']).out).toBe('');
  });
});

describe('TLS flags given wrong', () => {
  it('are refused before the member starts, naming the flag and the file; no data folder is made', () => {
    const m = memberFiles[0]!;
    const dataDir = path.join(tmp.dir, 'never');
    const start = (...flags: string[]): { status: number | null; err: string } =>
      run(['start', '--id', '1', '--cluster', 'c', '--data-dir', dataDir, '--peer-listen', '127.0.0.1:1', '--client-listen', '127.0.0.1:2', ...flags]);
    const cases: Array<[string[], RegExp]> = [
      [['--cert-file', m.cert], /--cert-file needs --key-file/],
      [['--key-file', m.key], /--key-file needs --cert-file/],
      [['--cert-file', m.cert, '--key-file', path.join(tmp.dir, 'missing.key')], /--key-file .*missing\.key: cannot read it \(ENOENT\)/],
      [['--cert-file', m.key, '--key-file', m.key], /--cert-file .*m1\.key: not a PEM certificate/],
      [['--cert-file', m.cert, '--key-file', opKey], /--cert-file .*m1\.crt and --key-file .*op\.key: .*key values mismatch/],
      [['--cert-file', m.cert, '--key-file', m.key, '--client-cert-auth'], /--client-cert-auth needs --trusted-ca-file/],
      [['--cert-file', m.cert, '--key-file', m.key, '--trusted-ca-file', caFile], /--trusted-ca-file is used only with --client-cert-auth/],
      [['--peer-cert-file', m.cert, '--peer-key-file', m.key, '--peer-trusted-ca-file', caFile], /--peer-cert-file needs --cert-file and --key-file too/],
      [['--cert-file', m.cert, '--key-file', m.key, '--peer-cert-file', m.cert, '--peer-key-file', m.key], /--peer-cert-file needs --peer-trusted-ca-file/],
      [['--peer-trusted-ca-file', caFile], /--peer-trusted-ca-file needs --peer-cert-file/],
    ];
    for (const [flags, message] of cases) {
      const r = start(...flags);
      expect({ flags, status: r.status }).toEqual({ flags, status: 1 });
      expect(r.err).toMatch(message);
    }
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('a client\'s: --cert without --key, an unreadable CA', () => {
    expect(() => clientCredentials({ cert: opCert })).toThrow(new TlsFlagError('--cert needs --key (the certificate\'s private key)'));
    expect(() => clientCredentials({ cacert: path.join(tmp.dir, 'nope.pem') })).toThrow(/--cacert .*nope\.pem: cannot read it \(ENOENT\)/);
    // No flag at all: plain TCP, and a member without TLS flags gets no TLS options.
    expect(clientCredentials({})._isSecure()).toBe(false);
    expect(memberTls({})).toEqual({});
  });
});
