/**
 * berth.v1.ImageService on a cluster member: the cluster's images (ImageRegistry) for list and
 * get, each with the members holding it (`locations`), and cluster.images_minimal_replica;
 * everything else is this member's own image store (import, export, aliases, delete, publish),
 * whose changes the ImageDistributor records in the cluster (see images.ts).
 */
import type { Image, ImageServiceHandlers } from '@berth/proto';
import type { ClusterImageView, ClusterStore, ImageRegistry } from '@berth/control-plane';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { finished, unary } from '../daemon/grpc';

function toWire(i: ClusterImageView): Image {
  return {
    fingerprint: i.fingerprint, aliases: i.aliases, architecture: i.architecture, description: i.description, properties: i.properties,
    sizeBytes: i.size, public: false, createdAtUnixMs: i.createdAt, locations: i.holders,
  };
}

/**
 * The local handler, answering only once `recorded()` resolves: a change of this member's
 * images (import, copy, publish, aliases) is in the cluster's records before the client hears
 * it is done, so a launch asked right after, on any member, finds the image.
 */
function afterRecorded<H>(handler: H, recorded: () => Promise<void>): H {
  return ((call: { end?: () => void }, callback?: (e: unknown, res?: unknown) => void) => {
    if (callback) {
      (handler as (c: unknown, cb: (e: unknown, res?: unknown) => void) => void)(call, (e, res) => {
        if (e) callback(e);
        else void recorded().then(() => callback(null, res));
      });
      return;
    }
    // A server stream (CopyImage): its end waits.
    const end = call.end!.bind(call);
    call.end = () => void recorded().then(() => end());
    (handler as (c: unknown) => void)(call);
  }) as H;
}

/**
 * DeleteImage deletes the image from the whole cluster (as LXD does): refused while an instance
 * of the cluster was launched from it; else the registry's record goes with a tombstone, and
 * each member removes its copy on its next tick (ImageDistributor.removeDeleted). The calls
 * that change this member's images answer once the change is recorded in the cluster.
 */
export function clusterImageHandlers(registry: ImageRegistry, store: ClusterStore, local: ImageServiceHandlers, recorded: () => Promise<void>): ImageServiceHandlers {
  return {
    ...local,
    ImportImage: afterRecorded(local.ImportImage, recorded),
    CopyImage: afterRecorded(local.CopyImage, recorded),
    PublishImage: afterRecorded(local.PublishImage, recorded),
    CreateAlias: afterRecorded(local.CreateAlias, recorded),
    DeleteAlias: afterRecorded(local.DeleteAlias, recorded),
    DeleteImage: unary(async (r: { image: string }) => {
      const fp = await registry.resolve(r.image);
      const img = fp ? await registry.image(fp) : undefined;
      if (!img) throw new NotFoundError(`image or alias ${JSON.stringify(r.image)} not found in the cluster`);
      const refs = new Set([img.fingerprint, ...img.aliases]);
      const users = (await store.instances()).filter((i) => refs.has(i.value.image)).map((i) => i.value.name);
      if (users.length > 0) throw new InvalidArgumentError('image', `image ${img.fingerprint.slice(0, 12)} is used by instance(s) ${users.join(', ')}`);
      await registry.deleteImage(img.fingerprint);
      return finished(`delete image ${img.fingerprint.slice(0, 12)}`, {}, img.fingerprint);
    }),
    ListImages: unary(async () => ({ images: (await registry.images()).map(toWire) })),
    GetImage: unary(async (r: { image: string }) => {
      const fp = await registry.resolve(r.image);
      const img = fp ? await registry.image(fp) : undefined;
      if (!img) throw new NotFoundError(`image or alias ${JSON.stringify(r.image)} not found in the cluster`);
      return toWire(img);
    }),
    ImageSettings: unary(async (r: { set: boolean; minimalReplica: number }) => {
      if (r.set) await registry.setMinimalReplica(r.minimalReplica);
      return { minimalReplica: await registry.minimalReplica() };
    }),
  };
}
