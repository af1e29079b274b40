// The list of CLI subcommands; each file exports a `register(program)` function.
import type { Command } from 'commander';
import { register as registerDemo } from './demo.js';
import { register as registerValidate } from './validate.js';
import { register as registerScan } from './scan.js';
import { register as registerStream } from './stream.js';
import { register as registerBackends } from './backends.js';
import { register as registerCache } from './cache.js';

/** Registers one subcommand on the program. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerDemo,
  registerValidate,
  registerScan,
  registerStream,
  registerBackends,
  registerCache,
];
