// Caption lookup used until (or unless) lib/captions provides a resolver: index captions, filename, instanceprompt, textfile.
import path from 'node:path';
import type { ImageDatasetConfig } from '../config/types.js';
import type { DatasetIndex } from '../metadata/types.js';
import { rngFor } from '../sampling/rng.js';
import type { StorageBackend } from '../storage/types.js';

/** Resolves a sample's caption; `sampleSeed` picks among multi-captions deterministically. */
export type CaptionLookup = (key: string, sampleSeed: number) => Promise<string | null>;

function pick(v: string | string[] | undefined, sampleSeed: number): string | null {
  if (v === undefined) return null;
  if (typeof v === 'string') return v;
  return v.length ? v[rngFor('caption', sampleSeed).below(v.length)]! : null;
}

function splitLines(text: string): string | string[] {
  if (!text.includes('\n')) return text;
  return text.split('\n').filter((l) => l !== '');
}

/** SimpleTuner's basic strategies; parquet/csv/huggingface captions come through `index.captions`. */
export function basicCaptions(config: ImageDatasetConfig, storage: StorageBackend, index: DatasetIndex): CaptionLookup {
  const prompt = config.instance_prompt;
  const finish = (c: string | null): string | null => {
    if (config.only_instance_prompt) return prompt;
    return c !== null && config.prepend_instance_prompt && prompt ? `${prompt} ${c}` : c;
  };
  return async (key, sampleSeed) => {
    const fromIndex = pick(index.captions?.[key], sampleSeed);
    if (fromIndex !== null) return finish(fromIndex);
    switch (config.caption_strategy) {
      case 'filename': return finish(path.posix.parse(key).name.replaceAll('_', ' '));
      case 'instanceprompt': return prompt?.trim() ?? null;
      case 'textfile': {
        const p = path.posix.parse(key);
        const txt = await storage.read(path.posix.join(p.dir, `${p.name}.txt`)).catch(() => null);
        return txt ? finish(pick(splitLines(txt.toString('utf8')), sampleSeed)) : null;
      }
      default: return null;
    }
  };
}
