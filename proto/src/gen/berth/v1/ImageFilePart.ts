// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

export interface ImageFilePart {
  /**
   * unified, metadata or rootfs, in stream order.
   */
  'role'?: (string);
  'size'?: (number | string | Long);
  /**
   * gzip, xz, none, ... (as the image store detected it).
   */
  'compression'?: (string);
}

export interface ImageFilePart__Output {
  /**
   * unified, metadata or rootfs, in stream order.
   */
  'role': (string);
  'size': (number);
  /**
   * gzip, xz, none, ... (as the image store detected it).
   */
  'compression': (string);
}
