// Waiting for 'drain' on a slow reader leaves no listeners behind: flat listener counts in-process, and a real
// `tunefeed stream --format binary` process piped into a slow reader prints no MaxListenersExceededWarning.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { runStream } from '../../lib/cli/stream.js';
import { createLoader } from '../../lib/pipeline/create-loader.js';
import { makeDataset } from '../helpers/runtime-dataset.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '../../lib/cli/main.ts');

/** A writable that accepts one chunk per event-loop turn and records its listener counts at every write. */
function slowSink(): { sink: Writable; counts: number[][]; bytes: () => number } {
  const counts: number[][] = [];
  let bytes = 0;
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      counts.push(['drain', 'close', 'error'].map((e) => sink.listenerCount(e)));
      setImmediate(cb);
    },
  });
  return { sink, counts, bytes: () => bytes };
}

t.test('runStream into a slow writable: drain/close/error listener counts stay flat over 40 batches', async (t) => {
  const ds = await makeDataset('drain', [5, 4]);
  const loader = await createLoader('unused', { datasets: [ds], batches: 40, seed: 3, thread: false });
  const { sink, counts, bytes } = slowSink();
  let waits = 0;
  const write = sink.write.bind(sink);
  sink.write = ((chunk: Buffer) => {
    const ok = write(chunk);
    if (!ok) waits++;
    return ok;
  }) as typeof sink.write;
  const s = await runStream(loader, sink, { format: 'binary' });
  t.equal(s.batches, 40);
  t.ok(waits >= 40, `every frame (> 1 KiB) filled the sink, so each batch waited for drain (${waits} full writes)`);
  t.ok(bytes() > 40 * 48 * 48 * 3, 'every frame reached the sink');
  const max = [0, 1, 2].map((i) => Math.max(...counts.map((c) => c[i])));
  // runStream's own 'error' listener plus one waiter (drain, close, error) at most, whatever the number of waits.
  t.same(max, [1, 1, 2], 'at most one drain waiter and one error handler at any write');
  t.same(
    ['drain', 'close', 'error'].map((e) => sink.listenerCount(e)),
    [0, 0, 0],
    'no listener left after the stream',
  );
});

/** A real multidatabackend.json over 8 RGB 128×128 JPEGs: each pixel array (48 KiB) exceeds stdout's buffer. */
async function bigImageConfig(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'tf-drain-'));
  for (let i = 0; i < 8; i++) {
    const img = sharp({ create: { width: 128, height: 128, channels: 3, background: { r: i * 30, g: 90, b: 200 } } });
    await writeFile(path.join(root, `img_${i}.jpg`), await img.jpeg().toBuffer());
  }
  const cfg = path.join(root, 'mdb.json');
  const dataset = { id: 'big', type: 'local', instance_data_dir: root, resolution: 128, resolution_type: 'pixel' };
  const text = {
    id: 'te',
    dataset_type: 'text_embeds',
    type: 'local',
    default: true,
    cache_dir: path.join(root, 'te'),
  };
  await writeFile(
    cfg,
    JSON.stringify([{ ...dataset, caption_strategy: 'filename', crop: true, train_batch_size: 2 }, text]),
  );
  return cfg;
}

t.test(
  'tunefeed stream --format binary piped into a slow reader: exit 0, no MaxListenersExceededWarning',
  async (t) => {
    const cfg = await bigImageConfig();
    const c = spawn(process.execPath, ['--import', 'tsx', CLI, 'stream', cfg, '--epochs', '15', '--format', 'binary'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', TUNEFEED_LOG_LEVEL: 'warn' },
    });
    let err = '';
    let bytes = 0;
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Slow reader: take one chunk, then pause the pipe for a moment so the writer must wait for drain.
    c.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      c.stdout.pause();
      setTimeout(() => c.stdout.resume(), 2);
    });
    const code = await new Promise<number | null>((resolve) => c.on('close', resolve));
    t.equal(code, 0, err);
    t.notMatch(err, /MaxListenersExceededWarning/, 'no listener-leak warning on stderr');
    // 15 epochs × 4 batches × 2 samples of 128×128×3 bytes, plus headers.
    t.ok(bytes > 15 * 8 * 128 * 128 * 3, `the reader received all 60 frames (${bytes} bytes)`);
  },
);
