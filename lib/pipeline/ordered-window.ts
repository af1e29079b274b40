// A bounded, order-keeping concurrency window: up to `depth` items in flight, results leave in input order.
import { Transform } from 'node:stream';

/**
 * An object-mode Transform running `fn` on up to `depth` items at once. An async stream-chain stage handles one
 * item at a time, so concurrency lives here, explicitly bounded: when the window is full the transform callback
 * waits for the oldest item, which stops upstream; when downstream is full Node withholds the next item.
 */
export function orderedWindow<I, O>(fn: (item: I) => Promise<O>, depth: number): Transform {
  const inFlight: Promise<{ ok: true; v: O } | { ok: false; e: unknown }>[] = [];
  const settle = (item: I) =>
    fn(item).then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
  return new Transform({
    objectMode: true,
    readableHighWaterMark: 1,
    writableHighWaterMark: 1,
    transform(item: I, _enc, cb) {
      inFlight.push(settle(item));
      if (inFlight.length < depth) return cb();
      void inFlight.shift()!.then((r) => (r.ok ? cb(null, r.v) : cb(r.e as Error)));
    },
    flush(cb) {
      void (async () => {
        for (let p = inFlight.shift(); p; p = inFlight.shift()) {
          const r = await p;
          if (!r.ok) return cb(r.e as Error);
          this.push(r.v);
        }
        cb();
      })();
    },
  });
}
