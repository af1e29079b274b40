// The builder registry: a Map by `type`; duplicates throw, unknown types list the known ones, plug-ins load by name.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RegistryDuplicateError, RegistryLookupError } from '../errors.js';
import { exportedBuilders, registerPluginMaker, withThreadDescription } from '../storage/plugin-storage.js';
import type { BuildOutput } from './builder.js';
import type { BackendBuilder } from './builder.js';
import { AwsBuilder, CsvBuilder, HuggingfaceBuilder, LocalBuilder } from './builders.js';

/** Builders by backend type. */
export class BuilderRegistry {
  readonly #builders = new Map<string, BackendBuilder>();

  /** Add a builder; a type registered twice is a RegistryDuplicateError. */
  register(builder: BackendBuilder): this {
    if (!builder || typeof builder.type !== 'string' || typeof builder.build !== 'function') {
      throw new RegistryLookupError(
        `Expected a builder with a string \`type\` and a \`build\` function, got ${typeof builder}`,
      );
    }
    if (this.#builders.has(builder.type))
      throw new RegistryDuplicateError(`A builder for type "${builder.type}" is already registered`);
    this.#builders.set(builder.type, builder);
    return this;
  }

  /** The builder for `type`, or RegistryLookupError listing the known types. */
  get(type: string, dataset?: string): BackendBuilder {
    const b = this.#builders.get(type);
    if (!b)
      throw new RegistryLookupError(`Unknown backend type: ${type}. Supported types: ${this.types.join(', ')}`, {
        dataset: dataset ?? null,
        field: 'type',
      });
    return b;
  }

  has(type: string): boolean {
    return this.#builders.has(type);
  }

  get types(): string[] {
    return [...this.#builders.keys()];
  }
}

/** A registry holding the four built-in builders. */
export function defaultRegistry(): BuilderRegistry {
  return new BuilderRegistry()
    .register(new LocalBuilder())
    .register(new AwsBuilder())
    .register(new CsvBuilder())
    .register(new HuggingfaceBuilder());
}

/**
 * Load a third-party builder from an npm package name (resolved from `fromDir`) or a path. The module must export
 * `builder` (an object or class instance) or a default export; a `builders` array registers several.
 */
export async function loadBuilderPlugin(spec: string, fromDir = process.cwd()): Promise<BackendBuilder[]> {
  const req = createRequire(path.join(path.resolve(fromDir), 'noop.js'));
  let resolved: string;
  try {
    resolved = req.resolve(spec);
  } catch (err) {
    throw new RegistryLookupError(`Cannot find builder plug-in "${spec}" from ${fromDir}`, { cause: err });
  }
  const mod = (await import(pathToFileURL(resolved).href)) as {
    builder?: unknown;
    builders?: unknown;
    default?: unknown;
  };
  const found = exportedBuilders(mod) as BackendBuilder[];
  if (!found.length)
    throw new RegistryLookupError(`Builder plug-in "${spec}" exports no \`builder\`, \`builders\` or default export`);
  for (const b of found) {
    if (b && typeof b === 'object') pluginSources.set(b, resolved);
    registerPluginMaker(resolved, b);
  }
  return found;
}

/** The module file each plug-in builder came from (what worker threads import to rebuild its storage). */
const pluginSources = new WeakMap<object, string>();

/**
 * A plug-in builder's output, its description wrapped so any thread can rebuild it (`{ kind: 'plugin', plugin, type,
 * data }`) and its storage describing itself that way. Built-in builders' outputs pass through unchanged.
 */
export function forThreads(builder: BackendBuilder, id: string, out: BuildOutput): BuildOutput {
  const plugin = pluginSources.get(builder);
  if (!plugin || out.description.kind === 'plugin') return out;
  const description = { kind: 'plugin' as const, id, plugin, type: builder.type, data: out.description };
  return { ...out, description, storage: withThreadDescription(out.storage, description) };
}
