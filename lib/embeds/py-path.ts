// Python's posixpath/pathlib string rules (dirname, splitext, Path.stem), reproduced because cache names
// and captions depend on their exact edge cases (dotfiles, trailing dots, double slashes).

/** posixpath.dirname: everything before the last '/', trailing slashes removed unless it is all slashes. */
export function pyDirname(p: string): string {
  const head = p.slice(0, p.lastIndexOf('/') + 1);
  if (head && head !== '/'.repeat(head.length)) return head.replace(/\/+$/, '');
  return head;
}

/** posixpath.basename. */
export function pyBasename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** posixpath.splitext: the extension is only in the last component, and leading dots never start one. */
export function pySplitext(p: string): [string, string] {
  const sep = p.lastIndexOf('/');
  const dot = p.lastIndexOf('.');
  if (dot > sep) {
    for (let i = sep + 1; i < dot; i++) {
      if (p[i] !== '.') return [p.slice(0, dot), p.slice(dot)];
    }
  }
  return [p, ''];
}

/** pathlib's final component: trailing slashes ignored, '.' components skipped. */
function pathlibName(p: string): string {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  return parts.at(-1) ?? '';
}

/** pathlib.PurePosixPath(p).stem (CPython 3.8–3.13): the suffix needs a dot that is neither first nor last. */
export function pyStem(p: string): string {
  const name = pathlibName(p);
  const i = name.lastIndexOf('.');
  return i > 0 && i < name.length - 1 ? name.slice(0, i) : name;
}

/** os.path.join for two posix parts (an absolute second part wins, as in Python). */
export function pyJoin(a: string, b: string): string {
  if (b.startsWith('/') || a === '') return b;
  return a.endsWith('/') ? a + b : `${a}/${b}`;
}
