// Parallel S3 listing by StartAfter key ranges: each range is listed flat up to the next one's first key, in key order.
import type { ListObjectsV2CommandOutput, _Object } from '@aws-sdk/client-s3';
import type { Logger } from '../log.js';
import { StorageError } from '../errors.js';
import { PageChannel } from './page-channel.js';
import { compareKeys, orderedPage } from './s3-key-order.js';
import { findBoundaries, splitCandidates } from './s3-split.js';
import type { ObjectInfo } from './types.js';

/** The ListObjectsV2 parameters the lister sends (never a delimiter: its semantics differ between servers). */
export interface ListParams {
  Prefix: string;
  MaxKeys: number;
  StartAfter?: string;
  ContinuationToken?: string;
}

/** What the range lister needs from the backend. */
export interface RangeContext {
  dataset: string;
  /** `s3://bucket/prefix`, for errors and logs. */
  where: string;
  pageSize: number;
  /** Ranges listed at once; 1 = one sequential flat listing. */
  concurrency: number;
  log: Logger;
  listPage(params: ListParams, signal?: AbortSignal): Promise<ListObjectsV2CommandOutput>;
}

/** Keys in (lo, hi]; undefined ends are open. `hi` only shrinks, when a split of this range completes. */
interface Range {
  lo: string | undefined;
  hi: string | undefined;
  channel?: PageChannel<ObjectInfo>;
  /** The last key received so far; a split may only hand over keys after it. */
  pos?: string;
  done?: boolean;
}

/**
 * One listing. The first range is the whole key space; a range whose first page is truncated probes for real keys
 * beyond that page and hands the rest of its span to new ranges queued right after it, so the queue stays in key
 * order and its concatenation is exactly a flat listing. Up to `concurrency` ranges run ahead of the consumer, each
 * buffering at most 4 pages.
 */
export class RangeLister {
  readonly #ctx: RangeContext;
  readonly #prefix: string;
  readonly #toInfo: (o: _Object) => ObjectInfo | null;
  readonly #queue: Range[] = [{ lo: undefined, hi: undefined }];
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;
  #split: boolean;

  constructor(ctx: RangeContext, prefix: string, toInfo: (o: _Object) => ObjectInfo | null, signal?: AbortSignal) {
    this.#ctx = ctx;
    this.#prefix = prefix;
    this.#toInfo = toInfo;
    this.#signal = signal ? AbortSignal.any([signal, this.#stop.signal]) : this.#stop.signal;
    this.#split = ctx.concurrency > 1;
  }

  async *objects(): AsyncGenerator<ObjectInfo> {
    try {
      for (;;) {
        this.#startWindow();
        const head = this.#queue[0];
        if (!head) return;
        yield* head.channel!;
        this.#queue.shift();
      }
    } finally {
      this.#stop.abort();
      for (const r of this.#queue) r.channel?.cancel();
    }
  }

  #startWindow(): void {
    const n = Math.min(this.#queue.length, Math.max(1, this.#ctx.concurrency));
    for (let i = 0; i < n; i++) {
      const r = this.#queue[i];
      if (r.channel) continue;
      const channel = (r.channel = new PageChannel<ObjectInfo>(4));
      this.#run(r, channel).then(
        () => channel.end(),
        (err: unknown) => channel.end(err),
      );
    }
  }

  /** Lists one range flat: StartAfter its low end, then continuation tokens, until a key past its high end. */
  async #run(r: Range, channel: PageChannel<ObjectInfo>): Promise<void> {
    try {
      await this.#pages(r, channel);
    } finally {
      r.done = true;
    }
  }

  async #pages(r: Range, channel: PageChannel<ObjectInfo>): Promise<void> {
    let token: string | undefined;
    for (let first = true; ; first = false) {
      const params: ListParams = { Prefix: this.#prefix, MaxKeys: this.#ctx.pageSize };
      if (token) params.ContinuationToken = token;
      else if (r.lo !== undefined) params.StartAfter = r.lo;
      const page = await this.#ctx.listPage(params, this.#signal);
      const objs = orderedPage(this.#ctx, page.Contents ?? [], r.pos ?? r.lo, page.IsTruncated === true);
      r.pos = objs.at(-1)?.Key ?? r.pos;
      const mine = r.hi === undefined ? objs : objs.filter((o) => compareKeys(o.Key!, r.hi!) <= 0);
      const infos = mine.map(this.#toInfo).filter((x): x is ObjectInfo => x !== null);
      if (!(await channel.push(infos))) return;
      const reachedEnd = mine.length < objs.length || (r.hi !== undefined && mine.at(-1)?.Key === r.hi);
      if (reachedEnd || !page.IsTruncated) return;
      token = page.NextContinuationToken;
      if (!token) throw this.#error('a truncated page carries no continuation token');
      // Enough ranges queued keep every lane busy; more splits would only add probes. The range keeps listing while
      // its split is probed: a split that completes later hands over only keys after the range's position then.
      const wanted = this.#queue.length < 2 * this.#ctx.concurrency;
      if (first && wanted && this.#split && objs.length)
        this.#splitRest(r, objs).catch((err: unknown) => {
          this.#ctx.log.debug({ dataset: this.#ctx.dataset, err }, 'S3 listing split failed; range listed whole');
        });
    }
  }

  /** Probes for keys beyond the page and queues the rest of the range as new ranges (none if the server cannot). */
  async #splitRest(r: Range, objs: readonly _Object[]): Promise<void> {
    const keys = objs.map((o) => o.Key!);
    const last = keys[keys.length - 1];
    const budget = Math.max(4, this.#ctx.concurrency);
    const candidates = splitCandidates(this.#prefix, keys, r.hi, budget);
    const found = await findBoundaries(candidates, last, r.hi, (c) => this.#probe(c), this.#ctx.concurrency);
    if (found === 'ignored') {
      if (this.#split)
        this.#ctx.log.warn(
          { dataset: this.#ctx.dataset, where: this.#ctx.where },
          'S3 server ignores StartAfter: listing sequentially with continuation tokens',
        );
      this.#split = false;
      return;
    }
    const kept = found.filter((b) => r.pos === undefined || compareKeys(b, r.pos) > 0);
    if (kept.length === 0 || r.done || this.#signal.aborted) return;
    const pieces = kept.map((lo, i): Range => ({ lo, hi: kept[i + 1] ?? r.hi }));
    r.hi = kept[0];
    this.#queue.splice(this.#queue.indexOf(r) + 1, 0, ...pieces);
    this.#startWindow();
  }

  async #probe(startAfter: string): Promise<string | undefined> {
    const page = await this.#ctx.listPage({ Prefix: this.#prefix, MaxKeys: 1, StartAfter: startAfter }, this.#signal);
    return page.Contents?.[0]?.Key;
  }

  #error(what: string): StorageError {
    return new StorageError(`S3 listing of ${this.#ctx.where} failed: ${what}`, {
      dataset: this.#ctx.dataset,
      file: this.#ctx.where,
    });
  }
}
