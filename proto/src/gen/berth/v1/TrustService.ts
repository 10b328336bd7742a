// Original file: proto/berth/v1/trust.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddTrustedCertificateRequest as _berth_v1_AddTrustedCertificateRequest, AddTrustedCertificateRequest__Output as _berth_v1_AddTrustedCertificateRequest__Output } from '../../berth/v1/AddTrustedCertificateRequest';
import type { CreateTrustTokenRequest as _berth_v1_CreateTrustTokenRequest, CreateTrustTokenRequest__Output as _berth_v1_CreateTrustTokenRequest__Output } from '../../berth/v1/CreateTrustTokenRequest';
import type { ListTrustedRequest as _berth_v1_ListTrustedRequest, ListTrustedRequest__Output as _berth_v1_ListTrustedRequest__Output } from '../../berth/v1/ListTrustedRequest';
import type { ListTrustedResponse as _berth_v1_ListTrustedResponse, ListTrustedResponse__Output as _berth_v1_ListTrustedResponse__Output } from '../../berth/v1/ListTrustedResponse';
import type { RedeemTrustTokenRequest as _berth_v1_RedeemTrustTokenRequest, RedeemTrustTokenRequest__Output as _berth_v1_RedeemTrustTokenRequest__Output } from '../../berth/v1/RedeemTrustTokenRequest';
import type { RedeemTrustTokenResponse as _berth_v1_RedeemTrustTokenResponse, RedeemTrustTokenResponse__Output as _berth_v1_RedeemTrustTokenResponse__Output } from '../../berth/v1/RedeemTrustTokenResponse';
import type { RemoveTrustedRequest as _berth_v1_RemoveTrustedRequest, RemoveTrustedRequest__Output as _berth_v1_RemoveTrustedRequest__Output } from '../../berth/v1/RemoveTrustedRequest';
import type { RemoveTrustedResponse as _berth_v1_RemoveTrustedResponse, RemoveTrustedResponse__Output as _berth_v1_RemoveTrustedResponse__Output } from '../../berth/v1/RemoveTrustedResponse';
import type { TrustToken as _berth_v1_TrustToken, TrustToken__Output as _berth_v1_TrustToken__Output } from '../../berth/v1/TrustToken';
import type { TrustedCertificate as _berth_v1_TrustedCertificate, TrustedCertificate__Output as _berth_v1_TrustedCertificate__Output } from '../../berth/v1/TrustedCertificate';

export interface TrustServiceClient extends grpc.Client {
  AddTrustedCertificate(argument: _berth_v1_AddTrustedCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_TrustedCertificate__Output>): grpc.ClientUnaryCall;
  AddTrustedCertificate(argument: _berth_v1_AddTrustedCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_TrustedCertificate__Output>): grpc.ClientUnaryCall;
  AddTrustedCertificate(argument: _berth_v1_AddTrustedCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_TrustedCertificate__Output>): grpc.ClientUnaryCall;
  AddTrustedCertificate(argument: _berth_v1_AddTrustedCertificateRequest, callback: grpc.requestCallback<_berth_v1_TrustedCertificate__Output>): grpc.ClientUnaryCall;
  addTrustedCertificate(argument: _berth_v1_AddTrustedCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_TrustedCertificate__Output>): grpc.ClientUnaryCall;
  addTrustedCertificate(argument: _berth_v1_AddTrustedCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_TrustedCertificate__Output>): grpc.ClientUnaryCall;
  addTrustedCertificate(argument: _berth_v1_AddTrustedCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_TrustedCertificate__Output>): grpc.ClientUnaryCall;
  addTrustedCertificate(argument: _berth_v1_AddTrustedCertificateRequest, callback: grpc.requestCallback<_berth_v1_TrustedCertificate__Output>): grpc.ClientUnaryCall;
  
  CreateTrustToken(argument: _berth_v1_CreateTrustTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_TrustToken__Output>): grpc.ClientUnaryCall;
  CreateTrustToken(argument: _berth_v1_CreateTrustTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_TrustToken__Output>): grpc.ClientUnaryCall;
  CreateTrustToken(argument: _berth_v1_CreateTrustTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_TrustToken__Output>): grpc.ClientUnaryCall;
  CreateTrustToken(argument: _berth_v1_CreateTrustTokenRequest, callback: grpc.requestCallback<_berth_v1_TrustToken__Output>): grpc.ClientUnaryCall;
  createTrustToken(argument: _berth_v1_CreateTrustTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_TrustToken__Output>): grpc.ClientUnaryCall;
  createTrustToken(argument: _berth_v1_CreateTrustTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_TrustToken__Output>): grpc.ClientUnaryCall;
  createTrustToken(argument: _berth_v1_CreateTrustTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_TrustToken__Output>): grpc.ClientUnaryCall;
  createTrustToken(argument: _berth_v1_CreateTrustTokenRequest, callback: grpc.requestCallback<_berth_v1_TrustToken__Output>): grpc.ClientUnaryCall;
  
  ListTrusted(argument: _berth_v1_ListTrustedRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListTrustedResponse__Output>): grpc.ClientUnaryCall;
  ListTrusted(argument: _berth_v1_ListTrustedRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListTrustedResponse__Output>): grpc.ClientUnaryCall;
  ListTrusted(argument: _berth_v1_ListTrustedRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListTrustedResponse__Output>): grpc.ClientUnaryCall;
  ListTrusted(argument: _berth_v1_ListTrustedRequest, callback: grpc.requestCallback<_berth_v1_ListTrustedResponse__Output>): grpc.ClientUnaryCall;
  listTrusted(argument: _berth_v1_ListTrustedRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListTrustedResponse__Output>): grpc.ClientUnaryCall;
  listTrusted(argument: _berth_v1_ListTrustedRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListTrustedResponse__Output>): grpc.ClientUnaryCall;
  listTrusted(argument: _berth_v1_ListTrustedRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListTrustedResponse__Output>): grpc.ClientUnaryCall;
  listTrusted(argument: _berth_v1_ListTrustedRequest, callback: grpc.requestCallback<_berth_v1_ListTrustedResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Open to untrusted clients: spends a token and trusts the certificate sent.
   */
  RedeemTrustToken(argument: _berth_v1_RedeemTrustTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RedeemTrustTokenResponse__Output>): grpc.ClientUnaryCall;
  RedeemTrustToken(argument: _berth_v1_RedeemTrustTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_RedeemTrustTokenResponse__Output>): grpc.ClientUnaryCall;
  RedeemTrustToken(argument: _berth_v1_RedeemTrustTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RedeemTrustTokenResponse__Output>): grpc.ClientUnaryCall;
  RedeemTrustToken(argument: _berth_v1_RedeemTrustTokenRequest, callback: grpc.requestCallback<_berth_v1_RedeemTrustTokenResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Open to untrusted clients: spends a token and trusts the certificate sent.
   */
  redeemTrustToken(argument: _berth_v1_RedeemTrustTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RedeemTrustTokenResponse__Output>): grpc.ClientUnaryCall;
  redeemTrustToken(argument: _berth_v1_RedeemTrustTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_RedeemTrustTokenResponse__Output>): grpc.ClientUnaryCall;
  redeemTrustToken(argument: _berth_v1_RedeemTrustTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RedeemTrustTokenResponse__Output>): grpc.ClientUnaryCall;
  redeemTrustToken(argument: _berth_v1_RedeemTrustTokenRequest, callback: grpc.requestCallback<_berth_v1_RedeemTrustTokenResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveTrusted(argument: _berth_v1_RemoveTrustedRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RemoveTrustedResponse__Output>): grpc.ClientUnaryCall;
  RemoveTrusted(argument: _berth_v1_RemoveTrustedRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_RemoveTrustedResponse__Output>): grpc.ClientUnaryCall;
  RemoveTrusted(argument: _berth_v1_RemoveTrustedRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RemoveTrustedResponse__Output>): grpc.ClientUnaryCall;
  RemoveTrusted(argument: _berth_v1_RemoveTrustedRequest, callback: grpc.requestCallback<_berth_v1_RemoveTrustedResponse__Output>): grpc.ClientUnaryCall;
  removeTrusted(argument: _berth_v1_RemoveTrustedRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RemoveTrustedResponse__Output>): grpc.ClientUnaryCall;
  removeTrusted(argument: _berth_v1_RemoveTrustedRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_RemoveTrustedResponse__Output>): grpc.ClientUnaryCall;
  removeTrusted(argument: _berth_v1_RemoveTrustedRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RemoveTrustedResponse__Output>): grpc.ClientUnaryCall;
  removeTrusted(argument: _berth_v1_RemoveTrustedRequest, callback: grpc.requestCallback<_berth_v1_RemoveTrustedResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface TrustServiceHandlers extends grpc.UntypedServiceImplementation {
  AddTrustedCertificate: grpc.handleUnaryCall<_berth_v1_AddTrustedCertificateRequest__Output, _berth_v1_TrustedCertificate>;
  
  CreateTrustToken: grpc.handleUnaryCall<_berth_v1_CreateTrustTokenRequest__Output, _berth_v1_TrustToken>;
  
  ListTrusted: grpc.handleUnaryCall<_berth_v1_ListTrustedRequest__Output, _berth_v1_ListTrustedResponse>;
  
  /**
   * Open to untrusted clients: spends a token and trusts the certificate sent.
   */
  RedeemTrustToken: grpc.handleUnaryCall<_berth_v1_RedeemTrustTokenRequest__Output, _berth_v1_RedeemTrustTokenResponse>;
  
  RemoveTrusted: grpc.handleUnaryCall<_berth_v1_RemoveTrustedRequest__Output, _berth_v1_RemoveTrustedResponse>;
  
}

export interface TrustServiceDefinition extends grpc.ServiceDefinition {
  AddTrustedCertificate: MethodDefinition<_berth_v1_AddTrustedCertificateRequest, _berth_v1_TrustedCertificate, _berth_v1_AddTrustedCertificateRequest__Output, _berth_v1_TrustedCertificate__Output>
  CreateTrustToken: MethodDefinition<_berth_v1_CreateTrustTokenRequest, _berth_v1_TrustToken, _berth_v1_CreateTrustTokenRequest__Output, _berth_v1_TrustToken__Output>
  ListTrusted: MethodDefinition<_berth_v1_ListTrustedRequest, _berth_v1_ListTrustedResponse, _berth_v1_ListTrustedRequest__Output, _berth_v1_ListTrustedResponse__Output>
  RedeemTrustToken: MethodDefinition<_berth_v1_RedeemTrustTokenRequest, _berth_v1_RedeemTrustTokenResponse, _berth_v1_RedeemTrustTokenRequest__Output, _berth_v1_RedeemTrustTokenResponse__Output>
  RemoveTrusted: MethodDefinition<_berth_v1_RemoveTrustedRequest, _berth_v1_RemoveTrustedResponse, _berth_v1_RemoveTrustedRequest__Output, _berth_v1_RemoveTrustedResponse__Output>
}
