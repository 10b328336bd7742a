// Original file: proto/berth/v1/member.proto

import type { ImageFilePart as _berth_v1_ImageFilePart, ImageFilePart__Output as _berth_v1_ImageFilePart__Output } from '../../berth/v1/ImageFilePart';
import type { Long } from '@grpc/proto-loader';

export interface ImageHolding {
  'fingerprint'?: (string);
  /**
   * The whole stream's length (the sum of the parts).
   */
  'sizeBytes'?: (number | string | Long);
  'present'?: (boolean);
  'files'?: (_berth_v1_ImageFilePart)[];
}

export interface ImageHolding__Output {
  'fingerprint': (string);
  /**
   * The whole stream's length (the sum of the parts).
   */
  'sizeBytes': (number);
  'present': (boolean);
  'files': (_berth_v1_ImageFilePart__Output)[];
}
