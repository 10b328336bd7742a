// Original file: proto/berth/v1/instances.proto

import type { Long } from '@grpc/proto-loader';

export interface InstanceState {
  'status'?: (string);
  'pid'?: (number | string | Long);
  'processes'?: (number | string | Long);
  'cpuUsageNs'?: (number | string | Long);
  'memoryUsageBytes'?: (number | string | Long);
  'memoryPeakBytes'?: (number | string | Long);
  'diskUsageBytes'?: (number | string | Long);
}

export interface InstanceState__Output {
  'status': (string);
  'pid': (number);
  'processes': (number);
  'cpuUsageNs': (number);
  'memoryUsageBytes': (number);
  'memoryPeakBytes': (number);
  'diskUsageBytes': (number);
}
