/**
 * The member's public listener on its `address` (host:8443): ClusterJoin for joining members
 * and the public API for trusted clients (see packages/control-plane/design.md, "API clients
 * and trust").
 *
 * Contract:
 * - TLS: the member's certificate chain (member + CA). A client certificate is asked for but
 *   not required; the trust anchors are the cluster CA and every certificate of the trust
 *   store, updated live (grpc-js certificate provider) as this member applies changes.
 * - Every call but the open ones (ClusterJoin.Join, TrustService.RedeemTrustToken) is
 *   authorized per call: the verified peer certificate's fingerprint must be in the trust store
 *   (TrustStore.isTrusted). Otherwise UNAUTHENTICATED (no verified certificate) or
 *   PERMISSION_DENIED (verified, not trusted), before the handler runs, with how to get trusted.
 */
import * as grpc from '@grpc/grpc-js';
import { fingerprint, peerCertificateFingerprint } from '@berth/control-plane';
import type { TrustRecord, TrustStore } from '@berth/control-plane';
import type { TrustedCertificate, TrustServiceHandlers } from '@berth/proto';
import { toStatus } from '../daemon/status';
import { unary } from '../daemon/grpc';

/** One service and its handlers, as grpc.Server.addService takes them. */
export interface ApiService {
  service: grpc.ServiceDefinition;
  handlers: grpc.UntypedServiceImplementation;
}

type CaListener = (u: { caCertificate: Buffer } | null) => void;
type IdListener = (u: { certificate: Buffer; privateKey: Buffer } | null) => void;

/**
 * Trust anchors and identity for the API listener, as a grpc-js CertificateProvider. Updates
 * are delivered asynchronously: grpc-js registers its watcher after the provider's listeners.
 */
export class TrustAnchors {
  private ca: Buffer | undefined;
  private readonly caListeners = new Set<CaListener>();
  private readonly idListeners = new Set<IdListener>();
  private unsubscribe: (() => void) | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly pki: { caPem: string; certPem: string; keyPem: string }, private readonly trust: TrustStore) {}

  /** Loads the trusted certificates once and follows the store's changes. */
  async start(): Promise<void> {
    this.unsubscribe = this.trust.onChange(() => void this.refresh());
    await this.refresh();
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          const pems = await this.trust.localCertificates();
          this.ca = Buffer.from([this.pki.caPem, ...pems].map((p) => p.trim()).join('\n') + '\n');
          const u = { caCertificate: this.ca };
          for (const l of this.caListeners) setImmediate(() => l(u));
        } catch {
          // The local state is always readable; keep the last anchors if it is not.
        }
      } while (this.again);
    })().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  addCaCertificateListener(l: CaListener): void {
    this.caListeners.add(l);
    const ca = this.ca ?? Buffer.from(this.pki.caPem);
    setImmediate(() => l({ caCertificate: ca }));
  }

  removeCaCertificateListener(l: CaListener): void {
    this.caListeners.delete(l);
  }

  addIdentityCertificateListener(l: IdListener): void {
    this.idListeners.add(l);
    const u = { certificate: Buffer.from(this.pki.certPem.trim() + '\n' + this.pki.caPem), privateKey: Buffer.from(this.pki.keyPem) };
    setImmediate(() => l(u));
  }

  removeIdentityCertificateListener(l: IdListener): void {
    this.idListeners.delete(l);
  }

  /** grpc-js server credentials: client certificate asked for, not required. */
  credentials(): grpc.ServerCredentials {
    return grpc.experimental.createCertificateProviderServerCredentials(this, this, false);
  }
}

const HOW_TO_TRUST = 'to become trusted: on a trusted client (or as root on a member) run `berth config trust add NAME`, '
  + 'then here `berth remote add REMOTE ADDRESS --token TOKEN`; or add this client\'s certificate with `berth config trust add-cert FILE` there';

/** The per-call check: the caller's verified certificate must be in the trust store. */
export function authorizer(trust: TrustStore, memberName: string): (call: { getAuthContext(): unknown }) => Promise<void> {
  return async (call) => {
    const fp = peerCertificateFingerprint(call as Parameters<typeof peerCertificateFingerprint>[0]);
    if (!fp) {
      throw Object.assign(new Error(`berth member ${memberName}: not trusted: this client showed no client certificate the cluster trusts (none, or one it does not know); ${HOW_TO_TRUST}`), { code: grpc.status.UNAUTHENTICATED });
    }
    if (!(await trust.isTrusted(fp))) {
      throw Object.assign(new Error(`berth member ${memberName}: not trusted: client certificate ${fp.slice(0, 16)} is not in the cluster's trust store (never added, or removed); ${HOW_TO_TRUST}`), { code: grpc.status.PERMISSION_DENIED });
    }
  };
}

/**
 * The service with every method (but those in `open`) behind `authorize`: the handler runs only
 * once the check passed; a refusal is the call's status, for unary and streaming calls alike.
 */
export function guardService(s: ApiService, authorize: (call: { getAuthContext(): unknown }) => Promise<void>, open: ReadonlySet<string> = new Set()): ApiService {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(s.handlers)) {
    const def = s.service[name];
    if (!def || open.has(name)) {
      handlers[name] = handler;
      continue;
    }
    const h = handler as (...args: unknown[]) => void;
    if (!def.responseStream) {
      // unary, client streaming: (call, callback)
      handlers[name] = ((call: { getAuthContext(): unknown }, callback: (e: unknown) => void) => {
        authorize(call).then(() => h(call, callback), (e: unknown) => callback(toStatus(e)));
      }) as grpc.UntypedHandleCall;
    } else {
      // server streaming, bidi: (call); an error event ends the call with that status
      handlers[name] = ((call: { getAuthContext(): unknown; emit(ev: 'error', e: unknown): void }) => {
        authorize(call).then(() => h(call), (e: unknown) => call.emit('error', toStatus(e)));
      }) as grpc.UntypedHandleCall;
    }
  }
  return { service: s.service, handlers };
}

function toMessage(r: TrustRecord): TrustedCertificate {
  return { fingerprint: r.fingerprint, name: r.name, type: r.type, addedAtUnixMs: r.addedAt, certificatePem: r.certificatePem };
}

/** TrustService over the trust store; `addresses` are the members' API addresses (for tokens). */
export function trustHandlers(m: { trust: TrustStore; caPem: string; clusterId: string; addresses: () => Promise<string[]> }): TrustServiceHandlers {
  return {
    ListTrusted: unary(async () => ({ certificates: (await m.trust.list()).map(toMessage) })),
    AddTrustedCertificate: unary(async (req: { name: string; certificatePem: string }) => toMessage(await m.trust.add(req.name, req.certificatePem))),
    RemoveTrusted: unary(async (req: { ref: string }) => ({ removed: toMessage(await m.trust.remove(req.ref)) })),
    CreateTrustToken: unary(async (req: { name: string; ttlSeconds: number }) => {
      const ttl = Number(req.ttlSeconds);
      const t = await m.trust.createToken({ name: req.name, addresses: await m.addresses(), caFingerprint: fingerprint(m.caPem), ...(ttl > 0 ? { ttlMs: ttl * 1000 } : {}) });
      return { name: req.name, token: t.token, expiresAtUnixMs: t.expiresAt };
    }),
    RedeemTrustToken: unary(async (req: { token: string; certificatePem: string }) => {
      const rec = await m.trust.redeem(req.token, req.certificatePem);
      return { certificate: toMessage(rec), clusterId: m.clusterId, addresses: await m.addresses() };
    }),
  };
}

/** A grpc.Server that remembers what it serves, so that the same services can be served again. */
export class RecordingServer extends grpc.Server {
  readonly services: ApiService[] = [];

  override addService(service: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation): void {
    super.addService(service, handlers);
    this.services.push({ service, handlers });
  }
}
