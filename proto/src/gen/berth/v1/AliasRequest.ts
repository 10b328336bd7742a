// Original file: proto/berth/v1/images.proto


export interface AliasRequest {
  'alias'?: (string);
  'fingerprint'?: (string);
  'description'?: (string);
}

export interface AliasRequest__Output {
  'alias': (string);
  'fingerprint': (string);
  'description': (string);
}
