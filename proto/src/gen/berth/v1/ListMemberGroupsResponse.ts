// Original file: proto/berth/v1/cluster.proto

import type { MemberGroup as _berth_v1_MemberGroup, MemberGroup__Output as _berth_v1_MemberGroup__Output } from '../../berth/v1/MemberGroup';

export interface ListMemberGroupsResponse {
  'groups'?: (_berth_v1_MemberGroup)[];
}

export interface ListMemberGroupsResponse__Output {
  'groups': (_berth_v1_MemberGroup__Output)[];
}
