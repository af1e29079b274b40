// Per-sample geometry and bucket types shared by scans, cache files and the runtime (SimpleTuner's field names).
import type { SkipReason } from '../formats/skip-reason.js';

/** Per-sample metadata exactly as SimpleTuner stores it (sizes are [width, height]; crop is [top, left]). */
export interface SampleMetadata {
  original_size: [number, number];
  crop_coordinates: [number, number];
  target_size: [number, number];
  intermediary_size: [number, number];
  aspect_ratio: number;
  num_frames?: number;
  original_num_frames?: number;
  fps?: number;
  video_duration?: number;
  bucket_frames?: number;
}

export type { SkipReason } from '../formats/skip-reason.js';

/** The result of scanning one dataset, keyed by storage keys (see StorageBackend.externalPath for cache form). */
export interface DatasetIndex {
  id: string;
  /** Bucket key (Python float string such as "1.0", or "{W}x{H}@{F}") → sample keys, sorted. */
  buckets: Record<string, string[]>;
  metadata: Record<string, SampleMetadata>;
  /** Captions by key where the metadata backend provides them (parquet, csv, huggingface). */
  captions?: Record<string, string | string[]>;
  stats: { total_processed: number; skipped: Partial<Record<SkipReason, number>> };
}
