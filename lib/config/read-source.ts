// First config stages: read the file, parse JSON (syntax errors carry line and column), split into entries.
import { readFile } from 'node:fs/promises';
import { ConfigFileError, ConfigParseError } from '../errors.js';
import type { IssueLog } from './issues.js';
import { jsonErrorOffset } from './json-position.js';
import { typeName } from './issues.js';

/** One dataset entry travelling through the stages; `raw` is mutated only by normalisation. */
export interface RawEntry {
  /** Position in the file (0-based), for messages about entries without an id. */
  index: number;
  /** The entry's id when it has a usable one. */
  id: string | null;
  raw: Record<string, unknown>;
}

/** The file (or in-memory array) a config came from. */
export interface ConfigDocument {
  file: string | null;
  value: unknown;
}

/** Read a config file as UTF-8 text; missing or unreadable files become ConfigFileError. */
export async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ConfigFileError(`Data backend config file ${file} ${why}.`, { file, cause: err });
  }
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/** Where V8's message says the syntax error is (position N, or line/column on newer Node); else our own scan. */
function errorOffset(text: string, message: string): number {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) {
    const lines = text.split('\n').slice(0, Number(lc[1]) - 1);
    return lines.reduce((n, l) => n + l.length + 1, 0) + Number(lc[2]) - 1;
  }
  const pos = /position (\d+)/.exec(message);
  return pos ? Number(pos[1]) : jsonErrorOffset(text);
}

/** Parse JSON text; a syntax error becomes ConfigParseError naming file, line and column. */
export function parseConfigText(text: string, file: string | null): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const raw = (err as Error).message;
    const { line, column } = lineColumn(body, errorOffset(body, raw));
    const why = raw
      .replace(/\s*in JSON at position \d+.*$/s, '')
      .replace(/\s*\(line \d+ column \d+\)$/, '')
      .replace(/, (\.\.\.)?".*" is not valid JSON$/s, '');
    const where = file ? `${file}:${line}:${column}` : `line ${line}, column ${column}`;
    throw new ConfigParseError(`Invalid JSON in ${where}: ${why.slice(0, 200)}`, line, column, {
      file: file ?? undefined,
      cause: err,
    });
  }
}

/** Split the top-level array into entries; non-object entries are reported and skipped. */
export function* splitEntries(doc: ConfigDocument, log: IssueLog): Generator<RawEntry> {
  const where = doc.file ?? 'the data backend config';
  if (!Array.isArray(doc.value)) {
    log.error(null, '', `${where} must contain a JSON array of dataset objects, got ${typeName(doc.value)}.`);
    return;
  }
  if (doc.value.length === 0) {
    log.error(null, '', 'Must provide at least one data backend in the data backend config file.');
    return;
  }
  for (const [index, item] of doc.value.entries()) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      log.error(null, `[${index}]`, `Dataset entry #${index + 1} must be a JSON object, got ${typeName(item)}.`);
      continue;
    }
    const raw = { ...(item as Record<string, unknown>) };
    yield { index, id: typeof raw.id === 'string' && raw.id.trim() ? raw.id : null, raw };
  }
}
