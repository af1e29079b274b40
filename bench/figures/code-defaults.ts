// Code defaults that docs quote (`<!-- fig default:inFlight -->16<!-- /fig -->`), read from the code that applies them.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { S3_DEFAULTS } from '../../lib/storage/s3-client.js';

/** Where a default lives: the literal the code falls back to, found by a pattern with one capture group. */
interface SourceDefault {
  file: string;
  pattern: RegExp;
}

/**
 * Defaults applied inline (`options.inFlight ?? 16`) are read from the source that applies them, so a doc can only
 * agree with what the code does, not with a comment about it. A pattern that stops matching is an error, not a skip.
 */
const SOURCE_DEFAULTS: Record<string, SourceDefault> = {
  inFlight: { file: 'lib/pipeline/build-pipeline.ts', pattern: /orderedWindow\(run, options\.inFlight \?\? (\d+)\)/ },
  threads: { file: 'lib/pipeline/build-pipeline.ts', pattern: /threads: options\.threads \?\? (\d+)/ },
  tasksPerThread: {
    file: 'lib/pipeline/build-pipeline.ts',
    pattern: /tasksPerThread: options\.tasksPerThread \?\? (\d+)/,
  },
};

/** Defaults exported as constants: read from the module itself. */
const CONSTANT_DEFAULTS: Record<string, () => number> = {
  listConcurrency: () => S3_DEFAULTS.listConcurrency,
  maxAttempts: () => S3_DEFAULTS.maxAttempts,
  maxPoolConnections: () => S3_DEFAULTS.maxPoolConnections,
};

/** Names a doc may quote with `default:NAME`. */
export const DEFAULT_NAMES: readonly string[] = [...Object.keys(SOURCE_DEFAULTS), ...Object.keys(CONSTANT_DEFAULTS)];

/** The value of code default `name` as text; throws naming the file when the code no longer has it. */
export async function codeDefault(root: string, name: string): Promise<string> {
  const constant = CONSTANT_DEFAULTS[name];
  if (constant) return String(constant());
  const src = SOURCE_DEFAULTS[name];
  if (!src) throw new Error(`unknown code default "${name}" (known: ${DEFAULT_NAMES.join(', ')})`);
  const text = await readFile(path.join(root, src.file), 'utf8');
  const m = src.pattern.exec(text);
  if (!m) throw new Error(`default "${name}": ${src.file} no longer matches ${String(src.pattern)}`);
  return m[1];
}

/** The `@default` the TSDoc comment right above option `name` in `file` states, or null when it states none. */
export async function documentedDefault(root: string, file: string, name: string): Promise<string | null> {
  const lines = (await readFile(path.join(root, file), 'utf8')).split('\n');
  const at = lines.findIndex((l) => new RegExp(`^\\s*${name}\\?:`).test(l));
  if (at < 1 || !lines[at - 1].trim().endsWith('*/')) return null;
  let from = at - 1;
  while (from > 0 && !lines[from].includes('/**')) from--;
  const m = /@default (\S+)/.exec(lines.slice(from, at).join(' '));
  return m ? m[1] : null;
}
