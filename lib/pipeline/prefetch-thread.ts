// The prefetch thread: runs the whole batch pipeline and sends finished batches to the main thread, paced by credits.
import { workerData } from 'node:worker_threads';
import type { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import { createCaptionResolver } from '../captions/resolve-caption.js';
import { MetricsBus, metrics as threadDefaultBus } from '../metrics/events.js';
import { LocalStorage } from '../storage/local.js';
import type { BackendDescription, StorageBackend } from '../storage/types.js';
import { buildPipeline, type BuiltPipeline } from './build-pipeline.js';
import {
  toWireError,
  transferables,
  type FromThread,
  type ThreadInit,
  type ToThread,
  type WireDataset,
} from './thread-protocol.js';
import type { LoaderDatasetInput } from './types.js';
import { loadInsertStage } from './insert-stage.js';
import type * as FromDescription from '../storage/from-description.js';
import type { Envelope } from './assemble.js';

const init = workerData as ThreadInit & { port: MessagePort };
const port = init.port;
const post = (m: FromThread, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

let credits = init.credits;
let wake: (() => void) | null = null;
let closing = false;
const captionCalls = new Map<number, { resolve: (v: string | null) => void; reject: (e: Error) => void }>();
let nextCall = 0;

/** A user's caption function stays on the main thread; the thread asks for each caption. */
function askMain(dataset: string) {
  return (key: string, sampleSeed: number): Promise<string | null> =>
    new Promise((resolve, reject) => {
      const id = nextCall++;
      captionCalls.set(id, { resolve, reject });
      post({ type: 'caption', id, dataset, key, sampleSeed });
    });
}

/**
 * createStorage (lib/storage/from-description) loads every backend's client library, ~0.3 s before the first batch;
 * local-only runs build LocalStorage directly, as createStorage would.
 */
async function storageMaker(datasets: WireDataset[]): Promise<(desc: BackendDescription) => StorageBackend> {
  const descs = datasets.flatMap((d) => [d.description, d.textEmbeds?.description, d.vaeCache]);
  if (descs.every((x) => x === undefined || x.kind === 'local'))
    return (desc) => new LocalStorage(desc as Extract<BackendDescription, { kind: 'local' }>);
  const mod = await fromDescriptionModule();
  // Plug-in storages: their modules are imported here (the same module instance createStorage consults).
  for (const desc of descs) if (desc) await mod.loadStoragePlugin(desc);
  return mod.createStorage;
}

async function fromDescriptionModule(): Promise<typeof FromDescription> {
  try {
    return await import('../storage/from-description.js');
  } catch (err) {
    // From .ts sources under tsx, import() is not hooked in worker threads but require() is (see prefetch-thread-
    // boot.cjs).
    if (typeof require !== 'function') throw err;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the only loader tsx hooks in a worker thread
    return require('../storage/from-description.js') as typeof FromDescription;
  }
}

function inputOf(
  d: WireDataset,
  storages: StorageBackend[],
  createStorage: (desc: BackendDescription) => StorageBackend,
): LoaderDatasetInput {
  const storage = createStorage(d.description);
  storages.push(storage);
  const input: LoaderDatasetInput = { config: d.config, storage, index: d.index };
  const own = (desc: BackendDescription): StorageBackend => {
    const s = createStorage(desc);
    storages.push(s);
    return s;
  };
  if (d.textEmbeds)
    input.textEmbeds = { storage: own(d.textEmbeds.description), modelFamily: d.textEmbeds.modelFamily };
  if (d.vaeCache) input.vaeCache = own(d.vaeCache);
  if (d.captions.kind === 'resolver')
    input.captions = createCaptionResolver(d.config, storage, d.index, d.captions.seed);
  else if (d.captions.kind === 'main') input.captions = askMain(d.config.id);
  return input;
}

async function insertStage(): Promise<Duplex | undefined> {
  return init.insert ? loadInsertStage(init.insert) : undefined;
}

/** One batch per credit: with no credit the thread stops pulling, so backpressure reaches the sampler. */
async function send(p: BuiltPipeline): Promise<void> {
  const it = (p.body as AsyncIterable<Envelope>)[Symbol.asyncIterator]();
  for (;;) {
    while (credits === 0 && !closing)
      await new Promise<void>((r) => {
        wake = r;
      });
    if (closing) return;
    const r = await it.next();
    if (r.done) {
      post({ type: 'end', error: p.merge.error ? toWireError(p.merge.error) : null });
      return;
    }
    credits--;
    post({ type: 'batch', envelope: r.value, skips: [...p.skips] }, transferables(r.value.batch));
  }
}

async function main(): Promise<void> {
  const bus = new MetricsBus();
  bus.subscribe((event) => post({ type: 'metric', event }));
  // Storage (cache hits, retries) reports on this thread's default bus: forward it too.
  threadDefaultBus.subscribe((event) => post({ type: 'metric', event }));
  const storages: StorageBackend[] = [];
  let built: BuiltPipeline | null = null;
  port.on('message', (m: ToThread) => {
    if (m.type === 'credit') {
      credits += m.n;
      wake?.();
      wake = null;
      return;
    }
    if (m.type === 'caption-result') {
      const call = captionCalls.get(m.id);
      captionCalls.delete(m.id);
      if (m.error) call?.reject(Object.assign(new Error(m.error.message), m.error.fields));
      else call?.resolve(m.value ?? null);
      return;
    }
    closing = true;
    wake?.();
    void shutdown(built, storages);
  });
  try {
    const make = await storageMaker(init.datasets);
    built = await buildPipeline(
      init.datasets.map((d) => inputOf(d, storages, make)),
      init.args,
      init.options,
      init.world,
      bus,
      await insertStage(),
    );
  } catch (err) {
    post({ type: 'error', error: toWireError(err) });
    return;
  }
  built.onError((err) => {
    if (!closing) post({ type: 'error', error: toWireError(err) });
  });
  post({ type: 'ready', initial: built.initial });
  // The sampler also plans while no batch is asked for (filling the stages' one-item buffers): report every plan.
  built.merge.on('plan', (n: number) => post({ type: 'planned', n }));
  // A merge error ends the body normally; a stage error destroys it (reported through onError, and here again:
  // the main thread keeps the first error only).
  send(built).catch((err: unknown) => {
    if (!closing) post({ type: 'error', error: toWireError(err) });
  });
}

async function shutdown(p: BuiltPipeline | null, storages: StorageBackend[]): Promise<void> {
  p?.merge.destroy();
  p?.body.destroy();
  await p?.pool?.close().catch(() => {});
  await Promise.all(storages.map((s) => s.close().catch(() => {})));
  post({ type: 'closed' });
}

void main();
