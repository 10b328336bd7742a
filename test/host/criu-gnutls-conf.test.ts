// criuToolEnv's GNUTLS_SYSTEM_PRIORITY_FILE (runtime/criu-env.ts): CRIU's GnuTLS (page servers,
// dumps to them, lazy pages) takes AES-128-GCM instead of its first choice AES-256-GCM. A real
// GnuTLS handshake (a small C program against the host's libgnutls, and against the private
// CRIU's own libraries when setup-host installed them) with and without the variables.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCertificateAuthority, issueCertificate } from '@berth/control-plane';
import { berthLibDir, criuToolEnv, CRIU_GNUTLS_CONF } from '@berth/node-agent';

/** A TLS handshake between two threads over a socket pair: prints the protocol and cipher. */
const PROGRAM = `
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
typedef void *sess_t; typedef void *cred_t;
int gnutls_global_init(void);
int gnutls_init(sess_t *s, unsigned flags);
int gnutls_set_default_priority(sess_t s);
int gnutls_certificate_allocate_credentials(cred_t *c);
int gnutls_certificate_set_x509_key_file(cred_t c, const char *cert, const char *key, int fmt);
int gnutls_credentials_set(sess_t s, int type, void *cred);
void gnutls_transport_set_int2(sess_t s, int r, int w);
int gnutls_handshake(sess_t s);
int gnutls_error_is_fatal(int e);
const char *gnutls_strerror(int e);
int gnutls_cipher_get(sess_t s);
const char *gnutls_cipher_get_name(int c);
int gnutls_protocol_get_version(sess_t s);
const char *gnutls_protocol_get_name(int v);
static int sv[2];
static cred_t sc, cc;
static const char *cert, *key;
static void *server(void *a) {
  sess_t s; gnutls_init(&s, 1); gnutls_set_default_priority(s);
  gnutls_credentials_set(s, 1, sc); gnutls_transport_set_int2(s, sv[0], sv[0]);
  int r; do r = gnutls_handshake(s); while (r < 0 && !gnutls_error_is_fatal(r));
  return 0;
}
int main(int argc, char **argv) {
  if (gnutls_global_init() < 0) { puts("init failed"); return 1; }
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  gnutls_certificate_allocate_credentials(&sc); gnutls_certificate_allocate_credentials(&cc);
  if (gnutls_certificate_set_x509_key_file(sc, argv[1], argv[2], 1) < 0) { puts("bad key"); return 1; }
  pthread_t t; pthread_create(&t, 0, server, 0);
  sess_t c; gnutls_init(&c, 2); gnutls_set_default_priority(c);
  gnutls_credentials_set(c, 1, cc); gnutls_transport_set_int2(c, sv[1], sv[1]);
  int r; do r = gnutls_handshake(c); while (r < 0 && !gnutls_error_is_fatal(r));
  if (r < 0) { printf("handshake: %s\\n", gnutls_strerror(r)); return 1; }
  printf("%s %s\\n", gnutls_protocol_get_name(gnutls_protocol_get_version(c)), gnutls_cipher_get_name(gnutls_cipher_get(c)));
  pthread_join(t, 0);
  return 0;
}
`;

describe('CRIU\'s GnuTLS configuration (criuToolEnv)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-gnutls-'));
  const prog = path.join(tmp, 'handshake');
  const ca = createCertificateAuthority({ commonName: 'berth-test-ca', validDays: 1 });
  const leaf = issueCertificate(ca, { commonName: 'm1', ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' });
  const certFile = path.join(tmp, 'cert.pem');
  const keyFile = path.join(tmp, 'key.pem');

  beforeAll(() => {
    fs.writeFileSync(certFile, leaf.certPem);
    fs.writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
    fs.writeFileSync(`${prog}.c`, PROGRAM);
    const cc = spawnSync('cc', ['-O2', '-o', prog, `${prog}.c`, '-l:libgnutls.so.30', '-lpthread'], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc: ${cc.stderr}`);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The handshake's protocol and cipher, through `loader` (the private CRIU's libraries) when given. */
  const handshake = (env: NodeJS.ProcessEnv, libDir?: string): string => {
    const base = { ...env };
    delete base['LD_PRELOAD'];
    const r = libDir
      ? spawnSync(path.join(libDir, 'ld-linux-x86-64.so.2'), ['--inhibit-cache', '--library-path', libDir, prog, certFile, keyFile], { env: base, encoding: 'utf8' })
      : spawnSync(prog, [certFile, keyFile], { env: base, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`handshake: ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };

  it('names a file of its own, root-only, that turns the 256-bit suites and ChaCha20 off', () => {
    const f = criuToolEnv()['GNUTLS_SYSTEM_PRIORITY_FILE'];
    expect(f).toMatch(/criu-gnutls\.conf$/);
    expect(fs.readFileSync(f!, 'utf8')).toBe(CRIU_GNUTLS_CONF);
    expect(fs.statSync(f!).mode & 0o077).toBe(0);
  });

  it('makes GnuTLS take AES-128-GCM (TLS 1.3), where it takes AES-256-GCM without it', () => {
    const env = criuToolEnv();
    const plain = { ...process.env };
    delete plain['GNUTLS_SYSTEM_PRIORITY_FILE'];
    expect(handshake(plain)).toBe('TLS1.3 AES-256-GCM');
    expect(handshake({ ...plain, GNUTLS_SYSTEM_PRIORITY_FILE: env['GNUTLS_SYSTEM_PRIORITY_FILE'] })).toBe('TLS1.3 AES-128-GCM');
    // The private CRIU's own GnuTLS (deploy/setup-host), where it is installed.
    const priv = path.join(path.dirname(berthLibDir()), 'criu', 'usr', 'lib', 'x86_64-linux-gnu');
    if (fs.existsSync(path.join(priv, 'ld-linux-x86-64.so.2'))) {
      expect(handshake(plain, priv)).toBe('TLS1.3 AES-256-GCM');
      expect(handshake({ ...plain, GNUTLS_SYSTEM_PRIORITY_FILE: env['GNUTLS_SYSTEM_PRIORITY_FILE'] }, priv)).toBe('TLS1.3 AES-128-GCM');
    }
  });
});
