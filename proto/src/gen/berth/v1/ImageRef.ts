// Original file: proto/berth/v1/images.proto


export interface ImageRef {
  /**
   * Alias or fingerprint (a unique prefix is enough).
   */
  'image'?: (string);
}

export interface ImageRef__Output {
  /**
   * Alias or fingerprint (a unique prefix is enough).
   */
  'image': (string);
}
