// Resolves a worker task file for the current form: workers/*.ts under tests/tsx, dist/workers/*.js when built.
import { fileURLToPath } from 'node:url';

const RUNNING_TS = import.meta.url.endsWith('.ts');

/** Absolute path of `workers/<name>.(ts|js)` matching how this module itself is loaded. */
export function workerPath(name: string): string {
  return fileURLToPath(new URL(`../../workers/${name}.${RUNNING_TS ? 'ts' : 'js'}`, import.meta.url));
}

/** execArgv for workers: inherit loaders (tap/tsx) so .ts workers load in tests. */
export function workerExecArgv(): string[] {
  return RUNNING_TS ? process.execArgv : process.execArgv.filter((a) => !a.startsWith('--cpu-prof'));
}
