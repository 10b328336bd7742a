import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as ClusterProto } from './gen/cluster';
import type { ProtoGrpcType as CommonProto } from './gen/common';
import type { ProtoGrpcType as ImagesProto } from './gen/images';
import type { ProtoGrpcType as InstancesProto } from './gen/instances';
import type { ProtoGrpcType as MemberProto } from './gen/member';
import type { ProtoGrpcType as ServerProto } from './gen/server';
import type { ProtoGrpcType as StoreProto } from './gen/store';
import type { ProtoGrpcType as TrustProto } from './gen/trust';
import type { ProtoGrpcType as EtcdRpcProto } from './gen/rpc';

/** Folder holding berth/v1/*.proto (shipped beside dist/). */
export const PROTO_ROOT = path.join(__dirname, '..');

export const PROTO_FILES = [
  'berth/v1/common.proto',
  'berth/v1/server.proto',
  'berth/v1/instances.proto',
  'berth/v1/images.proto',
  'berth/v1/cluster.proto',
  'berth/v1/member.proto',
  'berth/v1/store.proto',
  'berth/v1/trust.proto',
];

/**
 * Options for @grpc/proto-loader. They must match the flags in generate.js, because
 * the generated types describe the objects these options produce: camelCase fields,
 * int64 as JS numbers (berth's values stay below 2^53), defaults filled in, and a
 * virtual field naming the member of each oneof that is set.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

type Berth = ClusterProto['berth']['v1'] & CommonProto['berth']['v1'] & ImagesProto['berth']['v1'] &
  InstancesProto['berth']['v1'] & MemberProto['berth']['v1'] & ServerProto['berth']['v1'] & StoreProto['berth']['v1'] & TrustProto['berth']['v1'];

let cached: Berth | undefined;

/** Loads berth.v1 once per process: service constructors and message definitions. */
export function loadBerthV1(): Berth {
  if (!cached) {
    const definition = protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { berth: { v1: Berth } };
    cached = loaded.berth.v1;
  }
  return cached;
}

/** etcd's v3 API as raft-store serves it (proto/etcd). */
export const ETCD_PROTO_FILES = ['etcd/mvccpb/kv.proto', 'etcd/etcdserverpb/rpc.proto'];

type Etcd = EtcdRpcProto['etcdserverpb'];

let cachedEtcd: Etcd | undefined;

/** Loads etcdserverpb once per process, with the same options as berth.v1. */
export function loadEtcdV3(): Etcd {
  if (!cachedEtcd) {
    const definition = protoLoader.loadSync(ETCD_PROTO_FILES, LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { etcdserverpb: Etcd };
    cachedEtcd = loaded.etcdserverpb;
  }
  return cachedEtcd;
}
