#!/usr/bin/env node
// tunefeed command-line entry: registers one subcommand per file and maps errors to exit codes without stacks.
import { Command } from 'commander';
import { commands } from './commands.js';
import { reportFatal } from './report-error.js';
import { startDashboard } from './dashboard-option.js';

async function main(argv: string[]): Promise<void> {
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
