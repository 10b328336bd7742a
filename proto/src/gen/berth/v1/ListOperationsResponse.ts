// Original file: proto/berth/v1/cluster.proto

import type { Operation as _berth_v1_Operation, Operation__Output as _berth_v1_Operation__Output } from '../../berth/v1/Operation';

export interface ListOperationsResponse {
  'operations'?: (_berth_v1_Operation)[];
}

export interface ListOperationsResponse__Output {
  'operations': (_berth_v1_Operation__Output)[];
}
