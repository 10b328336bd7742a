// Original file: proto/berth/v1/cluster.proto


export interface CancelOperationRequest {
  'id'?: (string);
}

export interface CancelOperationRequest__Output {
  'id': (string);
}
