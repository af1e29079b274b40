// Shared helpers: OS junk folders to skip, the case-insensitive extension filter, range slicing of whole objects.

/** Folders the OS or tools drop into datasets; never part of a dataset. */
export const JUNK_DIRS: ReadonlySet<string> = new Set([
  '.Spotlight-V100',
  '.Trashes',
  '.fseventsd',
  '.TemporaryItems',
  '.zfs',
  '.ipynb_checkpoints',
]);

/** A predicate for keys, built once per listing so the per-file check is one Set lookup. */
export function extensionFilter(extensions: readonly string[] | undefined): (key: string) => boolean {
  if (!extensions || extensions.length === 0) return () => true;
  const wanted = new Set(extensions.map((e) => e.replace(/^\./, '').toLowerCase()));
  return (key) => {
    const slash = key.lastIndexOf('/');
    const dot = key.lastIndexOf('.');
    return dot > slash && wanted.has(key.slice(dot + 1).toLowerCase());
  };
}

/** True when any segment of a key is a junk folder. */
export function inJunkDir(key: string): boolean {
  for (const seg of key.split('/')) if (JUNK_DIRS.has(seg)) return true;
  return false;
}

/** Bytes [start, end) of a whole object with readRange's rules: short at the end, empty past it. */
export function sliceRange(all: Buffer, start: number, end: number): Buffer {
  const s = Math.min(Math.max(0, start), all.length);
  return all.subarray(s, Math.max(s, Math.min(end, all.length)));
}
