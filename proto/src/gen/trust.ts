import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddTrustedCertificateRequest as _berth_v1_AddTrustedCertificateRequest, AddTrustedCertificateRequest__Output as _berth_v1_AddTrustedCertificateRequest__Output } from './berth/v1/AddTrustedCertificateRequest';
import type { CreateTrustTokenRequest as _berth_v1_CreateTrustTokenRequest, CreateTrustTokenRequest__Output as _berth_v1_CreateTrustTokenRequest__Output } from './berth/v1/CreateTrustTokenRequest';
import type { ListTrustedRequest as _berth_v1_ListTrustedRequest, ListTrustedRequest__Output as _berth_v1_ListTrustedRequest__Output } from './berth/v1/ListTrustedRequest';
import type { ListTrustedResponse as _berth_v1_ListTrustedResponse, ListTrustedResponse__Output as _berth_v1_ListTrustedResponse__Output } from './berth/v1/ListTrustedResponse';
import type { RedeemTrustTokenRequest as _berth_v1_RedeemTrustTokenRequest, RedeemTrustTokenRequest__Output as _berth_v1_RedeemTrustTokenRequest__Output } from './berth/v1/RedeemTrustTokenRequest';
import type { RedeemTrustTokenResponse as _berth_v1_RedeemTrustTokenResponse, RedeemTrustTokenResponse__Output as _berth_v1_RedeemTrustTokenResponse__Output } from './berth/v1/RedeemTrustTokenResponse';
import type { RemoveTrustedRequest as _berth_v1_RemoveTrustedRequest, RemoveTrustedRequest__Output as _berth_v1_RemoveTrustedRequest__Output } from './berth/v1/RemoveTrustedRequest';
import type { RemoveTrustedResponse as _berth_v1_RemoveTrustedResponse, RemoveTrustedResponse__Output as _berth_v1_RemoveTrustedResponse__Output } from './berth/v1/RemoveTrustedResponse';
import type { TrustServiceClient as _berth_v1_TrustServiceClient, TrustServiceDefinition as _berth_v1_TrustServiceDefinition } from './berth/v1/TrustService';
import type { TrustToken as _berth_v1_TrustToken, TrustToken__Output as _berth_v1_TrustToken__Output } from './berth/v1/TrustToken';
import type { TrustedCertificate as _berth_v1_TrustedCertificate, TrustedCertificate__Output as _berth_v1_TrustedCertificate__Output } from './berth/v1/TrustedCertificate';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  berth: {
    v1: {
      AddTrustedCertificateRequest: MessageTypeDefinition<_berth_v1_AddTrustedCertificateRequest, _berth_v1_AddTrustedCertificateRequest__Output>
      CreateTrustTokenRequest: MessageTypeDefinition<_berth_v1_CreateTrustTokenRequest, _berth_v1_CreateTrustTokenRequest__Output>
      ListTrustedRequest: MessageTypeDefinition<_berth_v1_ListTrustedRequest, _berth_v1_ListTrustedRequest__Output>
      ListTrustedResponse: MessageTypeDefinition<_berth_v1_ListTrustedResponse, _berth_v1_ListTrustedResponse__Output>
      RedeemTrustTokenRequest: MessageTypeDefinition<_berth_v1_RedeemTrustTokenRequest, _berth_v1_RedeemTrustTokenRequest__Output>
      RedeemTrustTokenResponse: MessageTypeDefinition<_berth_v1_RedeemTrustTokenResponse, _berth_v1_RedeemTrustTokenResponse__Output>
      RemoveTrustedRequest: MessageTypeDefinition<_berth_v1_RemoveTrustedRequest, _berth_v1_RemoveTrustedRequest__Output>
      RemoveTrustedResponse: MessageTypeDefinition<_berth_v1_RemoveTrustedResponse, _berth_v1_RemoveTrustedResponse__Output>
      TrustService: SubtypeConstructor<typeof grpc.Client, _berth_v1_TrustServiceClient> & { service: _berth_v1_TrustServiceDefinition }
      TrustToken: MessageTypeDefinition<_berth_v1_TrustToken, _berth_v1_TrustToken__Output>
      TrustedCertificate: MessageTypeDefinition<_berth_v1_TrustedCertificate, _berth_v1_TrustedCertificate__Output>
    }
  }
}

