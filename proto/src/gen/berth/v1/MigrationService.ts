// Original file: proto/berth/v1/member.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { MigrationFrame as _berth_v1_MigrationFrame, MigrationFrame__Output as _berth_v1_MigrationFrame__Output } from '../../berth/v1/MigrationFrame';
import type { MigrationPhase as _berth_v1_MigrationPhase, MigrationPhase__Output as _berth_v1_MigrationPhase__Output } from '../../berth/v1/MigrationPhase';

export interface MigrationServiceClient extends grpc.Client {
  Migrate(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_MigrationFrame, _berth_v1_MigrationPhase__Output>;
  Migrate(options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_MigrationFrame, _berth_v1_MigrationPhase__Output>;
  migrate(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_MigrationFrame, _berth_v1_MigrationPhase__Output>;
  migrate(options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_MigrationFrame, _berth_v1_MigrationPhase__Output>;
  
}

export interface MigrationServiceHandlers extends grpc.UntypedServiceImplementation {
  Migrate: grpc.handleBidiStreamingCall<_berth_v1_MigrationFrame__Output, _berth_v1_MigrationPhase>;
  
}

export interface MigrationServiceDefinition extends grpc.ServiceDefinition {
  Migrate: MethodDefinition<_berth_v1_MigrationFrame, _berth_v1_MigrationPhase, _berth_v1_MigrationFrame__Output, _berth_v1_MigrationPhase__Output>
}
