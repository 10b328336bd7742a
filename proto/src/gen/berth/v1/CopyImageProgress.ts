// Original file: proto/berth/v1/images.proto

import type { Image as _berth_v1_Image, Image__Output as _berth_v1_Image__Output } from '../../berth/v1/Image';
import type { Long } from '@grpc/proto-loader';

/**
 * While it downloads: bytes done of the total; the last message carries the image.
 */
export interface CopyImageProgress {
  'doneBytes'?: (number | string | Long);
  'totalBytes'?: (number | string | Long);
  'image'?: (_berth_v1_Image | null);
  /**
   * false: the image was here already (nothing downloaded).
   */
  'downloaded'?: (boolean);
}

/**
 * While it downloads: bytes done of the total; the last message carries the image.
 */
export interface CopyImageProgress__Output {
  'doneBytes': (number);
  'totalBytes': (number);
  'image': (_berth_v1_Image__Output | null);
  /**
   * false: the image was here already (nothing downloaded).
   */
  'downloaded': (boolean);
}
