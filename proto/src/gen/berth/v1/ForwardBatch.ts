// Original file: proto/berth/v1/member.proto

import type { ForwardItem as _berth_v1_ForwardItem, ForwardItem__Output as _berth_v1_ForwardItem__Output } from '../../berth/v1/ForwardItem';

export interface ForwardBatch {
  'items'?: (_berth_v1_ForwardItem)[];
}

export interface ForwardBatch__Output {
  'items': (_berth_v1_ForwardItem__Output)[];
}
