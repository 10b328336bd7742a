// Original file: proto/berth/v1/cluster.proto


export interface ListMembersRequest {
}

export interface ListMembersRequest__Output {
}
