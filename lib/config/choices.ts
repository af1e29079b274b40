// The closed value sets of dataset fields, shared by the schemas and the rules.
export const IMAGE_DATASET_TYPES = ['image', 'video', 'conditioning', 'eval'] as const;
export const EMBED_DATASET_TYPES = ['text_embeds', 'image_embeds', 'conditioning_image_embeds'] as const;
/** SimpleTuner dataset types tunefeed does not load. */
export const UNSUPPORTED_DATASET_TYPES = ['audio', 'caption', 'grounding', 'distillation_cache'] as const;
export const CROP_ASPECTS = ['square', 'preserve', 'random', 'closest'] as const;
export const CROP_STYLES = ['random', 'corner', 'center', 'centre', 'face'] as const;
export const CAPTION_STRATEGIES = ['filename', 'textfile', 'instanceprompt', 'parquet', 'csv', 'huggingface'] as const;
export const CONDITIONING_TYPES = [
  'controlnet',
  'mask',
  'segmentation',
  'reference_strict',
  'reference_loose',
] as const;
