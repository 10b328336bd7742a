// Original file: proto/berth/v1/cluster.proto


export interface ListMemberGroupsRequest {
}

export interface ListMemberGroupsRequest__Output {
}
