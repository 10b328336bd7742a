// Original file: proto/berth/v1/images.proto


export interface PublishRequest {
  'instance'?: (string);
  /**
   * Publish a snapshot instead of the instance itself.
   */
  'snapshot'?: (string);
  'aliases'?: (string)[];
  'public'?: (boolean);
  'properties'?: ({[key: string]: string});
}

export interface PublishRequest__Output {
  'instance': (string);
  /**
   * Publish a snapshot instead of the instance itself.
   */
  'snapshot': (string);
  'aliases': (string)[];
  'public': (boolean);
  'properties': ({[key: string]: string});
}
