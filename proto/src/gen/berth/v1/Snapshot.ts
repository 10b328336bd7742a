// Original file: proto/berth/v1/instances.proto

import type { Long } from '@grpc/proto-loader';

export interface Snapshot {
  'name'?: (string);
  'stateful'?: (boolean);
  'createdAtUnixMs'?: (number | string | Long);
  'sizeBytes'?: (number | string | Long);
}

export interface Snapshot__Output {
  'name': (string);
  'stateful': (boolean);
  'createdAtUnixMs': (number);
  'sizeBytes': (number);
}
