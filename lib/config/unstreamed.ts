// SimpleTuner entries tunefeed validates but does not stream: audio, caption, grounding and distillation_cache
// datasets, and memory embed backends. They are checked with SimpleTuner's rules and kept in the report.
import { UNSUPPORTED_DATASET_TYPES } from './choices.js';
import type { IssueLog } from './issues.js';
import { pyList, showValue } from './issues.js';
import type { RawEntry } from './read-source.js';

/** An entry tunefeed validated and reports but does not build or stream. */
export interface UnstreamedDataset {
  readonly id: string;
  readonly dataset_type: string;
  readonly type: string;
  /** Always false: tells `--json` readers this entry is validated only. */
  readonly streamed: false;
  /** The entry as written (after aliases and `{variables}`), for the report. */
  readonly config: Readonly<Record<string, unknown>>;
}

const STORAGE_TYPES = ['local', 'aws', 'csv', 'huggingface'];
const MEMORY_EMBED_TYPES = ['text_embeds', 'image_embeds'];

/** True when tunefeed keeps this entry out of the engine (it still validates it with checkUnstreamed). */
export function isUnstreamedEntry(raw: Record<string, unknown>): boolean {
  const t = raw.dataset_type;
  if ((UNSUPPORTED_DATASET_TYPES as readonly unknown[]).includes(t)) return true;
  return raw.type === 'memory';
}

/** The `type` rules SimpleTuner applies to these entries (memory only for embeds; caption datasets not on CSV). */
function checkType(e: RawEntry, type: unknown, datasetType: string, log: IssueLog): void {
  const id = e.id;
  if (type === 'memory') {
    if (!MEMORY_EMBED_TYPES.includes(datasetType))
      log.error(id, 'type', "Memory backends only support dataset_type='text_embeds' or 'image_embeds'.");
    return;
  }
  if (type === 'webshart') {
    log.error(id, 'type', `(id=${id}) type 'webshart' is not supported by tunefeed.`);
    return;
  }
  if (type === undefined && datasetType !== 'audio') return;
  if (typeof type !== 'string' || !STORAGE_TYPES.includes(type)) {
    const allowed = pyList([...STORAGE_TYPES, 'memory']);
    log.error(id, 'type', `Unknown backend type: ${showValue(type)}. Supported types: ${allowed}`);
    return;
  }
  if (datasetType === 'caption' && type === 'csv')
    log.error(id, 'type', 'Caption datasets cannot use CSV backends; point to text-aware storage instead.');
}

/** Storage fields SimpleTuner's builders require (their messages). */
function checkStorage(e: RawEntry, log: IssueLog): void {
  const r = e.raw;
  const block = (k: string): Record<string, unknown> =>
    r[k] && typeof r[k] === 'object' ? (r[k] as Record<string, unknown>) : {};
  if (r.type === 'aws' && !(r.aws_bucket_name ?? block('aws').bucket_name))
    log.error(e.id, 'aws_bucket_name', "Missing required AWS configuration keys: ['aws_bucket_name']");
  if (r.type === 'huggingface' && typeof (r.dataset_name ?? block('huggingface').dataset_name) !== 'string')
    log.error(e.id, 'dataset_name', `(id=${e.id}) dataset_name is required for HuggingFace backends.`);
}

/** Validate one such entry; returns it for the report, or null when it has no usable id. */
export function checkUnstreamed(e: RawEntry, log: IssueLog): UnstreamedDataset | null {
  const r = e.raw;
  const datasetType = typeof r.dataset_type === 'string' ? r.dataset_type : 'image';
  if (typeof e.id !== 'string' || e.id === '') {
    log.error(null, 'id', `Each dataset needs a unique 'id' field (entry #${e.index + 1} of the file).`);
    return null;
  }
  checkType(e, r.type, datasetType, log);
  checkStorage(e, log);
  return {
    id: e.id,
    dataset_type: datasetType,
    type: typeof r.type === 'string' ? r.type : 'local',
    streamed: false,
    config: { ...r },
  };
}

/** The one warning for every entry kept out of the stream. */
export function warnUnstreamed(list: readonly UnstreamedDataset[], log: IssueLog): void {
  if (list.length === 0) return;
  const names = list.map((d) => `${d.id} (${d.type === 'memory' ? 'memory ' : ''}${d.dataset_type})`).join(', ');
  log.warn(
    null,
    'dataset_type',
    `tunefeed validates but does not stream ${names}; they are kept in the report and the image/video ` +
      'datasets stream as usual.',
  );
}
