import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageStore } from './store';
import { SimplestreamsServer } from './simplestreams';
import { ImageSources } from './sources';
import { file, GOOD_METADATA, gz, makeTestDir, removeTestDir, unifiedImage } from './test-helpers';

describe('ImageSources: images copied from a simplestreams server, kept up to date', () => {
  let tmp: string;
  let upstream: ImageStore;
  let server: SimplestreamsServer;
  let local: ImageStore;
  const removed: string[] = [];
  const used = new Set<string>();

  /** An image of product test:1 made at `seconds`, imported upstream; its fingerprint. */
  const publish = async (seconds: number, text: string): Promise<string> => {
    const tar = path.join(tmp, `${seconds}.tar.gz`);
    fs.writeFileSync(tar, gz(await unifiedImage([file('rootfs/etc/motd', text)], GOOD_METADATA.replace('1700000000', String(seconds)))));
    return (await upstream.import({ unified: tar })).fingerprint;
  };
  const sources = (): ImageSources => ImageSources.open(local, {
    inUse: async (fp) => used.has(fp),
    remove: async (fp) => {
      removed.push(fp);
      await local.delete(fp);
    },
  });

  beforeEach(async () => {
    tmp = makeTestDir('sources');
    upstream = await ImageStore.open({ dataDir: path.join(tmp, 'upstream') });
    local = await ImageStore.open({ dataDir: path.join(tmp, 'local') });
    server = await SimplestreamsServer.start({ store: upstream, listen: '127.0.0.1:0' });
    removed.length = 0;
    used.clear();
  });
  afterEach(async () => {
    try {
      await server?.close();
    } finally {
      removeTestDir(tmp);
    }
  });

  it('copies an image and records where it came from; a second copy downloads nothing and adds the aliases', async () => {
    const v1 = await publish(1700000000, 'v1');
    await upstream.createAlias('app', v1);
    const s = sources();
    const first = await s.copy({ server: server.url, protocol: 'simplestreams', alias: 'app', aliases: ['app'], autoUpdate: true });
    expect([first.record.fingerprint, first.downloaded]).toEqual([v1, true]);
    expect(await s.list()).toEqual([expect.objectContaining({ fingerprint: v1, server: `${server.url}/`, alias: 'app', autoUpdate: true })]);
    const again = await s.copy({ server: server.url, protocol: 'simplestreams', alias: 'app', aliases: ['app2'] });
    expect(again.downloaded).toBe(false);
    expect(await local.resolveAlias('app2')).toBe(v1);
    await expect(s.copy({ server: server.url, protocol: 'lxd', alias: 'app' })).rejects.toThrow(/berth copies images from simplestreams servers/);
  });

  it('refresh moves an auto-updating image to the server\'s newer version, its aliases with it, and removes the old one', async () => {
    const v1 = await publish(1700000000, 'v1');
    await upstream.createAlias('app', v1);
    const s = sources();
    await s.copy({ server: server.url, protocol: 'simplestreams', alias: 'app', aliases: ['app'], autoUpdate: true });
    // Nothing new upstream: nothing moves.
    expect(await s.refresh()).toEqual([]);
    // A newer build of the same product.
    const v2 = await publish(1800000000, 'v2');
    expect(await s.refresh()).toEqual([{ from: v1, to: v2, alias: 'app' }]);
    expect(await local.resolveAlias('app')).toBe(v2);
    expect(removed).toEqual([v1]);
    expect((await local.list()).map((r) => r.fingerprint)).toEqual([v2]);
    expect((await s.list()).map((r) => [r.fingerprint, r.autoUpdate])).toEqual([[v2, true]]);
  });

  it('keeps a replaced image an instance uses; leaves images without --auto-update alone; a server gone changes nothing', async () => {
    const v1 = await publish(1700000000, 'v1');
    await upstream.createAlias('app', v1);
    const s = sources();
    await s.copy({ server: server.url, protocol: 'simplestreams', alias: 'app', aliases: ['app'], autoUpdate: true });
    used.add(v1);
    const v2 = await publish(1800000000, 'v2');
    expect(await s.refresh()).toEqual([{ from: v1, to: v2, alias: 'app' }]);
    expect(removed).toEqual([]);
    expect((await local.list()).map((r) => r.fingerprint).sort()).toEqual([v1, v2].sort());

    // Not auto-updating: stays.
    const other = ImageSources.open(local, { inUse: async () => false, remove: async () => undefined });
    const pinned = await other.copy({ server: server.url, protocol: 'simplestreams', alias: v1, aliases: [] });
    expect(pinned.source.autoUpdate).toBe(false);
    // A copy that does not say keeps what an image had.
    expect((await other.copy({ server: server.url, protocol: 'simplestreams', alias: 'app' })).source).toMatchObject({ fingerprint: v2, autoUpdate: true });

    await server.close();
    await publish(1900000000, 'v3');
    const before = await local.list();
    expect(await s.refresh()).toEqual([]);
    expect(await local.list()).toEqual(before);
    const after = await s.list();
    expect(after.find((r) => r.fingerprint === v2)?.error).toMatch(/ECONNREFUSED/);
    expect(after.find((r) => r.fingerprint === v1)).toMatchObject({ autoUpdate: false });
    expect(after.find((r) => r.fingerprint === v1)?.error).toBeUndefined();
  });
});
