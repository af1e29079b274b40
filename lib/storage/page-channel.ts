// A bounded, single-consumer queue of pages between a concurrent producer and an in-order consumer.

/** Producer side pushes pages (waiting while `limit` pages are queued); the consumer iterates items in order. */
export class PageChannel<T> implements AsyncIterable<T> {
  readonly #pages: T[][] = [];
  readonly #limit: number;
  #ended = false;
  #cancelled = false;
  #error: Error | undefined = undefined;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;

  constructor(limit = 4) {
    this.#limit = Math.max(1, limit);
  }

  /** Queue a page; resolves false once the consumer has gone away (producer should stop). */
  async push(page: T[]): Promise<boolean> {
    while (this.#pages.length >= this.#limit && !this.#cancelled)
      await new Promise<void>((r) => {
        this.#wakeProducer = r;
      });
    if (this.#cancelled) return false;
    if (page.length) this.#pages.push(page);
    this.#wake();
    return true;
  }

  /** No more pages; with an error, the consumer throws it after the queued pages. */
  end(error?: unknown): void {
    this.#ended = true;
    this.#error =
      error === undefined || error instanceof Error
        ? error
        : new Error(typeof error === 'string' ? error : JSON.stringify(error));
    this.#wake();
  }

  /** Consumer gave up: release a waiting producer. */
  cancel(): void {
    this.#cancelled = true;
    this.#wakeProducer?.();
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        const page = this.#pages.shift();
        if (page) {
          this.#wakeProducer?.();
          yield* page;
          continue;
        }
        if (this.#ended) {
          if (this.#error !== undefined) throw this.#error;
          return;
        }
        await new Promise<void>((r) => {
          this.#wakeConsumer = r;
        });
      }
    } finally {
      this.cancel();
    }
  }

  #wake(): void {
    const w = this.#wakeConsumer;
    this.#wakeConsumer = undefined;
    w?.();
  }
}
