/**
 * `berth remote ...` (the servers this CLI knows, as `lxc remote`) and `berth config trust ...`
 * (the cluster's trust store of API clients, as `lxc config trust`).
 */
import * as fs from 'node:fs';
import type { Argv } from 'yargs';
import type { ListTrustedResponse__Output, RedeemTrustTokenResponse__Output, RemoveTrustedResponse__Output, TrustedCertificate__Output, TrustToken__Output } from '@berth/proto';
import type * as Tokens from '@berth/control-plane/dist/pki/tokens';
import type * as Certs from '@berth/control-plane/dist/pki/certs';
import { ApiError, BerthClient } from '../client';
import { Status } from '../wire';
import { UsageError } from '../exit';
import { table } from '../format';
import {
  LOCAL, RemoteError, RemoteUnreachableError, checkRemoteName, clientCertificate, confDir, currentRemote, loadConfig, normalizeAddress, openClient, presentedCa, remoteDescription, saveConfig, withClient,
} from '../remotes';

// Loaded on use only (the CLI's start-up time).
const decodeJoinToken = (t: string): ReturnType<typeof Tokens.decodeJoinToken> => (require('@berth/control-plane/dist/pki/tokens') as typeof Tokens).decodeJoinToken(t);
const fingerprint = (pem: string): string => (require('@berth/control-plane/dist/pki/certs') as typeof Certs).fingerprint(pem);

/** "30s", "10m", "2h", "7d" or plain seconds -> seconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(String(s).trim());
  if (!m) throw new Error(`invalid duration ${JSON.stringify(s)}: want e.g. 30s, 10m, 2h, 7d`);
  const n = Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]!]!;
  if (n < 1) throw new Error(`invalid duration ${JSON.stringify(s)}: at least 1s`);
  return n;
}


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Asks a new remote who it is with this client's certificate; retries while the members learn the new trust. */
async function checkTrusted(client: () => BerthClient, waitMs: number): Promise<string> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const c = client();
    try {
      return (await c.serverInfo(10_000)).serverName;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (!(code === Status.UNAUTHENTICATED || code === Status.PERMISSION_DENIED) || Date.now() > deadline) throw e;
    } finally {
      c.close();
    }
    await sleep(300);
  }
}

async function addRemote(name: string, addressArg: string | undefined, o: { token?: string | undefined; caFingerprint?: string | undefined; acceptCertificate: boolean }): Promise<void> {
  checkRemoteName(name);
  if (name === LOCAL) throw new RemoteError('"local" is this host\'s daemon (the unix socket): pick another name');
  const cfg = loadConfig();
  if (cfg.remotes[name]) throw new RemoteError(`a remote named "${name}" exists already (${cfg.remotes[name]!.address}): remove it first (berth remote remove ${name})`);
  const cert = clientCertificate();
  const entry = (address: string, caPem: string): BerthClient => new BerthClient({ name, address, caPem, certPem: cert.certPem, keyPem: cert.keyPem });
  if (o.token !== undefined) {
    let token;
    try {
      token = decodeJoinToken(o.token);
    } catch (e) {
      throw new RemoteError(`the trust token is not usable: ${(e as Error).message}`);
    }
    const addresses = [...new Set([...(addressArg ? [normalizeAddress(addressArg)] : []), ...token.addresses])];
    const failures: string[] = [];
    for (const address of addresses) {
      let ca: { caPem: string; fingerprint: string };
      try {
        ca = await presentedCa(address);
      } catch (e) {
        failures.push((e as Error).message);
        continue;
      }
      if (ca.fingerprint !== token.caFingerprint) throw new RemoteError(`${address} presented CA ${ca.fingerprint}, not the token's CA ${token.caFingerprint}: refusing it (a wrong address, or someone in between)`);
      const c = entry(address, ca.caPem);
      let res: RedeemTrustTokenResponse__Output;
      try {
        res = await c.rpc<RedeemTrustTokenResponse__Output>('RedeemTrustToken', { token: o.token, certificatePem: cert.certPem }, 30_000, 'trust');
      } catch (e) {
        if (e instanceof ApiError) throw new RemoteError(`${address} refused the token: ${e.message}`);
        failures.push((e as Error).message);
        continue;
      } finally {
        c.close();
      }
      const server = await checkTrusted(() => entry(address, ca.caPem), 10_000);
      const now = loadConfig();
      now.remotes[name] = { address, caPem: ca.caPem, addresses: res.addresses };
      saveConfig(now);
      console.log(`Remote ${name} added: ${address} (member ${server}); this client is trusted as "${res.certificate?.name ?? token.memberName}"`);
      console.log(`Use it with: berth --remote ${name} list, or make it the default: berth remote switch ${name}`);
      return;
    }
    throw new RemoteError(`could not redeem the token at any address:\n  ${failures.join('\n  ')}`);
  }
  if (!addressArg) throw new UsageError('berth remote add NAME ADDRESS: the address is missing (or give --token TOKEN)');
  const address = normalizeAddress(addressArg);
  const ca = await presentedCa(address);
  const want = o.caFingerprint?.toLowerCase().replace(/:/g, '');
  if (want !== undefined && want !== ca.fingerprint) throw new RemoteError(`${address} presented CA ${ca.fingerprint}, not ${want}: refusing it`);
  if (want === undefined && !o.acceptCertificate) {
    throw new RemoteError(`${address} presents the cluster CA with fingerprint ${ca.fingerprint}.\nCheck it (berth config trust add prints it on a trusted client) and run again with --ca-fingerprint ${ca.fingerprint}, or use a trust token: berth remote add ${name} ${address} --token TOKEN`);
  }
  try {
    const server = await checkTrusted(() => entry(address, ca.caPem), 0);
    cfg.remotes[name] = { address, caPem: ca.caPem };
    saveConfig(cfg);
    console.log(`Remote ${name} added: ${address} (member ${server}), CA ${ca.fingerprint}`);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === Status.UNAUTHENTICATED || code === Status.PERMISSION_DENIED) {
      throw new RemoteError(`${address} does not trust this client's certificate ${cert.certFile} (fingerprint ${cert.fingerprint}).\n`
        + `On a trusted client run: berth config trust add-cert ${cert.certFile} (copy the file there), or get a token there (berth config trust add NAME) and run: berth remote add ${name} ${address} --token TOKEN`);
    }
    throw e;
  }
}

/**
 * GETs `rel` under an image server's URL as JSON (at most 32 MiB). https: checked against the
 * system's CAs, or, with `pin`, accepted when the certificate's SHA-256 is `pin`. A
 * certificate the system does not trust rejects with `untrusted` set to its fingerprint.
 */
function getJson(base: URL, rel: string, pin?: string): Promise<unknown> {
  const url = new URL(rel, base);
  const lib = url.protocol === 'https:' ? (require('node:https') as typeof import('node:https')) : (require('node:http') as typeof import('node:http'));
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { rejectUnauthorized: !pin, timeout: 15_000 } as object, (res) => {
      const sock = res.socket as import('node:tls').TLSSocket;
      if (pin && fingerprint(pemOfDer(sock.getPeerCertificate().raw)) !== pin) {
        res.destroy();
        reject(new RemoteError(`${url.host} now shows another certificate than the one accepted: refusing it`));
        return;
      }
      if (res.statusCode !== 200) {
        res.resume();
        reject(new RemoteError(`${url.href}: HTTP ${res.statusCode ?? '?'}: is ${base.href} a simplestreams image server?`));
        return;
      }
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (n > 32 << 20) {
          res.destroy();
          reject(new RemoteError(`${url.href} is larger than 32 MiB`));
        } else chunks.push(c);
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new RemoteError(`${url.href} is not JSON: is ${base.href} a simplestreams image server?`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (url.protocol === 'https:' && /certificate|self.signed|unable to verify/i.test(e.message)) {
        const probe = (require('node:tls') as typeof import('node:tls')).connect({ host: url.hostname, port: Number(url.port || 443), rejectUnauthorized: false, servername: url.hostname }, () => {
          const raw = probe.getPeerCertificate().raw;
          probe.end();
          reject(Object.assign(new RemoteError(`${url.host}: ${e.message}`), { untrusted: raw ? fingerprint(pemOfDer(raw)) : '' }));
        });
        probe.on('error', () => reject(new RemoteUnreachableError(`cannot reach ${url.host}: ${e.message}`)));
        return;
      }
      reject(new RemoteUnreachableError(`cannot reach ${url.href}: ${e.message}`));
    });
  });
}

const pemOfDer = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

/** `berth remote add NAME URL --protocol simplestreams`: an image server, checked to serve a simplestreams index. */
async function addImageServer(name: string, urlArg: string | undefined, acceptCertificate: boolean): Promise<void> {
  checkRemoteName(name);
  if (name === LOCAL) throw new RemoteError('"local" is this host\'s daemon (the unix socket): pick another name');
  const cfg = loadConfig();
  if (cfg.remotes[name]) throw new RemoteError(`a remote named "${name}" exists already (${cfg.remotes[name]!.address}): remove it first (berth remote remove ${name})`);
  if (!urlArg) throw new UsageError('berth remote add NAME URL --protocol simplestreams: the URL is missing');
  let base: URL;
  try {
    base = new URL(urlArg);
  } catch {
    throw new UsageError(`${JSON.stringify(urlArg)} is not a URL: an image server is added by its URL, e.g. https://images.example.org`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new UsageError(`${urlArg}: an image server is reached over http: or https:, not ${base.protocol}`);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  let pin: string | undefined;
  let index: unknown;
  try {
    index = await getJson(base, 'streams/v1/index.json');
  } catch (e) {
    const untrusted = (e as { untrusted?: string }).untrusted;
    if (untrusted === undefined) throw e;
    if (!acceptCertificate) {
      throw new RemoteError(`${base.host} presents a certificate this system does not trust (SHA-256 ${untrusted}).\nCheck it and run again with --accept-certificate to pin it.`);
    }
    pin = untrusted;
    index = await getJson(base, 'streams/v1/index.json', pin);
  }
  const ix = index as { format?: unknown; index?: Record<string, { datatype?: unknown; products?: unknown }> };
  const images = Object.values(ix.index ?? {}).find((e) => e?.datatype === 'image-downloads');
  if (ix.format !== 'index:1.0' || !images) throw new RemoteError(`${base.href}streams/v1/index.json is not a simplestreams index of images`);
  cfg.remotes[name] = { address: base.href, caPem: '', protocol: 'simplestreams', ...(pin ? { certFingerprint: pin } : {}) };
  saveConfig(cfg);
  const n = Array.isArray(images.products) ? images.products.length : 0;
  console.log(`Remote ${name} added: image server ${base.href} (simplestreams, ${n} product${n === 1 ? '' : 's'}${pin ? `, certificate ${pin.slice(0, 16)} pinned` : ''})`);
  console.log(`Use it with: berth image copy ${name}:IMAGE local:, or berth launch ${name}:IMAGE NAME`);
}

/** `berth remote add|list|switch|remove|get-default` (a yargs command module). */
export const remoteCommand = {
  command: 'remote <action> [args..]',
  describe: 'add NAME [ADDRESS] [--token T] | list | switch NAME | remove NAME | get-default: the servers this CLI talks to',
  builder: (yy: Argv) => yy
    .positional('action', { choices: ['add', 'list', 'switch', 'remove', 'get-default'] as const, demandOption: true })
    .positional('args', { type: 'string', array: true, default: [] as string[] })
    .option('token', { type: 'string', describe: 'add: a trust token from `berth config trust add NAME`' })
    .option('ca-fingerprint', { type: 'string', describe: 'add without a token: the cluster CA\'s SHA-256 fingerprint to pin' })
    .option('accept-certificate', { type: 'boolean', default: false, describe: 'add without a token: accept the CA the server presents (an image server: its certificate)' })
    .option('protocol', { choices: ['berth', 'simplestreams'] as const, default: 'berth' as const, describe: 'add: berth (a berth cluster\'s API) or simplestreams (an image server, by URL)' })
    .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
  handler: async (argv: { action: string; args: Array<string | number>; token?: string | undefined; 'ca-fingerprint'?: string | undefined; 'accept-certificate': boolean; protocol: string; format: string }): Promise<void> => {
    const args = argv.args.map(String);
    const cfg = loadConfig();
    switch (argv.action) {
      case 'add':
        if (!args[0]) throw new UsageError('berth remote add NAME [ADDRESS] [--token TOKEN]: the name is missing');
        if (argv.protocol === 'simplestreams') {
          await addImageServer(args[0], args[1], argv['accept-certificate']);
          return;
        }
        await addRemote(args[0], args[1], { token: argv.token, caFingerprint: argv['ca-fingerprint'], acceptCertificate: argv['accept-certificate'] });
        return;
      case 'list': {
        const rows = [LOCAL, ...Object.keys(cfg.remotes).sort()].map((n) => ({
          name: n, current: n === cfg.defaultRemote, address: remoteDescription(n, cfg), protocol: n === LOCAL ? 'berth' : cfg.remotes[n]!.protocol ?? 'berth',
          ca_fingerprint: n === LOCAL || !cfg.remotes[n]!.caPem ? '' : fingerprint(cfg.remotes[n]!.caPem),
        }));
        if (argv.format === 'json') console.log(JSON.stringify(rows));
        else console.log(table([['NAME', 'ADDRESS', 'PROTOCOL', 'CA FINGERPRINT'], ...rows.map((r) => [r.current ? `${r.name} (current)` : r.name, r.address, r.protocol, r.ca_fingerprint.slice(0, 16)])]));
        return;
      }
      case 'get-default':
        console.log(cfg.defaultRemote);
        return;
      case 'switch': {
        const n = args[0];
        if (!n) throw new UsageError('berth remote switch NAME: the name is missing');
        if (n !== LOCAL && !cfg.remotes[n]) throw new RemoteError(`no remote named "${n}" (see: berth remote list)`);
        if (cfg.remotes[n]?.protocol === 'simplestreams') throw new RemoteError(`"${n}" is an image server: it cannot be the default remote`);
        cfg.defaultRemote = n;
        saveConfig(cfg);
        return;
      }
      case 'remove': {
        const n = args[0];
        if (!n) throw new UsageError('berth remote remove NAME: the name is missing');
        if (n === LOCAL) throw new RemoteError('"local" cannot be removed');
        if (!cfg.remotes[n]) throw new RemoteError(`no remote named "${n}" (see: berth remote list)`);
        if (cfg.defaultRemote === n) throw new RemoteError(`"${n}" is the default remote: switch to another first (berth remote switch local)`);
        delete cfg.remotes[n];
        saveConfig(cfg);
      }
    }
  },
};

/** `berth config trust add|add-cert|list|remove` (registered under `berth config`). */
export function trustCommand(y: Argv): Argv {
  return y.command('trust <action> [args..]', 'add NAME [--expiry 1d] (a one-time token) | add-cert FILE [--name N] | list | remove NAME|FINGERPRINT: API clients the cluster trusts', (yy) => yy
    .positional('action', { choices: ['add', 'add-cert', 'list', 'remove'] as const, demandOption: true })
    .positional('args', { type: 'string', array: true, default: [] as string[] })
    .option('expiry', { type: 'string', default: '1d', describe: 'add: how long the token is valid (30s, 10m, 2h, 7d)' })
    .option('name', { type: 'string', default: '', describe: 'add-cert: the name to trust it under (default: its common name)' })
    .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
  async (argv) => {
    const [a] = argv.args.map(String);
    await withClient(async (c) => {
      switch (argv.action) {
        case 'add': {
          if (!a) throw new UsageError('berth config trust add NAME: the client\'s name is missing');
          const ttlSeconds = parseDuration(argv.expiry);
          const t = await c.rpc<TrustToken__Output>('CreateTrustToken', { name: a, ttlSeconds }, 30_000, 'trust');
          const ca = (decodeJoinToken(t.token) as { caFingerprint: string }).caFingerprint;
          if (argv.format === 'json') console.log(JSON.stringify({ name: t.name, token: t.token, expires_at: new Date(Number(t.expiresAtUnixMs)).toISOString(), ca_fingerprint: ca }));
          else {
            console.log(`Client ${t.name} trust token (one use, until ${new Date(Number(t.expiresAtUnixMs)).toISOString()}; cluster CA ${ca}):`);
            console.log(t.token);
            console.log(`On the client: berth remote add REMOTE ADDRESS --token <token>`);
          }
          return;
        }
        case 'add-cert': {
          if (!a) throw new UsageError('berth config trust add-cert FILE: the certificate file is missing');
          let pem: string;
          try {
            pem = fs.readFileSync(a, 'utf8');
          } catch (e) {
            throw new Error(`cannot read ${a}: ${(e as Error).message}`);
          }
          const r = await c.rpc<TrustedCertificate__Output>('AddTrustedCertificate', { name: argv.name, certificatePem: pem }, 30_000, 'trust');
          console.log(`Trusted ${r.name}: ${r.fingerprint}`);
          return;
        }
        case 'list': {
          const { certificates } = await c.rpc<ListTrustedResponse__Output>('ListTrusted', {}, 30_000, 'trust');
          const rows = certificates.map((x) => ({ name: x.name, type: x.type, fingerprint: x.fingerprint, added_at: new Date(Number(x.addedAtUnixMs)).toISOString() }));
          if (argv.format === 'json') console.log(JSON.stringify(rows));
          else console.log(table([['NAME', 'TYPE', 'FINGERPRINT', 'ADDED'], ...rows.map((r) => [r.name, r.type, r.fingerprint.slice(0, 16), r.added_at])]));
          return;
        }
        case 'remove': {
          if (!a) throw new UsageError('berth config trust remove NAME|FINGERPRINT: which one is missing');
          const r = await c.rpc<RemoveTrustedResponse__Output>('RemoveTrusted', { ref: a }, 30_000, 'trust');
          console.log(`Removed ${r.removed?.name ?? a} (${r.removed?.fingerprint ?? ''}) from the trust store`);
        }
      }
    });
  });
}

export { confDir, currentRemote };
