// The config stage as an object stream: read, parse, normalise, sort, fill variables, validate, cross-check, freeze.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chainUnchecked } from 'stream-chain';
import { flushable, many, none } from 'stream-chain/defs.js';
import { ConfigValidationError, isTunefeedError, type TunefeedError } from '../errors.js';
import { logger } from '../log.js';
import { redactValue } from '../redact.js';
import { sortByDependencies } from './dependency-sort.js';
import { deepFreeze } from './freeze.js';
import { IssueLog, type ConfigIssue } from './issues.js';
import { normaliseEntry } from './normalise.js';
import { createDatasetParser } from './parse-dataset.js';
import { type ConfigPlugins, loadConfigPlugins, pluginKeys, withPluginSchema } from './plugin-entries.js';
import { checkDatasetPaths } from './paths.js';
import { type ConfigDocument, type RawEntry, parseConfigText, readConfigText, splitEntries } from './read-source.js';
import { crossValidate } from './rules-cross.js';
import { parseSetPairs, readTrainingConfig, resolveTrainingArgs } from './training-args.js';
import type { DatasetConfig, LoadedConfig, TrainingArgs } from './types.js';
import { checkUnstreamed, isUnstreamedEntry, type UnstreamedDataset, warnUnstreamed } from './unstreamed.js';
import { fillEntryVariables } from './variables.js';

/** Options of loadConfig / validateConfig. */
export interface LoadConfigOptions {
  /** `key=value` overrides of training arguments (values parsed as JSON when possible). @default [] */
  set?: string[];
  /** Path of a SimpleTuner config.json providing training arguments (keys with or without `--`). @default undefined */
  trainingConfig?: string;
  /** Training arguments given programmatically (between trainingConfig and set in precedence). @default {} */
  args?: Partial<TrainingArgs>;
  /** Environment for `{env:NAME}` and SIMPLETUNER_* switches. @default process.env */
  env?: Record<string, string | undefined>;
  /** Check that local instance_data_dir, csv_file and parquet paths exist. @default true */
  checkPaths?: boolean;
  /** Dataset builder plug-ins (npm package names or paths), added to the `plugins` training argument. @default [] */
  plugins?: string[];
}

/** One dataset as printed by `tunefeed validate --json` (credentials redacted). */
export interface ValidatedDataset {
  id: string;
  dataset_type: string;
  config: Record<string, unknown>;
  /** false for entries tunefeed validates but does not stream (audio, caption, grounding, ...). */
  streamed?: false;
}

/** What validateConfig returns: never throws for problems in the user's config. */
export interface ValidationResult {
  ok: boolean;
  datasets: ValidatedDataset[];
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
  loaded?: LoadedConfig;
}

/** Everything one run of the stream produced. */
interface StageRun {
  log: IssueLog;
  args: TrainingArgs;
  datasets: DatasetConfig[];
  unstreamed: UnstreamedDataset[];
  fatal: TunefeedError | null;
}

/** Merge defaults, the training config file, programmatic args and --set pairs. */
export async function resolveArgs(options: LoadConfigOptions, log: IssueLog): Promise<TrainingArgs> {
  const layers: Record<string, unknown>[] = [];
  if (options.trainingConfig) layers.push(await readTrainingConfig(options.trainingConfig, log));
  if (options.args) layers.push(options.args);
  if (options.set?.length) layers.push(parseSetPairs(options.set, log));
  const args = resolveTrainingArgs(layers, log);
  if (options.plugins?.length) args.plugins = [...new Set([...(args.plugins ?? []), ...options.plugins])];
  return args;
}

/** Read and parse a file, or take an in-memory array (deep-copied: stages normalise in place). */
export async function readDocument(source: string | unknown[]): Promise<ConfigDocument> {
  if (typeof source === 'string') return { file: source, value: parseConfigText(await readConfigText(source), source) };
  try {
    return { file: null, value: structuredClone(source) };
  } catch (err) {
    const why = err instanceof RangeError ? 'it is nested too deeply' : 'it is not plain JSON data';
    throw new ConfigValidationError(
      [{ id: null, field: '', message: `The in-memory config cannot be read: ${why}.` }],
      { cause: err },
    );
  }
}

/** A stage that holds every item until the input ends, then emits `fn(items)` one by one. */
function collectThen<T, U>(fn: (items: T[]) => U[]) {
  const items: T[] = [];
  const write = (x: T): typeof none | ReturnType<typeof many<U>> => {
    items.push(x);
    return none;
  };
  return flushable(write, () => many(fn(items)));
}

/** The stage list, each a plain function (testable alone); chain() fuses them into one object-mode Duplex. */
export function configStages(
  args: TrainingArgs,
  env: Record<string, string | undefined>,
  log: IssueLog,
  checkPaths: boolean,
  unstreamed: UnstreamedDataset[] = [],
  plugins: ConfigPlugins = new Map(),
) {
  const vars = { model_family: args.model_family, output_dir: args.output_dir, env };
  const parse = withPluginSchema(createDatasetParser(args, env, log, [...plugins.keys()]), plugins, log);
  return [
    // The source travels wrapped: a stream may not carry a bare null, and an in-memory config may be anything.
    (input: { source: string | unknown[] }) => readDocument(input.source),
    function* split(doc: ConfigDocument) {
      yield* splitEntries(doc, log);
    },
    (e: RawEntry) => normaliseEntry(e, args, log, pluginKeys(plugins, e.raw.type)),
    collectThen((entries: RawEntry[]) => sortByDependencies(entries, log)),
    (e: RawEntry) => fillEntryVariables(e, vars, log),
    (e: RawEntry) => {
      if (!isUnstreamedEntry(e.raw)) return parse(e) ?? none;
      const u = checkUnstreamed(e, log);
      if (u) unstreamed.push(u);
      return none;
    },
    async (d: DatasetConfig) => (checkPaths ? await checkDatasetPaths(d, log) : d),
    collectThen((all: DatasetConfig[]) => {
      crossValidate(all, args, log, unstreamed);
      warnUnstreamed(unstreamed, log);
      return all;
    }),
    (d: DatasetConfig) => deepFreeze(d),
  ];
}

async function runStages(source: string | unknown[], options: LoadConfigOptions): Promise<StageRun> {
  const log = new IssueLog();
  const env = options.env ?? process.env;
  const datasets: DatasetConfig[] = [];
  const unstreamed: UnstreamedDataset[] = [];
  let args = resolveTrainingArgs([], log);
  try {
    args = await resolveArgs(options, log);
    const plugins = await loadConfigPlugins(args.plugins ?? []);
    const sink = new Writable({ objectMode: true, write: (d: DatasetConfig, _e, cb) => (datasets.push(d), cb()) });
    const stages = chainUnchecked(configStages(args, env, log, options.checkPaths ?? true, unstreamed, plugins));
    await pipeline(Readable.from([{ source }]), stages, sink);
  } catch (err) {
    if (!isTunefeedError(err)) throw err;
    return { log, args, datasets: [], unstreamed: [], fatal: err };
  }
  return { log, args, datasets, unstreamed, fatal: null };
}

function toResult(run: StageRun): ValidationResult {
  if (run.fatal) run.log.error(run.fatal.dataset, run.fatal.field ?? '', run.fatal.message);
  const ok = run.log.errors.length === 0;
  const warnings = [...run.log.warnings];
  const loaded = ok
    ? deepFreeze<LoadedConfig>({ datasets: run.datasets, args: run.args, warnings, unstreamed: run.unstreamed })
    : undefined;
  const datasets: ValidatedDataset[] = ok
    ? [
        ...run.datasets.map((d) => ({ id: d.id, dataset_type: d.dataset_type, config: redactValue({ ...d }) })),
        ...run.unstreamed.map((d) => ({
          id: d.id,
          dataset_type: d.dataset_type,
          config: redactValue({ ...d.config, type: d.type }),
          streamed: false as const,
        })),
      ]
    : [];
  return {
    ok,
    datasets,
    errors: redactValue(run.log.errors),
    warnings: redactValue(warnings),
    ...(loaded ? { loaded } : {}),
  };
}

/** Validate a multidatabackend.json (path or parsed array) and report every problem; never throws for user errors. */
export async function validateConfig(
  source: string | unknown[],
  options: LoadConfigOptions = {},
): Promise<ValidationResult> {
  return toResult(await runStages(source, options));
}

/**
 * Load a config for the engine: frozen, typed, dependency-ordered datasets. Throws ConfigFileError or
 * ConfigParseError when the file cannot be read or parsed, and ConfigValidationError listing every problem.
 */
export async function loadConfig(source: string | unknown[], options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const run = await runStages(source, options);
  if (run.fatal && run.log.errors.length === 0) throw run.fatal;
  const result = toResult(run);
  if (!result.loaded)
    throw new ConfigValidationError(result.errors, { file: typeof source === 'string' ? source : undefined });
  const log = logger('config/load');
  for (const w of result.warnings) log.warn({ dataset: w.id, field: w.field }, w.message);
  return result.loaded;
}
