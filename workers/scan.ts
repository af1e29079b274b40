// Piscina task file: probe a chunk of keys; storage clients are rebuilt per worker from their description.
import { createStorage, loadStoragePlugin } from '../lib/storage/from-description.js';
import type { StorageBackend } from '../lib/storage/types.js';
import { runScanTask, type ScanTask, type ScanTaskResult } from '../lib/metadata/scan-task.js';

const clients = new Map<string, StorageBackend>();

async function storageFor(task: ScanTask): Promise<StorageBackend> {
  const k = JSON.stringify(task.desc);
  let s = clients.get(k);
  if (!s) {
    await loadStoragePlugin(task.desc);
    s = createStorage(task.desc);
    clients.set(k, s);
  }
  return s;
}

/** The pooled function: one chunk in, one result list out. */
export default async function scan(task: ScanTask): Promise<ScanTaskResult> {
  return runScanTask(task, await storageFor(task));
}
