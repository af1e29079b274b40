// A stage with the classic backpressure bug, importable by module URL so the prefetch thread can build it too.
import { Duplex } from 'node:stream';

/** Accepts every write at once and pushes regardless of what push() returns. */
export class IgnoresBackpressure extends Duplex {
  constructor() {
    super({ objectMode: true, highWaterMark: 1 });
  }
  override _write(chunk: unknown, _enc: BufferEncoding, cb: () => void): void {
    this.push(chunk);
    cb();
  }
  override _final(cb: () => void): void {
    this.push(null);
    cb();
  }
  override _read(): void {}
}
