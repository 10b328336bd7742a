// Original file: proto/berth/v1/images.proto


export interface ListImagesRequest {
}

export interface ListImagesRequest__Output {
}
