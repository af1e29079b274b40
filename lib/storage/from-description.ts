// Rebuilds a live storage client from its serialisable description (used by the factory and inside workers).
import { RegistryLookupError } from '../errors.js';
import { LocalStorage } from './local.js';
import type { BackendDescription, StorageBackend } from './types.js';

type Maker = (desc: BackendDescription) => StorageBackend;

const makers = new Map<BackendDescription['kind'], Maker>([
  ['local', (d) => new LocalStorage(d as Extract<BackendDescription, { kind: 'local' }>)],
]);

/** Register the maker for a storage kind (backends register themselves here; duplicates are a bug). */
export function registerStorageKind(kind: BackendDescription['kind'], maker: Maker): void {
  makers.set(kind, maker);
}

/** A new client for `desc`. Each call builds its own client: clients never cross threads. */
export function createStorage(desc: BackendDescription): StorageBackend {
  const make = makers.get(desc.kind);
  if (!make) {
    throw new RegistryLookupError(`Unknown storage kind "${desc.kind}"; known kinds: ${[...makers.keys()].join(', ')}`, { dataset: desc.id });
  }
  return make(desc);
}
