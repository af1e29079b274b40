// Row-level rules for Hugging Face datasets: media bytes from a cell, captions (string, list, dotted path),
// filter_func.
import { DataFileError } from '../errors.js';
import type { BackendDescription } from './types.js';

type HfDesc = Extract<BackendDescription, { kind: 'huggingface' }>;

/** Value at a dotted path (`meta.caption`) in a row. */
export function atPath(row: Record<string, unknown>, dotted: string): unknown {
  let v: unknown = row;
  for (const part of dotted.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Top-level column of a dotted path. */
export function topColumn(dotted: string): string {
  return dotted.split('.')[0];
}

/** Image/video bytes from an HF Image struct `{bytes, path}` or a raw binary cell. */
export function mediaBytes(cell: unknown, ctx: { dataset: string; file: string; row: number; column: string }): Buffer {
  const bytes =
    cell instanceof Uint8Array
      ? cell
      : cell && typeof cell === 'object'
        ? (cell as { bytes?: unknown }).bytes
        : undefined;
  if (bytes instanceof Uint8Array) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const got =
    cell === null || cell === undefined
      ? 'null'
      : typeof cell === 'string'
        ? 'a string'
        : typeof bytes === 'string'
          ? 'text in bytes'
          : typeof cell;
  throw new DataFileError(`Column "${ctx.column}" has no image bytes in this row (got ${got})`, {
    dataset: ctx.dataset,
    file: ctx.file,
    row: ctx.row + 1,
    field: ctx.column,
  });
}

/** Every non-empty caption from the caption columns in order (lists flattened); the fallback column when none. */
export function rowCaptions(
  row: Record<string, unknown>,
  d: Pick<HfDesc, 'captionColumn' | 'fallbackCaptionColumn'>,
): string[] {
  const cols = d.captionColumn === null ? [] : Array.isArray(d.captionColumn) ? d.captionColumn : [d.captionColumn];
  const out = cols.flatMap((c) => texts(atPath(row, c)));
  return out.length || !d.fallbackCaptionColumn ? out : texts(atPath(row, d.fallbackCaptionColumn));
}

function texts(v: unknown): string[] {
  if (typeof v === 'string') return v.trim() ? [v] : [];
  if (Array.isArray(v)) return v.flatMap(texts);
  if (v instanceof Uint8Array) return texts(Buffer.from(v).toString('utf8'));
  return [];
}

/** Top-level columns the caption settings read. */
export function captionColumns(d: Pick<HfDesc, 'captionColumn' | 'fallbackCaptionColumn'>): string[] {
  const cols = d.captionColumn === null ? [] : Array.isArray(d.captionColumn) ? d.captionColumn : [d.captionColumn];
  return [...new Set([...cols, ...(d.fallbackCaptionColumn ? [d.fallbackCaptionColumn] : [])].map(topColumn))];
}

/** Columns filter_func needs, and the predicate over a row (built once). */
export function rowFilter(
  d: Pick<HfDesc, 'filter' | 'qualityColumn' | 'widthColumn' | 'heightColumn'>,
): { columns: string[]; keep: (row: Record<string, unknown>) => boolean } | null {
  const f = d.filter;
  if (!f) return null;
  const tests: ((r: Record<string, unknown>) => boolean)[] = [];
  const columns: string[] = [];
  if (f.collection !== undefined) {
    const allowed = new Set(Array.isArray(f.collection) ? f.collection : [f.collection]);
    columns.push('collection');
    tests.push((r) => allowed.has(String(r.collection)));
  }
  if (f.quality_thresholds && Object.keys(f.quality_thresholds).length) {
    const q = d.qualityColumn ?? 'quality_assessment';
    const thresholds = Object.entries(f.quality_thresholds);
    columns.push(topColumn(q));
    tests.push((r) => {
      const m = atPath(r, q) as Record<string, unknown> | null;
      return thresholds.every(([k, t]) => Number(m?.[k] ?? 0) >= t);
    });
  }
  const w = d.widthColumn ?? 'width';
  const h = d.heightColumn ?? 'height';
  if (f.min_width !== undefined) {
    columns.push(topColumn(w));
    tests.push((r) => Number(atPath(r, w) ?? 0) >= f.min_width!);
  }
  if (f.min_height !== undefined) {
    columns.push(topColumn(h));
    tests.push((r) => Number(atPath(r, h) ?? 0) >= f.min_height!);
  }
  if (!tests.length) return null;
  return { columns: [...new Set(columns)], keep: (r) => tests.every((t) => t(r)) };
}
