// The parquet metadata backend: sizes, frames and captions come from a table; no image is read at all.
import { basename, extname } from 'node:path';
import { ConfigValidationError } from '../errors.js';
import type { ObjectInfo } from '../storage/types.js';
import type { ManifestEntry } from './manifest.js';
import { BucketReport } from './bucket-report.js';
import { finalize } from './finalize.js';
import { IMAGE_EXTENSIONS, scanResult, type ScanDatasetOptions, type ScanResult } from './scan-types.js';
import { VIDEO_EXTENSIONS } from './video-probe.js';
import { selectMaxSamples } from './max-samples.js';
import { cellNumber, cellText, readTable, type Row } from './parquet-rows.js';

function identifier(key: string, withExt: boolean): string {
  const base = basename(key);
  return withExt ? base : base.slice(0, base.length - extname(base).length);
}

function captionOf(row: Row, cols: string | string[] | null, fallback: string | null): string | string[] | null {
  if (Array.isArray(cols)) {
    const list = cols.map((c) => cellText(row[c])).filter((s): s is string => Boolean(s));
    if (list.length) return list;
  } else if (cols) {
    const v = row[cols];
    if (Array.isArray(v)) {
      const list = v.map(cellText).filter((s): s is string => Boolean(s));
      if (list.length) return list;
    } else if (cellText(v)) return cellText(v);
  }
  return fallback ? cellText(row[fallback]) : null;
}

/** One listed file → a manifest entry from its row (metadata_missing when absent or unusable). */
function entryFor(info: ObjectInfo, row: Row | undefined, rowNo: number, opts: ScanDatasetOptions): ManifestEntry {
  const p = opts.config.parquet!;
  const base: ManifestEntry = { s: info.size };
  if (!row)
    return {
      ...base,
      x: 'metadata_missing',
      msg: `no row with ${p.filename_column}=${identifier(info.key, p.identifier_includes_extension)}`,
    };
  const w = cellNumber(row[p.width_column ?? 'width']);
  const h = cellNumber(row[p.height_column ?? 'height']);
  if (!w || !h)
    return {
      ...base,
      x: 'metadata_missing',
      msg: `row ${rowNo}: ${p.width_column}/${p.height_column} must be positive numbers`,
    };
  const e: ManifestEntry = { ...base, w: Math.round(w), h: Math.round(h), f: 'table' };
  if (p.aspect_ratio_column && cellNumber(row[p.aspect_ratio_column])) e.a = cellNumber(row[p.aspect_ratio_column])!;
  if (opts.config.dataset_type === 'video') {
    const n = p.num_frames_column ? cellNumber(row[p.num_frames_column]) : null;
    if (!n) return { ...base, x: 'metadata_missing', msg: `row ${rowNo}: video needs num_frames_column` };
    e.n = Math.round(n);
    const fps = p.fps_column ? cellNumber(row[p.fps_column]) : null;
    if (fps) e.r = fps;
  }
  return e;
}

/** Scans a dataset whose metadata_backend is parquet (`.parquet` or `.jsonl`). */
export async function scanParquet(opts: ScanDatasetOptions): Promise<ScanResult> {
  const t0 = performance.now();
  const { config, storage } = opts;
  const p = config.parquet;
  if (!p)
    throw new ConfigValidationError([
      { id: config.id, field: 'parquet', message: 'the parquet metadata backend needs a parquet block' },
    ]);
  const captionCols = Array.isArray(p.caption_column) ? p.caption_column : p.caption_column ? [p.caption_column] : [];
  const optional = [
    p.aspect_ratio_column,
    p.num_frames_column,
    p.fps_column,
    p.fallback_caption_column,
    ...captionCols,
  ].filter((c): c is string => Boolean(c));
  const rows = await readTable(
    storage,
    p.path,
    [p.filename_column, p.width_column ?? 'width', p.height_column ?? 'height'],
    optional,
    config.id,
  );
  const byId = new Map<string, [Row, number]>();
  rows.forEach((r, i) => {
    const id = cellText(r[p.filename_column]);
    if (id) byId.set(p.identifier_includes_extension ? basename(id) : identifier(id, false), [r, i + 1]);
  });
  const report = new BucketReport(opts.id, config.dataset_type, config.instance_data_dir, {
    resolution: config.resolution,
    resolution_type: config.resolution_type,
    table: p.path,
  });
  report.stage('table_rows', rows.length);
  const extensions = config.dataset_type === 'video' ? VIDEO_EXTENSIONS : IMAGE_EXTENSIONS;
  const listed = storage.list({ extensions, ...(opts.signal ? { signal: opts.signal } : {}) });
  const source = config.max_num_samples
    ? await selectMaxSamples(listed, config.max_num_samples, opts.id, report)
    : listed;
  const entries = new Map<string, ManifestEntry>();
  const captions: Record<string, string | string[]> = {};
  for await (const info of source) {
    const hit = byId.get(identifier(info.key, p.identifier_includes_extension));
    entries.set(info.key, entryFor(info, hit?.[0], hit?.[1] ?? 0, opts));
    const c = hit && captionOf(hit[0], p.caption_column, p.fallback_caption_column);
    if (c) captions[info.key] = c;
  }
  report.stage('file_discovery', entries.size);
  const cache = opts.cacheStorage ?? storage;
  const index = await finalize(opts, cache, entries, report);
  index.captions = captions;
  return scanResult(index, report, t0, { reusedCache: false, files: entries.size });
}
