// createLoader on real images: single-bucket decoded batches, epochs, resume, ranks, bad files, pipe/pipeline/for-
// await.
import t from 'tap';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createLoader, type Loader } from '../../lib/pipeline/create-loader.js';
import type { Batch } from '../../lib/pipeline/types.js';
import { MetricsBus, type MetricEvent } from '../../lib/metrics/events.js';
import type { ResumeState } from '../../lib/sampling/state.js';
import { makeDataset } from '../helpers/runtime-dataset.js';

async function collect(loader: Loader): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader) out.push(b);
  return out;
}
/**
 * Key tests run with the prefetch thread (the default) and in-process; pure sampling ones in one mode (thread start-up
 * costs ~1 s under tap's loader). The refused configuration in thread mode is in prefetch-thread.test.ts.
 */
const MODES = [true, false] as const;
const keysOf = (bs: Batch[]) => bs.map((b) => `${b.step}:${b.dataset}:${b.samples.map((s) => s.key).join(',')}`);

for (const thread of MODES)
  t.test(`one epoch of decoded, single-bucket batches covering every sample (thread: ${thread})`, async (t) => {
    const ds = await makeDataset('photos', [6, 4]);
    const loader = await createLoader('unused', { thread, datasets: [ds], epochs: 1, seed: 11 });
    const batches = await collect(loader);
    t.equal(batches.length, 5, '3 + 2 batches of 2');
    const seen = batches.flatMap((b) => b.samples.map((s) => s.key)).sort();
    t.same(seen, Object.keys(ds.index.metadata).sort(), 'every sample exactly once');
    for (const b of batches) {
      t.ok(
        b.samples.every((s) => ds.index.buckets[b.bucket].includes(s.key)),
        `step ${b.step}: one bucket`,
      );
      for (const s of b.samples) {
        const [w, h] = s.target_size;
        if (s.pixels?.length !== w * h * 3) t.fail(`pixels ${s.pixels?.length} for ${w}×${h}`);
      }
    }
    t.equal(
      batches[0].samples[0].caption,
      batches[0].samples[0].key.replace('.jpg', '').replaceAll('_', ' '),
      'filename caption',
    );
    t.same(
      batches.map((b) => b.step),
      [0, 1, 2, 3, 4],
    );
    t.same(loader.state().step, 5);
  });

for (const thread of MODES)
  t.test(`resume from state() continues exactly like an uninterrupted run (thread: ${thread})`, async (t) => {
    const a = await makeDataset('a', [5, 3], { config: { repeats: 1 } });
    const b = await makeDataset('b', [4], { config: { probability: 0.5 } });
    const whole = keysOf(
      await collect(await createLoader('x', { thread, datasets: [a, b], batches: 14, seed: 3, decode: false })),
    );
    const first = await createLoader('x', { thread, datasets: [a, b], seed: 3, decode: false });
    const head: Batch[] = [];
    for await (const x of first) {
      head.push(x);
      if (head.length === 6) break;
    }
    const state = JSON.parse(JSON.stringify(first.state())) as ResumeState;
    t.equal(state.step, 6, 'state after the 6th delivered batch, not after what was prefetched');
    const tail = await collect(
      await createLoader('x', { thread, datasets: [a, b], batches: 8, resume: state, decode: false }),
    );
    t.same([...keysOf(head), ...keysOf(tail)], whole);
  });

for (const thread of [true])
  t.test(`ranks get disjoint slices of the same global batches (thread: ${thread})`, async (t) => {
    const ds = await makeDataset('d', [8, 8], { config: { train_batch_size: 2 } });
    const r0 = await collect(
      await createLoader('x', { thread, datasets: [ds], rank: 0, worldSize: 2, batches: 6, decode: false }),
    );
    const r1 = await collect(
      await createLoader('x', {
        thread,
        datasets: [ds],
        env: { RANK: '1', WORLD_SIZE: '2' },
        batches: 6,
        decode: false,
      }),
    );
    for (let i = 0; i < 6; i++) {
      t.equal(r0[i].bucket, r1[i].bucket);
      const k0 = r0[i].samples.map((s) => s.key);
      const k1 = r1[i].samples.map((s) => s.key);
      t.notOk(
        k0.some((k) => k1.includes(k)),
        `step ${i} disjoint`,
      );
    }
    t.equal(r1[0].rank, 1);
  });

for (const thread of MODES)
  t.test(
    `bad files are skipped with reasons, batches refilled from their bucket, the stream continues (thread: ${thread})`,
    async (t) => {
      const ds = await makeDataset('bad', [6], { broken: ['1_0_1.jpg'], missing: ['1_0_4.jpg'] });
      const bus = new MetricsBus();
      const events: MetricEvent[] = [];
      bus.subscribe((e) => events.push(e));
      const loader = await createLoader('x', { thread, datasets: [ds], epochs: 2, seed: 1, metrics: bus });
      const batches = await collect(loader);
      t.equal(batches.length, 6, 'three batches per epoch, two epochs');
      t.ok(
        batches.every((b) => b.samples.length === 2 && b.samples.every((s) => s.pixels)),
        'every batch full and decoded',
      );
      const skipped = batches.flatMap((b) => b.skipped.map((s) => `${s.key}:${s.reason}`));
      t.ok(skipped.includes('1_0_1.jpg:truncated'), "cut-short file counted as truncated (the scan's word)");
      t.ok(skipped.includes('1_0_4.jpg:not_found'), 'missing counted');
      t.ok(
        batches.some((b) => b.samples.some((s) => s.refill)),
        'refilled samples are marked',
      );
      t.ok(
        batches.every((b) => b.samples.every((s) => s.key !== '1_0_1.jpg' && s.key !== '1_0_4.jpg')),
        'bad samples never delivered',
      );
      t.ok((loader.skips().truncated ?? 0) >= 1 && (loader.skips().not_found ?? 0) >= 1);
      t.ok(events.some((e) => e.type === 'loader.skip' && e.reason === 'truncated'));
      t.ok(
        events.some((e) => e.type === 'loader.batch' && typeof e.decode_ms === 'number'),
        'per-stage latency events',
      );
      t.ok(
        events.some((e) => e.type === 'loader.queue'),
        'queue depth events',
      );
    },
  );

for (const thread of MODES)
  t.test(`works with pipeline() and pipe() (thread: ${thread})`, async (t) => {
    const ds = await makeDataset('p', [4]);
    const got: number[] = [];
    await pipeline(
      await createLoader('x', { thread, datasets: [ds], batches: 3, decode: false }),
      new Writable({
        objectMode: true,
        write(b: Batch, _e, cb) {
          got.push(b.step);
          cb();
        },
      }),
    );
    t.same(got, [0, 1, 2]);
    const piped: number[] = [];
    await new Promise<void>((resolve) => {
      void createLoader('x', { thread, datasets: [ds], batches: 2, decode: false }).then((l) =>
        l.pipe(
          new Writable({
            objectMode: true,
            write(b: Batch, _e, cb) {
              piped.push(b.step);
              cb();
            },
            final(cb) {
              cb();
              resolve();
            },
          }),
        ),
      );
    });
    t.same(piped, [0, 1]);
  });

for (const thread of [true])
  t.test(`eval split: eval datasets only, batch size 1; training never sees them (thread: ${thread})`, async (t) => {
    const train = await makeDataset('train', [4]);
    const ev = await makeDataset('ev', [3], { config: { dataset_type: 'eval', train_batch_size: 4 } });
    const e = await collect(
      await createLoader('x', { thread, datasets: [train, ev], split: 'eval', epochs: 1, decode: false }),
    );
    t.same(
      e.map((b) => b.samples.length),
      [1, 1, 1],
    );
    t.ok(e.every((b) => b.dataset === 'ev'));
    const tr = await collect(await createLoader('x', { thread, datasets: [train, ev], epochs: 1, decode: false }));
    t.ok(tr.every((b) => b.dataset === 'train'));
  });

for (const thread of [false])
  t.test(`an impossible configuration is refused with SimpleTuner's message (thread: ${thread})`, async (t) => {
    const ds = await makeDataset('tiny', [2], { config: { train_batch_size: 4 } });
    await t.rejects(createLoader('x', { thread, datasets: [ds] }), {
      code: 'TF_BATCH_IMPOSSIBLE',
      message: /Increase repeats to at least 1/,
    });
    const ok = await createLoader('x', {
      thread,
      datasets: [ds],
      args: { allow_dataset_oversubscription: true },
      batches: 1,
      decode: false,
    });
    t.equal((await collect(ok))[0].samples.length, 4, 'oversubscription pads the bucket');
  });

for (const thread of MODES)
  t.test(
    'a complete VAE cache replaces decode: batches carry latents; ' +
      `an incomplete one falls back to pixels (thread: ${thread})`,
    async (t) => {
      const { copyFile, mkdir, rm } = await import('node:fs/promises');
      const path = await import('node:path');
      const { vaeCacheKey } = await import('../../lib/embeds/cache-keys.js');
      const fixture = new URL('../fixtures/embeds/latent-f32.pt', import.meta.url);
      const ds = await makeDataset('lat', [4]);
      const cache = path.join(ds.root, 'vae-cache');
      const latentDs = { ...ds, config: { ...ds.config, cache_dir_vae: cache } };
      const keys = ds.index.buckets['1.0'];
      for (const k of keys) {
        const target = path.join(cache, vaeCacheKey('', k));
        await mkdir(path.dirname(target), { recursive: true });
        await copyFile(fixture, target);
      }
      const batches = await collect(await createLoader('x', { thread, datasets: [latentDs], epochs: 1 }));
      t.equal(batches.length, 2);
      for (const s of batches.flatMap((b) => b.samples)) {
        t.notOk(s.pixels, 'no pixels');
        t.same([s.latents?.dtype, s.latents?.shape], ['float32', [4, 6, 5]]);
        t.equal(s.latents?.data.byteLength, 4 * 6 * 5 * 4);
      }
      await rm(path.join(cache, vaeCacheKey('', keys[0])));
      const partial = await collect(await createLoader('x', { thread, datasets: [latentDs], epochs: 1 }));
      t.ok(
        partial.flatMap((b) => b.samples).every((s) => s.pixels && !s.latents),
        'incomplete cache: decode as usual',
      );
    },
  );

for (const thread of [true])
  t.test(`options are validated at the edge with one message template (thread: ${thread})`, async (t) => {
    const ds = await makeDataset('opts', [4]);
    await t.rejects(createLoader('x', { thread, datasets: [ds], prefetch: 0 }), {
      code: 'TF_CLI_USAGE',
      message: /Expected `prefetch` to be an integer from 1 and up, got `0` \(number\)/,
    });
    await t.rejects(createLoader('x', { thread, datasets: [ds], rank: -1 }), {
      message: /Expected `rank` to be an integer from 0 and up/,
    });
    await t.rejects(createLoader('x', { thread, datasets: [ds], split: 'test' as never }), {
      message: /Expected `split`/,
    });
    await t.rejects(createLoader('x', { thread, datasets: [ds], rank: 2, worldSize: 2 }), {
      message: /Expected `rank` to be an integer from 0 to 1, got `2`/,
    });
  });

for (const thread of [false])
  t.test(
    `kill on 2 ranks × bs 4, resume on 4 ranks × bs 2: the same global batches continue (thread: ${thread})`,
    async (t) => {
      const mk = (bs: number) => makeDataset('el', [12, 8], { config: { train_batch_size: bs }, root: elasticRoot });
      const elasticRoot = (await makeDataset('el', [12, 8])).root;
      const globalSteps = async (bs: number, world: number, batches: number, resume?: ResumeState) => {
        const ds = await mk(bs);
        const per = await Promise.all(
          Array.from({ length: world }, async (_, rank) =>
            collect(
              await createLoader('x', {
                thread,
                datasets: [ds],
                rank,
                worldSize: world,
                batches,
                decode: false,
                seed: 6,
                ...(resume ? { resume } : {}),
              }),
            ),
          ),
        );
        return per[0].map(
          (b, i) => `${b.step}:${b.bucket}:${per.flatMap((p) => p[i].samples.map((s) => s.key)).join(',')}`,
        );
      };
      const whole = await globalSteps(2, 4, 10);
      const first = await createLoader('x', {
        thread,
        datasets: [await mk(4)],
        rank: 0,
        worldSize: 2,
        batches: 4,
        decode: false,
        seed: 6,
      });
      await collect(first);
      const state = first.state();
      const before = await globalSteps(4, 2, 4);
      const after = await globalSteps(2, 4, 6, state);
      t.same([...before, ...after], whole);
    },
  );

for (const thread of MODES)
  t.test(
    `metric events: consumer wait, bounded queue depth, throughput with a final summary (thread: ${thread})`,
    async (t) => {
      const ds = await makeDataset('metrics', [8, 8]);
      const bus = new MetricsBus();
      const events: MetricEvent[] = [];
      bus.subscribe((e) => events.push(e));
      const loader = await createLoader('x', { thread, datasets: [ds], batches: 12, prefetch: 2, metrics: bus });
      await collect(loader);
      const depths = events.filter((e) => e.type === 'loader.queue').map((e) => e.depth as number);
      t.ok(
        depths.length >= 12 && depths.every((d) => d <= 2),
        `queue depth never above prefetch (${Math.max(...depths)})`,
      );
      // prefetch 2 bounds what is ready, and this consumer takes batches faster than they are decoded: it must wait.
      const waits = events.filter((e) => e.type === 'loader.wait').map((e) => e.ms as number);
      t.ok(
        waits.length >= 1 && waits.every((ms) => ms > 0),
        `a fast consumer waits, and each wait is a positive duration (${waits.length} waits)`,
      );
      const final = events.find((e) => e.type === 'loader.throughput' && e.final);
      t.match(final, { batches: 12, samples: 24 });
      t.ok((final?.samples_s as number) > 0);
      t.equal(
        Math.round(loader.stats.waitMs),
        Math.round(events.filter((e) => e.type === 'loader.wait').reduce((s, e) => s + (e.ms as number), 0)),
      );
    },
  );

for (const thread of MODES)
  t.test(
    `a sampling error mid-stream reaches the consumer as a coded error, and the workers stop (thread: ${thread})`,
    async (t) => {
      const ds = await makeDataset('ends', [8], { config: { end_step: 2 } });
      const loader = await createLoader('x', { thread, datasets: [ds], decode: false });
      const got: number[] = [];
      await t.rejects(
        (async () => {
          for await (const b of loader) got.push(b.step);
        })(),
        { code: 'TF_NO_ACTIVE_DATASET' },
      );
      t.same(got, [0, 1], 'the two scheduled steps were delivered first');
      t.ok(loader.destroyed);
    },
  );
