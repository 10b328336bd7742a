import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ConfigMap as _berth_v1_ConfigMap, ConfigMap__Output as _berth_v1_ConfigMap__Output } from './berth/v1/ConfigMap';
import type { Empty as _berth_v1_Empty, Empty__Output as _berth_v1_Empty__Output } from './berth/v1/Empty';
import type { Operation as _berth_v1_Operation, Operation__Output as _berth_v1_Operation__Output } from './berth/v1/Operation';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  berth: {
    v1: {
      ConfigMap: MessageTypeDefinition<_berth_v1_ConfigMap, _berth_v1_ConfigMap__Output>
      Empty: MessageTypeDefinition<_berth_v1_Empty, _berth_v1_Empty__Output>
      Operation: MessageTypeDefinition<_berth_v1_Operation, _berth_v1_Operation__Output>
    }
  }
}

