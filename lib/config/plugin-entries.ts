// Builder plug-ins at config time: loaded before validation, their types accepted and their own schemas applied.
import type { BackendBuilder } from '../factory/builder.js';
import { loadBuilderPlugin } from '../factory/registry.js';
import type { IssueLog } from './issues.js';
import type { RawEntry } from './read-source.js';
import { fieldPath } from './parse-dataset.js';
import type { DatasetConfig } from './types.js';

/** Plug-in builders by the `type` they serve. */
export type ConfigPlugins = ReadonlyMap<string, BackendBuilder>;

const BUILT_IN = new Set(['local', 'aws', 'csv', 'huggingface']);

/**
 * Load every plug-in named by `--plugin` / the `plugins` training argument (from `fromDir`). A plug-in cannot take
 * over a built-in type; of two plug-ins serving one type the first wins (as in the factory).
 */
export async function loadConfigPlugins(specs: readonly string[], fromDir?: string): Promise<ConfigPlugins> {
  const out = new Map<string, BackendBuilder>();
  for (const spec of new Set(specs))
    for (const b of await loadBuilderPlugin(spec, fromDir))
      if (!BUILT_IN.has(b.type) && !out.has(b.type)) out.set(b.type, b);
  return out;
}

/** The entry keys a plug-in's schema declares (its zod shape), so they are not warned about as unknown. */
export function pluginKeys(plugins: ConfigPlugins, type: unknown): string[] {
  const shape = typeof type === 'string' ? plugins.get(type)?.schema?.shape : undefined;
  return shape ? Object.keys(shape) : [];
}

/**
 * Run the plug-in's schema over the raw entry: each issue names the dataset and field; the values it parsed for
 * its declared keys (defaults included) replace the raw ones. Null when the entry is invalid.
 */
export function applyPluginSchema(
  plugins: ConfigPlugins,
  raw: Record<string, unknown>,
  config: DatasetConfig,
  log: IssueLog,
): DatasetConfig | null {
  const schema = plugins.get(config.type)?.schema;
  if (!schema) return config;
  const r = schema.safeParse(raw);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const field = fieldPath(issue.path);
      log.error(config.id, field, `(id=${config.id}) ${config.type} plug-in: \`${field}\`: ${issue.message}`);
    }
    return null;
  }
  const data = (r.data && typeof r.data === 'object' ? r.data : {}) as Record<string, unknown>;
  const own = schema.shape ? Object.keys(schema.shape) : [];
  return { ...config, ...Object.fromEntries(own.filter((k) => k in data).map((k) => [k, data[k]])) };
}

/** tunefeed's parser, then (for a plug-in type) the plug-in's schema over the entry as written. */
export function withPluginSchema(
  parse: (e: RawEntry) => DatasetConfig | null,
  plugins: ConfigPlugins,
  log: IssueLog,
): (e: RawEntry) => DatasetConfig | null {
  return (e) => {
    // tunefeed's parser removes values it rejects; the plug-in judges the fields as the user wrote them.
    const raw = typeof e.raw.type === 'string' && plugins.has(e.raw.type) ? structuredClone(e.raw) : e.raw;
    const d = parse(e);
    return d && applyPluginSchema(plugins, raw, d, log);
  };
}
