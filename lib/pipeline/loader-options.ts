// Validates createLoader's options at the edge (zod), with one message template for every numeric option.
import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { LoaderOptions } from './types.js';
import { parseCacheOptions } from '../storage/cache/cache-spec.js';

const COUNTS = [
  'prefetch',
  'inFlight',
  'tasksPerThread',
  'batches',
  'epochs',
  'worldSize',
  'limitInputPixels',
  'maxVideoPixels',
] as const;
const FROM_ZERO = ['rank', 'seed', 'threads'] as const; // threads 0: decode in the pipeline's own thread

function int(min: number) {
  return z.number().int().min(min).optional();
}

const schema = z
  .object({
    ...Object.fromEntries(COUNTS.map((k) => [k, int(1)])),
    ...Object.fromEntries(FROM_ZERO.map((k) => [k, int(0)])),
    split: z.enum(['train', 'eval']).optional(),
    conditioningSampling: z.enum(['combined', 'random']).optional(),
    decode: z.boolean().optional(),
    latents: z.boolean().optional(),
    thread: z.boolean().optional(),
    requireEmbeds: z.boolean().optional(),
    readAhead: int(0),
    readAheadBytes: int(1),
  })
  .loose();

/** Throws UsageError: ``Expected `prefetch` to be an integer from 1 and up, got `0` (number)``. */
export function validateLoaderOptions(options: LoaderOptions): void {
  if (options.cache !== undefined) parseCacheOptions(options.cache);
  const r = schema.safeParse(options);
  if (r.success) return;
  const lines = r.error.issues.map((i) => {
    const key = String(i.path[0]);
    const got = (options as Record<string, unknown>)[key];
    const min = (FROM_ZERO as readonly string[]).includes(key) ? 0 : 1;
    const what = (COUNTS as readonly string[]).includes(key) || min === 0 ? `an integer from ${min} and up` : i.message;
    return `Expected \`${key}\` to be ${what}, got \`${String(got)}\` (${typeof got})`;
  });
  throw new UsageError(lines.join('\n'), { field: String(r.error.issues[0]?.path[0] ?? '') });
}
