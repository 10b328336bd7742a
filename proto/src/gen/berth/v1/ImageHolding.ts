// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

export interface ImageHolding {
  'fingerprint'?: (string);
  'sizeBytes'?: (number | string | Long);
  'present'?: (boolean);
}

export interface ImageHolding__Output {
  'fingerprint': (string);
  'sizeBytes': (number);
  'present': (boolean);
}
