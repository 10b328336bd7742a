// Original file: proto/berth/v1/cluster.proto


export interface GetOperationRequest {
  'id'?: (string);
  /**
   * Wait up to this long for the operation to end; 0 answers at once.
   */
  'waitSeconds'?: (number);
}

export interface GetOperationRequest__Output {
  'id': (string);
  /**
   * Wait up to this long for the operation to end; 0 answers at once.
   */
  'waitSeconds': (number);
}
