// @berth/proto: the wire contract of berth (proto/berth/v1/*.proto), its generated
// TypeScript types and the loader that gives service clients and definitions.
export { ETCD_PROTO_FILES, loadBerthV1, loadEtcdV3, LOADER_OPTIONS, PROTO_FILES, PROTO_ROOT } from './loader';
export type * as etcd from './gen/etcd-index';
export type * from './gen/index';
