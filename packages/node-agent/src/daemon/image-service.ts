/**
 * berth.v1.ImageService over the agent's ImageStore (single host): list, get, import (a
 * unified LXD tarball streamed in), export (the original bytes streamed out), aliases, delete.
 * Archives are untrusted: the store validates every entry before anything is written.
 */
import type { Image, ImageServiceHandlers, ImportImageChunk__Output, ImportImageHeader__Output } from '@berth/proto';
import type { Agent } from '../agent/agent';
import { FailedPreconditionError, InvalidArgumentError } from '../errors';
import type { ImageRecord } from '../images/store';
import { finished, unary } from './grpc';
import { copyImageHandler } from './image-copy';
import type { ImageSources } from '../images/sources';
import { toStatus } from './status';

async function toWire(agent: Agent, r: ImageRecord): Promise<Image> {
  const aliases = (await agent.images.listAliases()).filter((a) => a.fingerprint === r.fingerprint).map((a) => a.name);
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.metadata.properties ?? {})) props[k] = String(v);
  return {
    fingerprint: r.fingerprint, aliases, architecture: r.metadata.architecture, description: props['description'] ?? '',
    properties: props, sizeBytes: r.size, public: !!r.public, createdAtUnixMs: Date.parse(r.importedAt) || 0, locations: [],
  };
}

/** Deletes an image from this host (the store, its spare volumes, the pool's copy); refused while an instance uses it. */
export async function deleteLocalImage(agent: Agent, fp: string): Promise<void> {
  if ((await agent.list()).some((i) => i.image === fp)) throw new InvalidArgumentError('image', `image ${fp.slice(0, 12)} is used by an instance`);
  await agent.images.delete(fp);
  await agent.dropSpare(fp);
  if ((await agent.pool.listImages()).includes(fp)) await agent.pool.deleteImage(fp);
}

export function imageHandlers(agent: Agent, sources: ImageSources): ImageServiceHandlers {
  const images = agent.images;
  return {
    ListImages: unary(async () => ({ images: await Promise.all((await images.list()).map((r) => toWire(agent, r))) })),
    GetImage: unary(async (r) => toWire(agent, await images.get(await images.resolve(r.image)))),
    ImportImage: (call, callback) => {
      let header: ImportImageHeader__Output | undefined;
      async function* body(): AsyncIterable<Buffer> {
        for await (const chunk of call as AsyncIterable<ImportImageChunk__Output>) {
          if (chunk.frame === 'header') {
            if (header) throw new InvalidArgumentError('header', 'sent twice');
            header = chunk.header ?? undefined;
            if (header && header.format && header.format !== 'unified') throw new InvalidArgumentError('format', `only unified images can be streamed in so far, not "${header.format}"`);
          } else if (chunk.frame === 'data' && chunk.data) {
            if (!header) throw new InvalidArgumentError('header', 'the first message of an import must be its header');
            yield chunk.data;
          }
        }
      }
      // The header comes first on the stream; aliases are created after the image is in.
      images.import({ unified: body() }).then(async (rec) => {
        for (const a of header?.aliases ?? []) await images.createAlias(a, rec.fingerprint);
        callback(null, await toWire(agent, header?.public ? await images.setPublic(rec.fingerprint, true) : rec));
      }, (e: unknown) => callback(toStatus(e)));
    },
    ExportImage: (call) => {
      (async () => {
        const files = await images.exportStreams(await images.resolve(call.request.image));
        if (files.length !== 1) throw new InvalidArgumentError('image', 'split images cannot be streamed out as one file yet');
        for await (const data of files[0]!.open()) call.write({ data: data as Buffer });
        call.end();
      })().catch((e: unknown) => call.emit('error', toStatus(e)));
    },
    CreateAlias: unary(async (r) => {
      await images.createAlias(r.alias, await images.resolve(r.fingerprint), r.description);
      return toWire(agent, await images.get(await images.resolve(r.alias)));
    }),
    DeleteAlias: unary(async (r) => {
      const fp = await images.resolve(r.alias);
      await images.deleteAlias(r.alias);
      return toWire(agent, await images.get(fp));
    }),
    DeleteImage: unary(async (r) => {
      const fp = await images.resolve(r.image);
      await deleteLocalImage(agent, fp);
      return finished(`delete image ${fp.slice(0, 12)}`, {}, fp);
    }),
    PublishImage: unary(async (r) => {
      const rec = await agent.publish(r.instance, { ...(r.snapshot ? { snapshot: r.snapshot } : {}), aliases: r.aliases, properties: r.properties, public: r.public });
      return finished(`publish ${r.instance}${r.snapshot ? `/${r.snapshot}` : ''}`, { images: rec.fingerprint }, rec.fingerprint);
    }),
    CopyImage: copyImageHandler(sources, (r) => toWire(agent, r)),
    // A cluster's setting (cluster/image-api.ts serves it there); a single host keeps its images.
    ImageSettings: unary(async () => { throw new FailedPreconditionError('cluster.images_minimal_replica is a cluster setting; this berthd is a single host'); }),
  };
}
