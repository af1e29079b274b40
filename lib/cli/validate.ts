// `tunefeed validate CONFIG`: print the normalised datasets (exit 0) or every problem in the file (exit 1).
import type { Command } from 'commander';
import type { ConfigIssue } from '../errors.js';
import { type ValidationResult, validateConfig } from '../config/load-config.js';
import { configPathFrom, loadOptionsFrom, withTrainingArgs, type TrainingCliOptions } from './training-options.js';

interface ValidateOptions extends TrainingCliOptions {
  json: boolean;
  checkPaths: boolean;
}

function formatIssue(kind: string, i: ConfigIssue): string {
  const where = [i.id ? `[${i.id}]` : '', i.field].filter(Boolean).join(' ');
  return `  ${kind}${where ? ` ${where}` : ''}: ${i.message}\n`;
}

function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** One dataset as `key: value` lines, leaving out nulls and empty lists/objects to keep it readable. */
export function formatDataset(n: number, d: ValidationResult['datasets'][number]): string {
  const c = d.config;
  let out = `[${n}] ${d.id}  (${d.dataset_type}, ${String(c.type)})\n`;
  for (const [k, v] of Object.entries(c)) {
    if (k === 'id' || k === 'dataset_type' || k === 'type' || v === null || v === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out += `    ${k}: ${formatValue(v)}\n`;
  }
  return out;
}

/** The human-readable report. */
export function formatReport(file: string, r: ValidationResult): string {
  let out = '';
  if (r.ok) {
    out += `${file}: valid, ${r.datasets.length} dataset(s) in dependency order\n\n`;
    r.datasets.forEach((d, i) => (out += formatDataset(i + 1, d)));
  } else {
    out += `${file}: ${r.errors.length} error(s)\n`;
    for (const e of r.errors) out += formatIssue('error', e);
  }
  if (r.warnings.length) {
    out += `\n${r.warnings.length} warning(s)\n`;
    for (const w of r.warnings) out += formatIssue('warning', w);
  }
  return out;
}

/** The `--json` shape: exactly {ok, datasets, errors, warnings}; credentials are already redacted. */
export function jsonReport(r: ValidationResult): string {
  return `${JSON.stringify({ ok: r.ok, datasets: r.datasets, errors: r.errors, warnings: r.warnings }, null, 2)}\n`;
}

/** Registers `tunefeed validate`. */
export function register(program: Command): void {
  withTrainingArgs(program.command('validate'))
    .description('Validate a SimpleTuner multidatabackend.json and print the normalised datasets or every problem')
    .argument('[config]', 'path of the multidatabackend.json (default: data_backend_config of --training-config)')
    .option('--no-check-paths', 'do not check that local dataset paths exist')
    .option('--json', 'print one JSON object {ok, datasets, errors, warnings} on stdout', false)
    .action(async (given: string | undefined, opts: ValidateOptions) => {
      const config = await configPathFrom(given, opts);
      const result = await validateConfig(config, { ...loadOptionsFrom(opts), checkPaths: opts.checkPaths });
      process.stdout.write(opts.json ? jsonReport(result) : formatReport(config, result));
      process.exitCode = result.ok ? 0 : 1;
    });
}
