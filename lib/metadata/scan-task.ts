// One pooled scan task: probe a chunk of keys (images by header, videos by ffprobe) with bounded I/O concurrency.
import type { BackendDescription, StorageBackend } from '../storage/types.js';
import { NotFoundError } from '../errors.js';
import type { SkipReason } from './types.js';
import { probeFile, type ProbeFileOptions } from './probe-file.js';
import { probeVideo, VIDEO_EXTENSIONS } from './video-probe.js';

/** Probe settings carried by every task (plain data: it crosses threads). */
export interface ScanProbeOptions {
  /** First read per file. @default 65536 on local disk, 16384 on remote storage */
  headBytes?: number;
  /**
   * Follow-up read size when a header walk jumps past what it has. @default 4096 on local disk, 16384 on remote storage
   */
  followBytes?: number;
  pixelLimit?: number;
  scanForErrors?: boolean;
  /** Tail check for truncation (see ProbeFileOptions). @default true for local storage, false for remote */
  verifyTail?: boolean;
  /** Keys in flight at once inside one task (hides S3 latency). @default 8 on local disk, 16 on remote storage */
  ioConcurrency?: number;
}

/** A chunk of keys for one worker. */
export interface ScanTask {
  desc: BackendDescription;
  items: { key: string; size: number }[];
  options: ScanProbeOptions;
}

/** What a worker learned about one key. */
export type ScanItemResult =
  | {
      key: string;
      ok: true;
      format: string;
      width: number;
      height: number;
      orientation: number;
      frames?: number;
      fps?: number;
      duration?: number;
    }
  | { key: string; ok: false; reason: SkipReason; message: string };

export interface ScanTaskResult {
  results: ScanItemResult[];
  bytesRead: number;
}

const videoExt = new Set(VIDEO_EXTENSIONS);
const REMOTE_HEAD = 16384;

function isVideo(key: string): boolean {
  const dot = key.lastIndexOf('.');
  return dot >= 0 && videoExt.has(key.slice(dot + 1).toLowerCase());
}

async function probeOne(
  storage: StorageBackend,
  item: { key: string; size: number },
  o: ProbeFileOptions,
): Promise<[ScanItemResult, number]> {
  const { key } = item;
  try {
    if (isVideo(key)) {
      const v = await probeVideo(storage, key);
      if (!v.ok) return [{ key, ok: false, reason: v.reason, message: v.message }, 0];
      const { width, height, frames, fps, duration } = v;
      return [{ key, ok: true, format: 'video', width, height, orientation: 1, frames, fps, duration }, item.size];
    }
    const p = await probeFile(storage, key, item.size, o);
    if (!p.ok) return [{ key, ok: false, reason: p.reason, message: p.message }, p.bytesRead];
    const { format, width, height, orientation, frames } = p;
    return [
      { key, ok: true, format, width, height, orientation, ...(frames === undefined ? {} : { frames }) },
      p.bytesRead,
    ];
  } catch (err) {
    const gone = err instanceof NotFoundError || (err as NodeJS.ErrnoException).code === 'ENOENT';
    const reason: SkipReason = gone ? 'not_found' : 'read_error';
    return [{ key, ok: false, reason, message: (err as Error).message }, 0];
  }
}

/** Probes every item of the task, `ioConcurrency` at a time; results come back in item order. */
export async function runScanTask(task: ScanTask, storage: StorageBackend): Promise<ScanTaskResult> {
  const local = storage.kind === 'local';
  const { ioConcurrency = local ? 8 : 16, ...rest } = task.options;
  // Remote reads pay per byte in client CPU (HTTP parsing, copies, GC), not per call as a pread does: a 16 KiB head
  // holds the dimensions of nearly every image (a JPEG behind a large EXIF block usually takes one more range).
  // A tail check is one more pread locally but one more request remotely: remote scans opt in.
  const probeOptions = {
    ...rest,
    headBytes: rest.headBytes ?? (local ? 65536 : REMOTE_HEAD),
    followBytes: rest.followBytes ?? (local ? 4096 : REMOTE_HEAD),
    verifyTail: rest.verifyTail ?? local,
  };
  const results = new Array<ScanItemResult>(task.items.length);
  let bytesRead = 0;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < task.items.length) {
      const i = next++;
      const [r, n] = await probeOne(storage, task.items[i], probeOptions);
      results[i] = r;
      bytesRead += n;
    }
  };
  await Promise.all(Array.from({ length: Math.min(ioConcurrency, task.items.length) }, lane));
  return { results, bytesRead };
}
