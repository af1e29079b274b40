// Validates every SimpleTuner example (config.json + its dataloader JSON) with tunefeed and prints a table.
// Usage: node --import tsx scripts/check-simpletuner-examples.ts <SimpleTuner checkout or bare git mirror> [--json]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../lib/config/load-config.js';

/** One example's verdict. */
interface Row {
  example: string;
  family: string;
  dataloader: string;
  verdict: 'valid' | 'invalid' | 'skipped';
  datasets: number;
  warnings: number;
  note: string;
}

/** The examples folder: a checkout's own, or extracted from a bare mirror with `git archive`. */
async function examplesDir(source: string): Promise<string> {
  const inTree = join(source, 'simpletuner', 'examples');
  if (existsSync(inTree)) return inTree;
  const out = await mkdtemp(join(tmpdir(), 'st-examples-'));
  const tar = execFileSync('git', ['-C', source, 'archive', 'HEAD', 'simpletuner/examples'], {
    maxBuffer: 512 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', out], { input: tar });
  return join(out, 'simpletuner', 'examples');
}

/** SimpleTuner resolves `config/examples/X` to its packaged examples folder; other paths are cwd-relative. */
function resolveDataloader(examples: string, value: string): string {
  for (const prefix of ['config/examples/', 'simpletuner/examples/'])
    if (value.startsWith(prefix)) return join(examples, value.slice(prefix.length));
  return value;
}

async function readJson(file: string): Promise<Record<string, unknown> | string> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    return `not JSON (SimpleTuner's json.load fails too): ${(err as Error).message}`;
  }
}

function arg(config: Record<string, unknown>, key: string): unknown {
  return config[key] ?? config[`--${key}`];
}

async function checkExample(examples: string, name: string): Promise<Row> {
  const file = join(examples, name, 'config.json');
  const row: Row = {
    example: name,
    family: '',
    dataloader: '',
    verdict: 'skipped',
    datasets: 0,
    warnings: 0,
    note: '',
  };
  const config = await readJson(file);
  if (typeof config === 'string') return { ...row, note: `config.json ${config}` };
  const family = arg(config, 'model_family');
  row.family = typeof family === 'string' ? family : '';
  const dl = arg(config, 'data_backend_config');
  if (typeof dl !== 'string') return { ...row, note: 'no data_backend_config' };
  row.dataloader = dl.replace(/^(config|simpletuner)\/examples\//, '');
  const path = resolveDataloader(examples, dl);
  if (!existsSync(path)) return { ...row, note: 'its data_backend_config is not shipped' };
  const r = await validateConfig(path, { trainingConfig: file, checkPaths: false, env: {} });
  const first = r.errors[0];
  return {
    ...row,
    verdict: r.ok ? 'valid' : 'invalid',
    datasets: r.datasets.length,
    warnings: r.warnings.length,
    note: first ? `${first.id ?? ''} ${first.field}: ${first.message}`.trim() : '',
  };
}

function table(rows: Row[]): string {
  const head = '| example | model_family | dataloader | verdict | datasets | warnings | first error / note |';
  const lines = rows.map(
    (r) =>
      `| ${r.example} | ${r.family} | ${r.dataloader} | ${r.verdict} | ${r.datasets} | ${r.warnings} | ` +
      `${r.note.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 160)} |`,
  );
  const count = (v: Row['verdict']): number => rows.filter((r) => r.verdict === v).length;
  const summary =
    `${rows.length} examples: ${count('valid')} valid, ${count('invalid')} invalid, ` + `${count('skipped')} skipped`;
  return [head, '|---|---|---|---|---|---|---|', ...lines, '', summary].join('\n');
}

async function main(): Promise<void> {
  const source = process.argv[2];
  if (!source) {
    process.stderr.write('usage: check-simpletuner-examples.ts <SimpleTuner checkout or bare mirror> [--json]\n');
    process.exitCode = 2;
    return;
  }
  process.env.TUNEFEED_LOG_LEVEL ??= 'error';
  const examples = await examplesDir(source);
  const names = (await readdir(examples, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && existsSync(join(examples, d.name, 'config.json')))
    .map((d) => d.name)
    .sort();
  const rows: Row[] = [];
  for (const name of names) rows.push(await checkExample(examples, name));
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(rows, null, 2)}\n` : `${table(rows)}\n`);
  if (rows.some((r) => r.verdict === 'invalid')) process.exitCode = 1;
}

await main();
