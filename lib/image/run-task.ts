// Worker-side body of a decode task: read bytes through a per-thread storage client, decode, report timings or a skip
// reason.
import { latentFrom, readEmbedFile } from '../embeds/latents.js';
import { isTunefeedError } from '../errors.js';
import { createStorage, loadStoragePlugin } from '../storage/from-description.js';
import type { StorageBackend } from '../storage/types.js';
import { decodeToTarget } from './decode.js';
import type { DecodeResult, DecodeTask } from './decode-task.js';
import { runVideoTask } from '../video/video-task.js';

/** Clients cannot cross threads, so each worker builds one per backend description and keeps it. */
const clients = new Map<string, StorageBackend>();

async function clientFor(task: DecodeTask): Promise<StorageBackend> {
  const k = JSON.stringify(task.storage);
  let c = clients.get(k);
  if (!c) {
    await loadStoragePlugin(task.storage);
    c = createStorage(task.storage);
    clients.set(k, c);
  }
  return c;
}

function reasonOf(err: unknown, fallback: string): string {
  if (err && typeof err === 'object' && 'reason' in err && typeof err.reason === 'string') return err.reason;
  if (isTunefeedError(err) && err.code === 'TF_STORAGE_NOT_FOUND') return 'not_found';
  return fallback;
}

/** A task's bytes and how long reading them took, or why the sample must be skipped. */
export type TaskBytes = { ok: true; bytes: Buffer; readMs: number } | { ok: false; reason: string; message: string };

/** Video tasks read their clip inside their own body (ffmpeg may stream it); every other task reads bytes first. */
export function readsWhole(task: DecodeTask): boolean {
  return !(task.kind === 'video' && task.video);
}

/** Read the task's object through this thread's client; never throws (a failed read is a skip reason). */
export async function readTaskBytes(task: DecodeTask): Promise<TaskBytes> {
  const t0 = performance.now();
  try {
    const bytes = await (await clientFor(task)).read(task.key);
    return { ok: true, bytes, readMs: performance.now() - t0 };
  } catch (err) {
    return { ok: false, reason: reasonOf(err, 'read_error'), message: (err as Error).message };
  }
}

/**
 * Never throws for a bad sample: the result says why it must be skipped. Pixels own their ArrayBuffer (transferable).
 */
export async function runDecodeTask(task: DecodeTask): Promise<DecodeResult> {
  if (!readsWhole(task))
    return runVideoTask(await clientFor(task), { ...task.video!, key: task.key, geometry: task.geometry });
  const read = await readTaskBytes(task);
  return read.ok ? decodeTaskBytes(task, read.bytes, read.readMs) : read;
}

/** Decode bytes already read (pixels or latents); never throws for a bad sample. */
export async function decodeTaskBytes(task: DecodeTask, bytes: Buffer, readMs: number): Promise<DecodeResult> {
  const t1 = performance.now();
  if (task.kind === 'latents') return latentResult(bytes, task.key, readMs, t1);
  try {
    const img = await decodeToTarget(
      bytes,
      task.geometry,
      task.limitInputPixels ? { limitInputPixels: task.limitInputPixels } : {},
      task.key,
    );
    const pixels = ownBuffer(img.data);
    return {
      ok: true,
      kind: 'pixels',
      width: img.width,
      height: img.height,
      pixels,
      readMs,
      decodeMs: performance.now() - t1,
    };
  } catch (err) {
    return { ok: false, reason: reasonOf(err, 'corrupt'), message: (err as Error).message };
  }
}

function latentResult(bytes: Buffer, key: string, readMs: number, t1: number): DecodeResult {
  try {
    const t = latentFrom(readEmbedFile(bytes));
    return {
      ok: true,
      kind: 'latents',
      dtype: t.dtype,
      shape: t.shape,
      data: ownBuffer(t.data),
      readMs,
      decodeMs: performance.now() - t1,
    };
  } catch (err) {
    return { ok: false, reason: 'corrupt_latents', message: `${key}: ${(err as Error).message}` };
  }
}

/** A view that owns its whole ArrayBuffer: transferring a shared or external buffer would fail or move too much. */
function ownBuffer(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer)) {
    return new Uint8Array(b.buffer, 0, b.byteLength);
  }
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out;
}
