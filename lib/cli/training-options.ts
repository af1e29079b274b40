// The training-argument options every config-reading command shares: --set, --training-config, --plugin,
// --model_family.
import type { Command } from 'commander';
import type { LoadConfigOptions } from '../config/load-config.js';
import { IssueLog } from '../config/issues.js';
import { readTrainingConfig } from '../config/training-args.js';
import { UsageError } from '../errors.js';

/** What withTrainingArgs adds to a command's parsed options. */
export interface TrainingCliOptions {
  set: string[];
  trainingConfig?: string;
  plugin: string[];
  /** SimpleTuner's own flag, spelled as its trainer spells it; the same as `--set model_family=<name>`. */
  model_family?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Add the shared training-argument options to `cmd` (one definition, so every command spells them alike). */
export function withTrainingArgs(cmd: Command): Command {
  return cmd
    .option(
      '--set <key=value>',
      'training argument override (repeatable; value parsed as JSON when possible)',
      collect,
      [],
    )
    .option('--training-config <file>', "SimpleTuner's config.json with training arguments (keys with or without --)")
    .option('--plugin <pkg>', 'npm package (or path) of a dataset builder plug-in (repeatable)', collect, [])
    .option(
      '--model_family <name>',
      "the trainer's model family (text-embed file names, {model_family}); wins over --set",
    );
}

/** The --set overrides, then --model_family (so the dedicated flag wins, as the last override does). */
export function setsFrom(o: TrainingCliOptions): string[] {
  return o.model_family === undefined ? o.set : [...o.set, `model_family=${o.model_family}`];
}

/** loadConfig's options from the shared CLI options; --plugin adds to the `plugins` training argument. */
export function loadOptionsFrom(o: TrainingCliOptions): LoadConfigOptions {
  return {
    set: setsFrom(o),
    ...(o.trainingConfig ? { trainingConfig: o.trainingConfig } : {}),
    ...(o.plugin.length ? { plugins: o.plugin } : {}),
  };
}

/** The CONFIG argument, else SimpleTuner's `data_backend_config` from --training-config. */
export async function configPathFrom(given: string | undefined, o: TrainingCliOptions): Promise<string> {
  if (given) return given;
  const found = o.trainingConfig
    ? (await readTrainingConfig(o.trainingConfig, new IssueLog())).data_backend_config
    : undefined;
  if (typeof found === 'string' && found) return found;
  throw new UsageError(
    'Missing CONFIG: pass the multidatabackend.json path, or a --training-config whose data_backend_config names it.',
  );
}
