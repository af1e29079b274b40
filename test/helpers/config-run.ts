// Helpers for config tests: a minimal valid config to vary, and validateConfig with paths unchecked.
import { validateConfig, type LoadConfigOptions, type ValidationResult } from '../../lib/config/load-config.js';

export type Entry = Record<string, unknown>;

/** A text_embeds entry plus one local image dataset with `img` merged over it, then any `more` entries. */
export function withImage(img: Entry = {}, more: Entry[] = []): Entry[] {
  return [
    { id: 'text', dataset_type: 'text_embeds' },
    { id: 'img', type: 'local', instance_data_dir: '/data/img', ...img },
    ...more,
  ];
}

/** validateConfig on an in-memory config, without filesystem checks, with an empty environment by default. */
export function run(entries: unknown[], options: LoadConfigOptions = {}): Promise<ValidationResult> {
  return validateConfig(entries, { checkPaths: false, env: {}, ...options });
}

/** The built config of dataset `id` from a successful result. */
export function configOf(r: ValidationResult, id: string): Record<string, unknown> {
  const d = r.datasets.find((x) => x.id === id);
  if (!d) throw new Error(`dataset ${id} missing; errors: ${JSON.stringify(r.errors)}`);
  return d.config;
}

/** All error messages, one per line (for readable assertion failures). */
export function messages(r: ValidationResult, kind: 'errors' | 'warnings' = 'errors'): string {
  return r[kind].map((i) => `${i.id}|${i.field}|${i.message}`).join('\n');
}
