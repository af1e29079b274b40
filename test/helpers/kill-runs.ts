// Test helper: runs the real `tunefeed` CLI as a child process, SIGKILLs it after a seeded random delay, and inspects
// what a kill left on disk (JSON files that parse and have SimpleTuner's cache shape, temp files).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { rngFor } from '../../lib/sampling/rng.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'lib/cli/main.ts');

/** How a CLI child ended. `killed`: our SIGKILL ended it (false when it exited before the delay ran out). */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  killed: boolean;
  /** ms from `clockFrom` appearing (or from spawn) to the child's exit; null when the path never appeared. */
  ranMs: number | null;
}

/** Options of runCli. */
export interface RunCliOptions {
  /** SIGKILL the child this many ms after the clock starts. */
  killAfterMs?: number;
  /**
   * Start the clock when this path exists (checked every 10 ms: the file stays once written, so nothing races), so a
   * delay lands in the work itself rather than in the process's start-up. @default the spawn
   */
  clockFrom?: string;
  env?: Record<string, string>;
}

/** Resolves with performance.now() once `path` exists; `stop()` ends the polling. */
function clock(path: string | undefined): { started: Promise<number>; stop: () => void } {
  if (path === undefined) return { started: Promise.resolve(performance.now()), stop: () => undefined };
  let id: NodeJS.Timeout | undefined;
  const started = new Promise<number>((resolve) => {
    id = setInterval(() => {
      if (existsSync(path)) {
        clearInterval(id);
        resolve(performance.now());
      }
    }, 10);
  });
  return { started, stop: () => clearInterval(id) };
}

/** Spawns `node --import tsx lib/cli/main.ts ...args`; with `killAfterMs`, sends SIGKILL that long after the clock. */
export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      TUNEFEED_LOG_LEVEL: 'warn',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...opts.env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let sent = false;
  let startedAt: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  const c = clock(opts.clockFrom);
  void c.started.then((at) => {
    startedAt = at;
    if (opts.killAfterMs !== undefined)
      timer = setTimeout(() => {
        sent = child.kill('SIGKILL');
      }, opts.killAfterMs);
  });
  return new Promise<CliRun>((resolve) =>
    child.on('close', (code, signal) => {
      c.stop();
      clearTimeout(timer);
      const ranMs = startedAt === null ? null : performance.now() - startedAt;
      resolve({ code, signal, stdout, stderr, killed: sent && signal === 'SIGKILL', ranMs });
    }),
  );
}

/**
 * Resets the state, then runs with a kill after `delay` ms; a run that finished before its kill (a fast moment of the
 * machine) is repeated from the reset with half the delay, up to 3 more times. Returns the run and the delay used.
 */
export async function killedRun(
  args: string[],
  opts: RunCliOptions & { killAfterMs: number },
  reset: () => Promise<unknown>,
): Promise<{ run: CliRun; delay: number }> {
  let delay = opts.killAfterMs;
  for (let attempt = 0; ; attempt++) {
    await reset();
    const run = await runCli(args, { ...opts, killAfterMs: delay });
    if (run.killed || attempt === 3) return { run, delay };
    delay = Math.round(delay / 2);
  }
}

/** `n` kill delays in [lo, hi) ms from a seeded generator: the same seed gives the same schedule on every machine. */
export function killDelays(seed: number, n: number, lo: number, hi: number): number[] {
  const rng = rngFor('kill-delays', seed);
  return Array.from({ length: n }, () => Math.round(lo + rng.nextFloat() * (hi - lo)));
}

const size = z.tuple([z.number().positive(), z.number().positive()]);
/** SimpleTuner's indices file: config, bucket → list of paths, filtering statistics. */
const Indices = z.object({
  config: z.record(z.string(), z.unknown()),
  aspect_ratio_bucket_indices: z.record(z.string(), z.array(z.string())),
  filtering_statistics: z.object({ total_processed: z.number().int(), skipped: z.record(z.string(), z.number()) }),
});
/** SimpleTuner's metadata file: path → the sizes and crop of one sample. */
const Metadata = z.record(
  z.string(),
  z.object({
    original_size: size,
    crop_coordinates: z.tuple([z.number(), z.number()]),
    target_size: size,
    intermediary_size: size,
    aspect_ratio: z.number().positive(),
  }),
);
/** tunefeed's own checkpoint. */
const Manifest = z.object({
  tunefeed_scan_manifest: z.literal(1),
  dataset: z.string(),
  entries: z.record(z.string(), z.object({ s: z.number() })),
});

/** What a directory holds after a kill: JSON files by verdict, and leftover temp files. */
export interface Inspection {
  json: number;
  broken: string[];
  temps: string[];
}

function schemaFor(name: string): z.ZodType | null {
  if (name.startsWith('aspect_ratio_bucket_indices_')) return Indices;
  if (name.startsWith('aspect_ratio_bucket_metadata_')) return Metadata;
  if (name === 'manifest.json') return Manifest;
  return null;
}

/** Every .json file below `dir` must parse and (for cache and checkpoint files) match its format; lists temps. */
export async function inspect(dir: string): Promise<Inspection> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
  const out: Inspection = { json: 0, broken: [], temps: files.filter((f) => f.endsWith('.tmp')) };
  for (const f of files.filter((x) => x.endsWith('.json'))) {
    out.json++;
    try {
      const value: unknown = JSON.parse(await readFile(f, 'utf8'));
      const schema = schemaFor(basename(f));
      if (schema && !schema.safeParse(value).success) out.broken.push(`${f} (parses, wrong shape)`);
    } catch {
      out.broken.push(`${f} (does not parse)`);
    }
  }
  return out;
}
