// Model-specific geometry SimpleTuner's model classes impose: bucket alignment, canvas limit, video frame counts.

/** Families whose frame count must satisfy `frames % 8 == 1` (rounded down). InfiniteTalk inherits Wan's rule. */
const FRAMES_8N_PLUS_1 = new Set(['wan', 'infinitetalk', 'ltxvideo', 'ltxvideo2', 'sanavideo', 'longcat_video']);

/**
 * SimpleTuner's `adjust_video_frames`: the nearest frame count the model accepts. Pure, so both the config
 * rules and the video decoder use the same numbers. Unknown families keep the count unchanged.
 */
export function adjustVideoFrames(modelFamily: string, frames: number): number {
  if (FRAMES_8N_PLUS_1.has(modelFamily)) {
    if (frames % 8 === 1) return frames;
    return Math.max(Math.floor((frames - 1) / 8) * 8 + 1, 1);
  }
  if (modelFamily === 'minimaxh3') {
    // MiniMax-H3 rounds up to 17k+5 (a single frame stays a still image).
    if (frames <= 1) return 1;
    let n = frames;
    while (n % 17 !== 5) n++;
    return n;
  }
  return frames;
}

/** The alignment each family's check_user_config forces (qwen_image yields to `i_know_what_i_am_doing`). */
const FORCED_ALIGNMENT: Readonly<Record<string, number>> = {
  anima: 16,
  auraflow: 64,
  cosmos2image: 16,
  cosmos3: 16,
  deepfloyd: 32,
  flux: 64,
  flux2: 16,
  hidream: 64,
  kolors: 64,
  longcat_video: 64,
  ltxvideo: 64,
  ltxvideo2: 64,
  lumina2: 64,
  mageflow: 16,
  pixart_sigma: 64,
  qwen_image: 32,
  sana: 64,
  sd1x: 64,
  sd2x: 64,
  sd3: 64,
  sdxl: 64,
  wan_s2v: 32,
};

/** What a model family does to the requested alignment. */
export interface AlignmentOverride {
  alignment: number;
  /** True when the family replaced the requested value (SimpleTuner logs a warning then). */
  overridden: boolean;
}

/**
 * The aspect-bucket alignment SimpleTuner uses for `modelFamily`: Wan and InfiniteTalk need 32 px (64 for a
 * `5b` flavour); others in the table force their value; anything else keeps the requested one.
 */
export function modelAlignment(
  modelFamily: string,
  flavour: string | null,
  requested: number,
  iKnowWhatIAmDoing = false,
): AlignmentOverride {
  let forced: number | undefined = FORCED_ALIGNMENT[modelFamily];
  if (modelFamily === 'wan' || modelFamily === 'infinitetalk')
    forced = String(flavour ?? '')
      .toLowerCase()
      .includes('5b')
      ? 64
      : 32;
  if (modelFamily === 'qwen_image' && iKnowWhatIAmDoing) forced = undefined;
  if (forced === undefined || forced === requested) return { alignment: requested, overridden: false };
  return { alignment: forced, overridden: true };
}

/** A model's MAXIMUM_CANVAS_SIZE in pixels (only HiDream sets one), else null. */
export function maxCanvasSize(modelFamily: string): number | null {
  return modelFamily === 'hidream' ? 1024 ** 2 : null;
}

/** The model families SimpleTuner knows; an unknown `model_family` gets no model-specific geometry. */
export const KNOWN_MODEL_FAMILIES: readonly string[] = [
  'ace_step',
  'anima',
  'auraflow',
  'boogu_image',
  'chroma',
  'cosmos2image',
  'cosmos3',
  'deepfloyd',
  'ernie',
  'flux',
  'flux2',
  'heartmula',
  'hidream',
  'hunyuanvideo',
  'ideogram',
  'infinitetalk',
  'kandinsky5-image',
  'kandinsky5-video',
  'kolors',
  'krea2',
  'longcat_image',
  'longcat_video',
  'ltxvideo',
  'ltxvideo2',
  'lumina2',
  'mageflow',
  'minimaxh3',
  'minimaxmusic',
  'omnigen',
  'pixart_sigma',
  'qwen_image',
  'sana',
  'sanavideo',
  'sd1x',
  'sd2x',
  'sd3',
  'sdxl',
  'stable_cascade',
  'wan',
  'wan_s2v',
  'z_image',
  'z_image_omni',
  'zlab_i1',
];
