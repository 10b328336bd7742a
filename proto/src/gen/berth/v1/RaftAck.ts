// Original file: proto/berth/v1/member.proto


export interface RaftAck {
}

export interface RaftAck__Output {
}
