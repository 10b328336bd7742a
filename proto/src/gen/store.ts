import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { PeerProgress as _berth_v1_PeerProgress, PeerProgress__Output as _berth_v1_PeerProgress__Output } from './berth/v1/PeerProgress';
import type { StoreAdminClient as _berth_v1_StoreAdminClient, StoreAdminDefinition as _berth_v1_StoreAdminDefinition } from './berth/v1/StoreAdmin';
import type { StoreMetrics as _berth_v1_StoreMetrics, StoreMetrics__Output as _berth_v1_StoreMetrics__Output } from './berth/v1/StoreMetrics';
import type { StoreStatus as _berth_v1_StoreStatus, StoreStatus__Output as _berth_v1_StoreStatus__Output } from './berth/v1/StoreStatus';
import type { StoreStatusRequest as _berth_v1_StoreStatusRequest, StoreStatusRequest__Output as _berth_v1_StoreStatusRequest__Output } from './berth/v1/StoreStatusRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  berth: {
    v1: {
      PeerProgress: MessageTypeDefinition<_berth_v1_PeerProgress, _berth_v1_PeerProgress__Output>
      StoreAdmin: SubtypeConstructor<typeof grpc.Client, _berth_v1_StoreAdminClient> & { service: _berth_v1_StoreAdminDefinition }
      StoreMetrics: MessageTypeDefinition<_berth_v1_StoreMetrics, _berth_v1_StoreMetrics__Output>
      StoreStatus: MessageTypeDefinition<_berth_v1_StoreStatus, _berth_v1_StoreStatus__Output>
      StoreStatusRequest: MessageTypeDefinition<_berth_v1_StoreStatusRequest, _berth_v1_StoreStatusRequest__Output>
    }
  }
}

