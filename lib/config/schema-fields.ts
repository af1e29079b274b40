// zod building blocks for dataset fields: one message template, SimpleTuner's texts where it has them.
import { z } from 'zod';
import type { IssueLog } from './issues.js';
import { pyList, showValue, typeName } from './issues.js';
import type { TrainingArgs } from './types.js';

/** What field schemas need: the dataset they belong to, for messages and warnings. */
export interface FieldContext {
  id: string | null;
  args: TrainingArgs;
  log: IssueLog;
  env: Record<string, string | undefined>;
  /** Backend types served by registered builder plug-ins. @default [] */
  pluginTypes?: readonly string[];
}

/** `Expected \`crop\` to be true or false, got "maybe" (string).` */
export function expectedMsg(field: string, what: string, input: unknown): string {
  return `Expected \`${field}\` to be ${what}, got ${showValue(input)} (${typeName(input)}).`;
}

/** zod error option producing the standard template. */
export function expected(field: string, what: string): { error: (iss: { input?: unknown }) => string } {
  return { error: (iss) => expectedMsg(field, what, iss.input) };
}

/** A field validated by a plain function: `ok` with the value, or a message. */
export type Check<T> = { ok: true; value: T } | { ok: false; message: string };

/** Wrap a plain check function as a zod schema (used where the rules are not expressible as chained checks). */
export function checked<T>(fn: (v: unknown) => Check<T>) {
  return z.unknown().transform((v, ctx): T => {
    const r = fn(v);
    if (r.ok) return r.value;
    ctx.issues.push({ code: 'custom', message: r.message, input: v });
    return z.NEVER;
  });
}

export const bool = (f: string) => z.boolean(expected(f, 'true or false')).nullish();
export const str = (f: string) => z.string(expected(f, 'a string')).nullish();
export const num = (f: string) => z.number(expected(f, 'a finite number')).nullish();
export const posNum = (f: string) =>
  z.number(expected(f, 'a number > 0')).positive(expected(f, 'a number > 0')).nullish();
export const nonNegNum = (f: string) =>
  z.number(expected(f, 'a number >= 0')).nonnegative(expected(f, 'a number >= 0')).nullish();
export const posInt = (f: string) =>
  z
    .number(expected(f, 'a positive integer'))
    .int(expected(f, 'a positive integer'))
    .positive(expected(f, 'a positive integer'))
    .nullish();
export const nonNegInt = (f: string) =>
  z
    .number(expected(f, 'a non-negative integer'))
    .int(expected(f, 'a non-negative integer'))
    .nonnegative(expected(f, 'a non-negative integer'))
    .nullish();

/** A string or a list of strings (caption columns). */
export const strOrList = (f: string) =>
  z.union([z.string(), z.array(z.string())], expected(f, 'a string or a list of strings')).nullish();

/** An enum whose message lists the choices the SimpleTuner way. */
export function oneOf<const T extends readonly [string, ...string[]]>(
  field: string,
  choices: T,
  ctx: { id: string | null },
) {
  return z
    .enum(choices, {
      error: (iss) => `(id=${ctx.id}) ${field} must be one of ${pyList(choices)}, got ${showValue(iss.input)}.`,
    })
    .nullish();
}

const KNOWN_TYPES = ['local', 'aws', 'csv', 'huggingface'] as const;

/** Storage `type`: memory and webshart exist in SimpleTuner but are not supported here. */
export function backendType(
  ctx: { id: string | null; pluginTypes?: readonly string[] },
  builtIn: readonly string[] = KNOWN_TYPES,
) {
  return checked<(typeof KNOWN_TYPES)[number] | null>((v) => {
    const id = ctx.id;
    // Types served by registered builder plug-ins are accepted too (their own schema runs after this one).
    const allowed = [...builtIn, ...(ctx.pluginTypes ?? [])];
    if (v === undefined || v === null) return { ok: true, value: null };
    if (typeof v === 'string' && allowed.includes(v)) return { ok: true, value: v as (typeof KNOWN_TYPES)[number] };
    if (v === 'memory' || v === 'webshart') {
      return {
        ok: false,
        message: `(id=${id}) type '${v}' is not supported by tunefeed. Supported types: ${pyList(KNOWN_TYPES)}.`,
      };
    }
    return {
      ok: false,
      message: `Unknown backend type: ${typeof v === 'string' ? v : showValue(v)}. Supported types: ${pyList(allowed)}`,
    };
  }).optional();
}

/** train_batch_size: positive int or canonical decimal string; SimpleTuner's exact message. */
export function trainBatchSize(ctx: { id: string | null }) {
  return checked<number | null>((v) => {
    const id = ctx.id;
    if (v === undefined || v === null) return { ok: true, value: null };
    if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return { ok: true, value: v };
    if (typeof v === 'string' && /^[1-9][0-9]{0,8}$/.test(v)) return { ok: true, value: Number(v) };
    return { ok: false, message: `(id=${id}) train_batch_size must be a positive integer.` };
  }).optional();
}

/** Python `int(x)` of a number or numeric string, or null when it is not numeric. */
function pyInt(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

/** Schedule fields, normalised exactly like SimpleTuner's normalize_* helpers; non-numeric input warns. */
export function scheduleField(field: string, kind: 'start_epoch' | 'start_step' | 'end', ctx: FieldContext) {
  return checked<number | null>((v) => {
    const n = pyInt(v);
    const blank = v === undefined || v === null || v === '';
    if (n === null && !blank) ctx.log.warn(ctx.id, field, `${field} ${showValue(v)} is not a number; it is ignored.`);
    if (kind === 'start_epoch') return { ok: true, value: n === null || n < 1 ? 1 : n };
    if (kind === 'start_step') return { ok: true, value: n === null || n < 0 ? 0 : n };
    return { ok: true, value: n === null || n <= 0 ? null : n };
  }).optional();
}

/** probability: missing or "" → 1.0, but 0 stays 0 (SimpleTuner's config class turned 0 into 1). */
export function probability(ctx: { id: string | null }) {
  return checked<number>((v) => {
    const id = ctx.id;
    if (v === undefined || v === null || v === '') return { ok: true, value: 1 };
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return { ok: true, value: v };
    return { ok: false, message: `(id=${id}) ${expectedMsg('probability', 'a number >= 0', v)}` };
  }).optional();
}

/** repeats: falsy → 0, else a non-negative integer. */
export function repeats(ctx: { id: string | null }) {
  return checked<number>((v) => {
    const id = ctx.id;
    if (v === undefined || v === null || v === '' || v === 0 || v === false) return { ok: true, value: 0 };
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return { ok: true, value: v };
    return { ok: false, message: `(id=${id}) ${expectedMsg('repeats', 'a non-negative integer', v)}` };
  }).optional();
}

/** Ids of other datasets: a string or a list of strings (conditioning_data). */
export function idList(field: string) {
  return checked<string[]>((v) => {
    if (v === undefined || v === null || v === '') return { ok: true, value: [] };
    if (typeof v === 'string') return { ok: true, value: [v] };
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { ok: true, value: [...new Set(v)] };
    return { ok: false, message: expectedMsg(field, 'a dataset id or a list of dataset ids', v) };
  }).optional();
}

/** True when `v` holds a C0 control character (U+0000–U+001F): never valid inside a file name part. */
function hasControlCharacter(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) < 0x20) return true;
  return false;
}

/** A dataset id: non-empty, and safe to embed in cache file names. */
export function datasetId() {
  return checked<string>((v) => {
    if (typeof v !== 'string' || v.trim() === '')
      return { ok: false, message: "Each dataset needs a unique 'id' field." };
    if (/[/\\]/.test(v) || hasControlCharacter(v) || v === '.' || v === '..') {
      return {
        ok: false,
        message:
          `id ${showValue(v)} must not contain '/', '\\' or control characters, nor be '.' or '..' (it names cache ` +
          `files).`,
      };
    }
    return { ok: true, value: v };
  });
}

/** A cache-file name part other than the id (cache_file_suffix): the id's rule, so it cannot become a path. */
export function fileNamePart(field: string) {
  return checked<string | null | undefined>((v) => {
    if (v === undefined || v === null) return { ok: true, value: v };
    if (typeof v !== 'string') return { ok: false, message: expectedMsg(field, 'a string', v) };
    if (/[/\\]/.test(v) || hasControlCharacter(v) || v === '.' || v === '..') {
      return {
        ok: false,
        message:
          `${field} ${showValue(v)} must not contain '/', '\\' or control characters, nor be '.' or '..' (it names ` +
          `cache files).`,
      };
    }
    return { ok: true, value: v };
  }).optional();
}
