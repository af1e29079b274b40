// tunefeed's only public entry point.
export * from './errors.js';
export type * from './config/types.js';
export type * from './storage/types.js';
export type * from './metadata/types.js';
export { MetricsBus, metrics, type MetricEvent } from './metrics/events.js';
export { logger, rootLogger } from './log.js';
export { redactValue, registerSecret } from './redact.js';
export {
  loadConfig,
  validateConfig,
  type LoadConfigOptions,
  type ValidationResult,
  type ValidatedDataset,
} from './config/load-config.js';
export { defaultTrainingArgs } from './config/training-args.js';
export { isImageDataset } from './config/types.js';
export {
  createCaptionResolver,
  createCaptionSource,
  type CaptionResolver,
  type CaptionSource,
} from './captions/resolve-caption.js';
export { expandWithShuffles, type CaptionShuffleOptions } from './captions/caption-shuffle.js';
export { readTorchFile, type TorchReadOptions } from './embeds/torch-file.js';
export { readSafetensors, readSafetensorsMetadata } from './embeds/safetensors.js';
export { asFloat32, isTensor, type Tensor, type TorchValue } from './embeds/tensor.js';
export {
  textEmbedCacheKey,
  vaeCacheKey,
  type TextEmbedKeyOptions,
  type VaeCacheKeyOptions,
} from './embeds/cache-keys.js';
export {
  isVaeCacheComplete,
  latentFrom,
  readEmbedFile,
  readLatents,
  type ReadLatentsOptions,
  type VaeCacheCheckOptions,
  type VaeCacheStatus,
} from './embeds/latents.js';
export { missingTextEmbeds, readTextEmbed, textEmbedTensors, type TextEmbedReadOptions } from './embeds/text-embeds.js';
export {
  createFactory,
  type Factory,
  type FactoryOptions,
  type BuiltBackend,
  type BuiltBackends,
} from './factory/factory.js';
export { BuilderRegistry, defaultRegistry, loadBuilderPlugin } from './factory/registry.js';
export { BaseBuilder, type BackendBuilder, type BuildContext, type BuildOutput } from './factory/builder.js';
export type { FactoryMetrics, CustomMetric } from './factory/perf.js';
export { createStorage } from './storage/from-description.js';
export { LocalStorage, type LocalStorageOptions } from './storage/local.js';
export { S3Storage } from './storage/s3.js';
export { CsvStorage } from './storage/csv.js';
export { HuggingfaceStorage, hubEnvironment } from './storage/huggingface.js';
export { scanDataset, IMAGE_EXTENSIONS, type ScanDatasetOptions, type ScanResult } from './metadata/scan.js';
export { mergeShards } from './metadata/merge.js';
export {
  computeGeometry,
  calculateTargets,
  pixelResolution,
  targetArea,
  type GeometryOptions,
} from './metadata/geometry.js';
export { pyFloatKey, pyRound, roundHalfEven } from './metadata/python-format.js';
export {
  readCacheFiles,
  writeCacheFiles,
  indicesKey,
  metadataKey,
  cacheSuffix,
  type LoadedCache,
} from './metadata/cache-files.js';
export { geometryHash, geometryOptions } from './metadata/build-index.js';
export { probeImage, type ProbeOutcome, type ImageFormat } from './formats/probe.js';
export { probeFile, type ProbeFileOptions, type FileProbe } from './metadata/probe-file.js';
export { probeVideo, ffprobeBinary, type VideoProbe } from './metadata/video-probe.js';
export { parseShard, type Shard } from './metadata/scan-files.js';
export type { BucketReportData } from './metadata/bucket-report.js';
export { ScanPool, InlineScanRunner, type ScanRunner, type ScanPoolOptions } from './pool/scan-pool.js';
export { createLoader, type Loader } from './pipeline/create-loader.js';
export type { Batch, BatchSample, SkippedSample, LoaderOptions, LoaderDatasetInput } from './pipeline/types.js';
export type { ResumeState } from './sampling/state.js';
export {
  registerWeighting,
  getWeighting,
  weightingNames,
  type WeightingStrategy,
  type WeightContext,
  type WeightCandidate,
} from './sampling/weights.js';
export { parseResumeState, readResumeState, writeResumeState } from './pipeline/resume-file.js';
export { batchMetadata, encodeFrame, encodeNdjson } from './pipeline/binary-format.js';
export { CachedStorage, withCache } from './storage/cache/cached-storage.js';
export type { CacheOptions, CacheSpec } from './storage/cache/cache-spec.js';
export type { CacheCounters } from './storage/cache/cache-counters.js';
export { serveDashboard, type DashboardHandle } from './dashboard/server.js';
export type { DashboardOptions, DashboardSpec } from './dashboard/options.js';
export type { DashboardSnapshot } from './dashboard/snapshot-types.js';
export type { TextEmbedSource } from './pipeline/types.js';
