// SimpleTuner's cache file name for a URL (sha256 of the stem + extension) and key tests for URL-keyed backends.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';

/** True for keys that are download URLs rather than cache-file paths. */
export function isUrlKey(key: string): boolean {
  return /^https?:\/\//i.test(key);
}

/** `sha256(stem) + ext` from the URL's last path segment (query and fragment ignored), as SimpleTuner names it. */
export function simpletunerCacheName(url: string): string {
  const { stem, ext } = stemAndExt(url);
  return createHash('sha256').update(stem).digest('hex') + ext;
}

/** Fallback name when two URLs share a stem (SimpleTuner would serve one file for both): sha256 of the whole URL. */
export function uniqueCacheName(url: string): string {
  return createHash('sha256').update(url).digest('hex') + stemAndExt(url).ext;
}

/** Extension of the URL path, lower-cased, without dot ('' when none or odd). */
export function urlExtension(url: string): string {
  return stemAndExt(url).ext.slice(1).toLowerCase();
}

function stemAndExt(url: string): { stem: string; ext: string } {
  let base: string;
  try {
    base = posix.basename(decodeURIComponent(new URL(url).pathname));
  } catch {
    base = posix.basename(url.split(/[?#]/)[0] ?? url);
  }
  const ext = posix.extname(base);
  // Only a plain short extension is kept: the name must stay one safe path segment.
  const safeExt = /^\.[A-Za-z0-9]{1,10}$/.test(ext) ? ext : '';
  return { stem: safeExt ? base.slice(0, -ext.length) : base, ext: safeExt };
}
