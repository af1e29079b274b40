// Turns any thrown value into one clear stderr line and an exit code; stacks only for real bugs or TUNEFEED_DEBUG.
import { CommanderError } from 'commander';
import { isTunefeedError } from '../errors.js';
import { scrubSecrets } from '../redact.js';

/** Print the error for a human and return the process exit code (1 user error, 2 usage, 70 internal). */
export function reportFatal(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? 0 : 2;
  }
  if (isTunefeedError(err)) {
    process.stderr.write(`tunefeed: ${err.code}: ${err.message}\n`);
    if (process.env.TUNEFEED_DEBUG) process.stderr.write(`${scrubSecrets(String(err.stack))}\n`);
    return err.code === 'TF_CLI_USAGE' ? 2 : 1;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`tunefeed: internal error: ${scrubSecrets(e.message)}\n`);
  if (process.env.TUNEFEED_DEBUG) process.stderr.write(`${scrubSecrets(String(e.stack))}\n`);
  return 70;
}
