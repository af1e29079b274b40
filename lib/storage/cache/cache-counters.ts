// Per-storage cache counters, mirrored as metric events (cache.hit / cache.miss / cache.changed / cache.wait).
import { metrics } from '../../metrics/events.js';

/** What one cached storage counted since it was built. */
export interface CacheCounters {
  memoryHits: number;
  memoryBytes: number;
  diskHits: number;
  diskBytes: number;
  /** Reads that went to the remote (objects downloaded). */
  misses: number;
  downloadedBytes: number;
  /** Cached objects checked against the remote stat because they were older than revalidateAfterMs. */
  revalidations: number;
  /** Cached objects found changed on the remote, dropped and fetched again. */
  changed: number;
  /** Times this thread waited for another thread or process downloading the same object. */
  waits: number;
}

/** Counters plus their metric events, for one dataset. */
export class CacheCounter {
  readonly counts: CacheCounters = {
    memoryHits: 0,
    memoryBytes: 0,
    diskHits: 0,
    diskBytes: 0,
    misses: 0,
    downloadedBytes: 0,
    revalidations: 0,
    changed: 0,
    waits: 0,
  };

  constructor(readonly dataset: string) {}

  hit(level: 'memory' | 'disk', bytes: number): void {
    if (level === 'memory') {
      this.counts.memoryHits++;
      this.counts.memoryBytes += bytes;
    } else {
      this.counts.diskHits++;
      this.counts.diskBytes += bytes;
    }
    metrics.emit('cache.hit', { dataset: this.dataset, level, bytes });
  }

  miss(bytes: number): void {
    this.counts.misses++;
    this.counts.downloadedBytes += bytes;
    metrics.emit('cache.miss', { dataset: this.dataset, bytes });
  }

  revalidated(changed: boolean, key: string): void {
    this.counts.revalidations++;
    if (!changed) return;
    this.counts.changed++;
    metrics.emit('cache.changed', { dataset: this.dataset, key });
  }

  waited(): void {
    this.counts.waits++;
    metrics.emit('cache.wait', { dataset: this.dataset });
  }
}
