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
