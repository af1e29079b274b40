
export { scanDataset, IMAGE_EXTENSIONS, type ScanDatasetOptions, type ScanResult } from './metadata/scan.js';
export { mergeShards } from './metadata/merge.js';
export { computeGeometry, calculateTargets, pixelResolution, targetArea, type GeometryOptions } from './metadata/geometry.js';
export { pyFloatKey, pyRound, roundHalfEven } from './metadata/python-format.js';
export { readCacheFiles, writeCacheFiles, indicesKey, metadataKey, cacheSuffix, type LoadedCache } from './metadata/cache-files.js';
export { geometryHash, geometryOptions } from './metadata/build-index.js';
export { probeImage, type ProbeOutcome, type ImageFormat } from './metadata/probe.js';
export { probeFile, type ProbeFileOptions, type FileProbe } from './metadata/probe-file.js';
export { probeVideo, ffprobeBinary, type VideoProbe } from './metadata/video-probe.js';
export { parseShard, type Shard } from './metadata/scan-files.js';
export type { BucketReportData } from './metadata/bucket-report.js';
export { ScanPool, InlineScanRunner, type ScanRunner, type ScanPoolOptions } from './pool/scan-pool.js';
export { createLoader, type Loader } from './pipeline/create-loader.js';
export type { Batch, BatchSample, SkippedSample, LoaderOptions, LoaderDatasetInput } from './pipeline/types.js';
export type { ResumeState } from './sampling/state.js';
export { registerWeighting, getWeighting, weightingNames, type WeightingStrategy, type WeightContext, type WeightCandidate } from './sampling/weights.js';
export { parseResumeState, readResumeState, writeResumeState } from './pipeline/resume-file.js';
export { batchMetadata, encodeFrame, encodeNdjson } from './pipeline/binary-format.js';
