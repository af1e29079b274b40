// The zod validation stage: one raw entry in, one typed DatasetConfig out (or null), every problem logged.
import { EMBED_DATASET_TYPES, IMAGE_DATASET_TYPES, UNSUPPORTED_DATASET_TYPES } from './choices.js';
import type { IssueLog } from './issues.js';
import { pyList, showValue, typeName } from './issues.js';
import type { RawEntry } from './read-source.js';
import { datasetSchema } from './schema.js';
import type { FieldContext } from './schema-fields.js';
import type { DatasetConfig, TrainingArgs } from './types.js';

const SUPPORTED_TYPES = [...IMAGE_DATASET_TYPES, ...EMBED_DATASET_TYPES] as readonly string[];

/** Render a zod path as `video.num_frames` / `crop_aspect_buckets[2]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** Remove the offending value so the next parse uses the default; false when nothing could be removed. */
function dropPath(raw: Record<string, unknown>, path: readonly PropertyKey[]): boolean {
  let obj: unknown = raw;
  let cut = 0;
  for (let i = 0; i < path.length - 1; i++) {
    const next = (obj as Record<PropertyKey, unknown>)[path[i]];
    if (!next || typeof next !== 'object' || Array.isArray(next)) break;
    obj = next;
    cut = i + 1;
  }
  const key = path[cut];
  if (key === undefined || !obj || typeof obj !== 'object' || !(key in obj)) return false;
  delete (obj as Record<PropertyKey, unknown>)[key];
  return true;
}

/** dataset_type must be one tunefeed loads; SimpleTuner-only types get a clear "not supported". */
function checkDatasetType(e: RawEntry, log: IssueLog): boolean {
  const t = e.raw.dataset_type;
  if (typeof t === 'string' && SUPPORTED_TYPES.includes(t)) return true;
  if ((UNSUPPORTED_DATASET_TYPES as readonly string[]).includes(t as string)) {
    log.error(
      e.id,
      'dataset_type',
      `(id=${e.id}) dataset_type '${String(t)}' is not supported by tunefeed. Supported: ${pyList(SUPPORTED_TYPES)}.`,
    );
  } else {
    log.error(
      e.id,
      'dataset_type',
      `Unknown dataset_type: ${typeof t === 'string' ? t : `${showValue(t)} (${typeName(t)})`}. ` +
        `Supported: ${pyList(SUPPORTED_TYPES)}.`,
    );
  }
  return false;
}

function zodMessage(message: string, field: string, input: unknown): string {
  return message.startsWith('Invalid input') || message.startsWith('Invalid option')
    ? `Expected \`${field}\` to be valid here (${message}), got ${showValue(input)} (${typeName(input)}).`
    : message;
}

/**
 * A validator for the entries of one config: the zod schema is built once (messages read the current id from
 * the shared context). Each invalid value is reported and removed, then the entry is parsed again so defaults
 * fill the gaps and the remaining rules still run: one run reports every problem.
 */
export function createDatasetParser(
  args: TrainingArgs,
  env: Record<string, string | undefined>,
  log: IssueLog,
  pluginTypes: readonly string[] = [],
) {
  const ctx: FieldContext = { id: null, args, log, env, pluginTypes };
  const schema = datasetSchema(ctx);
  return (e: RawEntry): DatasetConfig | null => {
    if (!checkDatasetType(e, log)) return null;
    ctx.id = e.id;
    for (let attempt = 0; attempt < 8; attempt++) {
      const r = schema.safeParse(e.raw, { reportInput: true });
      if (r.success) return r.data;
      let dropped = false;
      for (const issue of r.error.issues) {
        const field = fieldPath(issue.path);
        const where = e.id === null && field === 'id' ? ` (entry #${e.index + 1} of the file)` : '';
        log.error(e.id, field, `${zodMessage(issue.message, field, issue.input)}${where}`);
        dropped = dropPath(e.raw, issue.path) || dropped;
      }
      // Without a usable id nothing else about the entry can be reported meaningfully.
      if (!dropped || r.error.issues.some((i) => i.path[0] === 'id')) return null;
    }
    return null;
  };
}

/** Validate a single entry (builds a one-off parser; the stream stage reuses one per config). */
export function parseDataset(
  e: RawEntry,
  args: TrainingArgs,
  env: Record<string, string | undefined>,
  log: IssueLog,
): DatasetConfig | null {
  return createDatasetParser(args, env, log)(e);
}
