// bench/RESULTS.json: the result lines RESULTS.md is rendered from, per bench file with the run that produced them.
import { readFile } from 'node:fs/promises';
import type { BenchLine, RunInfo } from './results.js';

/** One bench file's outcome in one run, with that run's identity, so a later partial run can keep it. */
export interface RunRecord {
  file: string;
  exitCode: number | null;
  seconds: number;
  error?: string;
  date: string;
  commit: string;
  command: string;
  machine: RunInfo['machine'];
  versions: Record<string, string>;
  results: BenchLine[];
}

/** The whole data file. */
export interface ResultsData {
  format: 'tunefeed-bench-results/1';
  records: RunRecord[];
}

/** The records of the previous data file, or none when it is absent or not this format (a first run). */
export async function loadRecords(file: string): Promise<RunRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return [];
  const data = JSON.parse(text) as Partial<ResultsData>;
  return data.format === 'tunefeed-bench-results/1' && Array.isArray(data.records) ? data.records : [];
}

/**
 * Previous records with this run's files replaced (in their old place) and new files appended: what an `--update`
 * run renders. Benches not rerun keep their own date, commit and command.
 */
export function mergeRecords(previous: readonly RunRecord[], current: readonly RunRecord[]): RunRecord[] {
  const byFile = new Map(current.map((r) => [r.file, r]));
  const kept = previous.map((r) => byFile.get(r.file) ?? r);
  const seen = new Set(previous.map((r) => r.file));
  return [...kept, ...current.filter((r) => !seen.has(r.file))];
}

/** The RunInfo and lines RESULTS.md is rendered from; machine and versions are the newest record's. */
export function infoFromRecords(records: readonly RunRecord[]): { info: RunInfo; lines: BenchLine[] } {
  const newest = [...records].sort((a, b) => b.date.localeCompare(a.date))[0];
  const versions: Record<string, string> = {};
  for (const r of records) Object.assign(versions, r.versions);
  const info: RunInfo = {
    date: newest?.date ?? new Date().toISOString(),
    command: newest?.command ?? '',
    commit: newest?.commit ?? 'unknown',
    machine: newest?.machine ?? { cpu: 'unknown', cores: 0, memoryGiB: 0, os: 'unknown' },
    versions,
    runs: records.map((r) => ({
      file: r.file,
      exitCode: r.exitCode,
      seconds: r.seconds,
      lines: r.results.length,
      ...(r.error ? { error: r.error } : {}),
      date: r.date,
      commit: r.commit,
      command: r.command,
      machine: r.machine,
    })),
  };
  return { info, lines: records.flatMap((r) => r.results) };
}

/** The data file's text (one record per line inside the array keeps diffs readable). */
export function formatRecords(records: readonly RunRecord[]): string {
  const body = records.map((r) => `    ${JSON.stringify(r)}`).join(',\n');
  return `{\n  "format": "tunefeed-bench-results/1",\n  "records": [\n${body}\n  ]\n}\n`;
}
