// `tunefeed stream CONFIG`: batches on stdout as ndjson or framed binary, logs on stderr, resumable, EPIPE-clean.
import type { Command } from 'commander';
import type { Writable } from 'node:stream';
import type { Batch } from '../pipeline/types.js';
import { UsageError } from '../errors.js';
import { logger } from '../log.js';
import { encodeFrame, encodeNdjson } from '../pipeline/binary-format.js';
import { createLoader, type Loader } from '../pipeline/create-loader.js';
import { readResumeState, writeResumeState } from '../pipeline/resume-file.js';
import { configPathFrom, loadOptionsFrom, withTrainingArgs, type TrainingCliOptions } from './training-options.js';
import { cacheOption, withCacheOptions, type CacheCliValues } from './cache-options.js';
import { dashboardOption } from './dashboard-option.js';

const log = logger('cli/stream');

/** What runStream reports. */
export interface StreamSummary {
  batches: number;
  samples: number;
  /** True when the reader closed stdout (EPIPE) before the end. */
  readerClosed: boolean;
  /** Samples written without text embeds because their caption's cache file is missing. */
  textEmbedsMissing: number;
  /** The distinct missing files (first 20): dataset, caption and the file's key in the text cache. */
  missingEmbeds: { dataset: string; caption: string | null; file: string }[];
}

/** Count a batch's samples whose caption had no cached text embed; keep the first 20 distinct files. */
function countMissing(summary: StreamSummary, batch: Batch, seen: Set<string>): void {
  for (const s of batch.samples) {
    if (s.textEmbedMissing === undefined) continue;
    summary.textEmbedsMissing++;
    const id = `${batch.dataset}\0${s.textEmbedMissing}`;
    if (seen.has(id) || seen.size >= 20) continue;
    seen.add(id);
    summary.missingEmbeds.push({ dataset: batch.dataset, caption: s.caption, file: s.textEmbedMissing });
  }
}

/** Write every batch to `out`; after each completed write, save the state (so a resume never skips a written batch). */
export async function runStream(
  loader: Loader,
  out: Writable,
  o: { format: 'ndjson' | 'binary'; saveState?: string },
): Promise<StreamSummary> {
  const summary: StreamSummary = {
    batches: 0,
    samples: 0,
    readerClosed: false,
    textEmbedsMissing: 0,
    missingEmbeds: [],
  };
  const seen = new Set<string>();
  // A holder, not a `let`: TypeScript cannot see the listener assign it, and would narrow it to null.
  const failed: { error: Error | null } = { error: null };
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') summary.readerClosed = true;
    else failed.error = err;
  };
  out.on('error', onError);
  try {
    for await (const b of loader) {
      const batch = b;
      const chunks = o.format === 'binary' ? encodeFrame(batch) : [Buffer.from(encodeNdjson(batch))];
      for (const c of chunks) {
        if (summary.readerClosed) break;
        // A pipe whose reader has gone can throw EPIPE synchronously instead of emitting 'error'.
        try {
          out.write(c);
        } catch (err) {
          onError(err as NodeJS.ErrnoException);
        }
      }
      if (out.writableNeedDrain) await drained(out);
      if (failed.error) throw failed.error;
      if (summary.readerClosed || out.destroyed) {
        summary.readerClosed = true;
        break;
      }
      summary.batches++;
      summary.samples += batch.samples.length;
      countMissing(summary, batch, seen);
      if (o.saveState) await writeResumeState(o.saveState, loader.state());
    }
  } finally {
    out.off('error', onError);
    await loader.close();
  }
  return summary;
}

/**
 * Resolves on the first of 'drain', 'close' or 'error' and removes all three listeners: racing two once() calls
 * left the loser's listeners behind on every wait (MaxListenersExceededWarning after 11 slow writes). An 'error'
 * here is already handled by runStream's own listener.
 */
export function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}

interface StreamOptions extends TrainingCliOptions {
  batches?: string;
  epochs?: string;
  seed?: string;
  rank?: string;
  worldSize?: string;
  resume?: string;
  saveState?: string;
  format: string;
  prefetch?: string;
  requireEmbeds?: boolean;
}

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`Expected \`--${name}\` to be an integer from ${min} and up, got \`${v}\``);
  return n;
}

async function action(given: string | undefined, o: StreamOptions & CacheCliValues): Promise<void> {
  if (o.batches !== undefined && o.epochs !== undefined)
    throw new UsageError('Use either --batches or --epochs, not both');
  if (o.format !== 'ndjson' && o.format !== 'binary')
    throw new UsageError(`Expected \`--format\` to be ndjson or binary, got \`${o.format}\``);
  const batches = int('batches', o.batches, 1);
  const epochs = int('epochs', o.epochs, 1) ?? (batches === undefined ? 1 : undefined);
  const seed = int('seed', o.seed, 0);
  const rank = int('rank', o.rank, 0);
  const worldSize = int('world-size', o.worldSize, 1);
  const prefetch = int('prefetch', o.prefetch, 1);
  const resume = o.resume ? await readResumeState(o.resume) : undefined;
  const loader = await createLoader(await configPathFrom(given, o), {
    ...loadOptionsFrom(o),
    decode: o.format === 'binary',
    ...(batches !== undefined ? { batches } : {}),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(rank !== undefined ? { rank } : {}),
    ...(worldSize !== undefined ? { worldSize } : {}),
    ...(prefetch !== undefined ? { prefetch } : {}),
    ...(resume ? { resume } : {}),
    ...(o.requireEmbeds ? { requireEmbeds: true } : {}),
    ...cacheOption(o),
  });
  const s = await runStream(loader, process.stdout, {
    format: o.format,
    ...(o.saveState ? { saveState: o.saveState } : {}),
  });
  if (s.textEmbedsMissing)
    log.warn({ count: s.textEmbedsMissing, missing: s.missingEmbeds }, 'samples streamed without cached text embeds');
  log.info(
    { ...s, skips: loader.skips(), waitMs: Math.round(loader.stats.waitMs) },
    s.readerClosed ? 'reader closed stdout; stopped' : 'stream done',
  );
}

/** Registers `tunefeed stream`. */
export function register(program: Command): void {
  withCacheOptions(withTrainingArgs(program.command('stream')))
    .description('Stream bucketed, weighted batches to stdout (ndjson metadata, or binary frames with pixels/latents)')
    .argument('[config]', 'multidatabackend.json (default: data_backend_config of --training-config)')
    .option('--batches <n>', 'stop after N batches')
    .option('--epochs <n>', 'stop after N epochs (default 1 when --batches is not given)')
    .option('--seed <s>', 'seed of every order (default: the training args seed)')
    .option('--rank <r>', "this process's rank (default RANK / LOCAL_RANK / 0)")
    .option('--world-size <w>', 'data-parallel world size (default WORLD_SIZE / 1)')
    .option('--resume <file>', 'continue from a state file written by --save-state')
    .option('--save-state <file>', 'after each batch written, save the resume state here (atomic)')
    .option('--prefetch <n>', 'ready batches kept ahead (default dataloader_prefetch_qlen, 10)')
    .option('--format <f>', 'ndjson or binary', 'ndjson')
    .option('--require-embeds', "fail (TF_TEXT_EMBED_MISSING) when a caption's text embed is not cached")
    .addOption(dashboardOption())
    .action(action);
}
