// Original file: proto/berth/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface Event {
  /**
   * lifecycle, operation, logging
   */
  'type'?: (string);
  'timestampUnixMs'?: (number | string | Long);
  'location'?: (string);
  /**
   * JSON body, shaped like LXD's event metadata.
   */
  'metadataJson'?: (string);
}

export interface Event__Output {
  /**
   * lifecycle, operation, logging
   */
  'type': (string);
  'timestampUnixMs': (number);
  'location': (string);
  /**
   * JSON body, shaped like LXD's event metadata.
   */
  'metadataJson': (string);
}
