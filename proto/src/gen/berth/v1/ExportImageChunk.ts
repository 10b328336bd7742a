// Original file: proto/berth/v1/images.proto


export interface ExportImageChunk {
  'data'?: (Buffer | Uint8Array | string);
}

export interface ExportImageChunk__Output {
  'data': (Buffer);
}
