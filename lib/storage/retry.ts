// Bounded retries with exponential backoff and full jitter, a per-attempt deadline, and a log line per retry.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';

/** How hard to retry one operation. */
export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  /** First backoff ceiling in ms; doubles each retry (full jitter: a uniform pick below the ceiling). */
  baseDelayMs: number;
  /** Backoff ceiling never exceeds this. */
  maxDelayMs: number;
  /** Deadline for one attempt, body included (0 = none). */
  attemptTimeoutMs: number;
}

/** Why an attempt failed in a way worth retrying, or null when retrying cannot help. */
export type Classifier = (err: unknown) => string | null;

/** Context for logs and the final error. */
export interface RetryContext {
  log: Logger;
  op: string;
  dataset: string;
  key: string;
  signal?: AbortSignal;
  /** Called after each failed attempt that will be retried (metrics). */
  onRetry?: (reason: string, attempt: number) => void;
}

/** Thrown by an attempt when its own deadline fired (distinct from the caller aborting). */
export class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}

/**
 * Run `fn` until it succeeds, fails permanently, or attempts run out; the last error is rethrown as is
 * (callers wrap it into a coded error). Each attempt gets a signal that fires at its deadline or on caller abort.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  ctx: RetryContext,
  classify: Classifier,
  fn: (signal: AbortSignal, attempt: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    ctx.signal?.throwIfAborted();
    const deadline = policy.attemptTimeoutMs > 0 ? AbortSignal.timeout(policy.attemptTimeoutMs) : undefined;
    const signals = [ctx.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal =
      signals.length === 1 ? signals[0] : AbortSignal.any(signals.length ? signals : [new AbortController().signal]);
    try {
      return await fn(signal, attempt);
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      const failure = deadline?.aborted
        ? new AttemptTimeout(`attempt timed out after ${policy.attemptTimeoutMs} ms`, { cause: err })
        : err;
      const reason = classify(failure);
      if (reason === null || attempt >= policy.attempts) throw failure;
      const delay = Math.floor(Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
      ctx.log.warn(
        { dataset: ctx.dataset, op: ctx.op, key: ctx.key, attempt, of: policy.attempts, reason, delayMs: delay },
        `retrying ${ctx.op} after ${reason}`,
      );
      ctx.onRetry?.(reason, attempt);
      await sleep(delay, undefined, ctx.signal ? { signal: ctx.signal } : {});
    }
  }
}

const RETRYABLE_NET = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Network-level reasons shared by S3 and HTTP downloads: resets, refused, timeouts, truncated bodies. */
export function networkReason(err: unknown): string | null {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const x = e as { name?: string; code?: string; message?: string; cause?: unknown };
    // The SDK names a reset socket "TimeoutError" with code ECONNRESET: the code is the better witness.
    if (x.code === 'ETIMEDOUT') return 'timeout';
    if (x.code && RETRYABLE_NET.has(x.code)) return x.code.toLowerCase();
    if (x.name === 'AttemptTimeout' || x.name === 'TimeoutError' || x.name === 'RequestTimeout') return 'timeout';
    if (x.name === 'TruncatedBody') return 'truncated_body';
    if (typeof x.message === 'string' && /socket hang up|aborted|premature close|other side closed/i.test(x.message))
      return 'connection_closed';
    e = x.cause;
  }
  return null;
}
