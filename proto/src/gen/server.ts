import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CgroupInfo as _berth_v1_CgroupInfo, CgroupInfo__Output as _berth_v1_CgroupInfo__Output } from './berth/v1/CgroupInfo';
import type { CriuInfo as _berth_v1_CriuInfo, CriuInfo__Output as _berth_v1_CriuInfo__Output } from './berth/v1/CriuInfo';
import type { Feature as _berth_v1_Feature, Feature__Output as _berth_v1_Feature__Output } from './berth/v1/Feature';
import type { GetServerInfoRequest as _berth_v1_GetServerInfoRequest, GetServerInfoRequest__Output as _berth_v1_GetServerInfoRequest__Output } from './berth/v1/GetServerInfoRequest';
import type { HostCapabilities as _berth_v1_HostCapabilities, HostCapabilities__Output as _berth_v1_HostCapabilities__Output } from './berth/v1/HostCapabilities';
import type { ServerInfo as _berth_v1_ServerInfo, ServerInfo__Output as _berth_v1_ServerInfo__Output } from './berth/v1/ServerInfo';
import type { ServerServiceClient as _berth_v1_ServerServiceClient, ServerServiceDefinition as _berth_v1_ServerServiceDefinition } from './berth/v1/ServerService';
import type { ToolInfo as _berth_v1_ToolInfo, ToolInfo__Output as _berth_v1_ToolInfo__Output } from './berth/v1/ToolInfo';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  berth: {
    v1: {
      CgroupInfo: MessageTypeDefinition<_berth_v1_CgroupInfo, _berth_v1_CgroupInfo__Output>
      CriuInfo: MessageTypeDefinition<_berth_v1_CriuInfo, _berth_v1_CriuInfo__Output>
      Feature: MessageTypeDefinition<_berth_v1_Feature, _berth_v1_Feature__Output>
      GetServerInfoRequest: MessageTypeDefinition<_berth_v1_GetServerInfoRequest, _berth_v1_GetServerInfoRequest__Output>
      HostCapabilities: MessageTypeDefinition<_berth_v1_HostCapabilities, _berth_v1_HostCapabilities__Output>
      ServerInfo: MessageTypeDefinition<_berth_v1_ServerInfo, _berth_v1_ServerInfo__Output>
      ServerService: SubtypeConstructor<typeof grpc.Client, _berth_v1_ServerServiceClient> & { service: _berth_v1_ServerServiceDefinition }
      ToolInfo: MessageTypeDefinition<_berth_v1_ToolInfo, _berth_v1_ToolInfo__Output>
    }
  }
}

