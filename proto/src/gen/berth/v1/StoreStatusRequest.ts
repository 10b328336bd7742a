// Original file: proto/berth/v1/store.proto


export interface StoreStatusRequest {
}

export interface StoreStatusRequest__Output {
}
