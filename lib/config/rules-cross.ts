// Rules that need every dataset at once: unique ids, links, default text embeds, cache collisions, schedules.
import type { IssueLog } from './issues.js';
import type { DatasetConfig, ImageDatasetConfig, TextEmbedsConfig, TrainingArgs } from './types.js';
import { isImageDataset } from './types.js';
import { linkCaptionFilters } from './caption-filter-link.js';
import { checkQwenEditConditioning } from './rules-model.js';
import type { UnstreamedDataset } from './unstreamed.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function checkUniqueIds(all: readonly { id: string }[], log: IssueLog): void {
  const seen = new Set<string>();
  for (const d of all) {
    if (seen.has(d.id))
      log.error(d.id, 'id', `Each dataset needs a unique 'id' field. The id '${d.id}' is used more than once.`);
    seen.add(d.id);
  }
}

/** Exactly one default text embed backend; when none is marked, the first becomes the default (with a warning). */
export function pickDefaultTextEmbeds(texts: readonly TextEmbedsConfig[], log: IssueLog): string | null {
  const defaults = texts.filter((t) => t.default);
  if (defaults.length > 1) {
    for (const t of defaults.slice(1))
      log.error(t.id, 'default', 'Only one text embed backend can be marked as default.');
    return defaults[0].id;
  }
  if (defaults.length === 1) return defaults[0].id;
  const first = texts[0];
  if (!first) return null;
  if (texts.length > 1)
    log.warn(null, 'default', `You have ${texts.length} text_embed datasets, but no default text embed was defined`);
  log.warn(first.id, 'default', `Marking text embed backend ${first.id} as default.`);
  (first as Mutable<TextEmbedsConfig>).default = true;
  return first.id;
}

function checkLinks(
  d: Mutable<ImageDatasetConfig>,
  byId: Map<string, DatasetConfig>,
  defaultText: string | null,
  log: IssueLog,
  unstreamed: ReadonlyMap<string, string> = new Map(),
): void {
  // A memory embed backend is validated but not built; linking to it is still a valid link.
  const typeOf = (x: string | null): string | undefined =>
    x === null ? undefined : (byId.get(x)?.dataset_type ?? unstreamed.get(x));
  if (d.text_embeds !== null && typeOf(d.text_embeds) !== 'text_embeds') {
    log.error(
      d.id,
      'text_embeds',
      `(id=${d.id}) Text embed backend ${d.text_embeds} not found in data backend config file.`,
    );
  }
  if (d.text_embeds === null) d.text_embeds = defaultText;
  if (d.image_embeds !== null && typeOf(d.image_embeds) !== 'image_embeds') {
    log.error(
      d.id,
      'image_embeds',
      `(id=${d.id}) Could not find image embed backend ID in multidatabackend config: ${d.image_embeds}`,
    );
  }
  const cie = d.conditioning_image_embeds ?? null;
  if (cie !== null && typeOf(cie) !== 'conditioning_image_embeds') {
    log.error(
      d.id,
      'conditioning_image_embeds',
      `(id=${d.id}) Could not find conditioning image embed backend ID in multidatabackend config: ${cie}`,
    );
  }
  const known = [...byId.values()].filter(isImageDataset).map((x) => x.id);
  for (const c of d.conditioning_data) {
    if (!byId.has(c) || !isImageDataset(byId.get(c)!)) {
      log.error(
        d.id,
        'conditioning_data',
        `(id=${d.id}) Conditioning data backend ${c} not found in data backend list: ` +
          `{${known.map((k) => `'${k}'`).join(', ')}}.`,
      );
    }
  }
  if (d.source_dataset_id !== null && !byId.has(d.source_dataset_id)) {
    log.error(
      d.id,
      'source_dataset_id',
      `(id=${d.id}) source_dataset_id '${d.source_dataset_id}' does not name a dataset in this config.`,
    );
  }
}

function checkStrictSource(d: ImageDatasetConfig, images: readonly ImageDatasetConfig[], log: IssueLog): void {
  if (d.conditioning_type !== 'reference_strict' && d.conditioning_type !== 'mask') return;
  const linked = d.source_dataset_id !== null || images.some((x) => x.conditioning_data.includes(d.id));
  if (!linked) {
    log.error(
      d.id,
      'source_dataset_id',
      `(id=${d.id}) Could not find source dataset for strict conditioning alignment. Please set ` +
        `'source_dataset_id' in the backend config.`,
    );
  }
}

function checkCacheDirs(
  images: readonly ImageDatasetConfig[],
  texts: readonly TextEmbedsConfig[],
  log: IssueLog,
): void {
  // Keyed by where the files land: two S3 text caches at the same prefix of different buckets do not collide.
  const textDirs = new Map<string, string>();
  for (const t of texts) {
    const where = t.aws ? `s3://${t.aws.aws_bucket_name}/${t.cache_dir}` : t.cache_dir;
    const other = textDirs.get(where);
    if (other)
      log.error(
        t.id,
        'cache_dir',
        `(id=${t.id}) Text embed cache directory ${t.cache_dir} is the same as the one of text embed backend ` +
          `${other}. This is not allowed.`,
      );
    else textDirs.set(where, t.id);
  }
  const vaeDirs = new Map<string, string>();
  for (const d of images) {
    const dir = d.cache_dir_vae;
    // Datasets sharing an id (already an error) share the default directory too: do not report it twice.
    if (vaeDirs.has(dir) && vaeDirs.get(dir) !== d.id) {
      log.error(
        d.id,
        'cache_dir_vae',
        `(id=${d.id}) VAE image embed cache directory ${dir} is the same as another VAE image embed cache ` +
          `directory. This is not allowed, the trainer will get confused and sleepy and wake up in a distant place ` +
          `...`,
      );
    }
    if (textDirs.has(dir)) {
      log.error(
        d.id,
        'cache_dir_vae',
        `(id=${d.id}) VAE image embed cache directory ${dir} is the same as the text embed cache directory. This ` +
          `is not allowed, the trainer will get confused.`,
      );
    }
    vaeDirs.set(dir, d.id);
  }
}

function checkTrainingSet(
  images: readonly ImageDatasetConfig[],
  texts: readonly TextEmbedsConfig[],
  args: TrainingArgs,
  log: IssueLog,
  unstreamed: readonly UnstreamedDataset[] = [],
): void {
  const training = images.filter((d) => d.dataset_type === 'image' || d.dataset_type === 'video');
  const audio = unstreamed.some((d) => d.dataset_type === 'audio');
  const memoryTexts = unstreamed.some((d) => d.dataset_type === 'text_embeds');
  if (training.length === 0 && audio) {
    if (texts.length === 0 && !memoryTexts) missingTextEmbeds(log);
    return;
  }
  if (training.length === 0) {
    // An entry that failed validation may well have been the primary dataset: do not pile on.
    if (log.errorCount > 0) return;
    log.error(
      null,
      'dataset_type',
      'Your dataloader config must contain at least one primary dataset (dataset_type image or video).',
    );
    return;
  }
  if (texts.length === 0 && !memoryTexts) missingTextEmbeds(log);
  if (!training.some((d) => d.start_epoch <= 1 && d.start_step <= 1)) {
    log.error(
      null,
      'start_epoch',
      'At least one dataset must be available at the start of training. Set start_epoch<=1 and start_step<=1 for ' +
        'one or more datasets.',
    );
  }
  if (args.controlnet) {
    for (const d of training) {
      if (d.conditioning_data.length === 0 && d.extra?.conditioning === undefined) {
        log.error(
          d.id,
          'conditioning_data',
          `(id=${d.id}) When training ControlNet, a conditioning block or conditioning_data string should be ` +
            `configured in your dataloader. See this link for more information: ` +
            `https://bghira.github.io/SimpleTuner/CONTROLNET/`,
        );
      }
    }
  }
}

const SYNCED = [
  'resolution',
  'resolution_type',
  'maximum_image_size',
  'target_downsample_size',
  'minimum_image_size',
] as const;

/**
 * SimpleTuner's synchronize_conditioning_settings: a conditioning dataset takes its geometry from the dataset
 * that lists it in conditioning_data, so paired samples land in matching buckets. A differing value warns.
 */
export function syncConditioningGeometry(images: readonly ImageDatasetConfig[], log: IssueLog): void {
  const byId = new Map(images.map((d) => [d.id, d]));
  for (const main of images) {
    for (const cid of main.conditioning_data) {
      const cond = byId.get(cid);
      if (!cond || cond.dataset_type !== 'conditioning') continue;
      for (const k of SYNCED) {
        if (cond[k] === main[k]) continue;
        log.warn(
          cond.id,
          k,
          `${k} ${String(cond[k])} is replaced by ${String(main[k])} from dataset ${main.id}, which uses this ` +
            `conditioning dataset.`,
        );
        (cond as unknown as Record<string, unknown>)[k] = main[k];
      }
    }
  }
}

/**
 * SimpleTuner's config rule names only what is missing; a primary dataset is there by now, so only the text
 * embeds can be (SimpleTuner then creates one under output_dir, hence a warning).
 */
function missingTextEmbeds(log: IssueLog): void {
  log.warn(null, 'dataset_type', 'Your dataloader config must contain at least a text_embed dataset');
}

/**
 * The cross-dataset stage: runs once over every built dataset (in dependency order) and fills default links.
 * `unstreamed` entries (validated, not streamed) count for ids, links and the training-set rule.
 */
export function crossValidate(
  all: readonly DatasetConfig[],
  args: TrainingArgs,
  log: IssueLog,
  unstreamed: readonly UnstreamedDataset[] = [],
): void {
  checkUniqueIds([...all, ...unstreamed], log);
  const unstreamedTypes = new Map(unstreamed.map((d) => [d.id, d.dataset_type]));
  const byId = new Map<string, DatasetConfig>();
  for (const d of all) if (!byId.has(d.id)) byId.set(d.id, d);
  const texts = all.filter((d): d is TextEmbedsConfig => d.dataset_type === 'text_embeds');
  const images = all.filter(isImageDataset);
  const defaultText = pickDefaultTextEmbeds(texts, log);
  for (const d of images) {
    checkLinks(d, byId, defaultText, log, unstreamedTypes);
    checkStrictSource(d, images, log);
  }
  syncConditioningGeometry(images, log);
  linkCaptionFilters(images, texts, log);
  checkCacheDirs(images, texts, log);
  checkTrainingSet(images, texts, args, log, unstreamed);
  checkQwenEditConditioning(images, args, log);
  if (args.caption_dropout_probability === 0) {
    log.warn(
      null,
      'args.caption_dropout_probability',
      'Not using caption dropout will potentially lead to overfitting on captions, eg. CFG will not work very well',
    );
  }
}
