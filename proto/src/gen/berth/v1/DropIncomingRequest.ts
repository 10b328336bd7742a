// Original file: proto/berth/v1/member.proto


export interface DropIncomingRequest {
  'instance'?: (string);
  'operationId'?: (string);
}

export interface DropIncomingRequest__Output {
  'instance': (string);
  'operationId': (string);
}
