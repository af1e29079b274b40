// `tunefeed demo`: build a small real dataset, scan it, stream batches through a simulated consumer and print a
// summary.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { rootLogger } from '../log.js';
import { runDemo } from '../demo/run-demo.js';
import { formatSummary } from '../demo/summary.js';
import { dashboardOption } from './dashboard-option.js';
import { setsFrom, withTrainingArgs, type TrainingCliOptions } from './training-options.js';

function positiveInt(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`Expected \`${name}\` to be an integer from 1 and up, got \`${v}\` (string)`, {
        field: name,
      });
    return n;
  };
}

/** The demo shows its own progress and summary; engine info logs would bury them. TUNEFEED_LOG_LEVEL still wins. */
function quietLogs(): void {
  if (process.env.TUNEFEED_LOG_LEVEL) return;
  process.env.TUNEFEED_LOG_LEVEL = 'warn';
  rootLogger().level = 'warn'; // in case the root logger already exists; children created later inherit it
}

/** Registers `tunefeed demo`. */
export function register(program: Command): void {
  withTrainingArgs(program.command('demo'))
    .description('Generate a small real dataset, scan it and stream batches through a simulated training step')
    .option('--dir <dir>', 'folder for the demo dataset (created once, reused after)', './tunefeed-demo')
    .option('--batches <n>', 'batches to stream', positiveInt('--batches'), 100)
    .option('--batch-size <n>', 'samples per batch', positiveInt('--batch-size'), 4)
    .option('--step-ms <n>', 'simulated training step per batch, in ms', positiveInt('--step-ms'), 25)
    .option('--seed <n>', 'seed of the generated dataset', positiveInt('--seed'), 1234)
    .option('--images <n>', 'images to generate (two thirds photos, one third art)', positiveInt('--images'), 300)
    .option('--regenerate', 'rewrite the dataset even if it exists', false)
    .option('--json', 'print the summary as JSON on stdout', false)
    .addOption(dashboardOption())
    .action(
      async (
        opts: {
          dir: string;
          batches: number;
          batchSize: number;
          stepMs: number;
          seed: number;
          images: number;
          regenerate: boolean;
          json: boolean;
        } & TrainingCliOptions,
      ) => {
        quietLogs();
        const art = Math.floor(opts.images / 3);
        const summary = await runDemo({
          dir: opts.dir,
          batches: opts.batches,
          batchSize: opts.batchSize,
          stepMs: opts.stepMs,
          seed: opts.seed,
          force: opts.regenerate,
          sizes: { photos: opts.images - art, art },
          set: setsFrom(opts),
          ...(opts.trainingConfig ? { trainingConfig: opts.trainingConfig } : {}),
          plugins: opts.plugin,
        });
        process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
      },
    );
}
