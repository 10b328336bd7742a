import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodePages, encodePages, PagesSink, PagesTail } from './pages-tail';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('pages sent while they are written', () => {
  let tmp: string;
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-pages-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A tail from src/ into a sink in dst/ (through the frame encoding). */
  const pair = (): { tail: PagesTail; sink: PagesSink; src: string; dst: string; offsets: number[]; sent: () => number } => {
    const src = path.join(tmp, 'src');
    const dst = path.join(tmp, 'dst');
    const sink = new PagesSink(dst);
    const offsets: number[] = [];
    let bytes = 0;
    const tail = new PagesTail(src, async (name, offset, data) => {
      const f = decodePages(encodePages(name, offset, data));
      offsets.push(f.offset);
      await sink.write(f.name, f.offset, f.data);
      bytes += f.data.length;
    });
    return { tail, sink, src, dst, offsets, sent: () => bytes };
  };

  it('follows files as they grow, sends the rest at the end, and the copy checks out', async () => {
    const { tail, sink, src, dst, offsets } = pair();
    tail.start();
    await sleep(50); // the folder does not exist yet: nothing to do
    fs.mkdirSync(src);
    const a = randomBytes(3 << 20);
    for (let i = 0; i < 6; i++) {
      fs.appendFileSync(path.join(src, 'pages-1.img'), a.subarray(i << 19, (i + 1) << 19));
      await sleep(40);
    }
    fs.writeFileSync(path.join(src, 'pages-2.img'), Buffer.from('tail'));
    fs.writeFileSync(path.join(src, 'pagemap-1.img'), Buffer.from('not followed'));
    const sums = await tail.finish();
    expect(sums.map((s) => [s.name, s.size])).toEqual([['pages-1.img', 3 << 20], ['pages-2.img', 4]]);
    expect(offsets.filter((o) => o > 0).length).toBeGreaterThan(1); // sent while it grew, in pieces
    await sink.check(sums);
    expect(fs.readFileSync(path.join(dst, 'pages-1.img')).equals(a)).toBe(true);
    expect(fs.existsSync(path.join(dst, 'pagemap-1.img'))).toBe(false);
    expect(tail.resent).toBe(0);
  });

  it('sends a file again from its start when it changed behind what was sent', async () => {
    const { tail, sink, src, dst, sent } = pair();
    fs.mkdirSync(src);
    const f = path.join(src, 'pages-1.img');
    fs.writeFileSync(f, randomBytes(1 << 20));
    tail.start();
    // Until the tail has sent the whole file (a fixed sleep was too short on a loaded host).
    for (const deadline = Date.now() + 10_000; sent() < 1 << 20 && Date.now() < deadline;) await sleep(20);
    expect(sent()).toBe(1 << 20);
    const fd = fs.openSync(f, 'r+');
    fs.writeSync(fd, Buffer.from('rewritten'), 0, 9, 100); // behind the bytes sent
    fs.closeSync(fd);
    const sums = await tail.finish();
    expect(tail.resent).toBe(1 << 20);
    await sink.check(sums);
    expect(fs.readFileSync(path.join(dst, 'pages-1.img')).equals(fs.readFileSync(f))).toBe(true);
  });

  it('the sink refuses other names, gaps, and a copy that does not match the sums', async () => {
    const sink = new PagesSink(path.join(tmp, 'dst'));
    await expect(sink.write('../../etc/passwd', 0, Buffer.from('x'))).rejects.toThrow(/not a pages-<n>.img file/);
    await sink.write('pages-1.img', 0, Buffer.from('abc'));
    await expect(sink.write('pages-1.img', 10, Buffer.from('x'))).rejects.toThrow(/at offset 10, expected 3/);
    await expect(sink.check([{ name: 'pages-1.img', size: 3, crc: 1 }])).rejects.toThrow(/pages-1.img: 3 bytes, CRC-32 [0-9a-f]+; the source sent 3 bytes, CRC-32 1/);
    const other = new PagesSink(path.join(tmp, 'dst2'));
    await other.write('pages-2.img', 0, Buffer.from('abc'));
    await expect(other.check([])).rejects.toThrow(/pages-2.img arrived but the source did not list it/);
    const none = new PagesSink(path.join(tmp, 'dst3'));
    await expect(none.check([{ name: 'pages-1.img', size: 5, crc: 7 }])).rejects.toThrow(/pages-1.img: missing/);
  });
});
