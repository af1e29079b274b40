// caption_filter_list applied as SimpleTuner's PromptHandler.filter_captions does, before a caption is embedded.

/** Python's `re.sub` replacement syntax (`\1`, `\g<name>`) in JavaScript's (`$1`, `$<name>`). */
function jsReplacement(py: string): string {
  return py
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\w+)>/g, (_m, g: string) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`))
    .replace(/\\(\d{1,2})/g, '$$$1');
}

/** A Python pattern as a global JavaScript RegExp, or null when JavaScript cannot compile it. */
function jsRegExp(py: string): RegExp | null {
  try {
    return new RegExp(py.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>'), 'g');
  } catch {
    return null;
  }
}

/** `s/search/replace/` (the trailing slash optional), split on its first two separators. */
function substitution(item: string): { search: string; replace: string } | null {
  if (!item.startsWith('s/')) return null;
  const parts = item.slice(2).split('/');
  if (parts.length < 2 || parts.length > 3 || (parts.length === 3 && parts[2] !== '')) return null;
  return { search: parts[0] ?? '', replace: parts[1] ?? '' };
}

type Step = (caption: string) => string;

function compileItem(item: string): Step[] {
  const sub = substitution(item);
  if (sub) {
    const re = jsRegExp(sub.search);
    const replacement = jsReplacement(sub.replace);
    return re ? [(c) => c.replace(re, replacement)] : [];
  }
  // A plain entry is removed as a string, then as a pattern (so `\s+` or `^a photo of ` also work).
  const re = item === '' ? null : jsRegExp(item);
  return [(c) => c.split(item).join(''), ...(re ? [(c: string) => c.replace(re, '')] : [])];
}

/**
 * The filter a text-embed backend's caption_filter_list describes: each `s/search/replace/` line is a regex
 * substitution; any other line is removed as a string and then as a regex. SimpleTuner only recognises the
 * substitution form without the trailing slash (`count("/") == 2`), so its documented `s/a/b/` form does
 * nothing there; tunefeed accepts both. Patterns JavaScript cannot compile are skipped.
 */
export function compileCaptionFilter(items: readonly string[]): (caption: string) => string {
  const steps = items.flatMap(compileItem);
  return (caption) => steps.reduce((c, step) => step(c), caption);
}
