// Original file: proto/berth/v1/member.proto


export interface DropIncomingResponse {
  'dropped'?: (boolean);
}

export interface DropIncomingResponse__Output {
  'dropped': (boolean);
}
