// `npm run docs:figures`: refills every figure marker in README.md and docs/*.md from its generated source.
// `--check` changes nothing and exits 1 when a doc figure disagrees with its source (bench/RESULTS.md, code defaults).
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { refresh, Sources, type Disagreement } from './markers.js';

/** The repository root (this file is bench/figures/docs-figures.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The docs a user reads: README.md and every docs/*.md, as paths relative to `root`. */
export async function docFiles(root: string): Promise<string[]> {
  const docs = (await readdir(path.join(root, 'docs'))).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

/** Per doc: the disagreements found and the refreshed text. */
export interface DocReport {
  file: string;
  problems: Disagreement[];
  text: string;
  changed: boolean;
}

/** Check (and compute the refreshed text of) every doc. */
export async function checkDocs(root: string = REPO_ROOT): Promise<DocReport[]> {
  const sources = new Sources(root);
  const out: DocReport[] = [];
  for (const file of await docFiles(root)) {
    const before = await readFile(path.join(root, file), 'utf8');
    const { text, problems } = await refresh(before, sources);
    out.push({ file, problems, text, changed: text !== before });
  }
  return out;
}

/** One line per disagreement: file:line, the marker, what the doc says and what the source says. */
export function formatProblems(reports: readonly DocReport[]): string[] {
  return reports.flatMap((r) =>
    r.problems.map((p) =>
      p.error
        ? `${r.file}:${p.line}: ${p.marker}: ${p.error}`
        : `${r.file}:${p.line}: ${p.marker}: doc has "${p.found.trim()}", source has "${(p.expected ?? '').trim()}"`,
    ),
  );
}

/** Rewrite changed docs in place (temp file + rename, so a doc is never half-written). */
export async function writeDocs(root: string, reports: readonly DocReport[]): Promise<string[]> {
  const written: string[] = [];
  for (const r of reports.filter((x) => x.changed)) {
    const file = path.join(root, r.file);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, r.text);
    await rename(tmp, file);
    written.push(r.file);
  }
  return written;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const reports = await checkDocs();
  const lines = formatProblems(reports);
  const unresolved = formatProblems(reports.map((r) => ({ ...r, problems: r.problems.filter((p) => p.error) })));
  if (check) {
    for (const l of lines) process.stderr.write(`${l}\n`);
    process.stderr.write(`docs:figures --check: ${lines.length} disagreement(s)\n`);
    process.exitCode = lines.length ? 1 : 0;
    return;
  }
  const written = await writeDocs(REPO_ROOT, reports);
  for (const f of written) process.stderr.write(`docs:figures: refreshed ${f}\n`);
  for (const l of unresolved) process.stderr.write(`${l}\n`);
  process.exitCode = unresolved.length ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`docs:figures: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
