// Original file: proto/berth/v1/cluster.proto


export interface WatchEventsRequest {
  'types'?: (string)[];
  /**
   * Only events about this instance, when set.
   */
  'instance'?: (string);
}

export interface WatchEventsRequest__Output {
  'types': (string)[];
  /**
   * Only events about this instance, when set.
   */
  'instance': (string);
}
