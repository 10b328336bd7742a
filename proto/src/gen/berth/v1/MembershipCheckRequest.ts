// Original file: proto/berth/v1/member.proto


export interface MembershipCheckRequest {
}

export interface MembershipCheckRequest__Output {
}
