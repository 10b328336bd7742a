// Original file: proto/berth/v1/images.proto

import type { Long } from '@grpc/proto-loader';

export interface Image {
  /**
   * SHA-256 of the image as LXD computes it (unified tarball, or metadata then rootfs).
   */
  'fingerprint'?: (string);
  'aliases'?: (string)[];
  'architecture'?: (string);
  'description'?: (string);
  'properties'?: ({[key: string]: string});
  'sizeBytes'?: (number | string | Long);
  'public'?: (boolean);
  'createdAtUnixMs'?: (number | string | Long);
  /**
   * Members holding a copy.
   */
  'locations'?: (string)[];
}

export interface Image__Output {
  /**
   * SHA-256 of the image as LXD computes it (unified tarball, or metadata then rootfs).
   */
  'fingerprint': (string);
  'aliases': (string)[];
  'architecture': (string);
  'description': (string);
  'properties': ({[key: string]: string});
  'sizeBytes': (number);
  'public': (boolean);
  'createdAtUnixMs': (number);
  /**
   * Members holding a copy.
   */
  'locations': (string)[];
}
