// Every figure in README.md and docs/*.md is quoted from a generated file or the code, and agrees with it.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { codeDefault, documentedDefault } from '../../bench/figures/code-defaults.js';
import { checkDocs, docFiles, formatProblems, REPO_ROOT } from '../../bench/figures/docs-figures.js';
import { refresh, Sources } from '../../bench/figures/markers.js';
import { parseTables } from '../../bench/figures/markdown-tables.js';
import { unmarkedFigures } from '../../bench/figures/unmarked.js';

const RESULTS = 'bench/RESULTS.md';

t.test(
  'every figure marker in README.md and docs/*.md equals its source (RESULTS.md cell or code default)',
  async (t) => {
    const reports = await checkDocs(REPO_ROOT);
    const markers = reports.reduce((n, r) => n + (r.text.match(/<!-- fig(?:-table)? /g) ?? []).length, 0);
    t.ok(markers >= 10, `the docs quote figures through markers (${markers} found)`);
    t.same(formatProblems(reports), [], 'no doc figure disagrees with its source; fix with npm run docs:figures');
  },
);

t.test('no measured-looking figure is typed by hand outside a marker in README.md or docs/*.md', async (t) => {
  const found: string[] = [];
  for (const file of await docFiles(REPO_ROOT)) {
    const text = await readFile(path.join(REPO_ROOT, file), 'utf8');
    for (const u of unmarkedFigures(text)) found.push(`${file}:${u.line}: ${u.text}`);
  }
  t.same(found, [], 'quote these from bench/RESULTS.md with a <!-- fig --> marker, or remove them');
});

t.test('a doc figure that differs from RESULTS.md is reported with file line, doc text and source text', async (t) => {
  const results = parseTables(await readFile(path.join(REPO_ROOT, RESULTS), 'utf8'));
  const scan = results.find((x) => x.section === 'scan');
  t.ok(scan, 'RESULTS.md has a scan table');
  const row = scan!.rows.find((r) => r.case.includes('s3rver'))!;
  const col = 'ratio vs_raw_loop';
  const doc = `intro\n\nratio <!-- fig ${RESULTS}#scan case~="s3rver" col="${col}" -->1.06<!-- /fig --> here\n`;
  const { text, problems } = await refresh(doc, new Sources(REPO_ROOT));
  t.equal(problems.length, 1, 'one disagreement');
  t.match(problems[0], { line: 3, found: '1.06', expected: row[col] }, 'names the line, the stale and the true value');
  t.ok(text.includes(`-->${row[col]}<!-- /fig -->`), 'the refreshed text holds the RESULTS.md value');
  const again = await refresh(text, new Sources(REPO_ROOT));
  t.same(again.problems, [], 'the refreshed text agrees with its source');
});

t.test('a marker matching no row, or several, is an error, not a silent pass', async (t) => {
  const none = `<!-- fig ${RESULTS}#scan case~="no such case" col="ratio vs_raw_loop" -->1<!-- /fig -->`;
  const many = `<!-- fig ${RESULTS}#scan case~="S3" col="ratio vs_raw_loop" -->1<!-- /fig -->`;
  const r1 = await refresh(none, new Sources(REPO_ROOT));
  const r2 = await refresh(many, new Sources(REPO_ROOT));
  t.match(r1.problems[0]?.error, /matches 0 rows/, 'no row');
  t.match(r2.problems[0]?.error, /matches [2-9] rows/, 'several rows');
});

t.test('a fig-table copies the chosen columns of the matching RESULTS.md rows', async (t) => {
  const doc = `<!-- fig-table ${RESULTS}#pil cols="case,ratio vs_pil" -->\nstale\n<!-- /fig-table -->\n`;
  const { text, problems } = await refresh(doc, new Sources(REPO_ROOT));
  t.equal(problems.length, 1, 'the stale table is reported');
  const pil = parseTables(await readFile(path.join(REPO_ROOT, RESULTS), 'utf8')).find((x) => x.section === 'pil')!;
  for (const r of pil.rows) t.ok(text.includes(`| ${r.case} | ${r['ratio vs_pil']} |`), `row ${r.case} copied`);
});

t.test('code defaults quoted in docs match the code, and the TSDoc @default states the same value', async (t) => {
  t.equal(await codeDefault(REPO_ROOT, 'inFlight'), '16', 'the ordered window defaults to 16 in build-pipeline.ts');
  for (const name of ['inFlight', 'threads', 'tasksPerThread']) {
    const code = await codeDefault(REPO_ROOT, name);
    const doc = await documentedDefault(REPO_ROOT, 'lib/pipeline/types.ts', name);
    t.equal(doc, code, `LoaderOptions.${name}: @default ${doc} = the code's ${code}`);
  }
});

t.test('the unmarked-figure scan flags rates, ratios and decimal percentages, not sizes or settings', async (t) => {
  const flagged = (s: string): boolean => unmarkedFigures(s).length > 0;
  t.ok(flagged('the scan reached 1 458 files/s'), 'a rate');
  t.ok(flagged('header scan 367× the full decode'), 'a ratio');
  t.ok(flagged('the consumer waited 9.7 % of its time'), 'a decimal percentage');
  t.ok(flagged('| case | ratio |\n|---|---|\n| a | 0.94 |'), 'a decimal in a measured table');
  t.ok(flagged('retried and finished in about 340 ms'), 'a measured duration');
  t.notOk(flagged('a 96×72 JPEG, 2 × 16 reads, 25 ms per step, a 24 kB tmpfs'), 'sizes and settings');
  t.notOk(flagged('ratio <!-- fig x#y a="b" col="c" -->0.94<!-- /fig -->'), 'a quoted figure');
  t.notOk(flagged('```\n1 458 files/s\n```'), 'inside a code block');
});
