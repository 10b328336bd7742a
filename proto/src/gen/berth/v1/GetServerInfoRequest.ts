// Original file: proto/berth/v1/server.proto


export interface GetServerInfoRequest {
}

export interface GetServerInfoRequest__Output {
}
