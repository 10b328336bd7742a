// Original file: proto/berth/v1/instances.proto

import type { Operation as _berth_v1_Operation, Operation__Output as _berth_v1_Operation__Output } from '../../berth/v1/Operation';

export interface OperationResponse {
  'operation'?: (_berth_v1_Operation | null);
}

export interface OperationResponse__Output {
  'operation': (_berth_v1_Operation__Output | null);
}
