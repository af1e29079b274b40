// Dataset rules that depend on the model being trained (SimpleTuner's factory checks them per model family).
import type { IssueLog } from './issues.js';
import type { ImageDatasetConfig, TrainingArgs } from './types.js';

const REFERENCE = new Set(['reference_strict', 'reference_loose']);
const MASK = new Set(['mask', 'segmentation']);

/** SimpleTuner has no is_edit_v1/v2 helper on the model here, so it falls back to "edit" in the flavour. */
function isQwenEdit(args: TrainingArgs): boolean {
  const flavour = typeof args.model_flavour === 'string' ? args.model_flavour : '';
  return args.model_family === 'qwen_image' && flavour.toLowerCase().includes('edit');
}

/**
 * Qwen edit models: every conditioning dataset uses a reference or mask conditioning_type, and at least one is a
 * reference (its latents are the model's input). SimpleTuner's messages.
 */
export function checkQwenEditConditioning(images: readonly ImageDatasetConfig[], args: TrainingArgs, log: IssueLog) {
  if (!isQwenEdit(args)) return;
  let hasReference = false;
  for (const d of images) {
    if (d.dataset_type !== 'conditioning') continue;
    const type = d.conditioning_type ?? '';
    if (type && !REFERENCE.has(type) && !MASK.has(type))
      log.error(
        d.id,
        'conditioning_type',
        `Invalid conditioning_type='${type}' for Qwen edit model in dataset '${d.id}'. Qwen edit models require ` +
          "conditioning_type to be either 'reference_strict' or 'reference_loose' for model conditioning, or " +
          "'mask'/'segmentation' for loss masking. Using 'controlnet' or other values will cause dimension " +
          'mismatches during training. Please update your dataset configuration.',
      );
    if (REFERENCE.has(type)) hasReference = true;
  }
  if (!hasReference)
    log.error(
      null,
      'conditioning_type',
      "Qwen edit models require at least one conditioning dataset with conditioning_type 'reference_strict' or " +
        "'reference_loose' to provide reference image latents. Mask/segmentation datasets can be added alongside " +
        'for loss masking.',
    );
}
