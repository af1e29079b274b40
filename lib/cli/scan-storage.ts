// Storage for `tunefeed scan` and `merge`: every dataset's backend built by the factory.
import type { LoadedConfig } from '../config/types.js';
import type { StorageBackend } from '../storage/types.js';
import { createFactory } from '../factory/factory.js';
import { UsageError } from '../errors.js';

/** Storage per dataset id plus a close function. */
export interface ScanStorages {
  get(id: string): StorageBackend;
  close(): Promise<void>;
}

/** Builds every dataset's storage through the backend factory (the one build path the other commands use too). */
export async function scanStorages(loaded: LoadedConfig): Promise<ScanStorages> {
  const built = await createFactory(loaded).build();
  const byId = new Map(built.data.map((b) => [b.id, b.storage]));
  return {
    get: (id) => {
      const storage = byId.get(id);
      if (!storage) throw new UsageError(`dataset '${id}' has no built storage backend`, { dataset: id });
      return storage;
    },
    close: () => built.close(),
  };
}
