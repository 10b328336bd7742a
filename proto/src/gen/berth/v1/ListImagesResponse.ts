// Original file: proto/berth/v1/images.proto

import type { Image as _berth_v1_Image, Image__Output as _berth_v1_Image__Output } from '../../berth/v1/Image';

export interface ListImagesResponse {
  'images'?: (_berth_v1_Image)[];
}

export interface ListImagesResponse__Output {
  'images': (_berth_v1_Image__Output)[];
}
