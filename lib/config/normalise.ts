// Per-entry normalisation: limits, removed/deprecated keys, aliases, string booleans, unknown keys, dataset_type.
import type { IssueLog } from './issues.js';
import { showValue } from './issues.js';
import {
  BOOLEAN_KEYS,
  DEPRECATED_KEYS,
  KEY_ALIASES,
  NESTED_BOOLEAN_KEYS,
  NESTED_KNOWN_KEYS,
  REMOVED_KEYS,
  isKnownKey,
  suggestKey,
} from './known-keys.js';
import type { RawEntry } from './read-source.js';
import { convertResolution } from './resolution.js';
import type { TrainingArgs } from './types.js';

/** Values nested deeper than this are rejected (keeps every later recursive stage safe). */
export const MAX_DEPTH = 32;
/** Strings longer than this are rejected: no legitimate path, prompt or id is 1 MiB. */
export const MAX_STRING = 1 << 20;

const TRUE_WORDS = new Set(['true', '1', 'yes', 'y', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n', 'off', '']);

function tooDeep(v: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return true;
  if (Array.isArray(v)) return v.some((x) => tooDeep(x, depth + 1));
  if (v && typeof v === 'object') return Object.values(v).some((x) => tooDeep(x, depth + 1));
  return false;
}

function hasHugeString(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.length > MAX_STRING;
  if (depth > MAX_DEPTH || !v || typeof v !== 'object') return false;
  return Object.values(v).some((x) => hasHugeString(x, depth + 1));
}

/** Drop values that would make later stages slow or unsafe (deep nesting, huge strings). */
export function enforceLimits(e: RawEntry, log: IssueLog): void {
  for (const [k, v] of Object.entries(e.raw)) {
    if (tooDeep(v, 1)) log.error(e.id, k, `Value of \`${k}\` is nested more than ${MAX_DEPTH} levels deep.`);
    else if (hasHugeString(v))
      log.error(e.id, k, `Value of \`${k}\` contains a string longer than ${MAX_STRING} characters.`);
    else continue;
    delete e.raw[k];
  }
}

/** Removed keys are errors, deprecated keys warnings; aliases move to their canonical name. */
export function applyAliases(e: RawEntry, log: IssueLog): void {
  const r = e.raw;
  for (const [k, msg] of Object.entries(REMOVED_KEYS)) if (k in r) log.error(e.id, k, `(id=${e.id}) ${msg}`);
  for (const [k, msg] of Object.entries(DEPRECATED_KEYS)) {
    if (!(k in r)) continue;
    log.warn(e.id, k, msg);
    delete r[k];
  }
  for (const [alias, canonical] of Object.entries(KEY_ALIASES)) {
    if (!(alias in r)) continue;
    if (r[canonical] !== undefined && r[canonical] !== null)
      log.warn(e.id, alias, `Both \`${alias}\` and \`${canonical}\` are set; using \`${canonical}\`.`);
    else r[canonical] = r[alias];
    delete r[alias];
  }
  const mb = r.metadata_backend;
  if (mb === 'filesystem')
    log.warn(e.id, 'metadata_backend', "metadata_backend 'filesystem' is a legacy alias of 'discovery'.");
  if (mb === 'json' || mb === 'filesystem') r.metadata_backend = 'discovery';
  if (mb === '' || mb === null) delete r.metadata_backend;
}

/**
 * A string boolean becomes a real one with a warning ("False" is never silently truthy); other strings stay for zod to
 * reject.
 */
function coerceBool(obj: Record<string, unknown>, key: string, path: string, e: RawEntry, log: IssueLog): void {
  const v = obj[key];
  if (typeof v !== 'string' && typeof v !== 'number') return;
  const word = String(v).trim().toLowerCase();
  const value = TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : undefined;
  if (value === undefined) return;
  obj[key] = value;
  log.warn(e.id, path, `\`${path}\` should be a JSON boolean; read ${showValue(v)} as ${value}.`);
}

/** Coerce string booleans at the top level and in the known nested blocks. */
export function coerceBooleans(e: RawEntry, log: IssueLog): void {
  for (const k of BOOLEAN_KEYS) if (k in e.raw) coerceBool(e.raw, k, k, e, log);
  for (const path of NESTED_BOOLEAN_KEYS) {
    const [block, key] = path.split('.') as [string, string];
    const obj = e.raw[block];
    if (obj && typeof obj === 'object' && !Array.isArray(obj) && key in obj) {
      coerceBool(obj as Record<string, unknown>, key, path, e, log);
    }
  }
}

function warnUnknown(e: RawEntry, log: IssueLog, key: string, prefix: string, known?: readonly string[]): void {
  const near = suggestKey(key, known);
  const hint = near ? `; did you mean \`${prefix}${near}\`?` : '';
  const shown = `${prefix}${key.slice(0, 80)}`;
  log.warn(e.id, shown, `Unknown key \`${shown}\` is ignored${hint}`);
}

/** Unknown keys (top level and in the nested blocks) are warnings, with the nearest known key suggested. */
export function warnUnknownKeys(e: RawEntry, log: IssueLog, extraKeys: readonly string[] = []): void {
  for (const k of Object.keys(e.raw)) if (!isKnownKey(k) && !extraKeys.includes(k)) warnUnknown(e, log, k, '');
  for (const [block, known] of Object.entries(NESTED_KNOWN_KEYS)) {
    const obj = e.raw[block];
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) continue;
    for (const k of Object.keys(obj)) if (!known.includes(k)) warnUnknown(e, log, k, `${block}.`, known);
  }
}

/** dataset_type is case-insensitive; conditioning_type forces dataset_type=conditioning (as SimpleTuner does). */
export function normaliseDatasetType(e: RawEntry, log: IssueLog): void {
  const r = e.raw;
  if (typeof r.dataset_type === 'string') r.dataset_type = r.dataset_type.trim().toLowerCase();
  if (r.dataset_type === undefined || r.dataset_type === null || r.dataset_type === '') r.dataset_type = 'image';
  if (r.conditioning_type !== undefined && r.conditioning_type !== null && r.dataset_type !== 'conditioning') {
    if (r.dataset_type !== 'image') {
      log.warn(
        e.id,
        'dataset_type',
        `conditioning_type is set, so dataset_type ${showValue(r.dataset_type)} becomes 'conditioning'.`,
      );
    }
    r.dataset_type = 'conditioning';
  }
}

/** True when the entry is switched off (`disabled` or `disable`, string booleans included). */
function isDisabled(raw: Record<string, unknown>): boolean {
  const v = raw.disabled ?? raw.disable;
  return v === true || (typeof v === 'string' && TRUE_WORDS.has(v.trim().toLowerCase())) || v === 1;
}

/** The whole per-entry normalisation stage. Disabled entries are only marked: SimpleTuner never validates them. */
export function normaliseEntry(
  e: RawEntry,
  args: TrainingArgs,
  log: IssueLog,
  /** Keys a builder plug-in's schema declares for this entry. */
  extraKeys: readonly string[] = [],
): RawEntry {
  if (isDisabled(e.raw)) {
    e.raw.disabled = true;
    return e;
  }
  enforceLimits(e, log);
  applyAliases(e, log);
  coerceBooleans(e, log);
  warnUnknownKeys(e, log, extraKeys);
  normaliseDatasetType(e, log);
  convertResolution(e.raw, args);
  return e;
}
