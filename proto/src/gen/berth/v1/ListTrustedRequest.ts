// Original file: proto/berth/v1/trust.proto


export interface ListTrustedRequest {
}

export interface ListTrustedRequest__Output {
}
