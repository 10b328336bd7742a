// Original file: proto/berth/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface JoinPeer {
  'id'?: (number | string | Long);
  'name'?: (string);
  'clusterAddress'?: (string);
}

export interface JoinPeer__Output {
  'id': (number);
  'name': (string);
  'clusterAddress': (string);
}
