#!/usr/bin/env node
// tunefeed command-line entry: registers one subcommand per file and maps errors to exit codes without stacks.
import { Command } from 'commander';
import { commands } from './commands.js';
import { reportFatal } from './report-error.js';
import { startDashboard } from './dashboard-option.js';

async function main(argv: string[]): Promise<void> {
  // The AWS SDK warns on stderr, once per thread, that its releases from 2027 need Node 22; tunefeed pins the SDK
  // and supports Node 20, so the notice is noise in every S3 run. A user's own setting of the switch wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const program = new Command('tunefeed')
    .description('Feed diffusion-model training from SimpleTuner multidatabackend.json configs')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  program.hook('preAction', startDashboard);
  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  process.exitCode = reportFatal(err);
});
