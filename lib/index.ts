// tunefeed's only public entry point.
export * from './errors.js';
export type * from './config/types.js';
export type * from './storage/types.js';
export type * from './metadata/types.js';
export { MetricsBus, metrics, type MetricEvent } from './metrics/events.js';
export { logger, rootLogger } from './log.js';
export { redactValue, registerSecret } from './redact.js';
export { loadConfig, validateConfig, type LoadConfigOptions, type ValidationResult, type ValidatedDataset } from './config/load-config.js';
export { defaultTrainingArgs } from './config/training-args.js';
export { isImageDataset } from './config/types.js';
export { createCaptionResolver, createCaptionSource, type CaptionResolver, type CaptionSource } from './captions/resolve-caption.js';
export { expandWithShuffles, type CaptionShuffleOptions } from './captions/caption-shuffle.js';
export { readTorchFile, type TorchReadOptions } from './embeds/torch-file.js';
export { readSafetensors, readSafetensorsMetadata } from './embeds/safetensors.js';
export { asFloat32, isTensor, type Tensor, type TorchValue } from './embeds/tensor.js';
export { textEmbedCacheKey, vaeCacheKey, type TextEmbedKeyOptions, type VaeCacheKeyOptions } from './embeds/cache-keys.js';
export { isVaeCacheComplete, latentFrom, readEmbedFile, readLatents, type ReadLatentsOptions, type VaeCacheCheckOptions, type VaeCacheStatus } from './embeds/latents.js';
export { missingTextEmbeds, readTextEmbed, textEmbedTensors, type TextEmbedReadOptions } from './embeds/text-embeds.js';
