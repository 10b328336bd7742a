// Original file: proto/berth/v1/images.proto

import type { Long } from '@grpc/proto-loader';

export interface ImportImageHeader {
  'aliases'?: (string)[];
  'public'?: (boolean);
  /**
   * "unified" (one tarball) or "split" (metadata tarball, then rootfs tarball).
   */
  'format'?: (string);
  /**
   * Size of the metadata tarball when split; the rest of the stream is the rootfs.
   */
  'metadataSize'?: (number | string | Long);
}

export interface ImportImageHeader__Output {
  'aliases': (string)[];
  'public': (boolean);
  /**
   * "unified" (one tarball) or "split" (metadata tarball, then rootfs tarball).
   */
  'format': (string);
  /**
   * Size of the metadata tarball when split; the rest of the stream is the rootfs.
   */
  'metadataSize': (number);
}
