// Gives each image/video dataset the caption_filter_list of the text-embed backend it links to, loaded from its
// .txt/.json file when it names one, so the caption resolver (in any thread) filters as SimpleTuner embeds.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { IssueLog } from './issues.js';
import type { ImageDatasetConfig, TextEmbedsConfig } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The filter entries of one text-embed backend; a bad file is an error naming the backend and the file. */
export function captionFilterItems(t: TextEmbedsConfig, log: IssueLog): string[] {
  let list: unknown = t.caption_filter_list;
  if (typeof list === 'string') {
    const ext = extname(list).toLowerCase();
    if (ext !== '.txt' && ext !== '.json') return []; // SimpleTuner ignores any other string
    try {
      const text = readFileSync(list, 'utf8');
      list = ext === '.json' ? JSON.parse(text) : text.split('\n').map((l) => l.replace(/\r$/, ''));
    } catch (err) {
      const why = (err as Error).message;
      log.error(
        t.id,
        'caption_filter_list',
        `Caption filter list for data backend '${t.id}' could not be loaded: ${why}`,
      );
      return [];
    }
  }
  if (!Array.isArray(list)) return [];
  if (!list.every((x) => typeof x === 'string')) {
    log.error(t.id, 'caption_filter_list', `(id=${t.id}) caption_filter_list entries must all be strings.`);
    return [];
  }
  return list;
}

/** Attach `caption_filter` to each dataset whose linked text-embed backend has a non-empty filter list. */
export function linkCaptionFilters(
  images: readonly ImageDatasetConfig[],
  texts: readonly TextEmbedsConfig[],
  log: IssueLog,
): void {
  const byId = new Map(texts.map((t) => [t.id, t]));
  const loaded = new Map<string, string[]>();
  for (const d of images) {
    const t = d.text_embeds === null ? undefined : byId.get(d.text_embeds);
    if (!t) continue;
    if (!loaded.has(t.id)) loaded.set(t.id, captionFilterItems(t, log));
    const items = loaded.get(t.id) ?? [];
    if (items.length) (d as Mutable<ImageDatasetConfig>).caption_filter = items;
  }
}
