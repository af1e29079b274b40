// `tunefeed cache stats|clear CONFIG`: the read cache folders a config's remote datasets use, their use and bound.
import type { Command } from 'commander';
import { rm } from 'node:fs/promises';
import { loadConfig } from '../config/load-config.js';
import { UsageError } from '../errors.js';
import { cacheField } from '../factory/describe-cache.js';
import type { CacheSpec } from '../storage/cache/cache-spec.js';
import { cacheDirs, scanEntries } from '../storage/cache/disk-scan.js';
import { cacheFromCli, withCacheOptions, type CacheCliValues } from './cache-options.js';

interface CacheCmdOptions extends CacheCliValues {
  set: string[];
  json: boolean;
}

/** One cache folder: which datasets use it, and what it holds. */
export interface CacheFolderStats {
  dir: string;
  datasets: string[];
  maxBytes: number;
  entries: number;
  bytes: number;
  /** Share of the bound in use, 0..1. */
  used: number;
}

const REMOTE = new Set(['aws', 'huggingface', 'csv']);

/** Every folder the config's remote datasets read through, with the datasets using it. */
async function foldersOf(config: string, o: CacheCmdOptions): Promise<Map<string, { spec: CacheSpec; ids: string[] }>> {
  const loaded = await loadConfig(config, { set: o.set, checkPaths: false });
  const cache = cacheFromCli(o);
  const ctx = { args: loaded.args, env: process.env, ...(cache ? { cache } : {}) };
  const out = new Map<string, { spec: CacheSpec; ids: string[] }>();
  for (const d of loaded.datasets) {
    const spec = REMOTE.has(d.type) ? cacheField(d, ctx).cache : undefined;
    if (!spec) continue;
    const f = out.get(spec.dir) ?? { spec, ids: [] };
    f.ids.push(d.id);
    out.set(spec.dir, f);
  }
  return out;
}

/** Stats of every cache folder of `config`. */
export async function cacheStats(config: string, o: CacheCmdOptions): Promise<CacheFolderStats[]> {
  const out: CacheFolderStats[] = [];
  for (const [dir, f] of await foldersOf(config, o)) {
    const entries = await scanEntries(dir);
    const bytes = entries.reduce((a, e) => a + e.size, 0);
    const max = f.spec.maxBytes;
    out.push({ dir, datasets: f.ids, maxBytes: max, entries: entries.length, bytes, used: max ? bytes / max : 0 });
  }
  return out;
}

function human(s: CacheFolderStats[]): string {
  if (s.length === 0) return 'no dataset of this config uses a read cache (see --cache-dir, tunefeed_cache)\n';
  const mib = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return s
    .map(
      (f) =>
        `${f.dir}\n    datasets: ${f.datasets.join(', ')}\n` +
        `    ${f.entries} entries, ${mib(f.bytes)} of ${mib(f.maxBytes)} (${(f.used * 100).toFixed(1)}%)\n`,
    )
    .join('');
}

async function action(verb: string, config: string, o: CacheCmdOptions): Promise<void> {
  if (verb !== 'stats' && verb !== 'clear') throw new UsageError(`Expected stats or clear, got \`${verb}\``);
  if (verb === 'clear')
    // Only the folders the cache made: a --cache-dir shared with other files keeps them.
    for (const dir of (await foldersOf(config, o)).keys())
      for (const sub of Object.values(cacheDirs(dir))) await rm(sub, { recursive: true, force: true });
  const stats = await cacheStats(config, o);
  process.stdout.write(o.json ? `${JSON.stringify({ action: verb, folders: stats })}\n` : human(stats));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers `tunefeed cache`. */
export function register(program: Command): void {
  withCacheOptions(program.command('cache'))
    .description('Show (stats) or empty (clear) the read cache folders used by the remote datasets of a config')
    .argument('<action>', 'stats or clear')
    .argument('<config>', 'multidatabackend.json')
    .option('--set <key=value>', 'training argument override (repeatable)', collect, [])
    .option('--json', 'one JSON object on stdout', false)
    .action(action);
}
