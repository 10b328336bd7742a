/**
 * A member's cluster files, in <data-dir>/cluster/ (0700):
 *   member.json   who this member is (name, Raft id, cluster id, its two addresses), and for the
 *                 founding member the cluster settings to write at its first start
 *   ca.crt ca.key the cluster CA (shared by all members, like LXD's cluster certificate)
 *   member.crt member.key   this member's certificate (signed by the CA) and key
 *   raft/         the raft-store member's log and state machine
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MemberPki } from '@berth/control-plane';

export interface MemberConfig {
  name: string;
  memberId: number;
  clusterId: string;
  /** host:port of the join/API listener (TLS, server certificate only). */
  address: string;
  /** host:port of the member-to-member listener (mutual TLS). */
  clusterAddress: string;
  /** Only on the founding member: it bootstraps Raft alone and writes these settings. */
  founding?: { maxVoters: number; offlineThresholdMs: number; createdAt: number };
  /** Only on a joining member: where the members were when it joined. */
  peers?: Array<{ id: number; name: string; clusterAddress: string }>;
}

export function clusterDir(dataDir: string): string {
  return path.join(dataDir, 'cluster');
}

export function isClustered(dataDir: string): boolean {
  return fs.existsSync(path.join(clusterDir(dataDir), 'member.json'));
}

export function readMember(dataDir: string): { config: MemberConfig; pki: MemberPki & { caKeyPem: string } } {
  const dir = clusterDir(dataDir);
  const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
  return {
    config: JSON.parse(read('member.json')) as MemberConfig,
    pki: { caPem: read('ca.crt'), caKeyPem: read('ca.key'), certPem: read('member.crt'), keyPem: read('member.key') },
  };
}

/**
 * A member removed from the cluster: its cluster state (keys, Raft log, store) is moved aside
 * to `cluster.removed-<time>`, so that berthd serves the host alone next time, or joins anew.
 * Returns where it went.
 */
export function retireClusterState(dataDir: string, now = new Date()): string {
  const to = path.join(dataDir, `cluster.removed-${now.toISOString().replace(/[:.]/g, '-')}`);
  fs.renameSync(clusterDir(dataDir), to);
  return to;
}

/** Writes the files (keys 0600), member.json last: a half-written folder is not a member. */
export function writeMember(dataDir: string, config: MemberConfig, pki: MemberPki & { caKeyPem: string }): void {
  const dir = clusterDir(dataDir);
  if (isClustered(dataDir)) throw new Error(`${dataDir} is already a member of cluster ${readMember(dataDir).config.clusterId}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const write = (f: string, text: string, mode: number): void => {
    const tmp = path.join(dir, `.${f}.tmp`);
    fs.writeFileSync(tmp, text, { mode });
    fs.renameSync(tmp, path.join(dir, f));
  };
  write('ca.crt', pki.caPem, 0o644);
  write('ca.key', pki.caKeyPem, 0o600);
  write('member.crt', pki.certPem, 0o644);
  write('member.key', pki.keyPem, 0o600);
  write('member.json', `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

/** host:port or [v6]:port -> its host (brackets removed) and port. */
export function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!m) throw new Error(`invalid address ${JSON.stringify(address)}: want host:port or [v6]:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** A host as it stands before a port or in a filter: an IPv6 literal in brackets. */
export function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** host, port -> host:port ([v6]:port); splitAddress undoes it. */
export function joinAddress(host: string, port: number): string {
  return `${bracketed(host)}:${port}`;
}

/** host:port -> host (brackets of an IPv6 literal removed). */
export function hostOf(address: string): string {
  return splitAddress(address).host;
}
