// Coded error classes: one base, one subclass per failure kind; `code` is stable, `cause` is kept.
import { scrubSecrets } from './redact.js';

/** Where a problem was found: every field optional, all of them shown in the message when set. */
export interface ErrorContext {
  /** Dataset id the problem belongs to. */
  dataset?: string | null;
  /** File, key or URL involved. */
  file?: string;
  /** Config field path or data column. */
  field?: string;
  /** Row number in a CSV/parquet/JSONL file (1-based). */
  row?: number;
  /** Underlying error. */
  cause?: unknown;
}

/** Base class of every error tunefeed throws across module boundaries. */
export class TunefeedError extends Error {
  readonly code: string = 'TF_ERR';
  readonly dataset: string | null;
  readonly file: string | undefined;
  readonly field: string | undefined;
  readonly row: number | undefined;

  constructor(message: string, context: ErrorContext = {}) {
    super(
      scrubSecrets(withContext(message, context)),
      context.cause === undefined ? undefined : { cause: context.cause },
    );
    this.name = new.target.name;
    this.dataset = context.dataset ?? null;
    this.file = context.file;
    this.field = context.field;
    this.row = context.row;
  }

  /** Plain JSON form used by `--json` outputs (never includes the stack). */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      name: this.name,
      message: this.message,
      dataset: this.dataset,
      file: this.file,
      field: this.field,
      row: this.row,
    };
  }
}

function withContext(message: string, c: ErrorContext): string {
  const parts: string[] = [];
  if (c.dataset) parts.push(`dataset=${c.dataset}`);
  if (c.file) parts.push(`file=${c.file}`);
  if (c.row !== undefined) parts.push(`row=${c.row}`);
  if (c.field) parts.push(`field=${c.field}`);
  return parts.length ? `${message} (${parts.join(', ')})` : message;
}

/** One problem found in a config file. */
export interface ConfigIssue {
  id: string | null;
  field: string;
  message: string;
}

/** A config file could not be read (missing, unreadable). */
export class ConfigFileError extends TunefeedError {
  override readonly code = 'TF_CONFIG_FILE';
}
/** A config file is not valid JSON; message carries line and column. */
export class ConfigParseError extends TunefeedError {
  override readonly code = 'TF_CONFIG_PARSE';
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    context: ErrorContext = {},
  ) {
    super(message, context);
  }
}
/** One or more semantic problems in a config; `issues` lists every one of them. */
export class ConfigValidationError extends TunefeedError {
  override readonly code = 'TF_CONFIG_INVALID';
  constructor(
    readonly issues: readonly ConfigIssue[],
    context: ErrorContext = {},
  ) {
    super(
      issues.map((i) => `${i.id ? `(id=${i.id}) ` : ''}${i.field ? `${i.field}: ` : ''}${i.message}`).join('\n'),
      context,
    );
  }
}
/** Datasets depend on each other in a cycle. */
export class ConfigCycleError extends TunefeedError {
  override readonly code = 'TF_CONFIG_CYCLE';
}
/** A registry was asked for an unknown key (message lists the known ones). */
export class RegistryLookupError extends TunefeedError {
  override readonly code = 'TF_REGISTRY_UNKNOWN';
}
/** A registry key was registered twice. */
export class RegistryDuplicateError extends TunefeedError {
  override readonly code = 'TF_REGISTRY_DUPLICATE';
}
/** Generic storage I/O failure (after retries, where retries apply). */
export class StorageError extends TunefeedError {
  override readonly code = 'TF_STORAGE';
}
/** An object or file does not exist. */
export class NotFoundError extends TunefeedError {
  override readonly code = 'TF_STORAGE_NOT_FOUND';
}
/** A key or path would escape the dataset root or cache directory. */
export class PathEscapeError extends TunefeedError {
  override readonly code = 'TF_STORAGE_PATH_ESCAPE';
}
/** A write or delete was attempted on a read-only backend. */
export class ReadOnlyError extends TunefeedError {
  override readonly code = 'TF_STORAGE_READ_ONLY';
}
/** An HTTP download (CSV-of-URLs, Hub) failed: status, size, type or timeout. */
export class DownloadError extends TunefeedError {
  override readonly code = 'TF_DOWNLOAD';
  constructor(
    message: string,
    readonly reason: string,
    readonly status: number | undefined,
    context: ErrorContext = {},
  ) {
    super(message, context);
  }
}
/** A CSV or parquet/JSONL data file is malformed (names file, row and column). */
export class DataFileError extends TunefeedError {
  override readonly code = 'TF_DATA_FILE';
}
/** An image header could not be parsed or the format is unsupported. */
export class ImageProbeError extends TunefeedError {
  override readonly code = 'TF_IMAGE_PROBE';
  constructor(
    message: string,
    readonly reason: string,
    context: ErrorContext = {},
  ) {
    super(message, context);
  }
}
/** An image failed to decode, or exceeds the pixel limit. */
export class ImageDecodeError extends TunefeedError {
  override readonly code = 'TF_IMAGE_DECODE';
  constructor(
    message: string,
    readonly reason: string,
    context: ErrorContext = {},
  ) {
    super(message, context);
  }
}
/** A video could not be probed (ffprobe failed). */
export class VideoProbeError extends TunefeedError {
  override readonly code = 'TF_VIDEO_PROBE';
}
/** A dataset ended with zero usable samples; message explains each stage. */
export class EmptyDatasetError extends TunefeedError {
  override readonly code = 'TF_DATASET_EMPTY';
}
/** Batch size × world size × accumulation cannot be served by the buckets. */
export class ImpossibleBatchError extends TunefeedError {
  override readonly code = 'TF_BATCH_IMPOSSIBLE';
}
/** A SimpleTuner cache file (bucket indices, metadata) is unreadable or inconsistent. */
export class CacheFileError extends TunefeedError {
  override readonly code = 'TF_CACHE_FILE';
}
/** A .pt or .safetensors file is malformed or uses an unsupported feature. */
export class EmbedFormatError extends TunefeedError {
  override readonly code = 'TF_EMBED_FORMAT';
}
/** No caption could be found for a sample (missing .txt, parquet/CSV/HF row without a caption). */
export class CaptionNotFoundError extends TunefeedError {
  override readonly code = 'TF_CAPTION_NOT_FOUND';
}
/** A resume state file is malformed or incompatible. */
export class ResumeStateError extends TunefeedError {
  override readonly code = 'TF_RESUME_STATE';
}
/** A worker thread crashed or a pooled task failed after its retry. */
export class WorkerError extends TunefeedError {
  override readonly code = 'TF_WORKER';
}
/** No training dataset is active at this epoch/step (schedules exclude all of them). */
export class NoActiveDatasetError extends TunefeedError {
  override readonly code = 'TF_NO_ACTIVE_DATASET';
}
/** Bad command-line usage. */
export class UsageError extends TunefeedError {
  override readonly code = 'TF_CLI_USAGE';
}
/** A sample's caption has no cached text embed and embeds are required (`--require-embeds`); names the caption. */
export class TextEmbedMissingError extends TunefeedError {
  override readonly code = 'TF_TEXT_EMBED_MISSING';
}

/** True for errors tunefeed raised on purpose (print message, no stack). */
export function isTunefeedError(e: unknown): e is TunefeedError {
  return e instanceof TunefeedError;
}

/** The dashboard could not start (port in use, address not available, page files missing). */
export class DashboardError extends TunefeedError {
  override readonly code = 'TF_DASHBOARD';
}
