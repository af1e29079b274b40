// Frame arithmetic (per-family adjust_video_frames, bucket rounding, indices), the VFR rule, and the config/scan use.
import t from 'tap';
import { validateConfig } from '../../lib/config/load-config.js';
import { adjustVideoFrames, bucketFrames, frameIndices } from '../../lib/video/frame-plan.js';
import { isVariableRate } from '../../lib/video/ffmpeg-log.js';

t.test(
  'adjust_video_frames: 8k+1 down for Wan/LTX/Sana/LongCat, 17k+5 up for MiniMax-H3, others unchanged',
  async (t) => {
    for (const f of ['wan', 'infinitetalk', 'ltxvideo', 'ltxvideo2', 'sanavideo', 'longcat_video']) {
      t.same(
        [1, 2, 8, 9, 10, 16, 17, 49, 50, 120, 121].map((n) => adjustVideoFrames(f, n)),
        [1, 1, 1, 9, 9, 9, 17, 49, 49, 113, 121],
        f,
      );
    }
    t.same(
      [1, 2, 5, 6, 22, 23].map((n) => adjustVideoFrames('minimaxh3', n)),
      [1, 5, 5, 22, 22, 39],
    );
    for (const f of ['hunyuanvideo', 'kandinsky5-video', 'sdxl', ''])
      t.same(
        [1, 10, 33].map((n) => adjustVideoFrames(f, n)),
        [1, 10, 33],
        `${f || 'no family'}: unchanged`,
      );
  },
);

t.test('resolution_frames buckets round down to frame_interval, never to 0', async (t) => {
  t.same([bucketFrames(33, 8), bucketFrames(7, 8), bucketFrames(16, 8), bucketFrames(33, null)], [32, 7, 16, 33]);
});

t.test('frames are taken from the start, stride 1, the same for every call', async (t) => {
  t.same(frameIndices(5), [0, 1, 2, 3, 4]);
  t.same(frameIndices(0), []);
});

t.test(
  'VFR: a frame interval off the median by > 10 % is variable; millisecond jitter of 29.97 fps is not',
  async (t) => {
    t.notOk(isVariableRate([0, 0.1, 0.2, 0.3, 0.4]));
    t.notOk(isVariableRate([0, 0.033, 0.067, 0.1, 0.133, 0.167]), '33/34 ms alternation');
    t.ok(isVariableRate([0, 0.1, 0.2, 0.4, 0.6]));
    t.ok(isVariableRate([0, 0.1, 0.1, 0.2]), 'a repeated timestamp');
  },
);

t.test('config: num_frames and min_frames follow the model family, each change warned', async (t) => {
  const entry = (video: Record<string, unknown>) => [
    { id: 'v', type: 'local', dataset_type: 'video', instance_data_dir: '/x', video },
    { id: 'te', type: 'local', dataset_type: 'text_embeds', default: true, cache_dir: '/tmp/te' },
  ];
  const wan = await validateConfig(entry({ num_frames: 50, min_frames: 60 }), {
    args: { model_family: 'wan', output_dir: '' },
    checkPaths: false,
  });
  t.same(wan.loaded?.datasets[0] && (wan.loaded.datasets[0] as { video: unknown }).video, {
    num_frames: 49,
    min_frames: 57,
    max_frames: null,
    is_i2v: false,
    bucket_strategy: 'aspect_ratio',
    frame_interval: null,
  });
  t.ok(
    wan.warnings.some((w) => /Adjusted video->num_frames from 50 to 49 to satisfy wan/.test(w.message)),
    'num_frames warning',
  );
  t.ok(
    wan.warnings.some((w) => /Adjusted video->min_frames from 60 to 57 to satisfy wan/.test(w.message)),
    'min_frames warning',
  );
  const flux = await validateConfig(entry({ num_frames: 50, min_frames: 60 }), {
    args: { model_family: 'hunyuanvideo', output_dir: '' },
    checkPaths: false,
  });
  t.equal((flux.loaded?.datasets[0] as { video: { num_frames: number } }).video.num_frames, 50, 'no rule: unchanged');
});
