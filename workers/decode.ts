// Decode worker: reads one sample through its own storage client, decodes it with sharp, moves the pixels back.
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { runDecodeTask } from '../lib/image/run-task.js';
import type { DecodeResult, DecodeTask } from '../lib/image/decode-task.js';

/** Wraps a result so piscina transfers the pixel buffer instead of cloning it. */
function movable(result: DecodeResult): unknown {
  if (!result.ok) return result;
  const buffer = (result.kind === 'pixels' ? result.pixels : result.kind === 'frames' ? result.frames : result.data)
    .buffer;
  return move({
    get [transferableSymbol]() {
      return buffer;
    },
    get [valueSymbol]() {
      return result;
    },
  });
}

export default async function decode(task: DecodeTask): Promise<unknown> {
  return movable(await runDecodeTask(task));
}
