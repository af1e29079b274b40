// A bounded window of concurrent tasks: add() waits for room, the first failure is rethrown, nothing goes unhandled.

/** Keeps at most `limit` tasks running; order of completion does not matter to the caller. */
export class TaskWindow {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #error: unknown = undefined;
  #failed = false;

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Starts `task` once fewer than `limit` are running. Throws the first failure of any task. */
  async add(task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#limit && !this.#failed) await Promise.race(this.#running);
    this.#rethrow();
    const p: Promise<void> = task()
      .catch((err: unknown) => {
        if (!this.#failed) [this.#failed, this.#error] = [true, err];
      })
      .finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  /** Waits for every running task; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.#running);
    this.#rethrow();
  }

  #rethrow(): void {
    if (this.#failed) throw this.#error;
  }
}
