// Minimal read-only zip parser for torch archives: central directory (+ZIP64), stored entries as zero-copy views.
// Why not a library: torch writes stored (uncompressed), 64-byte-aligned entries, so a view into the file buffer
// is all a reader needs; the general-purpose readers copy every entry, and this file is ~150 lines.
import * as zlib from 'node:zlib';
import { EmbedFormatError } from '../errors.js';

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_COMMENT = 0xffff;

/** Limits for reading untrusted archives. */
export interface ZipReadOptions {
  /** Largest total size of deflated entries after inflation. @default 1 GiB */
  maxInflatedBytes?: number;
  /**
   * Check every entry against its CRC-32 (catches bit rot inside tensor data, which parsing alone cannot).
   * Costs about one extra pass over the bytes (native zlib.crc32 where Node has it).
   * @default false
   */
  verifyCrc?: boolean;
}

let crcTable: Int32Array | undefined;

/** Table-driven CRC-32 (zip polynomial), used where Node lacks zlib.crc32 (before 20.15). */
export function crc32Portable(data: Uint8Array): number {
  crcTable ??= Int32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let c = -1;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function crc32(data: Uint8Array): number {
  return typeof zlib.crc32 === 'function' ? zlib.crc32(data) >>> 0 : crc32Portable(data);
}

interface Directory {
  entries: number;
  offset: number;
  size: number;
}

function fail(message: string): never {
  throw new EmbedFormatError(`Invalid zip archive: ${message}`);
}

/** A little-endian u64 as a safe integer, from two u32 reads (no BigInt per call: torch writes ZIP64 records). */
function u64(view: DataView, at: number): number {
  const hi = view.getUint32(at + 4, true);
  if (hi > 0x1fffff) fail('ZIP64 value out of range');
  return hi * 2 ** 32 + view.getUint32(at, true);
}

function findEocd(view: DataView): number {
  const stop = Math.max(0, view.byteLength - 22 - MAX_COMMENT);
  for (let at = view.byteLength - 22; at >= stop; at--) {
    if (view.getUint32(at, true) === EOCD_SIG) return at;
  }
  return fail('end of central directory not found (truncated file?)');
}

function readDirectory(view: DataView): Directory {
  if (view.byteLength < 22) fail(`only ${view.byteLength} bytes`);
  const eocd = findEocd(view);
  const dir = {
    entries: view.getUint16(eocd + 10, true),
    size: view.getUint32(eocd + 12, true),
    offset: view.getUint32(eocd + 16, true),
  };
  const needs64 = dir.entries === 0xffff || dir.size === 0xffffffff || dir.offset === 0xffffffff;
  const loc = eocd - 20;
  if (loc >= 0 && view.getUint32(loc, true) === ZIP64_LOCATOR_SIG) {
    const at = u64(view, loc + 8);
    if (at + 56 > view.byteLength || view.getUint32(at, true) !== ZIP64_EOCD_SIG) fail('bad ZIP64 end record');
    return { entries: u64(view, at + 32), size: u64(view, at + 40), offset: u64(view, at + 48) };
  }
  if (needs64) fail('ZIP64 locator missing');
  return dir;
}

interface CentralEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  crc: number;
  next: number;
}

/** Apply the ZIP64 extra field: it holds, in order, only the fields whose 32-bit value is 0xffffffff. */
function applyZip64Extra(view: DataView, start: number, end: number, e: CentralEntry): void {
  for (let at = start; at + 4 <= end;) {
    const id = view.getUint16(at, true);
    const len = view.getUint16(at + 2, true);
    if (id === 0x0001) {
      let p = at + 4;
      const take = (): number => {
        if (p + 8 > at + 4 + len) fail('short ZIP64 extra field');
        const v = u64(view, p);
        p += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = take();
      if (e.compressedSize === 0xffffffff) e.compressedSize = take();
      if (e.localOffset === 0xffffffff) e.localOffset = take();
      return;
    }
    at += 4 + len;
  }
}

function readCentralEntry(view: DataView, bytes: Uint8Array, at: number, end: number): CentralEntry {
  if (at + 46 > end || view.getUint32(at, true) !== CENTRAL_SIG) fail(`bad central directory entry at ${at}`);
  const nameLen = view.getUint16(at + 28, true);
  const extraLen = view.getUint16(at + 30, true);
  const commentLen = view.getUint16(at + 32, true);
  const next = at + 46 + nameLen + extraLen + commentLen;
  if (next > end) fail('central directory entry overruns the directory');
  const e: CentralEntry = {
    name: Buffer.from(bytes.buffer, bytes.byteOffset + at + 46, nameLen).toString('utf8'),
    method: view.getUint16(at + 10, true),
    flags: view.getUint16(at + 8, true),
    compressedSize: view.getUint32(at + 20, true),
    size: view.getUint32(at + 24, true),
    localOffset: view.getUint32(at + 42, true),
    crc: view.getUint32(at + 16, true),
    next,
  };
  applyZip64Extra(view, at + 46 + nameLen, at + 46 + nameLen + extraLen, e);
  return e;
}

function rawEntryData(view: DataView, bytes: Uint8Array, e: CentralEntry, budget: { left: number }): Uint8Array {
  if (e.flags & 1) fail(`entry '${e.name}' is encrypted`);
  const at = e.localOffset;
  if (at + 30 > view.byteLength || view.getUint32(at, true) !== LOCAL_SIG) fail(`bad local header for '${e.name}'`);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + e.compressedSize;
  if (end > view.byteLength) fail(`entry '${e.name}' is truncated (needs ${end} bytes, file has ${view.byteLength})`);
  const raw = bytes.subarray(start, end);
  if (e.method === 0) {
    if (e.size !== e.compressedSize) fail(`stored entry '${e.name}' has mismatched sizes`);
    return raw;
  }
  if (e.method !== 8) fail(`entry '${e.name}' uses unsupported compression method ${e.method}`);
  if (e.size > budget.left) fail(`entry '${e.name}' inflates past the ${budget.left}-byte limit`);
  budget.left -= e.size;
  try {
    const out = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    if (out.byteLength !== e.size) fail(`entry '${e.name}' inflated to ${out.byteLength} bytes, expected ${e.size}`);
    return out;
  } catch (cause) {
    if (cause instanceof EmbedFormatError) throw cause;
    throw new EmbedFormatError(`Invalid zip archive: entry '${e.name}' does not inflate`, { cause });
  }
}

function entryData(
  view: DataView,
  bytes: Uint8Array,
  e: CentralEntry,
  budget: { left: number },
  verify: boolean,
): Uint8Array {
  const data = rawEntryData(view, bytes, e, budget);
  if (verify && crc32(data) !== e.crc) fail(`entry '${e.name}' fails its CRC-32 check (corrupted data)`);
  return data;
}

/** A parsed zip directory: names known at once, entry bytes resolved only when asked for. */
export interface ZipArchive {
  /** File entry names, in directory order (directories are skipped). */
  readonly names: readonly string[];
  /** The bytes of `name` (a view for stored entries, inflated for deflated ones); undefined when absent. */
  read(name: string): Uint8Array | undefined;
}

/**
 * Parse the central directory once. Entry data is located, bounds-checked, inflated (within the budget) and
 * CRC-checked only when read, so a torch reader touches data.pkl and its storages, not every entry.
 */
export function openZip(bytes: Uint8Array, options: ZipReadOptions = {}): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dir = readDirectory(view);
  const end = dir.offset + dir.size;
  if (end > bytes.byteLength) fail('central directory lies past the end of the file (truncated?)');
  if (dir.entries > dir.size / 46) fail(`central directory claims ${dir.entries} entries in ${dir.size} bytes`);
  const byName = new Map<string, CentralEntry>();
  let at = dir.offset;
  for (let i = 0; i < dir.entries; i++) {
    const e = readCentralEntry(view, bytes, at, end);
    at = e.next;
    if (e.name.endsWith('/')) continue;
    if (byName.has(e.name)) fail(`duplicate entry '${e.name}'`);
    byName.set(e.name, e);
  }
  const budget = { left: options.maxInflatedBytes ?? 2 ** 30 };
  const verify = options.verifyCrc === true;
  return {
    names: [...byName.keys()],
    read(name) {
      const e = byName.get(name);
      return e && entryData(view, bytes, e, budget, verify);
    },
  };
}

/**
 * Every file entry of a zip archive by name. Stored entries are views into `bytes` (no copy); deflated ones
 * are inflated with node:zlib. Throws EmbedFormatError on anything malformed or out of bounds.
 */
export function readZipEntries(bytes: Uint8Array, options: ZipReadOptions = {}): Map<string, Uint8Array> {
  const zip = openZip(bytes, options);
  return new Map(zip.names.map((n) => [n, zip.read(n)!]));
}
