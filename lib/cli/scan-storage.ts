// Storage for `tunefeed scan`: the backend factory when it is built, else a direct local/S3 client from the config.
import type { ImageDatasetConfig, LoadedConfig } from '../config/types.js';
import type { StorageBackend } from '../storage/types.js';
import { LocalStorage } from '../storage/local.js';
import { createStorage } from '../storage/from-description.js';
import { UsageError } from '../errors.js';

interface Built {
  id: string;
  storage: StorageBackend;
}
interface FactoryModule {
  createFactory(loaded: LoadedConfig): { build(): Promise<{ data: Built[]; close(): Promise<void> }> };
}

/** Storage per dataset id plus a close function. */
export interface ScanStorages {
  get(id: string): StorageBackend;
  close(): Promise<void>;
}

function direct(config: ImageDatasetConfig): StorageBackend {
  if (config.type === 'local') return new LocalStorage({ id: config.id, root: config.instance_data_dir });
  if (config.type === 'aws' && config.aws) {
    const a = config.aws;
    return createStorage({
      kind: 'aws',
      id: config.id,
      bucket: a.aws_bucket_name,
      prefix: a.aws_data_prefix,
      region: a.aws_region_name,
      ...(a.aws_endpoint_url ? { endpoint: a.aws_endpoint_url } : {}),
      ...(a.aws_access_key_id ? { accessKeyId: a.aws_access_key_id } : {}),
      ...(a.aws_secret_access_key ? { secretAccessKey: a.aws_secret_access_key } : {}),
      ...(a.aws_session_token ? { sessionToken: a.aws_session_token } : {}),
      maxPoolConnections: a.aws_max_pool_connections,
      checksumMode: a.aws_checksum_mode,
      forcePathStyle: true,
      requestTimeoutMs: 30_000,
      connectTimeoutMs: 5_000,
      maxAttempts: 5,
    });
  }
  throw new UsageError(
    `dataset type '${config.type}' needs the backend factory (lib/factory), which is not built yet`,
    { dataset: config.id },
  );
}

/** Builds storages through lib/factory/factory.js when present; otherwise local and S3 directly. */
export async function scanStorages(loaded: LoadedConfig, datasets: ImageDatasetConfig[]): Promise<ScanStorages> {
  const spec = '../factory/factory.js';
  const factory = (await import(spec).catch(() => null)) as FactoryModule | null;
  if (factory?.createFactory) {
    const built = await factory.createFactory(loaded).build();
    const byId = new Map(built.data.map((b) => [b.id, b.storage]));
    return { get: (id) => byId.get(id) ?? direct(datasets.find((d) => d.id === id)!), close: () => built.close() };
  }
  const byId = new Map<string, StorageBackend>();
  return {
    get(id) {
      let s = byId.get(id);
      if (!s) byId.set(id, (s = direct(datasets.find((d) => d.id === id)!)));
      return s;
    },
    close: async () => {
      await Promise.all([...byId.values()].map((s) => s.close()));
    },
  };
}
