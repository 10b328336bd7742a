import { encodeHeaders, HpackDecoder, HpackError, huffmanDecode, huffmanEncode } from './hpack';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const pairs = (flat: string[]): Array<[string, string]> => {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
};

describe('HPACK (RFC 7541)', () => {
  it('decodes the requests of Appendix C.3 (no Huffman), sharing the dynamic table', () => {
    const d = new HpackDecoder();
    expect(pairs(d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')))).toEqual([
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']]);
    expect(pairs(d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865')))).toEqual([
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']]);
    expect(pairs(d.decode(hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65')))).toEqual([
      [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']]);
    expect(d.tableLength).toBe(3);
  });

  it('decodes the requests of Appendix C.4 (Huffman)', () => {
    const d = new HpackDecoder();
    expect(pairs(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')))).toEqual([
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']]);
    expect(pairs(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf')))).toEqual([
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']]);
    expect(pairs(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')))).toEqual([
      [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']]);
  });

  it('evicts by size (Appendix C.5: a 256-octet table)', () => {
    const d = new HpackDecoder(256);
    d.decode(hex('4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'));
    expect(d.tableLength).toBe(4);
    const second = pairs(d.decode(hex('4803 3330 37c1 c0bf')));
    expect(second[0]).toEqual([':status', '307']);
    expect(second[3]).toEqual(['location', 'https://www.example.com']);
    expect(d.tableLength).toBe(4); // ':status 302' evicted
  });

  it('round-trips every octet through the Huffman code', () => {
    let all = '';
    for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
    for (const s of [all, 'www.example.com', '', 'a', '/etcdserverpb.KV/Put', 'grpc-go/1.26.0']) {
      const enc = huffmanEncode(s);
      expect(huffmanDecode(enc, 0, enc.length)).toBe(s);
    }
    expect(huffmanEncode('www.example.com').toString('hex')).toBe('f1e3c2e5f23a6ba0ab90f4ff');
  });

  it('refuses what RFC 7541 forbids, naming it', () => {
    expect(() => huffmanDecode(Buffer.from([0x00]), 0, 1)).toThrow(/padded/); // '0' (00000) + 000 padding
    expect(() => huffmanDecode(Buffer.from([0xff, 0xff]), 0, 2)).toThrow(/more than 7 bits/);
    expect(() => huffmanDecode(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4)).toThrow(/EOS/);
    const d = new HpackDecoder();
    expect(() => d.decode(hex('80'))).toThrow(/index 0/);
    expect(() => d.decode(hex('be'))).toThrow(/past the dynamic table/);
    expect(() => d.decode(hex('0f'))).toThrow(/inside an integer/);
    expect(() => d.decode(hex('0003 6162'))).toThrow(/runs past/);
    expect(() => d.decode(hex('3fe2 1f'))).toThrow(/above the 4096/);
    expect(() => d.decode(hex('82 20'))).toThrow(/after a header field/);
    expect(() => d.decode(hex('0f ff ff ff ff 0f'))).toThrow(HpackError);
    // an integer of many zero continuation octets (NaN in a naive decoder): refused, the table size unchanged
    expect(() => d.decode(Buffer.concat([hex('3f'), Buffer.alloc(148, 0x80), hex('00')]))).toThrow(/larger than 2\^31/);
    expect(() => d.decode(Buffer.concat([hex('007f'), Buffer.alloc(148, 0x80), hex('00 41')]))).toThrow(/larger than 2\^31/);
    expect(() => new HpackDecoder(4096, 100).decode(encodeHeaders([['x-a', 'v'.repeat(80)]]))).toThrow(/header list larger/);
  });

  it('encodes without indexing, so that any decoder reads it back', () => {
    const fields: Array<[string, string]> = [[':status', '200'], ['content-type', 'application/grpc'], ['grpc-status', '0'], ['grpc-message', 'a b%20'], ['x-long', 'v'.repeat(300)]];
    const block = encodeHeaders(fields);
    expect(block[0]).toBe(0x88); // ':status: 200' is static entry 8
    const d = new HpackDecoder();
    expect(pairs(d.decode(block))).toEqual(fields);
    expect(d.tableLength).toBe(0);
  });
});
