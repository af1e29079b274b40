// One URL download for the CSV backend: bounded concurrency, retries on transient failures, atomic cache write, failure
// record.
import type http from 'node:http';
import type https from 'node:https';
import { DownloadError } from '../errors.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics/events.js';
import { fetchLimited, FetchFailure, fetchRetryReason, type FetchLimits } from './http-fetch.js';
import type { FailureRecord } from './failure-record.js';
import type { LocalStorage } from './local.js';
import { networkReason, withRetries, type RetryPolicy } from './retry.js';

/** Per-backend download settings (built once). */
export interface DownloadSettings {
  dataset: string;
  concurrency: number;
  log: Logger;
  agents: { http: http.Agent; https: https.Agent };
  policy: RetryPolicy;
  limits: Omit<FetchLimits, 'agents'>;
  /** Internal: slots and in-flight dedupe, created on first use. */
  state?: { active: number; waiters: (() => void)[]; inflight: Map<string, Promise<Buffer>> };
}

/** What to fetch and where it goes. */
export interface DownloadJob {
  url: string;
  name: string;
  /** Where the download is kept under its SimpleTuner name; absent when the shared read cache keeps it instead. */
  cache?: LocalStorage;
  failures: FailureRecord;
  signal?: AbortSignal;
}

/** Download (once, even if asked concurrently), cache atomically, and record the outcome. */
export function downloadToCache(s: DownloadSettings, job: DownloadJob): Promise<Buffer> {
  s.state ??= { active: 0, waiters: [], inflight: new Map() };
  const state = s.state;
  const running = state.inflight.get(job.url);
  if (running) return running;
  const p = withSlot(s, () => attempt(s, job)).finally(() => state.inflight.delete(job.url));
  state.inflight.set(job.url, p);
  return p;
}

async function withSlot<T>(s: DownloadSettings, fn: () => Promise<T>): Promise<T> {
  const st = s.state!;
  while (st.active >= s.concurrency) await new Promise<void>((r) => st.waiters.push(r));
  st.active++;
  try {
    return await fn();
  } finally {
    st.active--;
    st.waiters.shift()?.();
  }
}

async function attempt(s: DownloadSettings, job: DownloadJob): Promise<Buffer> {
  const started = Date.now();
  try {
    const res = await withRetries(
      s.policy,
      {
        log: s.log,
        op: 'download',
        dataset: s.dataset,
        key: job.url,
        ...(job.signal ? { signal: job.signal } : {}),
        onRetry: (reason) =>
          metrics.emit('storage.retry', { dataset: s.dataset, backend: 'csv', op: 'download', reason }),
      },
      fetchRetryReason,
      (signal) => fetchLimited(job.url, { ...s.limits, agents: s.agents }, signal),
    );
    if (job.cache) await job.cache.write(job.name, res.body);
    if (await job.failures.get(job.url)) await job.failures.clear(job.url);
    metrics.emit('csv.download', { dataset: s.dataset, bytes: res.body.length, ms: Date.now() - started });
    return res.body;
  } catch (err) {
    if (job.signal?.aborted) throw err;
    const f = describeFailure(err);
    const entry = await job.failures.add(job.url, f);
    s.log.warn(
      { dataset: s.dataset, url: job.url, reason: f.reason, status: f.status, failures: entry.failures },
      `download failed: ${f.message}`,
    );
    metrics.emit('csv.download.failed', { dataset: s.dataset, reason: f.reason });
    throw new DownloadError(`Download of ${job.url} failed (${f.reason}): ${f.message}`, f.reason, f.status, {
      dataset: s.dataset,
      file: job.url,
      cause: err,
    });
  }
}

function describeFailure(err: unknown): {
  status: number | undefined;
  reason: string;
  message: string;
  permanent: boolean;
} {
  if (err instanceof FetchFailure)
    return { status: err.status, reason: err.reason, message: err.message, permanent: err.permanent };
  const e = err as { name?: string; message?: string; cause?: { name?: string; message?: string } };
  if (e.name === 'PrivateAddressError' || e.cause?.name === 'PrivateAddressError') {
    return {
      status: undefined,
      reason: 'private_address',
      message: `${e.message ?? e.cause?.message} (set csv_allow_private_hosts to allow)`,
      permanent: true,
    };
  }
  return {
    status: undefined,
    reason: networkReason(err) ?? 'error',
    message: e.message ?? String(err),
    permanent: false,
  };
}
