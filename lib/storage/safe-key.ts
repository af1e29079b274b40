// Key hygiene shared by every backend: POSIX-style relative keys that can never escape their root.
import path from 'node:path';
import { PathEscapeError } from '../errors.js';

/** Where a key came from, for error messages. */
export interface KeyContext {
  dataset?: string;
  /** What produced the key: a CSV file, parquet shard, listing, caller. */
  file?: string;
  field?: string;
  row?: number;
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const WINDOWS_ABSOLUTE = /^[a-zA-Z]:[\\/]|^[\\/]{2}/;

/**
 * Normalise a key to `a/b/c.png` form and refuse anything that could leave the root:
 * absolute paths, drive letters, `..` segments, NUL bytes, empty keys.
 */
export function safeKey(key: string, ctx: KeyContext = {}): string {
  if (typeof key !== 'string' || key.length === 0) throw escape('empty key', key, ctx);
  if (key.includes('\0')) throw escape('key contains a NUL byte', key, ctx);
  if (key.startsWith('/') || key.startsWith('\\') || WINDOWS_ABSOLUTE.test(key))
    throw escape('absolute path where a relative key was expected', key, ctx);
  if (URL_LIKE.test(key)) throw escape('a URL where a relative key was expected', key, ctx);
  // Backslashes are separators on Windows, so a `..` between them is refused too; on POSIX they stay part of the name.
  if (key.split(/[\\/]/).includes('..')) throw escape("key contains a '..' segment", key, ctx);
  const parts: string[] = [];
  for (const seg of key.split('/')) if (seg !== '' && seg !== '.') parts.push(seg);
  if (parts.length === 0) throw escape('key names the root itself', key, ctx);
  return parts.join('/');
}

/** POSIX roots seen to be in path.resolve's normal form (bounded: a process has a handful of storage roots). */
const normalRoots = new Set<string>();

function isNormalPosixRoot(root: string): boolean {
  if (normalRoots.has(root)) return true;
  if (path.sep !== '/' || path.resolve(root) !== root) return false;
  if (normalRoots.size < 256) normalRoots.add(root);
  return true;
}

/** Absolute filesystem path of `key` under `root` (root must be absolute); re-checked after resolution. */
export function resolveUnder(root: string, key: string, ctx: KeyContext = {}): string {
  const clean = safeKey(key, ctx);
  // safeKey leaves no empty, '.' or '..' segment, so below a normal POSIX root the plain join IS the resolved path;
  // path.resolve + path.relative per read cost about as much CPU as parsing a cached latent file.
  if (isNormalPosixRoot(root)) return root === '/' ? `/${clean}` : `${root}/${clean}`;
  const full = path.resolve(root, ...clean.split('/'));
  if (!isInside(root, full)) throw escape('key resolves outside the root', key, ctx);
  return full;
}

/** True when `full` is `root` itself or below it. Both absolute. */
export function isInside(root: string, full: string): boolean {
  const rel = path.relative(root, full);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Key of an absolute path below `root`, or PathEscapeError. */
export function keyUnder(root: string, fullPath: string, ctx: KeyContext = {}): string {
  if (URL_LIKE.test(fullPath)) throw escape('a URL where a file path was expected', fullPath, ctx);
  const full = path.resolve(root, fullPath);
  if (!isInside(root, full) || full === root) throw escape(`path is outside the root ${root}`, fullPath, ctx);
  return safeKey(path.relative(root, full).split(path.sep).join('/'), ctx);
}

function escape(why: string, key: string, ctx: KeyContext): PathEscapeError {
  const shown =
    typeof key === 'string' ? JSON.stringify(key.length > 200 ? `${key.slice(0, 200)}…` : key) : String(key);
  return new PathEscapeError(`Refused key ${shown}: ${why}`, {
    dataset: ctx.dataset,
    file: ctx.file,
    field: ctx.field,
    row: ctx.row,
  });
}
