// The progress reporter draws one redrawn line on a TTY and throttled plain lines otherwise.
import t from 'tap';
import { createProgress, formatRate } from '../../lib/terminal/progress.js';

/** The escape character that starts ANSI sequences (built from its code so no regex holds a literal control char). */
const ESC = String.fromCharCode(27);

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 80, write: (s: string) => chunks.push(s) } };
}

t.test('plain mode: throttled lines, final line always written', async (t) => {
  let now = 0;
  const { chunks, stream } = sink(false);
  const p = createProgress({
    label: 'scan photos',
    total: 100,
    unit: 'files',
    stream,
    now: () => now,
    lineIntervalMs: 1000,
  });
  for (let i = 0; i < 100; i++) {
    now += 25;
    p.tick();
  }
  t.equal(p.done, 100);
  t.equal(chunks.length, 2, 'one line per full second of the 2.5 s run (none at the start)');
  p.finish('skipped 4');
  const last = chunks[chunks.length - 1];
  t.match(last, /^scan photos \[#{24}\] 100% 100\/100 files 40\.0\/s 2\.5s skipped 4\n$/);
  t.notOk(
    chunks.some((c) => c.includes('\r') || c.includes('\x1b')),
    'no control codes off a TTY',
  );
  p.tick();
  t.equal(p.done, 100, 'ignored after finish');
});

t.test('TTY mode redraws in place and ends with a newline', async (t) => {
  let now = 0;
  const { chunks, stream } = sink(true);
  const p = createProgress({ label: 'stream', stream, now: () => now });
  now = 500;
  p.update(10, { note: 'q=3' });
  t.match(chunks[0], new RegExp('^\\r' + ESC + '\\[2Kstream 10 items 20\\.0\\/s 0\\.5s q=3$'));
  p.finish();
  t.equal(chunks[chunks.length - 1], '\n');
});

t.test('formatRate', async (t) => {
  t.equal(formatRate(12.34), '12.3');
  t.equal(formatRate(1234.5), '1.23k');
  t.equal(formatRate(2.5e6), '2.50M');
  t.equal(formatRate(Infinity), '-');
});
