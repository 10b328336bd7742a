// Original file: proto/berth/v1/images.proto

import type { ImportImageHeader as _berth_v1_ImportImageHeader, ImportImageHeader__Output as _berth_v1_ImportImageHeader__Output } from '../../berth/v1/ImportImageHeader';

/**
 * Import streams the archive: the first message names it, the rest carry bytes.
 */
export interface ImportImageChunk {
  'header'?: (_berth_v1_ImportImageHeader | null);
  'data'?: (Buffer | Uint8Array | string);
  'frame'?: "header"|"data";
}

/**
 * Import streams the archive: the first message names it, the rest carry bytes.
 */
export interface ImportImageChunk__Output {
  'header'?: (_berth_v1_ImportImageHeader__Output | null);
  'data'?: (Buffer);
  'frame'?: "header"|"data";
}
