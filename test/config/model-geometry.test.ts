// Model-specific geometry: SimpleTuner's adjust_video_frames, forced bucket alignments and canvas limits, per family.
import t from 'tap';
import { adjustVideoFrames, maxCanvasSize, modelAlignment } from '../../lib/config/model-geometry.js';

t.test('adjustVideoFrames rounds down to 8n+1 for the Wan/LTX/Sana/LongCat video families', async (t) => {
  const cases: [string, number, number][] = [
    ['wan', 81, 81],
    ['wan', 80, 73],
    ['wan', 1, 1],
    ['wan', 8, 1],
    ['infinitetalk', 50, 49],
    ['ltxvideo', 125, 121],
    ['ltxvideo2', 97, 97],
    ['sanavideo', 100, 97],
    ['longcat_video', 93, 89],
  ];
  for (const [family, frames, want] of cases) t.equal(adjustVideoFrames(family, frames), want, `${family} ${frames}`);
});

t.test('adjustVideoFrames rounds MiniMax-H3 up to 17k+5 and keeps one frame', async (t) => {
  t.equal(adjustVideoFrames('minimaxh3', 1), 1);
  t.equal(adjustVideoFrames('minimaxh3', 6), 22);
  t.equal(adjustVideoFrames('minimaxh3', 22), 22);
  t.equal(adjustVideoFrames('minimaxh3', 23), 39);
});

t.test('adjustVideoFrames leaves families without a frame rule unchanged', async (t) => {
  for (const family of ['hunyuanvideo', 'kandinsky5-video', 'flux', '', 'unknown'])
    t.equal(adjustVideoFrames(family, 50), 50, family);
});

t.test('modelAlignment forces each family its SimpleTuner alignment', async (t) => {
  const cases: [string, string | null, number, number, boolean][] = [
    ['flux', null, 16, 64, true],
    ['flux', null, 64, 64, false],
    ['flux2', null, 64, 16, true],
    ['sdxl', null, 32, 64, true],
    ['sd3', null, 16, 64, true],
    ['deepfloyd', 'i-medium-400m', 64, 32, true],
    ['qwen_image', null, 64, 32, true],
    ['wan', 't2v-480p-1.3b-2.1', 64, 32, true],
    ['wan', 'ti2v-5b-2.2', 32, 64, true],
    ['infinitetalk', null, 64, 32, true],
    ['cosmos2image', null, 64, 16, true],
    ['hidream', null, 8, 64, true],
    ['ltxvideo', null, 32, 64, true],
    ['lumina2', null, 16, 64, true],
    ['hunyuanvideo', null, 16, 16, false],
    ['chroma', null, 16, 16, false],
    ['z_image', null, 32, 32, false],
  ];
  for (const [family, flavour, requested, alignment, overridden] of cases)
    t.same(modelAlignment(family, flavour, requested), { alignment, overridden }, `${family} ${String(flavour)}`);
});

t.test('modelAlignment lets qwen_image keep the requested value with i_know_what_i_am_doing', async (t) => {
  t.same(modelAlignment('qwen_image', null, 64, true), { alignment: 64, overridden: false });
});

t.test('maxCanvasSize is 1024² for HiDream only', async (t) => {
  t.equal(maxCanvasSize('hidream'), 1024 ** 2);
  t.equal(maxCanvasSize('flux'), null);
});
