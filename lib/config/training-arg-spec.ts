// How SimpleTuner's argparse reads each training argument tunefeed uses: its type, choices and config.json quirks.

/** An argparse `type` as SimpleTuner's field registry declares it. */
export type ArgKind = 'int' | 'float' | 'str' | 'bool' | 'choice' | 'list';

/** One training argument: its parser and the extra range tunefeed needs to use it. */
export interface ArgSpec {
  kind: ArgKind;
  /** Accepted spellings for `choice` (compared as strings, as argparse does). */
  choices?: readonly string[];
  /** For `choice`: the value stored (SimpleTuner's `aspect_bucket_alignment` choices are strings of numbers). */
  numeric?: boolean;
  /** Smallest value tunefeed can use (SimpleTuner's argparse has no ranges; the pipeline divides by some). */
  min?: number;
  /** True when 0 means "not set" (SimpleTuner tests these with `if value:`), stored as null. */
  zeroIsNone?: boolean;
  /** What the message says is expected. */
  expected: string;
}

const int = (min: number, expected: string): ArgSpec => ({ kind: 'int', min, expected });
const str: ArgSpec = { kind: 'str', expected: 'a string' };
const bool: ArgSpec = { kind: 'bool', expected: 'true or false' };
const choice = (choices: readonly string[], numeric = false): ArgSpec => ({
  kind: 'choice',
  choices,
  numeric,
  expected: `one of ${choices.join(', ')}`,
});
const size: ArgSpec = { kind: 'float', min: 0, zeroIsNone: true, expected: 'a number from 0 and up (0 = none)' };

/**
 * The arguments tunefeed reads, typed as SimpleTuner's registry declares them (simpletuner_sdk field registry via
 * cmd_args.py). Two deliberate widenings: `resolution` and the three image-size limits take decimals (area-mode
 * megapixels; the registry infers `int` from their integer defaults), and `caption_strategy` also takes the
 * dataset-level spellings `instanceprompt`, `csv` and `huggingface`.
 */
export const ARG_SPECS: Readonly<Record<string, ArgSpec>> = {
  resolution: { kind: 'float', min: Number.MIN_VALUE, expected: 'a number above 0' },
  resolution_type: choice(['pixel', 'area', 'pixel_area']),
  model_family: str,
  model_flavour: str,
  output_dir: str,
  train_batch_size: int(1, 'an integer from 1 and up'),
  seed: int(Number.MIN_SAFE_INTEGER, 'an integer'),
  aspect_bucket_alignment: choice(['8', '16', '24', '32', '64'], true),
  aspect_bucket_rounding: { ...choice(['1', '2', '3', '4', '5', '6', '7', '8', '9'], true) },
  caption_strategy: choice([
    'filename',
    'textfile',
    'instance_prompt',
    'parquet',
    'instanceprompt',
    'csv',
    'huggingface',
  ]),
  minimum_image_size: size,
  maximum_image_size: size,
  target_downsample_size: size,
  cache_dir: str,
  cache_dir_text: str,
  cache_dir_vae: str,
  data_backend_sampling: choice(['uniform', 'auto-weighting']),
  gradient_accumulation_steps: int(1, 'an integer from 1 and up'),
  compress_disk_cache: bool,
  allow_dataset_oversubscription: bool,
  max_train_steps: int(0, 'an integer from 0 and up'),
  num_train_epochs: int(0, 'an integer from 0 and up'),
  dataloader_prefetch: bool,
  dataloader_prefetch_qlen: int(1, 'an integer from 1 and up'),
  conditioning_multidataset_sampling: choice(['combined', 'random']),
  instance_prompt: str,
  metadata_update_interval: int(1, 'an integer from 1 and up'),
  skip_file_discovery: str,
  controlnet: bool,
  // A text field in SimpleTuner's registry, read as a number where used (num_frames = framerate·5).
  framerate: { kind: 'float', min: 0, zeroIsNone: true, expected: 'a number above 0' },
  parquet_caption_column: str,
  parquet_filename_column: str,
  aws_max_pool_connections: int(1, 'an integer from 1 and up'),
  i_know_what_i_am_doing: bool,
  data_backend_config: str,
  plugins: { kind: 'list', expected: 'a list of npm package names (or one comma-separated string)' },
};

/** The outcome of reading one value: a value, "not given" (SimpleTuner drops it and keeps the default), or why not. */
export type ArgRead = { value: unknown } | { skip: true } | { error: string };

const TRUE = new Set(['1', 'true', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'n', 'off']);
const INT = /^[+-]?\d+(_\d+)*$/;

/** argparse's `type=` on one string value (Python's int(), float(), _parse_bool_flag, choices). */
export function parseArgString(spec: ArgSpec, raw: string): ArgRead {
  const s = raw.trim();
  switch (spec.kind) {
    case 'str':
      return { value: raw };
    case 'bool':
      if (TRUE.has(s.toLowerCase())) return { value: true };
      if (FALSE.has(s.toLowerCase())) return { value: false };
      return { error: spec.expected };
    case 'int':
      return INT.test(s) ? inRange(spec, Number(s.replace(/_/g, ''))) : { error: spec.expected };
    case 'float': {
      const n = s === '' ? Number.NaN : Number(s.replace(/_/g, ''));
      return Number.isFinite(n) ? inRange(spec, n) : { error: spec.expected };
    }
    case 'choice':
      if (!spec.choices?.includes(raw)) return { error: spec.expected };
      return { value: spec.numeric ? Number(raw) : raw };
    case 'list':
      return {
        value: raw
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      };
  }
}

function inRange(spec: ArgSpec, n: number): ArgRead {
  if (spec.zeroIsNone && n === 0) return { value: null };
  if (spec.min !== undefined && n < spec.min) return { error: spec.expected };
  return { value: n };
}

/**
 * A value from SimpleTuner's config.json, read as SimpleTuner does (mapping_to_cli_args, then argparse): null,
 * "" and the string "false" drop the key (the default stays); `true` / "true" pass the bare flag; `false` passes
 * `--key=false`; a list passes the flag once per item (the last wins); numbers are formatted and parsed back.
 */
export function readConfigJsonValue(spec: ArgSpec, v: unknown): ArgRead {
  if (spec.kind === 'list') return readList(spec, v);
  if (v === null || v === undefined) return { skip: true };
  if (Array.isArray(v)) {
    const items = v.filter((x) => String(x).trim() !== '');
    return items.length ? readConfigJsonValue(spec, items[items.length - 1]) : { skip: true };
  }
  if (typeof v === 'boolean') {
    if (spec.kind === 'bool') return { value: v };
    return v ? { error: `${spec.expected} (a bare flag has no value)` } : parseArgString(spec, 'false');
  }
  if (typeof v === 'string') {
    const lower = v.trim().toLowerCase();
    if (lower === 'false' || lower === '') return { skip: true };
    if (lower === 'true') return readConfigJsonValue(spec, true);
    return parseArgString(spec, v.trim());
  }
  if (typeof v === 'number') return parseArgString(spec, String(v));
  return { error: spec.expected };
}

/**
 * A value given on tunefeed's command line (`--set k=v`, JSON-parsed when it parses) or through the Node API:
 * typed values are checked, strings go through argparse's type as on SimpleTuner's own command line.
 */
export function readCliValue(spec: ArgSpec, v: unknown): ArgRead {
  if (spec.kind === 'list') return readList(spec, v);
  if (v === null || v === undefined) return { skip: true };
  if (typeof v === 'string') return parseArgString(spec, v);
  if (typeof v === 'boolean') return spec.kind === 'bool' ? { value: v } : { error: spec.expected };
  if (typeof v === 'number') return parseArgString(spec, String(v));
  return { error: spec.expected };
}

function readList(spec: ArgSpec, v: unknown): ArgRead {
  if (v === null || v === undefined || v === '' || v === false) return { skip: true };
  if (typeof v === 'string') return parseArgString(spec, v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { value: v.map((x) => x.trim()) };
  return { error: spec.expected };
}
