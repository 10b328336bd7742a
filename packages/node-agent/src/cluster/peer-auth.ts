/**
 * Which peers a member answers on its member-to-member listener (Raft transport, migration,
 * instance forwarding, image transfer): TLS has verified the certificate against the cluster
 * CA, but every member holds the CA key, so a removed member could mint itself another. Each
 * call is also checked here against the members the store records (control-plane design.md,
 * "Which peers a member answers").
 *
 * Contract:
 * - allowed: a certificate whose SHA-256 fingerprint is a current member's `certFingerprint`;
 *   for a member record without one (older data), a certificate with that member's name as
 *   its common name.
 * - refused with PERMISSION_DENIED: every other certificate; a removed member's (its
 *   fingerprint under /berth/removed/) with the trailer `berth-removed: <name>` and a message
 *   saying it was removed.
 * - until `update()` has seen this member's own record (a joiner catching up: it cannot
 *   judge yet), every certificate TLS verified is allowed.
 */
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { fingerprintDer } from '@berth/control-plane';
import type { MemberInfo, RemovedMember } from '@berth/control-plane';

/** The trailer a refusal of a removed member's certificate carries. */
export const REMOVED_TRAILER = 'berth-removed';

type Verdict = { ok: true } | { ok: false; details: string; removed?: RemovedMember };

export class PeerAuth {
  private allowed = new Set<string>();
  /** Names of members whose record has no fingerprint (older data): judged by common name. */
  private byName = new Set<string>();
  private removed = new Map<string, RemovedMember>();
  private judging = false;

  constructor(private readonly me: { name: string; id: number }) {}

  /** The store's view: its members and the removed members' certificates. */
  update(members: readonly MemberInfo[], removed: ReadonlyMap<string, RemovedMember>): void {
    const allowed = new Set<string>();
    const byName = new Set<string>();
    for (const m of members) {
      if (m.certFingerprint) allowed.add(m.certFingerprint);
      else byName.add(m.name);
    }
    this.allowed = allowed;
    this.byName = byName;
    this.removed = new Map(removed);
    this.judging = members.some((m) => m.id === this.me.id);
  }

  /** A member just admitted (the leader, before the store's view has it). */
  admit(fingerprint: string): void {
    this.allowed.add(fingerprint);
  }

  verdict(cert: PeerCertificate | undefined): Verdict {
    if (!this.judging) return { ok: true };
    const raw = cert?.raw;
    if (!raw || raw.length === 0) return { ok: false, details: `berth member ${this.me.name}: no member certificate` };
    const fp = fingerprintDer(raw);
    if (this.allowed.has(fp)) return { ok: true };
    const cn = cert.subject?.CN;
    if (typeof cn === 'string' && this.byName.has(cn)) return { ok: true };
    const gone = this.removed.get(fp);
    if (gone) {
      return {
        ok: false,
        removed: gone,
        details: `berth member ${this.me.name}: member ${gone.name} was removed from the cluster at ${new Date(gone.at).toISOString()}; its certificate ${fp.slice(0, 16)} is no longer a member's`,
      };
    }
    return { ok: false, details: `berth member ${this.me.name}: certificate ${fp.slice(0, 16)} (CN=${String(cn)}) is not a member's of this cluster (never joined, or not yet seen here)` };
  }

  /** The server interceptor: a refused call ends with its status before any handler runs. */
  readonly interceptor: grpc.ServerInterceptor = (_method, call) => new grpc.ServerInterceptingCall(call, {
    start: (next) => {
      next({
        onReceiveMetadata: (metadata, pass) => {
          const v = this.verdict(call.getAuthContext()?.sslPeerCertificate);
          if (v.ok) {
            pass(metadata);
            return;
          }
          const trailer = new grpc.Metadata();
          if (v.removed) trailer.set(REMOVED_TRAILER, v.removed.name);
          call.sendStatus({ code: grpc.status.PERMISSION_DENIED, details: v.details, metadata: trailer });
        },
      });
    },
  });
}

/**
 * Asks a peer whether it still answers this member (Membership.Check): 'member' when it does,
 * 'removed' when it refuses this member's certificate as a removed member's, 'unknown' on any
 * other outcome (unreachable, not yet caught up, ...): no proof either way.
 */
export function checkMembership(client: grpc.Client & { Check: (req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void) => unknown }, timeoutMs: number): Promise<'member' | 'removed' | 'unknown'> {
  return new Promise((resolve) => {
    client.Check({}, { deadline: Date.now() + timeoutMs }, (e) => {
      if (!e) resolve('member');
      else if (e.code === grpc.status.PERMISSION_DENIED && e.metadata?.get(REMOVED_TRAILER).length > 0) resolve('removed');
      else resolve('unknown');
    });
  });
}
