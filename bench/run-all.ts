// `npm run bench`: runs each bench/*.ts as a child process, collects their JSON lines, writes RESULTS.md.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdir, rename, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { checkDocs, formatProblems, writeDocs, REPO_ROOT } from './figures/docs-figures.js';
import { formatRecords, infoFromRecords, loadRecords, mergeRecords, type RunRecord } from './results-data.js';
import { parseBenchOutput, renderResults, type BenchLine, type RunInfo } from './results.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Benchmarks in the order they run; soak is opt-in (`--only soak`) because it runs for minutes by design. */
export const DEFAULT_BENCHES = [
  'scan',
  'decode',
  'pil',
  'prefetch',
  'latents',
  'memory',
  'list',
  'video',
  'cache',
  'dashboard',
  'trainer-s3',
];

interface ChildResult {
  lines: BenchLine[];
  exitCode: number | null;
  seconds: number;
  error?: string;
}

/** Run one bench file; stdout is parsed for result lines, stderr is passed through so progress stays visible. */
function runChild(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ChildResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      process.stdout.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString()).slice(-2000);
      process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = parseBenchOutput(stdout);
      const failed = code !== 0 || lines.length === 0;
      const why = signal
        ? `killed by ${signal} (timeout ${timeoutMs / 1000}s)`
        : lastLines(stderrTail, 3) || 'printed no result line';
      resolve({
        lines,
        exitCode: code,
        seconds: (performance.now() - started) / 1000,
        ...(failed ? { error: why } : {}),
      });
    });
  });
}

function lastLines(s: string, n: number): string {
  return s.trim().split('\n').slice(-n).join(' / ');
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib', 'workers', 'bench/*.ts'], {
      cwd: here,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

/** The command as the user typed it (npm sets npm_lifecycle_event when run through `npm run bench`). */
function commandLine(argv: string[]): string {
  const extra = argv.length ? ` ${argv.join(' ')}` : '';
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${extra ? ` --${extra}` : ''}`;
  return `node --import tsx bench/run-all.ts${extra}`;
}

function machineInfo(): RunInfo['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()}`,
  };
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Options of run-all, also used by the smoke test. */
export interface RunAllOptions {
  benches: string[];
  /** Folder holding the bench files. @default this folder */
  dir: string;
  out: string;
  scale: string;
  timeoutMs: number;
  passArgs: string[];
  command: string;
  /**
   * Keep the results of bench files not in `benches` from the previous RESULTS.json (each with its own date and
   * commit) instead of dropping them.
   * @default false
   */
  update?: boolean;
}

/** Where the data file of `out` lives: RESULTS.md → RESULTS.json beside it. */
export function dataFileOf(out: string): string {
  return out.replace(/\.md$/, '') + '.json';
}

type RunOutcome = Omit<RunRecord, 'date' | 'commit' | 'command' | 'machine' | 'versions'>;

/** Run each bench file in turn (a name is a bench in `dir`; a path, e.g. the harness test's fixture, is run as is). */
async function runBenches(o: RunAllOptions): Promise<RunOutcome[]> {
  const env = {
    ...process.env,
    TUNEFEED_BENCH_SCALE: o.scale,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const out: RunOutcome[] = [];
  for (const name of o.benches) {
    const isPath = /[/\\]|\.ts$/.test(name);
    const file = isPath ? path.resolve(name) : path.join(o.dir, `${name}.ts`);
    const label = isPath ? name : `bench/${name}.ts`;
    if (!(await exists(file))) {
      out.push({ file: label, exitCode: null, seconds: 0, results: [], error: 'file not present in this commit' });
      continue;
    }
    process.stderr.write(`\n=== ${label} (scale ${o.scale}) ===\n`);
    const r = await runChild(file, o.passArgs, env, o.timeoutMs);
    out.push({
      file: label,
      exitCode: r.exitCode,
      seconds: r.seconds,
      results: r.lines,
      ...(r.error ? { error: r.error } : {}),
    });
  }
  return out;
}

/**
 * Run the benches, write RESULTS.md, its data file RESULTS.json (and a JSONL copy of this run's lines under .data/),
 * return what was written. With `update`, bench files not rerun keep their results (and run identity) from the
 * previous data file.
 */
export async function runAll(o: RunAllOptions): Promise<{ info: RunInfo; lines: BenchLine[]; markdown: string }> {
  const outcomes = await runBenches(o);
  const fresh = outcomes.flatMap((r) => r.results);
  const versions: Record<string, string> = {
    node: process.version,
    sharp: sharp.versions.sharp ?? '?',
    libvips: sharp.versions.vips,
  };
  for (const l of fresh) if (typeof l.versions === 'object' && l.versions) Object.assign(versions, l.versions);
  const run = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    command: o.command,
    machine: machineInfo(),
    versions,
  };
  const current: RunRecord[] = outcomes.map((r) => ({ ...r, ...run }));
  const records = o.update ? mergeRecords(await loadRecords(dataFileOf(o.out)), current) : current;
  const { info, lines } = infoFromRecords(records);
  const markdown = renderResults(info, lines);
  await writeAtomic(o.out, markdown);
  await writeAtomic(dataFileOf(o.out), formatRecords(records));
  await writeAtomic(
    path.join(path.dirname(o.out), '.data', 'last-run.jsonl'),
    fresh.map((l) => JSON.stringify(l)).join('\n') + '\n',
  );
  return { info, lines, markdown };
}

/**
 * Install the Debian tools the benches need (python3-torch for the latent fixtures, python3-pil for the PIL
 * baseline) before any bench runs, so a fresh clone runs every case; the script says why when it cannot.
 */
function setupTools(): void {
  const r = spawnSync('bash', [path.join(here, 'setup-bench-tools')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) process.stderr.write(`bench/setup-bench-tools exited with ${r.status ?? r.signal}\n`);
}

/** After RESULTS.md is regenerated, the figures quoted in README.md and docs/*.md are refilled from it. */
async function refreshDocFigures(): Promise<void> {
  const reports = await checkDocs(REPO_ROOT);
  for (const f of await writeDocs(REPO_ROOT, reports)) process.stderr.write(`docs:figures: refreshed ${f}\n`);
  const broken = formatProblems(reports.map((r) => ({ ...r, problems: r.problems.filter((p) => p.error) })));
  for (const l of broken) process.stderr.write(`docs:figures: ${l}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      only: { type: 'string' },
      scale: { type: 'string', default: 'small' },
      out: { type: 'string', default: path.join(here, 'RESULTS.md') },
      'timeout-min': { type: 'string', default: '20' },
      dir: { type: 'string', default: here },
      update: { type: 'boolean', default: false },
    },
  });
  const benches =
    typeof values.only === 'string'
      ? values.only
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : DEFAULT_BENCHES;
  // Children get the scale through TUNEFEED_BENCH_SCALE, not argv, so a bench with strict argument parsing still runs.
  const passArgs: string[] = [];
  setupTools();
  const { lines, info } = await runAll({
    benches,
    dir: String(values.dir),
    out: String(values.out),
    scale: String(values.scale),
    timeoutMs: Number(values['timeout-min']) * 60_000,
    passArgs,
    command: commandLine(argv),
    update: values.update === true,
  });
  const failed = info.runs.filter((r) => r.error);
  process.stderr.write(
    `\nwrote ${values.out}: ${lines.length} result lines ` +
      `from ${info.runs.length - failed.length}/${info.runs.length} benches\n`,
  );
  for (const f of failed) process.stderr.write(`  ${f.file}: ${f.error}\n`);
  // Only the committed RESULTS.md is quoted by the docs; a run written elsewhere (--out) leaves them alone.
  if (path.resolve(String(values.out)) === path.join(here, 'RESULTS.md')) await refreshDocFigures();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench/run-all: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
