// Benchmark result lines (one JSON object per case on stdout) and the generator of bench/RESULTS.md from one run.

/** One benchmark case as printed by a bench/*.ts file: `console.log(JSON.stringify(line))`, one line per case. */
export interface BenchLine {
  /** Benchmark name: scan, decode, prefetch, latents, memory, pil, soak. */
  bench: string;
  /** Case name within the benchmark (data set, parallelism, size...). */
  case: string;
  /** Measured figures, with units in the key: `tunefeed_img_s`, `raw_img_s`, `peak_rss_mb`, `wait_share`. */
  figures?: Record<string, number | string | null>;
  /**
   * tunefeed divided by the baseline measured in the same run, e.g. `vs_raw: 0.94` (higher is better unless named
   * otherwise).
   */
  ratios?: Record<string, number | null>;
  /** Proof both sides did the same work (e.g. a hash of output sizes), and that tunefeed's output matched. */
  checksum?: string | Record<string, string | number | boolean>;
  /** Parameters of the case (sizes, parallelism). */
  params?: Record<string, unknown>;
  /** Anything a reader must know to trust the figure. */
  caveat?: string;
  /** Where the time went, from a profile or per-stage timings (shown in the closing notes, most useful on a MISS). */
  bottleneck?: string;
  /**
   * Per ratio key, the [min, max] of that ratio over the rounds measured (one ratio per round, both sides measured in
   * every round). Shown next to the ratio; a target inside the spread is judged UNDECIDED, not PASS or MISS.
   */
  spread?: Record<string, [number, number]>;
  [extra: string]: unknown;
}

/** A target from the issue, evaluated on matching lines. */
export interface Target {
  bench: string;
  label: string;
  /** Which ratio/figure key holds the value (first match wins within a line). */
  key: RegExp;
  op: '>=' | '<' | 'within';
  value: number;
  /** For 'within': allowed relative deviation from 1.0. */
  tolerance?: number;
}

/** The issue's targets; keys are matched loosely because each bench names its baseline in its own words. */
export const TARGETS: readonly Target[] = [
  { bench: 'scan', label: 'header scan ≥ 50× full-decode scan', key: /full|decode/i, op: '>=', value: 50 },
  { bench: 'scan', label: 'header scan ≥ 0.8× raw read-and-parse loop', key: /raw/i, op: '>=', value: 0.8 },
  {
    bench: 'decode',
    label: 'loader ≥ 0.9× raw sharp loop, equal parallelism',
    key: /raw|sharp/i,
    op: '>=',
    value: 0.9,
  },
  { bench: 'pil', label: 'tunefeed decode ≥ 2× PIL pipeline, same processes', key: /pil/i, op: '>=', value: 2 },
  { bench: 'decode', label: 'tunefeed decode ≥ 2× PIL pipeline, same processes', key: /pil/i, op: '>=', value: 2 },
  { bench: 'prefetch', label: 'slow consumer waits < 2 % after warm-up', key: /wait/i, op: '<', value: 0.02 },
  { bench: 'latents', label: 'cached latents ≥ 0.8× raw read loop', key: /raw/i, op: '>=', value: 0.8 },
  {
    bench: 'memory',
    label: 'peak RSS flat (±10 %) from 100k to 1M samples',
    key: /1m.*100k|flat/i,
    op: 'within',
    value: 1,
    tolerance: 0.1,
  },
  { bench: 'video', label: 'video frames ≥ 0.9× raw ffmpeg + sharp loop', key: /raw/i, op: '>=', value: 0.9 },
  { bench: 'video', label: 'video: sleeping consumer wait share < 2 %', key: /wait/i, op: '<', value: 0.02 },
  {
    bench: 'cache',
    label: 'S3 epoch 2 (20 ms/GET) ≥ 0.9× local disk',
    key: /epoch2_vs_local/i,
    op: '>=',
    value: 0.9,
  },
  {
    bench: 'cache',
    label: 'S3 epoch 1 with read-ahead ≥ 0.8× local disk',
    key: /epoch1_vs_local/i,
    op: '>=',
    value: 0.8,
  },
  {
    bench: 'cache',
    label: '4 ranks download 1.0× the dataset bytes',
    key: /downloaded_vs/i,
    op: 'within',
    value: 1,
    tolerance: 0.001,
  },
  {
    bench: 'dashboard',
    label: 'scan files/s, dashboard on ≥ 0.98× off',
    key: /scan_on_vs_off/,
    op: '>=',
    value: 0.98,
  },
  {
    bench: 'dashboard',
    label: 'stream samples/s, dashboard on ≥ 0.98× off',
    key: /stream_on_vs_off/,
    op: '>=',
    value: 0.98,
  },
  {
    bench: 'trainer-s3',
    label: 'S3 cached latents + text embeds through the CLI ≥ 0.8× raw GET loop',
    key: /raw/i,
    op: '>=',
    value: 0.8,
  },
];

/** One evaluated target row. */
export interface TargetRow {
  target: Target;
  line: BenchLine | null;
  key: string | null;
  measured: number | null;
  verdict: Verdict;
  /** The [min, max] over rounds of the judged ratio, when the bench measured one per round. */
  spread: [number, number] | null;
}

/** UNDECIDED: the run-to-run spread of the ratio crosses the target, so neither PASS nor MISS would be a finding. */
export type Verdict = 'PASS' | 'MISS' | 'UNDECIDED' | 'NOT RUN';

/**
 * Parse a child's stdout: every line that is a JSON object with `bench` and `case` is a result; the rest is ignored.
 */
export function parseBenchOutput(stdout: string): BenchLine[] {
  const out: BenchLine[] = [];
  for (const raw of stdout.split('\n')) {
    const s = raw.trim();
    if (!s.startsWith('{')) continue;
    try {
      const v = JSON.parse(s) as Partial<BenchLine>;
      if (typeof v.bench === 'string' && typeof v.case === 'string') out.push(v as BenchLine);
    } catch {
      // not a result line
    }
  }
  return out;
}

/** Percent-named values are converted to fractions so "wait_pct: 1.2" compares with 0.02. */
function valueOf(key: string, v: unknown): number | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  return /pct|percent/i.test(key) ? v / 100 : v;
}

function findValue(line: BenchLine, key: RegExp): [string, number] | null {
  // Ratios first: they are the figures the targets are stated in; a wait share may be a plain figure.
  for (const group of [line.ratios ?? {}, line.figures ?? {}]) {
    for (const [k, v] of Object.entries(group)) {
      const n = valueOf(k, v);
      if (key.test(k) && n !== null) return [k, n];
    }
  }
  return null;
}

function verdictOf(t: Target, v: number): 'PASS' | 'MISS' {
  if (t.op === '>=') return v >= t.value ? 'PASS' : 'MISS';
  if (t.op === '<') return v < t.value ? 'PASS' : 'MISS';
  return Math.abs(v - t.value) <= (t.tolerance ?? 0) ? 'PASS' : 'MISS';
}

/**
 * Control cases measure no tunefeed path (decode on demand without prefetch, a baseline alone) and are shown, not
 * judged. Every case with a tunefeed side is judged, whatever its line says about itself: a bench cannot exempt a
 * case it would miss (`target_exempt` and "for information only" caveats are ignored).
 */
export function isControl(line: BenchLine): boolean {
  return /\b(no|without) prefetch\b|\bcontrol\b|\bbaseline only\b/i.test(line.case);
}

/** PASS/MISS at the measured value; UNDECIDED when the spread's ends get different verdicts. */
function judge(t: Target, v: number, spread: [number, number] | null): Verdict {
  const at = verdictOf(t, v);
  if (!spread) return at;
  return verdictOf(t, spread[0]) === verdictOf(t, spread[1]) ? at : 'UNDECIDED';
}

function spreadOf(line: BenchLine, key: string): [number, number] | null {
  const s = line.spread?.[key];
  return Array.isArray(s) && s.length === 2 && s.every((x) => Number.isFinite(x)) ? [s[0], s[1]] : null;
}

/** One row per (target, matching case); a target with no matching line is NOT RUN. */
export function evaluateTargets(lines: readonly BenchLine[], targets: readonly Target[] = TARGETS): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const target of targets) {
    const hits = lines.flatMap((line) => {
      if (line.bench !== target.bench || isControl(line)) return [];
      const found = findValue(line, target.key);
      return found ? [{ line, found }] : [];
    });
    if (hits.length === 0) {
      // Two targets share the PIL label (pil bench or decode bench); report it once if neither ran.
      if (!rows.some((r) => r.target.label === target.label))
        rows.push({ target, line: null, key: null, measured: null, verdict: 'NOT RUN', spread: null });
      continue;
    }
    for (const r of rows.filter((x) => x.target.label === target.label && x.verdict === 'NOT RUN'))
      rows.splice(rows.indexOf(r), 1);
    for (const { line, found } of hits) {
      const spread = spreadOf(line, found[0]);
      rows.push({ target, line, key: found[0], measured: found[1], verdict: judge(target, found[1], spread), spread });
    }
  }
  return rows;
}

/** Facts about the run, printed at the top of RESULTS.md. */
export interface RunInfo {
  date: string;
  command: string;
  commit: string;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string };
  versions: Record<string, string>;
  /**
   * Per bench file: exit status, duration and the last stderr lines when it failed; with `--update`, also the date,
   * commit, command and machine of the run that produced it (files not rerun keep their own).
   */
  runs: RunRow[];
}

/** One bench file's row in the Runs table. */
export interface RunRow {
  file: string;
  exitCode: number | null;
  seconds: number;
  lines: number;
  error?: string;
  date?: string;
  commit?: string;
  command?: string;
  machine?: RunInfo['machine'];
}

/** The distinct runs behind the rows (one unless `--update` kept files from earlier runs). */
function distinctRuns(info: RunInfo): { date: string; commit: string; command: string; files: string[] }[] {
  const byKey = new Map<string, { date: string; commit: string; command: string; files: string[] }>();
  for (const r of info.runs) {
    const run = { date: r.date ?? info.date, commit: r.commit ?? info.commit, command: r.command ?? info.command };
    const key = `${run.date} ${run.commit}`;
    byKey.set(key, { ...run, files: [...(byKey.get(key)?.files ?? []), r.file] });
  }
  return [...byKey.values()];
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && a < 0.01 ? v.toExponential(2) : a >= 1000 ? v.toFixed(0) : Number(v.toPrecision(4)).toString();
  }
  if (typeof v === 'object') return JSON.stringify(v);
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? typeof v); // booleans; nothing else reaches here
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function targetsTable(rows: readonly TargetRow[]): string[] {
  const out = ['| target | case | measured | verdict |', '|---|---|---|---|'];
  for (const r of rows) {
    const spread = r.spread ? ` (${fmt(r.spread[0])}–${fmt(r.spread[1])})` : '';
    const measured = r.measured === null ? '–' : `${fmt(r.measured)}${spread} (\`${r.key}\`)`;
    out.push(`| ${r.target.label} | ${r.line ? fmt(r.line.case) : '–'} | ${measured} | **${r.verdict}** |`);
  }
  return out;
}

function benchTable(lines: readonly BenchLine[]): string[] {
  const figKeys = [...new Set(lines.flatMap((l) => Object.keys(l.figures ?? {})))];
  const ratioKeys = [...new Set(lines.flatMap((l) => Object.keys(l.ratios ?? {})))];
  const head = ['case', ...figKeys, ...ratioKeys.map((k) => `ratio ${k}`), 'checksum'];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const l of lines) {
    const cells = [
      fmt(l.case),
      ...figKeys.map((k) => fmt(l.figures?.[k])),
      ...ratioKeys.map((k) => withSpread(l, k)),
      fmt(l.checksum),
    ];
    out.push(`| ${cells.join(' | ')} |`);
  }
  return out;
}

/** A ratio cell: the value, then its min–max over rounds when the bench measured one per round. */
function withSpread(l: BenchLine, key: string): string {
  const s = spreadOf(l, key);
  return s ? `${fmt(l.ratios?.[key])} (${fmt(s[0])}–${fmt(s[1])})` : fmt(l.ratios?.[key]);
}

function header(info: RunInfo): string[] {
  const runs = distinctRuns(info);
  const from =
    runs.length > 1
      ? `from ${runs.length} runs (\`--update\` reran some bench files; each row of Runs says which run made it)`
      : 'from one run';
  const machines = new Set(info.runs.map((r) => JSON.stringify(r.machine ?? info.machine)));
  return [
    '# tunefeed benchmark results',
    '',
    `Generated by \`bench/run-all.ts\` on ${info.date} ${from}; ` +
      `do not edit by hand — rerun \`npm run bench\` instead.`,
    '',
    '## Machine and versions',
    '',
    `- CPU: ${info.machine.cpu} × ${info.machine.cores} cores; ` +
      `memory ${info.machine.memoryGiB.toFixed(1)} GiB; ${info.machine.os}` +
      (machines.size > 1 ? ' (newest run; the runs kept from earlier ran on another machine)' : ''),
    `- ${Object.entries(info.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- git commit: ${runs.map((r) => `\`${r.commit}\``).join(', ')}`,
    '',
    runs.length > 1 ? '## Commands' : '## Command',
    '',
    '```sh',
    ...runs.map((r) => (runs.length > 1 ? `${r.command}   # ${r.date}: ${r.files.join(' ')}` : r.command)),
    '```',
    '',
  ];
}

function runsTable(info: RunInfo): string[] {
  const out = ['| file | exit | seconds | result lines | run at | commit | error |', '|---|---|---|---|---|---|---|'];
  for (const r of info.runs) {
    const exit = r.exitCode ?? (r.seconds === 0 ? '–' : 'killed');
    const when = `${r.date ?? info.date} | \`${r.commit ?? info.commit}\``;
    out.push(`| ${r.file} | ${exit} | ${r.seconds.toFixed(1)} | ${r.lines} | ${when} | ${fmt(r.error ?? '')} |`);
  }
  return out;
}

/** One bullet per distinct text, naming every case it applies to (benches often share a caveat across cases). */
function grouped(lines: readonly BenchLine[], text: (l: BenchLine) => string | null): string[] {
  const byText = new Map<string, string[]>();
  for (const l of lines) {
    const t = text(l);
    if (t) byText.set(t, [...(byText.get(t) ?? []), l.case]);
  }
  return [...byText].map(([t, cases]) => `- ${cases.map((c) => `\`${c}\``).join(', ')}: ${t}`);
}

/** The whole RESULTS.md text for one run. */
export function renderResults(info: RunInfo, lines: readonly BenchLine[]): string {
  const rows = evaluateTargets(lines);
  const where = distinctRuns(info).length > 1 ? 'each in the run that measured it, see Runs' : 'measured in this run';
  const out = [...header(info), `## Targets (ratios ${where})`, '', ...targetsTable(rows), ''];
  for (const bench of [...new Set(lines.map((l) => l.bench))]) {
    const mine = lines.filter((l) => l.bench === bench);
    out.push(`## ${bench}`, '', ...benchTable(mine), '');
    out.push(...grouped(mine, (l) => (l.params ? `params \`${JSON.stringify(l.params)}\`` : null)));
    out.push(...grouped(mine, (l) => (l.caveat ? String(l.caveat) : null)), '');
  }
  out.push('## Runs', '', ...runsTable(info));
  const misses = rows.filter((r) => r.verdict === 'MISS' || r.verdict === 'UNDECIDED');
  const notes = lines.filter((l) => typeof l.bottleneck === 'string' && l.bottleneck);
  if (misses.length || notes.length) {
    out.push('', '## Misses and bottlenecks', '');
    for (const r of misses) out.push(missNote(r));
    for (const l of notes) out.push(`- ${l.bench} / \`${l.case}\`: ${String(l.bottleneck)}`);
  }
  out.push('', '## Caveats', '', ...CAVEATS.map((c) => `- ${c}`), '');
  return out.join('\n');
}

function missNote(r: TargetRow): string {
  const where = `${r.target.label} — \`${r.line?.case ?? '?'}\` measured ${fmt(r.measured)}`;
  if (r.verdict === 'MISS') return `- MISS: ${where}.`;
  const [lo, hi] = r.spread ?? [0, 0];
  return (
    `- UNDECIDED: ${where}, but its rounds ranged ${fmt(lo)}–${fmt(hi)}, across the target: ` +
    `more rounds or images needed.`
  );
}

const CAVEATS = [
  'Figures depend on the machine above and on whatever else ran on it; ' +
    'a spread (min–max over rounds) shows how much a ratio moved within this run. ' +
    'Compare the ratios (tunefeed and its baseline ran back to back in the same process tree), ' +
    'not the absolute figures.',
  'Sizes are modest so the whole run fits in minutes; small inputs favour per-call overheads over throughput.',
  'A MISS is reported as measured; the benchmark files say which stage was the bottleneck where it was profiled.',
  'NOT RUN means the benchmark file does not exist yet in this commit, failed (see Runs), ' +
    'or printed no line for that target.',
  'A ratio followed by (min–max) was measured once per round; UNDECIDED means ' +
    'that spread crosses the target, so the run cannot say PASS or MISS.',
];
