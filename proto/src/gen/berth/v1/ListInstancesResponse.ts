// Original file: proto/berth/v1/instances.proto

import type { Instance as _berth_v1_Instance, Instance__Output as _berth_v1_Instance__Output } from '../../berth/v1/Instance';

export interface ListInstancesResponse {
  'instances'?: (_berth_v1_Instance)[];
}

export interface ListInstancesResponse__Output {
  'instances': (_berth_v1_Instance__Output)[];
}
