// Original file: proto/berth/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Event as _berth_v1_Event, Event__Output as _berth_v1_Event__Output } from '../../berth/v1/Event';
import type { WatchEventsRequest as _berth_v1_WatchEventsRequest, WatchEventsRequest__Output as _berth_v1_WatchEventsRequest__Output } from '../../berth/v1/WatchEventsRequest';

export interface EventServiceClient extends grpc.Client {
  WatchEvents(argument: _berth_v1_WatchEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_Event__Output>;
  WatchEvents(argument: _berth_v1_WatchEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_Event__Output>;
  watchEvents(argument: _berth_v1_WatchEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_Event__Output>;
  watchEvents(argument: _berth_v1_WatchEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_Event__Output>;
  
}

export interface EventServiceHandlers extends grpc.UntypedServiceImplementation {
  WatchEvents: grpc.handleServerStreamingCall<_berth_v1_WatchEventsRequest__Output, _berth_v1_Event>;
  
}

export interface EventServiceDefinition extends grpc.ServiceDefinition {
  WatchEvents: MethodDefinition<_berth_v1_WatchEventsRequest, _berth_v1_Event, _berth_v1_WatchEventsRequest__Output, _berth_v1_Event__Output>
}
