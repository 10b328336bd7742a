/**
 * The cluster's images in the replicated store (see ../../design.md, "Images in the cluster"):
 * each image's metadata and aliases cluster-wide, which member holds which image (by
 * fingerprint), and cluster.images_minimal_replica. Members write what their own image store
 * holds; nobody writes for another member. Reads are linearizable.
 */
import { createHash } from 'node:crypto';
import type { RaftNode, TxnRequest } from '@berth/raft-store';
import { ClusterError } from './cluster-store';
import { b, json, prefixEnd } from './keys';
import type { ImageNeed } from '../placement/placement';

/** `<fingerprint>` -> ClusterImage. */
export const P_IMAGES = '/berth/images/';
/** `<fingerprint>/<member>` -> ImageHolder: that member's image store holds it (verified). */
export const P_IMAGE_HOLDERS = '/berth/image-holders/';
/** `<alias>` -> {fingerprint, description}: aliases are unique in the cluster. */
export const P_IMAGE_ALIASES = '/berth/image-aliases/';
/** `<fingerprint>` -> {at}: deleted from the cluster; every member removes its copy (a new import revives it). */
export const P_IMAGE_DELETED = '/berth/image-deleted/';
/** The cluster's image settings: {minimalReplica}. */
export const K_IMAGE_SETTINGS = '/berth/config/images';

/** cluster.images_minimal_replica when it was never set (LXD's default). */
export const DEFAULT_MINIMAL_REPLICA = 3;

export interface ClusterImageFile {
  role: string;
  size: number;
  compression: string;
}

/** An image as the cluster knows it (the same on every holder: content-addressed). */
export interface ClusterImage {
  fingerprint: string;
  /** Bytes of the transfer stream: the original tarball(s). */
  size: number;
  /** The tarball(s) in stream order (unified; or metadata, rootfs). */
  files: ClusterImageFile[];
  architecture: string;
  description: string;
  properties: Record<string, string>;
  createdAt: number;
  /** The member that recorded it first (imported or published it). */
  origin: string;
}

export interface ImageHolder {
  member: string;
  at: number;
}

/** An image with its aliases and the members holding it (sorted). */
export interface ClusterImageView extends ClusterImage {
  aliases: string[];
  holders: string[];
}

const FP_RE = /^[0-9a-f]{64}$/;

export class ImageRegistry {
  constructor(readonly node: RaftNode) {}

  private async txn(t: TxnRequest): Promise<boolean> {
    const r = await this.node.submit({ txn: t });
    if (!r.ok) throw new ClusterError('FAILED_PRECONDITION', `the store refused: ${r.message}`);
    return r.txn?.succeeded ?? false;
  }

  private async range<T>(prefix: string): Promise<Array<{ key: string; value: T; modRevision: number }>> {
    const r = await this.node.read({ key: b(prefix), rangeEnd: prefixEnd(prefix) });
    return r.kvs.map((kv) => ({ key: kv.key.toString('utf8', Buffer.byteLength(prefix)), value: JSON.parse(kv.value.toString('utf8')) as T, modRevision: kv.modRevision }));
  }

  /**
   * `member` holds `image` now (an import, a publish, a pull): one txn writes its holder key and
   * the image's record when the cluster had none. Then each alias is claimed when it is free
   * (an alias taken by another image stays that image's; the answer lists those not claimed).
   */
  async record(member: string, image: ClusterImage, aliases: readonly string[] = []): Promise<string[]> {
    if (!FP_RE.test(image.fingerprint)) throw new ClusterError('INVALID_ARGUMENT', `${JSON.stringify(image.fingerprint)} is not a fingerprint`);
    const holder = { requestPut: { key: b(`${P_IMAGE_HOLDERS}${image.fingerprint}/${member}`), value: json({ member, at: Date.now() } satisfies ImageHolder) } };
    const revive = { requestDeleteRange: { key: b(P_IMAGE_DELETED + image.fingerprint) } };
    await this.txn({
      compare: [{ key: b(P_IMAGES + image.fingerprint), target: 'VERSION', result: 'EQUAL', version: 0 }],
      success: [{ requestPut: { key: b(P_IMAGES + image.fingerprint), value: json(image) } }, holder, revive],
      failure: [holder, revive],
    });
    const taken: string[] = [];
    for (const a of aliases) if (!(await this.addAlias(a, image.fingerprint))) taken.push(a);
    return taken;
  }

  /** Claims an alias for an image; false when the alias names another image already. */
  async addAlias(name: string, fingerprint: string, description = ''): Promise<boolean> {
    const ok = await this.txn({
      compare: [{ key: b(P_IMAGE_ALIASES + name), target: 'VERSION', result: 'EQUAL', version: 0 }],
      success: [{ requestPut: { key: b(P_IMAGE_ALIASES + name), value: json({ fingerprint, description }) } }],
      failure: [],
    });
    if (ok) return true;
    return (await this.aliases()).get(name) === fingerprint;
  }

  /** Drops an alias when it names `fingerprint` (a member's own alias was deleted). */
  async dropAlias(name: string, fingerprint: string): Promise<void> {
    const cur = (await this.range<{ fingerprint: string }>(P_IMAGE_ALIASES + name)).find((x) => x.key === '');
    if (!cur || cur.value.fingerprint !== fingerprint) return;
    await this.txn({ compare: [{ key: b(P_IMAGE_ALIASES + name), target: 'MOD', result: 'EQUAL', modRevision: cur.modRevision }], success: [{ requestDeleteRange: { key: b(P_IMAGE_ALIASES + name) } }], failure: [] });
  }

  /**
   * `member` no longer holds `fingerprint` (deleted there, or it left). When nobody holds it
   * any more, the image's record and its aliases go too (in the same txn as the last holder).
   */
  async dropHolder(member: string, fingerprint: string): Promise<void> {
    const key = `${P_IMAGE_HOLDERS}${fingerprint}/${member}`;
    const others = (await this.holders(fingerprint)).filter((h) => h !== member);
    const aliases = others.length > 0 ? [] : [...(await this.aliases())].filter(([, fp]) => fp === fingerprint).map(([a]) => a);
    await this.txn({
      compare: [],
      success: [
        { requestDeleteRange: { key: b(key) } },
        ...(others.length > 0 ? [] : [{ requestDeleteRange: { key: b(P_IMAGES + fingerprint) } }, ...aliases.map((a) => ({ requestDeleteRange: { key: b(P_IMAGE_ALIASES + a) } }))]),
      ],
      failure: [],
    });
  }

  /**
   * Deletes an image from the cluster in one txn: its record, aliases and holder keys go and a
   * tombstone tells every member to remove its copy (ImageDistributor.tick); an import or
   * publish of the same image later revives it (record() removes the tombstone).
   */
  async deleteImage(fingerprint: string): Promise<void> {
    const aliases = [...(await this.aliases())].filter(([, fp]) => fp === fingerprint).map(([a]) => a);
    await this.txn({
      compare: [],
      success: [
        { requestDeleteRange: { key: b(P_IMAGES + fingerprint) } },
        { requestDeleteRange: { key: b(`${P_IMAGE_HOLDERS}${fingerprint}/`), rangeEnd: prefixEnd(`${P_IMAGE_HOLDERS}${fingerprint}/`) } },
        ...aliases.map((a) => ({ requestDeleteRange: { key: b(P_IMAGE_ALIASES + a) } })),
        { requestPut: { key: b(P_IMAGE_DELETED + fingerprint), value: json({ at: Date.now() }) } },
      ],
      failure: [],
    });
  }

  /** Fingerprints deleted from the cluster (tombstones). */
  async deleted(): Promise<Set<string>> {
    return new Set((await this.range<unknown>(P_IMAGE_DELETED)).map((x) => x.key));
  }

  /** The members holding an image (sorted). */
  async holders(fingerprint: string): Promise<string[]> {
    return (await this.range<ImageHolder>(`${P_IMAGE_HOLDERS}${fingerprint}/`)).map((x) => x.key).sort();
  }

  /** Fingerprints the store says `member` holds. */
  async heldBy(member: string): Promise<string[]> {
    return (await this.range<ImageHolder>(P_IMAGE_HOLDERS)).map((x) => x.key.split('/')).filter(([, m]) => m === member).map(([fp]) => fp!);
  }

  /** alias -> fingerprint. */
  async aliases(): Promise<Map<string, string>> {
    return new Map((await this.range<{ fingerprint: string }>(P_IMAGE_ALIASES)).map((x) => [x.key, x.value.fingerprint]));
  }

  /** Every image of the cluster with its aliases and holders, by fingerprint. */
  async images(): Promise<ClusterImageView[]> {
    const [images, holders, aliases] = await Promise.all([this.range<ClusterImage>(P_IMAGES), this.range<ImageHolder>(P_IMAGE_HOLDERS), this.aliases()]);
    const held = new Map<string, string[]>();
    for (const h of holders) {
      const [fp, m] = h.key.split('/');
      held.set(fp!, [...(held.get(fp!) ?? []), m!]);
    }
    const named = new Map<string, string[]>();
    for (const [a, fp] of aliases) named.set(fp, [...(named.get(fp) ?? []), a]);
    return images.map((x) => ({ ...x.value, aliases: (named.get(x.key) ?? []).sort(), holders: (held.get(x.key) ?? []).sort() }));
  }

  async image(fingerprint: string): Promise<ClusterImageView | undefined> {
    const rec = (await this.range<ClusterImage>(P_IMAGES + fingerprint)).find((x) => x.key === '');
    if (!rec) return undefined;
    const aliases = [...(await this.aliases())].filter(([, fp]) => fp === fingerprint).map(([a]) => a).sort();
    return { ...rec.value, aliases, holders: await this.holders(fingerprint) };
  }

  /**
   * An alias, or a fingerprint or unique prefix of one (as ImageStore.resolve: aliases win),
   * to the full fingerprint; undefined when the cluster knows no such image.
   */
  async resolve(ref: string): Promise<string | undefined> {
    const a = (await this.aliases()).get(ref);
    if (a) return a;
    const p = ref.toLowerCase();
    if (!/^[0-9a-f]{1,64}$/.test(p)) return undefined;
    const r = await this.node.read({ key: b(P_IMAGES + p), rangeEnd: prefixEnd(P_IMAGES + p), keysOnly: true });
    if (r.kvs.length > 1) throw new ClusterError('INVALID_ARGUMENT', `${ref} matches ${r.kvs.length} images; give more of it`);
    return r.kvs[0]?.key.toString('utf8', P_IMAGES.length);
  }

  /** cluster.images_minimal_replica (default 3; -1: every member). */
  async minimalReplica(): Promise<number> {
    const r = (await this.range<{ minimalReplica: number }>(K_IMAGE_SETTINGS)).find((x) => x.key === '');
    return r?.value.minimalReplica ?? DEFAULT_MINIMAL_REPLICA;
  }

  async setMinimalReplica(n: number): Promise<void> {
    if (!Number.isInteger(n) || (n < 1 && n !== -1)) throw new ClusterError('INVALID_ARGUMENT', `cluster.images_minimal_replica must be -1 (every member) or a whole number >= 1, not ${n}`);
    await this.node.submit({ put: { key: b(K_IMAGE_SETTINGS), value: json({ minimalReplica: n }) } });
  }
}

/**
 * The replication rule, the same on every member (so no member has to ask another): an image
 * wants `want` holders among the online members (-1: all of them). When it has fewer, the
 * non-holders ranked first by rendezvous hashing (SHA-256 of `fingerprint/member`, ascending)
 * pull it, as many as are missing. Each member runs the rule and pulls when it is named: a
 * named member that goes offline drops out of `online` and the next in rank takes its turn.
 */
export function replicaPullers(fingerprint: string, want: number, holders: readonly string[], online: readonly string[]): string[] {
  const held = new Set(holders);
  const live = [...new Set(online)];
  const target = want < 0 ? live.length : Math.min(want, live.length);
  const need = target - live.filter((m) => held.has(m)).length;
  if (need <= 0) return [];
  const rank = (m: string): string => createHash('sha256').update(`${fingerprint}/${m}`).digest('hex');
  return live.filter((m) => !held.has(m)).sort((x, y) => (rank(x) < rank(y) ? -1 : rank(x) > rank(y) ? 1 : 0)).slice(0, need);
}

/**
 * The cluster's images as placement reads them (one read of the holder and alias keys): an
 * image reference -> the members holding it. Feeds PlacementRequest.image.
 */
export class ImageHoldings {
  private constructor(private readonly byFingerprint: ReadonlyMap<string, ReadonlySet<string>>, private readonly aliases: ReadonlyMap<string, string>) {}

  static async read(node: RaftNode): Promise<ImageHoldings> {
    const [holders, aliases] = await Promise.all([
      node.read({ key: b(P_IMAGE_HOLDERS), rangeEnd: prefixEnd(P_IMAGE_HOLDERS), keysOnly: true }),
      node.read({ key: b(P_IMAGE_ALIASES), rangeEnd: prefixEnd(P_IMAGE_ALIASES) }),
    ]);
    const by = new Map<string, Set<string>>();
    for (const kv of holders.kvs) {
      const [fp, m] = kv.key.toString('utf8', P_IMAGE_HOLDERS.length).split('/');
      if (!by.has(fp!)) by.set(fp!, new Set());
      by.get(fp!)!.add(m!);
    }
    const names = new Map(aliases.kvs.map((kv) => [kv.key.toString('utf8', P_IMAGE_ALIASES.length), (JSON.parse(kv.value.toString('utf8')) as { fingerprint: string }).fingerprint]));
    return new ImageHoldings(by, names);
  }

  /**
   * What placement needs to know of `ref` (an alias, a fingerprint or a unique prefix of one);
   * undefined when the cluster has no record of it (the member decides: the built-in busybox
   * is built anywhere, an unknown image fails there).
   */
  need(ref: string): ImageNeed | undefined {
    let fp = this.aliases.get(ref);
    if (!fp && /^[0-9a-f]{1,64}$/.test(ref)) {
      const m = [...this.byFingerprint.keys()].filter((f) => f.startsWith(ref));
      if (m.length === 1) fp = m[0];
    }
    if (!fp) return undefined;
    return { ref, holders: this.byFingerprint.get(fp) ?? new Set() };
  }
}
