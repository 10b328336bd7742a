// Original file: proto/berth/v1/instances.proto


export interface WindowSize {
  'width'?: (number);
  'height'?: (number);
}

export interface WindowSize__Output {
  'width': (number);
  'height': (number);
}
