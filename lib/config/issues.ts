// Collects config problems from every stage, so one run reports all of them instead of the first.
import type { ConfigIssue } from '../errors.js';

export type { ConfigIssue };

/** Errors and warnings gathered while loading one config. */
export class IssueLog {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  /** Stages may run a check twice (re-parse after dropping a bad value); each issue is kept once. */
  readonly #seen = new Set<string>();

  /** Record a problem that makes the config unusable. */
  error(id: string | null, field: string, message: string): void {
    id = shortId(id);
    if (this.#first('e', id, field, message)) this.errors.push({ id, field, message });
  }

  /** Record something suspicious that tunefeed worked around. */
  warn(id: string | null, field: string, message: string): void {
    id = shortId(id);
    if (this.#first('w', id, field, message)) this.warnings.push({ id, field, message });
  }

  #first(kind: string, id: string | null, field: string, message: string): boolean {
    const key = JSON.stringify([kind, id, field, message]);
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    return true;
  }

  /** Number of errors recorded so far (stages use it to tell whether they added any). */
  get errorCount(): number {
    return this.errors.length;
  }
}

const MAX_SHOWN = 60;
/**
 * Ids longer than this are invalid anyway (the 1 MB string rule); cut so one bad id cannot make a 20 MB error message.
 */
const MAX_ID = 1024;

function shortId(id: string | null): string | null {
  return id !== null && id.length > MAX_ID ? `${id.slice(0, MAX_SHOWN)}…` : id;
}

/** A short, printable rendering of any config value for messages (long strings are cut). */
export function showValue(v: unknown): string {
  if (typeof v === 'string') {
    const cut = v.length > MAX_SHOWN ? `${v.slice(0, MAX_SHOWN)}…` : v;
    return JSON.stringify(cut);
  }
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return 'an object';
}

/** JSON-ish type name used in "got X (type)" messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Python-style list rendering used by SimpleTuner messages: ['a', 'b']. */
export function pyList(items: readonly string[]): string {
  return `[${items.map((i) => `'${i}'`).join(', ')}]`;
}
