// Resume state files: validated with zod on read (clear ResumeStateError), written atomically.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ResumeStateError } from '../errors.js';
import type { ResumeState } from '../sampling/state.js';
import { atomicWrite } from '../storage/atomic-write.js';

const count = z.number().int().min(0);
const schema = z
  .object({
    version: z.literal(1),
    seed: z.number().int(),
    epoch: z.number().int().min(1),
    step: count,
    cursors: z.record(z.string(), count),
    globalBatch: z.record(z.string(), z.number().int().min(1)),
    batchesPerEpoch: z.record(z.string(), count),
  })
  .strict();

/** Parse and check a state object (from a file, a checkpoint, or another process). */
export function parseResumeState(value: unknown, file?: string): ResumeState {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new ResumeStateError(`Invalid resume state:\n${z.prettifyError(r.error)}`, file ? { file } : {});
  return r.data;
}

/** Read a state file written by `--save-state` or `JSON.stringify(loader.state())`. */
export async function readResumeState(file: string): Promise<ResumeState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ResumeStateError(
      `Cannot read resume state: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { file, cause: err },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ResumeStateError(`Resume state is not JSON: ${(err as Error).message}`, { file, cause: err });
  }
  return parseResumeState(value, file);
}

/** Write a state file atomically (readers never see half a file, even if the process is killed mid-write). */
export async function writeResumeState(file: string, state: ResumeState): Promise<void> {
  await atomicWrite(file, `${JSON.stringify(state)}\n`);
}
