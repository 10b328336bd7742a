// Original file: proto/berth/v1/member.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DropIncomingRequest as _berth_v1_DropIncomingRequest, DropIncomingRequest__Output as _berth_v1_DropIncomingRequest__Output } from '../../berth/v1/DropIncomingRequest';
import type { DropIncomingResponse as _berth_v1_DropIncomingResponse, DropIncomingResponse__Output as _berth_v1_DropIncomingResponse__Output } from '../../berth/v1/DropIncomingResponse';
import type { MigrationFrame as _berth_v1_MigrationFrame, MigrationFrame__Output as _berth_v1_MigrationFrame__Output } from '../../berth/v1/MigrationFrame';
import type { MigrationPhase as _berth_v1_MigrationPhase, MigrationPhase__Output as _berth_v1_MigrationPhase__Output } from '../../berth/v1/MigrationPhase';

/**
 * A source member drives a move: header, then the volume in chunks (then, live, a delta,
 * the changed files and the checkpoint; cold, the checkpoint chunks when the header says so);
 * the target answers phases and ends the stream. A move leaves the instance marked incoming
 * on the target until the store places it there (packages/node-agent/src/cluster/moves.ts).
 */
export interface MigrationServiceClient extends grpc.Client {
  /**
   * Removes the incoming copy a failed or abandoned move left (never a settled instance).
   */
  DropIncoming(argument: _berth_v1_DropIncomingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_DropIncomingResponse__Output>): grpc.ClientUnaryCall;
  DropIncoming(argument: _berth_v1_DropIncomingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_DropIncomingResponse__Output>): grpc.ClientUnaryCall;
  DropIncoming(argument: _berth_v1_DropIncomingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_DropIncomingResponse__Output>): grpc.ClientUnaryCall;
  DropIncoming(argument: _berth_v1_DropIncomingRequest, callback: grpc.requestCallback<_berth_v1_DropIncomingResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Removes the incoming copy a failed or abandoned move left (never a settled instance).
   */
  dropIncoming(argument: _berth_v1_DropIncomingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_DropIncomingResponse__Output>): grpc.ClientUnaryCall;
  dropIncoming(argument: _berth_v1_DropIncomingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_DropIncomingResponse__Output>): grpc.ClientUnaryCall;
  dropIncoming(argument: _berth_v1_DropIncomingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_DropIncomingResponse__Output>): grpc.ClientUnaryCall;
  dropIncoming(argument: _berth_v1_DropIncomingRequest, callback: grpc.requestCallback<_berth_v1_DropIncomingResponse__Output>): grpc.ClientUnaryCall;
  
  Migrate(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_MigrationFrame, _berth_v1_MigrationPhase__Output>;
  Migrate(options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_MigrationFrame, _berth_v1_MigrationPhase__Output>;
  migrate(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_MigrationFrame, _berth_v1_MigrationPhase__Output>;
  migrate(options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_MigrationFrame, _berth_v1_MigrationPhase__Output>;
  
}

/**
 * A source member drives a move: header, then the volume in chunks (then, live, a delta,
 * the changed files and the checkpoint; cold, the checkpoint chunks when the header says so);
 * the target answers phases and ends the stream. A move leaves the instance marked incoming
 * on the target until the store places it there (packages/node-agent/src/cluster/moves.ts).
 */
export interface MigrationServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Removes the incoming copy a failed or abandoned move left (never a settled instance).
   */
  DropIncoming: grpc.handleUnaryCall<_berth_v1_DropIncomingRequest__Output, _berth_v1_DropIncomingResponse>;
  
  Migrate: grpc.handleBidiStreamingCall<_berth_v1_MigrationFrame__Output, _berth_v1_MigrationPhase>;
  
}

export interface MigrationServiceDefinition extends grpc.ServiceDefinition {
  DropIncoming: MethodDefinition<_berth_v1_DropIncomingRequest, _berth_v1_DropIncomingResponse, _berth_v1_DropIncomingRequest__Output, _berth_v1_DropIncomingResponse__Output>
  Migrate: MethodDefinition<_berth_v1_MigrationFrame, _berth_v1_MigrationPhase, _berth_v1_MigrationFrame__Output, _berth_v1_MigrationPhase__Output>
}
