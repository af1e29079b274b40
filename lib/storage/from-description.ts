// Rebuilds a live storage client from its serialisable description (used by the factory and inside workers).
import { RegistryLookupError } from '../errors.js';
import { LocalStorage } from './local.js';
import { CsvStorage } from './csv.js';
import { HuggingfaceStorage } from './huggingface.js';
import { S3Storage } from './s3.js';
import { withCache } from './cache/cached-storage.js';
import { createPluginStorage } from './plugin-storage.js';
import type { BackendDescription, StorageBackend } from './types.js';

type Kind = BackendDescription['kind'];
type Maker = (desc: BackendDescription) => StorageBackend;

const makers = new Map<Kind, Maker>([
  ['local', (d) => new LocalStorage(d as Extract<BackendDescription, { kind: 'local' }>)],
  ['aws', (d) => new S3Storage(d as Extract<BackendDescription, { kind: 'aws' }>)],
  ['csv', (d) => new CsvStorage(d as Extract<BackendDescription, { kind: 'csv' }>)],
  ['huggingface', (d) => new HuggingfaceStorage(d as Extract<BackendDescription, { kind: 'huggingface' }>)],
  // A plug-in's module must be loaded on this thread first (loadStoragePlugin, re-exported below).
  ['plugin', (d) => createPluginStorage(d as Extract<BackendDescription, { kind: 'plugin' }>)],
]);

export { loadStoragePlugin } from './plugin-storage.js';

/** A new client for `desc`. Each call builds its own client: clients never cross threads. */
export function createStorage(desc: BackendDescription): StorageBackend {
  const make = makers.get(desc.kind);
  if (!make) {
    throw new RegistryLookupError(
      `Unknown storage kind "${String(desc.kind)}"; known kinds: ${[...makers.keys()].join(', ')}`,
      { dataset: desc.id },
    );
  }
  const storage = make(desc);
  // CSV downloads use the cache inside CsvStorage (its failure record decides what to fetch at all).
  return desc.kind !== 'csv' && 'cache' in desc && desc.cache ? withCache(storage, desc.cache) : storage;
}
