/**
 * Images (issue 4): LXD's image format, content-addressed by SHA-256, untrusted archives
 * checked entry by entry, a store with aliases, a built-in busybox image and publish.
 */
export { ImageStore } from './store';
export type { ImageStoreChange, ImageStoreOptions, ImageSource, ImageImport, ImportOptions, ImageRecord, ImageFileRecord, ImageRole, ImageAlias } from './store';
export { buildBusyboxImage, publishImage, hostArchitecture, sha256File, writeTarball } from './builder';
export type { BusyboxImageOptions, PublishOptions, BuiltImage, ImageFile } from './builder';
export { parseMetadata, formatMetadata, lxdArchitecture, LXD_ARCHITECTURES } from './metadata';
export type { ImageMetadata, TemplateRule, TemplateTrigger } from './metadata';
export { DEFAULT_LIMITS, ArchiveValidator, normalizeArchivePath, scanArchive, extractArchive } from './safe-extract';
export type { UnpackLimits, ArchivePart, Placement } from './safe-extract';
export { detectCompression, openDecompressed, compressedSink, xzAvailable, COMPRESSION_EXT } from './compression';
export type { Compression } from './compression';
export { readTar, TarWriter, encodeHeader, setChecksum, paxRecord } from './tar';
export type { TarEntry, TarType, TarWriteHeader } from './tar';
export { parseYaml } from './yaml';
export type { YamlValue, YamlMap } from './yaml';
export { SimplestreamsClient, SimplestreamsServer, catalog } from './simplestreams';
export type { FoundImage, SimplestreamsClientOptions, SimplestreamsServerOptions, StreamItem, StreamProduct, StreamProducts, StreamIndex } from './simplestreams';
export { ImageSources } from './sources';
export type { CopyRequest, ImageSourceRecord, SourcesOptions } from './sources';
