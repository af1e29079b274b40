// Shared listing helpers: OS junk folders to skip and the case-insensitive extension filter.

/** Folders the OS or tools drop into datasets; never part of a dataset. */
export const JUNK_DIRS: ReadonlySet<string> = new Set(['.Spotlight-V100', '.Trashes', '.fseventsd', '.TemporaryItems', '.zfs', '.ipynb_checkpoints']);

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
