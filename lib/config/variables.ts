// Variable filling: {model_family}, {output_dir}, {id}, {env:NAME} in every nested string value (keys untouched).
import type { IssueLog } from './issues.js';
import type { RawEntry } from './read-source.js';

/** Values the tokens resolve to. */
export interface VariableContext {
  model_family: string;
  output_dir: string;
  id: string;
  env: Record<string, string | undefined>;
}

const TOKEN = /\{([^{}]+)\}/g;

/** Replace known tokens in one string; unknown tokens stay verbatim, a missing env var becomes "". */
export function fillString(s: string, ctx: VariableContext, onMissingEnv?: (name: string) => void): string {
  if (!s.includes('{')) return s;
  return s.replace(TOKEN, (whole, name: string) => {
    if (name === 'model_family') return ctx.model_family ?? '';
    if (name === 'output_dir') return ctx.output_dir ?? '';
    if (name === 'id') return ctx.id ?? '';
    if (name.startsWith('env:')) {
      const value = ctx.env[name.slice(4)];
      if (value === undefined) onMissingEnv?.(name.slice(4));
      return value ?? '';
    }
    return whole;
  });
}

/** Recursively fill every string inside a JSON-like value (objects, arrays); other values are returned as is. */
export function fillValue(v: unknown, ctx: VariableContext, onMissingEnv?: (name: string) => void): unknown {
  if (typeof v === 'string') return fillString(v, ctx, onMissingEnv);
  if (Array.isArray(v)) return v.map((x) => fillValue(x, ctx, onMissingEnv));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fillValue(x, ctx, onMissingEnv);
    return out;
  }
  return v;
}

/** The variable-filling stage for one entry; an unset env variable is a warning (it becomes ""). */
export function fillEntryVariables(e: RawEntry, base: Omit<VariableContext, 'id'>, log: IssueLog): RawEntry {
  const ctx: VariableContext = { ...base, id: e.id ?? '' };
  const warned = new Set<string>();
  const onMissing = (name: string): void => {
    if (warned.has(name)) return;
    warned.add(name);
    log.warn(e.id, '', `Environment variable ${name} is not set; {env:${name}} was replaced with "".`);
  };
  e.raw = fillValue(e.raw, ctx, onMissing) as Record<string, unknown>;
  if (typeof e.raw.id === 'string' && e.raw.id.trim()) e.id = e.raw.id;
  return e;
}
