import * as der from './der';

const hex = (b: Buffer): string => b.toString('hex');

describe('DER encoding', () => {
  it('encodes lengths in short form below 128 and minimal long form above', () => {
    expect(hex(der.encodeLength(0))).toBe('00');
    expect(hex(der.encodeLength(127))).toBe('7f');
    expect(hex(der.encodeLength(128))).toBe('8180');
    expect(hex(der.encodeLength(255))).toBe('81ff');
    expect(hex(der.encodeLength(256))).toBe('820100');
    expect(hex(der.encodeLength(65536))).toBe('83010000');
    expect(hex(der.octetString(Buffer.alloc(200, 0xaa))).slice(0, 8)).toBe('0481c8aa');
  });

  it('encodes INTEGERs minimally in two\'s complement', () => {
    const cases: Array<[bigint | number, string]> = [
      [0, '020100'], [1, '020101'], [127, '02017f'], [128, '02020080'], [255, '020200ff'], [256, '02020100'],
      [-1, '0201ff'], [-128, '020180'], [-129, '0202ff7f'], [-256, '0202ff00'], [2, '020102'],
      [2n ** 64n, '0209010000000000000000'], [-(2n ** 63n), '02088000000000000000'],
    ];
    for (const [value, expected] of cases) expect([value, hex(der.integer(value))]).toEqual([value, expected]);
    expect(() => der.integer(1.5)).toThrow(/not a safe integer/);
  });

  it('encodes a Buffer as a non-negative INTEGER (serial numbers)', () => {
    expect(hex(der.integer(Buffer.of(0x00, 0x00, 0x01)))).toBe('020101');
    expect(hex(der.integer(Buffer.of(0x80)))).toBe('02020080');
    expect(hex(der.integer(Buffer.of(0x7f, 0xff)))).toBe('02027fff');
    expect(hex(der.integer(Buffer.alloc(0)))).toBe('020100');
    expect(hex(der.integer(Buffer.of(0, 0)))).toBe('020100');
    const serial = Buffer.alloc(16, 0xff);
    expect(hex(der.integer(serial))).toBe('021100' + 'ff'.repeat(16)); // 17 content octets, positive
  });

  it('encodes OBJECT IDENTIFIERs with base-128 arcs', () => {
    expect(hex(der.oid('2.5.4.3'))).toBe('0603550403');
    expect(hex(der.oid('1.2.840.113549'))).toBe('06062a864886f70d');
    expect(hex(der.oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(der.oid('1.3.6.1.5.5.7.3.1'))).toBe('06082b06010505070301');
    expect(hex(der.oid('2.999.3'))).toBe('0603883703');
    expect(hex(der.oid('2.100.3'))).toBe('0603813403'); // X.690 8.19.5 example
    // the X.667 UUID OID (arc > 2^64), as `openssl asn1parse -genstr OID:...` encodes it
    expect(hex(der.oid('2.25.329800735698586629295641978511506172918'))).toBe('06146983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776');
    for (const bad of ['1', '3.1', '1.40', '1.02.3', 'a.b', '']) expect(() => der.oid(bad)).toThrow(der.DerError);
  });

  it('round-trips big OID arcs through the reader', () => {
    const big = '2.25.329800735698586629295641978511506172918';
    expect(der.readOid(der.readDer(der.oid(big)))).toBe(big);
    expect(der.readOid(der.readDer(der.oid('1.2.840.10045.2.1')))).toBe('1.2.840.10045.2.1');
  });

  it('encodes SEQUENCE, and SET OF sorted by encoding', () => {
    expect(hex(der.sequence())).toBe('3000');
    expect(hex(der.sequence(der.nul(), der.boolean(true)))).toBe('30050500' + '0101ff');
    expect(hex(der.set(der.integer(2), der.integer(1)))).toBe('3106020101020102');
  });

  it('encodes BOOLEAN as FF / 00 and NULL', () => {
    expect(hex(der.boolean(true))).toBe('0101ff');
    expect(hex(der.boolean(false))).toBe('010100');
    expect(hex(der.nul())).toBe('0500');
  });

  it('encodes BIT STRINGs, with named bit lists trimmed of trailing zero bits', () => {
    expect(hex(der.bitString(Buffer.of(0x6e, 0x5d, 0xc0), 6))).toBe('0304066e5dc0'); // X.690 8.6.4.2 example
    expect(hex(der.bitString(Buffer.of(1, 2)))).toBe('0303000102');
    expect(() => der.bitString(Buffer.of(0x01), 1)).toThrow(/unused bits must be zero/);
    expect(() => der.bitString(Buffer.of(0x01), 8)).toThrow(/not in 0..7/);
    expect(hex(der.namedBits([0]))).toBe('03020780'); // keyUsage digitalSignature
    expect(hex(der.namedBits([5, 6]))).toBe('03020106'); // keyUsage keyCertSign + cRLSign
    expect(hex(der.namedBits([0, 8]))).toBe('0303078080');
    expect(hex(der.namedBits([]))).toBe('030100');
  });

  it('encodes OCTET STRING and the string types, refusing characters they cannot carry', () => {
    expect(hex(der.octetString(Buffer.of(1, 2, 3)))).toBe('0403010203');
    expect(hex(der.utf8String('é'))).toBe('0c02c3a9');
    expect(hex(der.printableString('Ab 1'))).toBe('130441622031');
    expect(() => der.printableString('a@b')).toThrow(/PrintableString/);
    expect(() => der.printableString('*')).toThrow(/PrintableString/);
    expect(hex(der.ia5String('a.b'))).toBe('1603612e62');
    expect(() => der.ia5String('ü')).toThrow(/not ASCII/);
    expect(() => der.utf8String('\uD800')).toThrow(/surrogate/);
  });

  it('encodes times per RFC 5280: UTCTime through 2049, GeneralizedTime from 2050, no fractions', () => {
    const ascii = (b: Buffer): string => b.subarray(2).toString('latin1');
    const t = new Date('2019-12-16T03:02:10.999Z');
    expect(hex(der.utcTime(t))).toBe('170d' + Buffer.from('191216030210Z').toString('hex'));
    expect(ascii(der.generalizedTime(t))).toBe('20191216030210Z');
    expect(der.time(new Date('2049-12-31T23:59:59Z'))[0]).toBe(der.Tag.UTC_TIME);
    expect(ascii(der.time(new Date('2049-12-31T23:59:59Z')))).toBe('491231235959Z');
    expect(der.time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(der.Tag.GENERALIZED_TIME);
    expect(ascii(der.time(new Date('2050-01-01T00:00:00Z')))).toBe('20500101000000Z');
    expect(ascii(der.time(new Date('1950-01-01T00:00:00Z')))).toBe('500101000000Z');
    expect(der.time(new Date('1949-12-31T23:59:59Z'))[0]).toBe(der.Tag.GENERALIZED_TIME);
    expect(() => der.utcTime(new Date('2050-01-01T00:00:00Z'))).toThrow(/outside 1950..2049/);
    expect(() => der.time(new Date('nope'))).toThrow(/invalid date/);
    for (const d of ['1950-01-01T00:00:00Z', '2049-12-31T23:59:59Z', '2050-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) {
      expect(der.readTime(der.readDer(der.time(new Date(d)))).toISOString()).toBe(new Date(d).toISOString());
    }
  });

  it('encodes EXPLICIT and IMPLICIT context tags', () => {
    expect(hex(der.explicit(0, der.integer(2)))).toBe('a003020102'); // [0] EXPLICIT version v3
    expect(hex(der.explicit(3, der.sequence()))).toBe('a3023000');
    expect(hex(der.implicit(2, der.ia5String('a')))).toBe('820161'); // dNSName
    expect(hex(der.implicit(7, der.octetString(Buffer.of(127, 0, 0, 1))))).toBe('87047f000001'); // iPAddress
    expect(hex(der.implicit(0, der.sequence()))).toBe('a000'); // constructed stays constructed
    expect(() => der.explicit(31, der.nul())).toThrow(/0..30/);
  });
});

describe('DER reading', () => {
  it('parses nested structures and keeps the raw bytes', () => {
    const enc = der.sequence(der.integer(5), der.explicit(1, der.sequence(der.oid('2.5.4.3'))));
    const node = der.readDer(enc);
    expect(node.constructed).toBe(true);
    expect(node.children?.length).toBe(2);
    expect(hex(der.child(node, 0, 'int').content)).toBe('05');
    const ctx = der.child(node, 1, 'ctx');
    expect([ctx.tagClass, ctx.tagNumber]).toEqual(['context', 1]);
    expect(der.readOid(der.child(der.child(ctx, 0, 'seq'), 0, 'oid'))).toBe('2.5.4.3');
    expect(node.raw.equals(enc)).toBe(true);
  });

  it('refuses trailing bytes, truncation, indefinite and non-minimal lengths', () => {
    expect(() => der.readDer(Buffer.alloc(0))).toThrow(/truncated/);
    expect(() => der.readDer(Buffer.from('050000', 'hex'))).toThrow(/trailing/);
    expect(() => der.readDer(Buffer.from('04030102', 'hex'))).toThrow(/truncated/);
    expect(() => der.readDer(Buffer.from('30800500' + '0000', 'hex'))).toThrow(/indefinite/);
    expect(() => der.readDer(Buffer.from('048103010203', 'hex'))).toThrow(/non-minimal/);
    expect(() => der.readDer(Buffer.from('3003' + '0404', 'hex'))).toThrow(/truncated/);
    expect(() => der.readTime(der.readDer(Buffer.from('170d' + Buffer.from('191332030210Z').toString('hex'), 'hex')))).toThrow(/not a valid date/);
  });
});
