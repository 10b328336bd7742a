// Original file: proto/berth/v1/images.proto


/**
 * The cluster's image settings (LXD's server keys); a single host has none.
 */
export interface ImageSettingsRequest {
  /**
   * Set minimal_replica (else only read).
   */
  'set'?: (boolean);
  /**
   * cluster.images_minimal_replica: members that keep a copy of every image (-1: all).
   */
  'minimalReplica'?: (number);
}

/**
 * The cluster's image settings (LXD's server keys); a single host has none.
 */
export interface ImageSettingsRequest__Output {
  /**
   * Set minimal_replica (else only read).
   */
  'set': (boolean);
  /**
   * cluster.images_minimal_replica: members that keep a copy of every image (-1: all).
   */
  'minimalReplica': (number);
}
