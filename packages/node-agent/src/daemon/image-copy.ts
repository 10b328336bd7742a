/**
 * berth.v1.ImageService.CopyImage: an image from a remote image server (simplestreams) into
 * this berthd's store (images/sources.ts), with progress; the last message carries the image.
 * In a cluster it lands in this member's store, and the cluster records and replicates it as
 * an import (cluster/images.ts). Also the refresh of auto-updating images.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { createCertificateAuthority, fingerprint } from '@berth/control-plane';
import type { CopyImageProgress, CopyImageRequest__Output, Image } from '@berth/proto';
import type { Agent } from '../agent/agent';
import { ImageSources } from '../images/sources';
import type { ImageRecord } from '../images/store';
import { toStatus } from './status';

/**
 * The certificate berthd's image server (`--images-address`) shows: self-signed, made once in
 * the data folder (images-server.crt, images-server.key 0600), so its fingerprint, which
 * clients pin (`berth remote add NAME URL --protocol simplestreams --accept-certificate`),
 * stays the same across restarts.
 */
export function imageServerCertificate(dataDir: string): { certPem: string; keyPem: string; fingerprint: string } {
  const crt = path.join(dataDir, 'images-server.crt');
  const key = path.join(dataDir, 'images-server.key');
  if (!fs.existsSync(crt) || !fs.existsSync(key)) {
    const made = createCertificateAuthority({ commonName: `berth images ${os.hostname()}`, validDays: 3650 });
    fs.writeFileSync(`${key}.tmp`, made.keyPem, { mode: 0o600 });
    fs.renameSync(`${key}.tmp`, key);
    fs.writeFileSync(`${crt}.tmp`, made.certPem, { mode: 0o644 });
    fs.renameSync(`${crt}.tmp`, crt);
  }
  const certPem = fs.readFileSync(crt, 'utf8');
  return { certPem, keyPem: fs.readFileSync(key, 'utf8'), fingerprint: fingerprint(certPem) };
}

/** LXD's default images.auto_update_interval: 6 hours. */
export const DEFAULT_AUTO_UPDATE_INTERVAL_MS = 6 * 3600_000;

/** The agent's image sources, refreshed every `intervalMs` (0: never); `remove` deletes a replaced image. */
export function startImageSources(agent: Agent, intervalMs: number, remove: (fp: string) => Promise<void>): ImageSources {
  const sources = ImageSources.open(agent.images, {
    inUse: async (fp) => (await agent.list()).some((i) => i.image === fp),
    remove,
  });
  sources.start(intervalMs);
  return sources;
}

export function copyImageHandler(sources: ImageSources, toWire: (r: ImageRecord) => Promise<Image>): grpc.handleServerStreamingCall<CopyImageRequest__Output, CopyImageProgress> {
  return (call) => {
    const r = call.request;
    let last = 0;
    (async () => {
      const { record, downloaded } = await sources.copy({
        server: r.server, protocol: r.protocol || 'simplestreams', alias: r.image, certFingerprint: r.certificateFingerprint || undefined,
        aliases: r.aliases, autoUpdate: r.autoUpdate || undefined,
      }, (done, total) => {
        const now = Date.now();
        if (now - last < 200) return;
        last = now;
        call.write({ doneBytes: done, totalBytes: total });
      });
      call.write({ doneBytes: record.size, totalBytes: record.size, image: await toWire(record), downloaded });
      call.end();
    })().catch((e: unknown) => call.emit('error', toStatus(e)));
  };
}
