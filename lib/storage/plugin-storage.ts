// Plug-in storage kinds: a description names its plug-in module, so every thread can import it and rebuild the client.
import { pathToFileURL } from 'node:url';
import { RegistryLookupError } from '../errors.js';
import type { BackendDescription, StorageBackend } from './types.js';

/** The description of a plug-in's storage. */
export type PluginDescription = Extract<BackendDescription, { kind: 'plugin' }>;

/** What a plug-in builder offers a worker thread: its client, rebuilt from the plug-in's own description. */
export interface StoragePluginBuilder {
  readonly type: string;
  fromDescription?(data: unknown, id: string): StorageBackend;
}

type Maker = (data: unknown, id: string) => StorageBackend;

/** Makers per thread, by `plugin#type` (module instances are per thread too). */
const makers = new Map<string, Maker>();

const keyOf = (plugin: string, type: string): string => `${plugin}#${type}`;

/** The builders a plug-in module exports: `builders` (array), else `builder`, else the default export. */
export function exportedBuilders(mod: { builder?: unknown; builders?: unknown; default?: unknown }): unknown[] {
  return (Array.isArray(mod.builders) ? mod.builders : [mod.builder ?? mod.default]).filter(Boolean);
}

/** Remember how `type` from `plugin` rebuilds its client (the factory calls this for the builders it loaded). */
export function registerPluginMaker(plugin: string, builder: StoragePluginBuilder): void {
  if (typeof builder.fromDescription !== 'function') return;
  const withMaker = builder as Required<StoragePluginBuilder>;
  makers.set(keyOf(plugin, builder.type), (data, id) => withMaker.fromDescription(data, id));
}

/**
 * Import the plug-in a description names (once per thread) so createStorage can rebuild it synchronously.
 * A description of a built-in kind needs nothing.
 */
export async function loadStoragePlugin(desc: BackendDescription): Promise<void> {
  if (desc.kind !== 'plugin' || makers.has(keyOf(desc.plugin, desc.type))) return;
  let mod: { builder?: unknown; builders?: unknown; default?: unknown };
  try {
    mod = (await import(pathToFileURL(desc.plugin).href)) as typeof mod;
  } catch (err) {
    throw new RegistryLookupError(`Cannot load builder plug-in ${desc.plugin} for dataset ${desc.id}`, {
      cause: err,
      dataset: desc.id,
    });
  }
  const builder = exportedBuilders(mod).find((b) => (b as StoragePluginBuilder).type === desc.type);
  if (builder) registerPluginMaker(desc.plugin, builder as StoragePluginBuilder);
  if (!makers.has(keyOf(desc.plugin, desc.type))) throw noMaker(desc);
}

function noMaker(desc: PluginDescription): RegistryLookupError {
  return new RegistryLookupError(
    `Builder plug-in ${desc.plugin} has no \`fromDescription\` for type "${desc.type}", so worker threads ` +
      `cannot rebuild the storage of dataset ${desc.id}`,
    { dataset: desc.id, field: 'type' },
  );
}

/** The plug-in's client for `desc`; its module must have been loaded on this thread (loadStoragePlugin). */
export function createPluginStorage(desc: PluginDescription): StorageBackend {
  const make = makers.get(keyOf(desc.plugin, desc.type));
  if (!make) throw noMaker(desc);
  return withThreadDescription(make(desc.data, desc.id), desc);
}

/**
 * The plug-in's own client, except that describe() gives the wrapped description: every stage hands storages to
 * threads by describe(), and the plug-in's own description names no module to import.
 */
export function withThreadDescription(storage: StorageBackend, desc: PluginDescription): StorageBackend {
  return new Proxy(storage, {
    get(target, prop) {
      if (prop === 'describe') return () => desc;
      const v: unknown = Reflect.get(target, prop, target);
      // Bound to the client itself, so plug-in classes with private fields keep working.
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
