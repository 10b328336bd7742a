/** HTTP/2 framing shared by the server (grpc-server.ts) and the client stream (client-stream.ts): RFC 9113 section 4 and 6. */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

// frame types
export const T_DATA = 0; export const T_HEADERS = 1; export const T_PRIORITY = 2; export const T_RST = 3;
export const T_SETTINGS = 4; export const T_PUSH = 5; export const T_PING = 6; export const T_GOAWAY = 7;
export const T_WINDOW = 8; export const T_CONT = 9;
// flags
export const F_END_STREAM = 0x1; export const F_ACK = 0x1; export const F_END_HEADERS = 0x4;
export const F_PADDED = 0x8; export const F_PRIORITY = 0x20;

/** The window every stream and the connection start with (SETTINGS_INITIAL_WINDOW_SIZE's default). */
export const DEFAULT_WINDOW = 65535;

/** One frame: the 9-octet header, then `len` octets of `payload` (all of it by default). */
export function frame(type: number, flags: number, id: number, payload: Buffer | null | undefined, len = payload ? payload.length : 0): Buffer {
  const b = Buffer.allocUnsafe(9 + len);
  b.writeUIntBE(len, 0, 3);
  b[3] = type; b[4] = flags;
  b.writeUInt32BE(id, 5);
  if (payload) payload.copy(b, 9, 0, len);
  return b;
}

/** A 4-octet big-endian payload (WINDOW_UPDATE, RST_STREAM). */
export function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}
