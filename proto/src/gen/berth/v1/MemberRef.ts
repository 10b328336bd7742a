// Original file: proto/berth/v1/cluster.proto


export interface MemberRef {
  'name'?: (string);
  'force'?: (boolean);
}

export interface MemberRef__Output {
  'name': (string);
  'force': (boolean);
}
