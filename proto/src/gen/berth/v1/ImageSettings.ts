// Original file: proto/berth/v1/images.proto


export interface ImageSettings {
  'minimalReplica'?: (number);
}

export interface ImageSettings__Output {
  'minimalReplica': (number);
}
