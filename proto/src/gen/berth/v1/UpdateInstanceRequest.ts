// Original file: proto/berth/v1/instances.proto


export interface UpdateInstanceRequest {
  'name'?: (string);
  /**
   * Keys to set; a key set to "" is removed. Applied live where the key allows it.
   */
  'config'?: ({[key: string]: string});
}

export interface UpdateInstanceRequest__Output {
  'name': (string);
  /**
   * Keys to set; a key set to "" is removed. Applied live where the key allows it.
   */
  'config': ({[key: string]: string});
}
