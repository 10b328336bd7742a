// Original file: proto/berth/v1/cluster.proto

import type { Member as _berth_v1_Member, Member__Output as _berth_v1_Member__Output } from '../../berth/v1/Member';

export interface ListMembersResponse {
  'members'?: (_berth_v1_Member)[];
}

export interface ListMembersResponse__Output {
  'members': (_berth_v1_Member__Output)[];
}
