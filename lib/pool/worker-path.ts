// How tunefeed's worker pools start: the task file for the current form (workers/*.ts under tsx, dist/ when built),
// the flags a worker accepts, and the piscina options every pool shares.
import { fileURLToPath } from 'node:url';

const RUNNING_TS = import.meta.url.endsWith('.ts');

/** Absolute path of `workers/<name>.(ts|js)` matching how this module itself is loaded. */
export function workerPath(name: string): string {
  return fileURLToPath(new URL(`../../workers/${name}.${RUNNING_TS ? 'ts' : 'js'}`, import.meta.url));
}

// Flags a worker thread accepts and needs (module loaders such as tsx or tap's TS loader, conditions, warnings).
// Process-wide flags (--expose-gc, --max-old-space-size, --cpu-prof, V8 options) make `new Worker` throw
// ERR_WORKER_INVALID_EXEC_ARGV, so they are dropped rather than passed on.
/** Flags whose value may follow as the next argument. */
const VALUE_FLAGS = [
  '--import',
  '--require',
  '-r',
  '--loader',
  '--experimental-loader',
  '--conditions',
  '-C',
  '--disable-warning',
];
const KEEP_FLAGS = [
  ...VALUE_FLAGS,
  '--enable-source-maps',
  '--no-warnings',
  '--experimental-[\\w-]+',
  '--no-experimental-[\\w-]+',
];
const KEEP = new RegExp(`^(${KEEP_FLAGS.join('|')})(=|$)`);
const TAKES_VALUE = new Set(VALUE_FLAGS);

/** execArgv for workers: the loader-related flags of `argv` (default process.execArgv), nothing process-wide. */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!KEEP.test(a)) continue;
    out.push(a);
    if (!a.includes('=') && TAKES_VALUE.has(a) && i + 1 < argv.length) out.push(argv[++i]);
  }
  return out;
}

/**
 * The piscina options every tunefeed pool shares, for the task file `filename`. `stricterFIFO`: piscina otherwise puts
 * a task it cannot hand out yet at the back of its queue; with several tasks per thread it started 16 queued tasks as
 * 0 1 3 5 … 15 4 8 12 2 10 6 14, and the ordered decode window waited on the late ones (video batches arrived in
 * bursts after 0.5 s stalls).
 */
export function poolOptions(filename: string): { filename: string; execArgv: string[]; stricterFIFO: true } {
  return { filename, execArgv: workerExecArgv(), stricterFIFO: true };
}
