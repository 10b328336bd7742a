// Original file: proto/etcd/etcdserverpb/rpc.proto

import type { Long } from '@grpc/proto-loader';

// Original file: proto/etcd/etcdserverpb/rpc.proto

export const _etcdserverpb_RangeRequest_SortOrder = {
  NONE: 'NONE',
  ASCEND: 'ASCEND',
  DESCEND: 'DESCEND',
} as const;

export type _etcdserverpb_RangeRequest_SortOrder =
  | 'NONE'
  | 0
  | 'ASCEND'
  | 1
  | 'DESCEND'
  | 2

export type _etcdserverpb_RangeRequest_SortOrder__Output = typeof _etcdserverpb_RangeRequest_SortOrder[keyof typeof _etcdserverpb_RangeRequest_SortOrder]

// Original file: proto/etcd/etcdserverpb/rpc.proto

export const _etcdserverpb_RangeRequest_SortTarget = {
  KEY: 'KEY',
  VERSION: 'VERSION',
  CREATE: 'CREATE',
  MOD: 'MOD',
  VALUE: 'VALUE',
} as const;

export type _etcdserverpb_RangeRequest_SortTarget =
  | 'KEY'
  | 0
  | 'VERSION'
  | 1
  | 'CREATE'
  | 2
  | 'MOD'
  | 3
  | 'VALUE'
  | 4

export type _etcdserverpb_RangeRequest_SortTarget__Output = typeof _etcdserverpb_RangeRequest_SortTarget[keyof typeof _etcdserverpb_RangeRequest_SortTarget]

export interface RangeRequest {
  'key'?: (Buffer | Uint8Array | string);
  'rangeEnd'?: (Buffer | Uint8Array | string);
  'limit'?: (number | string | Long);
  'revision'?: (number | string | Long);
  'sortOrder'?: (_etcdserverpb_RangeRequest_SortOrder);
  'sortTarget'?: (_etcdserverpb_RangeRequest_SortTarget);
  'serializable'?: (boolean);
  'keysOnly'?: (boolean);
  'countOnly'?: (boolean);
  'minModRevision'?: (number | string | Long);
  'maxModRevision'?: (number | string | Long);
  'minCreateRevision'?: (number | string | Long);
  'maxCreateRevision'?: (number | string | Long);
}

export interface RangeRequest__Output {
  'key': (Buffer);
  'rangeEnd': (Buffer);
  'limit': (number);
  'revision': (number);
  'sortOrder': (_etcdserverpb_RangeRequest_SortOrder__Output);
  'sortTarget': (_etcdserverpb_RangeRequest_SortTarget__Output);
  'serializable': (boolean);
  'keysOnly': (boolean);
  'countOnly': (boolean);
  'minModRevision': (number);
  'maxModRevision': (number);
  'minCreateRevision': (number);
  'maxCreateRevision': (number);
}
