// The list of CLI subcommands; each file exports a `register(program)` function.
import type { Command } from 'commander';

/** Registers one subcommand on the program. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
