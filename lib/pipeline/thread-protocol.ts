// What crosses between the main thread and the prefetch thread: messages, datasets, options, coded errors, buffers.
import type { ImageDatasetConfig } from '../config/types.js';
import * as errors from '../errors.js';
import { TunefeedError } from '../errors.js';
import type { DatasetIndex } from '../metadata/types.js';
import type { MetricEvent } from '../metrics/events.js';
import type { World } from '../sampling/partition.js';
import type { ResumeState } from '../sampling/state.js';
import type { BackendDescription } from '../storage/types.js';
import type { Envelope } from './assemble.js';
import type { InsertSpec } from './insert-stage.js';
import type { Batch, LoaderDatasetInput, LoaderOptions } from './types.js';
import { rebuildableCaptionSeed, type RuntimeArgs } from './wire.js';

/** A dataset as sent to the thread: the storage by description (rebuilt with createStorage there). */
export interface WireDataset {
  config: ImageDatasetConfig;
  description: BackendDescription;
  index: DatasetIndex;
  /**
   * `default`: the thread builds the config's resolver; `resolver`: same, with this seed; `main`: ask the main thread.
   */
  captions: { kind: 'default' } | { kind: 'resolver'; seed: number } | { kind: 'main' };
  /** The text_embeds backend, by description (rebuilt in the thread). */
  textEmbeds?: { description: BackendDescription; modelFamily: string };
  /** The linked image_embeds backend holding the VAE cache, by description. */
  vaeCache?: BackendDescription;
}

/** The loader options that mean something inside the thread (everything serialisable). */
export type WireOptions = Omit<
  LoaderOptions,
  'env' | 'metrics' | 'datasets' | 'loaded' | 'weighting' | 'rank' | 'worldSize'
> & { weighting?: string };

/** workerData of the prefetch thread. */
export interface ThreadInit {
  datasets: WireDataset[];
  args: RuntimeArgs;
  options: WireOptions;
  world: World;
  /** Batches the thread may send before the first one is delivered (= prefetch). */
  credits: number;
  insert?: InsertSpec;
}

/** Thread → main. */
export type FromThread =
  | { type: 'ready'; initial: ResumeState }
  | { type: 'batch'; envelope: Envelope; skips: [string, number][] }
  | { type: 'planned'; n: number }
  | { type: 'metric'; event: MetricEvent }
  | { type: 'caption'; id: number; dataset: string; key: string; sampleSeed: number }
  | { type: 'end'; error: WireError | null }
  | { type: 'error'; error: WireError }
  | { type: 'closed' };

/** Main → thread. */
export type ToThread =
  | { type: 'credit'; n: number }
  | { type: 'caption-result'; id: number; value?: string | null; error?: WireError }
  | { type: 'close' };

/** A serialised error: class name, code and context survive the crossing. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  /** Own enumerable fields (dataset, file, field, row, reason, status, issues, ...). */
  fields: Record<string, unknown>;
}

export function toWireDataset(d: LoaderDatasetInput): WireDataset {
  const seed = d.captions ? rebuildableCaptionSeed(d.captions) : undefined;
  const captions: WireDataset['captions'] = !d.captions
    ? { kind: 'default' }
    : seed !== undefined
      ? { kind: 'resolver', seed }
      : { kind: 'main' };
  return {
    config: d.config,
    description: d.storage.describe(),
    index: d.index,
    captions,
    ...(d.textEmbeds
      ? { textEmbeds: { description: d.textEmbeds.storage.describe(), modelFamily: d.textEmbeds.modelFamily } }
      : {}),
    ...(d.vaeCache ? { vaeCache: d.vaeCache.describe() } : {}),
  };
}

export function toWireError(err: unknown): WireError {
  const e = err instanceof Error ? err : new Error(String(err));
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'cause' || typeof v === 'function') continue;
    try {
      fields[k] = structuredClone(v);
    } catch {
      /* not cloneable: dropped */
    }
  }
  return {
    name: e.name,
    message: e.message,
    ...(e.stack ? { stack: e.stack } : {}),
    ...(e instanceof TunefeedError ? { code: e.code } : {}),
    fields,
  };
}

const CLASSES = new Map<string, typeof TunefeedError>(
  Object.values(errors)
    .filter(
      (v): v is typeof TunefeedError =>
        typeof v === 'function' && (v === TunefeedError || v.prototype instanceof TunefeedError),
    )
    .map((c) => [c.name, c]),
);

/**
 * Rebuild an error with its class (so `instanceof ImpossibleBatchError` and `.code` still hold). The constructor is
 * not re-run: the message already carries its context and was scrubbed of secrets where it was made.
 */
export function fromWireError(w: WireError): Error {
  const cls = w.code !== undefined ? (CLASSES.get(w.name) ?? TunefeedError) : Error;
  const e = Object.create(cls.prototype) as Error;
  Object.assign(e, w.fields);
  Object.defineProperty(e, 'message', { value: w.message, writable: true, configurable: true });
  Object.defineProperty(e, 'stack', {
    value: w.stack ?? `${w.name}: ${w.message}`,
    writable: true,
    configurable: true,
  });
  if (w.code !== undefined && (e as TunefeedError).code !== w.code)
    Object.defineProperty(e, 'code', { value: w.code, enumerable: true });
  return e;
}

/**
 * The buffers to transfer with a batch (pixels, latents, conditioning pixels). A view that does not own its whole
 * ArrayBuffer (pool slices, tensors inside a file buffer) is replaced by a copy of just its bytes: transferring the
 * shared buffer would detach its neighbours, and cloning it would copy all of it.
 */
export function transferables(batch: Batch): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const own = (u: Uint8Array): Uint8Array => {
    if (u.buffer instanceof ArrayBuffer && u.byteOffset === 0 && u.byteLength === u.buffer.byteLength) {
      out.add(u.buffer);
      return u;
    }
    const copy = new Uint8Array(u);
    out.add(copy.buffer);
    return copy;
  };
  for (const s of batch.samples) {
    for (const t of Object.values(s.textEmbeds ?? {})) t.data = own(t.data);
    if (s.pixels) s.pixels = own(s.pixels);
    if (s.latents) s.latents.data = own(s.latents.data);
    for (const c of s.conditioning ?? []) if (c.pixels) c.pixels = own(c.pixels);
    if (s.frames) s.frames = own(s.frames);
  }
  return [...out];
}
