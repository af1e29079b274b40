// `tunefeed backends CONFIG`: build every backend through the factory, list a few objects and read one from each.
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { createFactory, type BuiltBackend } from '../factory/factory.js';
import { redactValue } from '../redact.js';
import type { ObjectInfo } from '../storage/types.js';
import { configPathFrom, loadOptionsFrom, withTrainingArgs, type TrainingCliOptions } from './training-options.js';

interface BackendsOptions extends TrainingCliOptions {
  limit: string;
  read: boolean;
  allowPrivateHosts: boolean;
  json: boolean;
}

/** What one backend showed: a sample of keys, how many were seen (up to the limit), and one read. */
interface BackendCheck {
  id: string;
  group: string;
  type: string;
  where: string;
  sample: string[];
  listed: number;
  read: { key: string; bytes: number } | null;
}

async function check(b: BuiltBackend, group: string, limit: number, read: boolean): Promise<BackendCheck> {
  const sample: ObjectInfo[] = [];
  for await (const o of b.storage.list()) {
    sample.push(o);
    if (sample.length >= limit) break;
  }
  const first = sample[0];
  const bytes = read && first ? (await b.storage.readRange(first.key, 0, 65536)).length : null;
  const d = b.description as Record<string, string | undefined>;
  const where = d.root ?? (d.bucket ? `s3://${d.bucket}/${d.prefix ?? ''}` : (d.csvFile ?? d.datasetName ?? ''));
  return {
    id: b.id,
    group,
    type: b.config.type,
    where,
    sample: sample.map((o) => o.key),
    listed: sample.length,
    read: first && bytes !== null ? { key: first.key, bytes } : null,
  };
}

function formatText(checks: BackendCheck[], totalMs: number): string {
  let out = '';
  for (const c of checks) {
    out += `${c.id}  (${c.group}, ${c.type})  ${c.where}\n`;
    out += `    listed: ${c.listed}${c.sample.length ? ` e.g. ${c.sample.slice(0, 3).join(', ')}` : ' (empty)'}\n`;
    if (c.read) out += `    read: ${c.read.key} (${c.read.bytes} bytes of its head)\n`;
  }
  return `${out}built ${checks.length} backend(s) in ${totalMs} ms\n`;
}

/** Registers `tunefeed backends`. */
export function register(program: Command): void {
  withTrainingArgs(program.command('backends'))
    .description(
      'Build every dataset backend (local, S3, CSV, Hugging Face); list a few objects and read one from each',
    )
    .argument('[config]', 'path of the multidatabackend.json (default: data_backend_config of --training-config)')
    .option('--limit <n>', 'objects to list per backend', '5')
    .option('--no-read', 'list only; do not read (a CSV read downloads)')
    .option('--allow-private-hosts', 'CSV URLs may point at private or loopback hosts', false)
    .option('--json', 'print one JSON object {backends, metrics} on stdout', false)
    .action(async (given: string | undefined, opts: BackendsOptions) => {
      const loaded = await loadConfig(await configPathFrom(given, opts), loadOptionsFrom(opts));
      // A diagnostic must not change anything: SimpleTuner's file-list caches are left alone.
      const built = await createFactory(loaded, {
        deleteCaches: false,
        csvAllowPrivateHosts: opts.allowPrivateHosts,
      }).build();
      try {
        const limit = Math.max(1, Number(opts.limit) || 5);
        const groups: [string, BuiltBackend[]][] = [
          ['text_embeds', built.textEmbeds],
          ['image_embeds', built.imageEmbeds],
          ['data', built.data],
        ];
        const checks: BackendCheck[] = [];
        for (const [group, list] of groups) for (const b of list) checks.push(await check(b, group, limit, opts.read));
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(redactValue({ backends: checks, metrics: built.metrics }), null, 2)}\n`
            : formatText(checks, built.metrics.totalMs),
        );
      } finally {
        await built.close();
      }
    });
}
