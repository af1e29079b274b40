// Test helper: a minimal EventSource over node:http that collects parsed frames (event name + JSON data).
import http from 'node:http';

/** One received frame. */
export interface SseFrame {
  event: string;
  data: unknown;
}

/** One `event:`/`data:` block; null when it has no data (comments, the retry hint). */
function parseFrame(raw: string): SseFrame | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of raw.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return data.length ? { event, data: JSON.parse(data.join('\n')) as unknown } : null;
}

/** Connect to `url`; frames accumulate in `frames`; `waitFor` resolves when a predicate over them holds. */
export function sseClient(url: string, headers: Record<string, string> = {}) {
  const frames: SseFrame[] = [];
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  const closers: (() => void)[] = [];
  let buf = '';
  const onFrame = (raw: string): void => {
    const frame = parseFrame(raw);
    if (frame) frames.push(frame);
    for (const w of waiters.splice(0))
      if (w.test()) w.resolve();
      else waiters.push(w);
  };
  const status = new Promise<number>((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      resolve(res.statusCode ?? 0);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          onFrame(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      });
    });
    req.on('error', reject);
    closers.push(() => req.destroy());
  });
  return {
    frames,
    status,
    waitFor: (test: () => boolean): Promise<void> =>
      test() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ test, resolve })),
    close: () => closers.forEach((c) => c()),
  };
}
