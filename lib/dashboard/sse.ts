// Server-sent events: each metric event goes out as JSON, coalesced to at most one per type and dataset per interval.
import type { ServerResponse } from 'node:http';
import type { MetricEvent } from '../metrics/events.js';

/** How the hub paces messages. */
export interface EventHubOptions {
  /** Minimum ms between two messages of the same type and dataset; later events replace a waiting one. @default 100 */
  intervalMs?: number;
  /** Built on every flush and sent as a `snapshot` message (the page's numbers), at most once per interval. */
  snapshot?: () => unknown;
}

interface Slot {
  last: number;
  pending: MetricEvent | null;
  /** Events folded into the pending one (sent as `coalesced`, so a client can tell how many it did not see). */
  merged: number;
}

/** Fans coalesced events out to every connected EventSource. */
export class EventHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #slots = new Map<string, Slot>();
  readonly #interval: number;
  readonly #snapshot: (() => unknown) | undefined;
  #timer: NodeJS.Timeout | null = null;
  #snapshotDue = false;

  constructor(o: EventHubOptions = {}) {
    this.#interval = o.intervalMs ?? 100;
    this.#snapshot = o.snapshot;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Start an event stream on `res` (headers, a retry hint, then the current snapshot at once). */
  attach(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    if (this.#snapshot) res.write(frame('snapshot', this.#snapshot()));
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
  }

  /** Queue one event; sent now if its slot is idle, else folded into the slot's next message. */
  publish(e: MetricEvent): void {
    if (this.#clients.size === 0) return;
    const key = e.dataset === undefined ? e.type : `${e.type}\u0000${String(e.dataset)}`;
    let slot = this.#slots.get(key);
    if (!slot) this.#slots.set(key, (slot = { last: 0, pending: null, merged: 0 }));
    slot.merged++;
    slot.pending = e;
    this.#snapshotDue = true;
    if (e.ts - slot.last >= this.#interval) this.#send(slot, e.ts);
    this.#schedule();
  }

  /** Send a fresh snapshot soon even without events (memory and uptime move while a scan waits on I/O). */
  heartbeat(): void {
    if (this.#clients.size === 0) return;
    this.#snapshotDue = true;
    this.#schedule();
  }

  /** End every open stream (clients reconnect by themselves); used on close and by restart tests. */
  drop(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.drop();
  }

  #send(slot: Slot, now: number): void {
    const e = slot.pending!;
    const body = frame('metric', { ...e, coalesced: slot.merged });
    slot.pending = null;
    slot.merged = 0;
    slot.last = now;
    for (const res of this.#clients) res.write(body);
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#flush(), this.#interval);
    this.#timer.unref();
  }

  #flush(): void {
    this.#timer = null;
    const now = Date.now();
    let waiting = false;
    for (const slot of this.#slots.values()) {
      if (!slot.pending) continue;
      if (now - slot.last >= this.#interval) this.#send(slot, now);
      else waiting = true;
    }
    if (this.#snapshotDue && this.#snapshot && this.#clients.size > 0) {
      this.#snapshotDue = false;
      const body = frame('snapshot', this.#snapshot());
      for (const res of this.#clients) res.write(body);
    }
    if (waiting) this.#schedule();
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
