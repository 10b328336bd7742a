// Original file: proto/berth/v1/cluster.proto


export interface ListOperationsRequest {
}

export interface ListOperationsRequest__Output {
}
