// The diagnostic `insert` stage of the prefetch thread: only a file: URL of an existing module, checked on both sides.
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

/** A module file and the Duplex class it exports, which the prefetch thread instantiates (tests only). */
export interface InsertSpec {
  /** A `file:` URL of an existing module on this machine; no other scheme (data:, http:, a bare package name). */
  module: string;
  /** The exported class: an identifier. */
  name: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * The spec's module as a file path, or a UsageError. The thread runs this again on what it received, so a spec that
 * did not come through buildLoader cannot make the thread import anything else.
 */
export function insertModulePath(spec: InsertSpec): string {
  const fail = (why: string) =>
    new UsageError(
      `Expected \`insert.module\` to be a file: URL of an existing module, got \`${spec.module}\` (${why})`,
    );
  let url: URL;
  try {
    url = new URL(spec.module);
  } catch (err) {
    throw Object.assign(fail('not a URL'), { cause: err });
  }
  if (url.protocol !== 'file:') throw fail(`scheme ${url.protocol}`);
  if (url.search || url.hash) throw fail('a query or fragment');
  const path = fileURLToPath(url);
  if (!isAbsolute(path) || !existsSync(path)) throw fail('no such file');
  if (!IDENTIFIER.test(spec.name))
    throw new UsageError(`Expected \`insert.name\` to be an export name, got \`${spec.name}\``);
  return path;
}

/** import() of the checked module; from .ts sources under tsx, require() of the same file (see below). */
async function importModule(url: string, path: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    // tsx (Node 20) hooks require() in worker threads but not import(), as prefetch-thread-boot.cjs notes: a .ts
    // module (the tests' control stage) is then only loadable through require(), which exists in that form only.
    if ((err as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION' || typeof require !== 'function') throw err;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the only loader tsx hooks in a worker thread
    return require(path) as Record<string, unknown>;
  }
}

/** Imports the checked module in the thread and builds the stage; the export must construct a Duplex. */
export async function loadInsertStage(spec: InsertSpec): Promise<Duplex> {
  const path = insertModulePath(spec);
  const mod = await importModule(spec.module, path);
  const Ctor = mod[spec.name];
  const stage: unknown = typeof Ctor === 'function' ? new (Ctor as new () => unknown)() : undefined;
  if (!(stage instanceof Duplex))
    throw new UsageError(`Expected \`${spec.name}\` of ${spec.module} to be a Duplex class, got ${typeof Ctor}`);
  return stage;
}
