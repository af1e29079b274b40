// On-disk form of one cache entry: magic, header length, JSON header (key, identity, crc32), then the object's bytes.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('TFC1');
const PREFIX = 8; // magic + u32 header length

/** What identifies one version of a remote object; compared with the remote stat when an entry is revalidated. */
export interface ObjectIdentity {
  size: number;
  etag?: string;
  mtimeMs?: number;
}

/** The header stored in front of the bytes. */
export interface EntryHeader extends ObjectIdentity {
  /** Backend namespace (bucket + prefix, dataset + revision, ...) and key: guards against hash collisions. */
  ns: string;
  key: string;
  crc: number;
}

/** File name of an entry: a hash, so no key (`../`, NUL, 4 KiB long) ever becomes a path. */
export function entryHash(ns: string, key: string): string {
  return createHash('sha256').update(ns).update('\0').update(key).digest('hex');
}

/** The header and body as two buffers (written with one writev). */
export function encodeEntry(ns: string, key: string, id: ObjectIdentity, body: Buffer): Buffer[] {
  const header: EntryHeader = { ns, key, size: body.length, crc: crc32(body) };
  if (id.etag !== undefined) header.etag = id.etag;
  if (id.mtimeMs !== undefined) header.mtimeMs = id.mtimeMs;
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(PREFIX);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(json.length, 4);
  return [prefix, json, body];
}

/** Why an entry file was refused (the file is then removed and the object fetched again). */
export type EntryProblem = 'magic' | 'header' | 'key' | 'truncated' | 'checksum';

/** Parse and verify a whole entry file; the body is a view of `file`. */
export function decodeEntry(
  file: Buffer,
  ns: string,
  key: string,
): { header: EntryHeader; body: Buffer } | { problem: EntryProblem } {
  if (file.length < PREFIX || !file.subarray(0, 4).equals(MAGIC)) return { problem: 'magic' };
  const hlen = file.readUInt32LE(4);
  if (PREFIX + hlen > file.length) return { problem: 'truncated' };
  let header: EntryHeader;
  try {
    header = JSON.parse(file.subarray(PREFIX, PREFIX + hlen).toString('utf8')) as EntryHeader;
  } catch {
    return { problem: 'header' };
  }
  if (header.ns !== ns || header.key !== key) return { problem: 'key' };
  if (file.length !== PREFIX + hlen + header.size) return { problem: 'truncated' };
  const body = file.subarray(PREFIX + hlen);
  if (crc32(body) !== header.crc) return { problem: 'checksum' };
  return { header, body };
}

/** True when the remote object still is the version an entry holds (size, then ETag, else Last-Modified). */
export function sameObject(cached: ObjectIdentity, remote: ObjectIdentity): boolean {
  if (remote.size >= 0 && remote.size !== cached.size) return false;
  if (remote.etag !== undefined && cached.etag !== undefined) return remote.etag === cached.etag;
  if (remote.mtimeMs !== undefined && cached.mtimeMs !== undefined) return remote.mtimeMs === cached.mtimeMs;
  return remote.size === cached.size;
}
