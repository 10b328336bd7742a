// @berth/proto: the wire contract of berth (proto/berth/v1/*.proto), its generated
// TypeScript types and the loader that gives service clients and definitions.
export { loadBerthV1, LOADER_OPTIONS, PROTO_FILES, PROTO_ROOT } from './loader';
export type * from './gen/index';
