// Original file: proto/berth/v1/instances.proto


export interface ListInstancesRequest {
  /**
   * Only instances on this member, when set.
   */
  'location'?: (string);
}

export interface ListInstancesRequest__Output {
  /**
   * Only instances on this member, when set.
   */
  'location': (string);
}
