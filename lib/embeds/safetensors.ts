// Reads .safetensors: u64 LE header length, a JSON header of {name: {dtype, shape, data_offsets}}, then the data.
import { EmbedFormatError } from '../errors.js';
import { DTYPES, numel, type Tensor } from './tensor.js';

const MAX_HEADER = 100 * 1024 * 1024;
const FROM_SAFETENSORS = new Map([...DTYPES].map(([dtype, info]) => [info.safetensors, dtype]));

function fail(message: string): never {
  throw new EmbedFormatError(`Invalid safetensors file: ${message}`);
}

function parseHeader(buf: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (buf.byteLength < 8) fail(`only ${buf.byteLength} bytes`);
  const len = new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true);
  if (len > BigInt(Math.min(MAX_HEADER, buf.byteLength - 8))) fail(`header length ${len} exceeds the file`);
  const dataStart = 8 + Number(len);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, Number(len)).toString('utf8'));
  } catch (cause) {
    throw new EmbedFormatError('Invalid safetensors file: header is not JSON', { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not an object');
  return { header: header as Record<string, unknown>, dataStart };
}

function readEntry(name: string, spec: unknown, data: Uint8Array): Tensor {
  const s = spec as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof s !== 'object' || s === null) fail(`entry '${name}' is not an object`);
  const dtype = FROM_SAFETENSORS.get(String(s.dtype));
  if (!dtype) fail(`entry '${name}' has unsupported dtype '${String(s.dtype)}'`);
  const shape = s.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    fail(`entry '${name}' has a bad shape`);
  const off = s.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0))
    fail(`entry '${name}' has bad data_offsets`);
  const [begin, end] = off as [number, number];
  const expected = numel(shape as number[]) * DTYPES.get(dtype)!.itemsize;
  if (end < begin || end > data.byteLength)
    fail(`entry '${name}' data [${begin}, ${end}) is outside the ${data.byteLength}-byte data section`);
  if (end - begin !== expected)
    fail(`entry '${name}' holds ${end - begin} bytes, ${dtype}${JSON.stringify(shape)} needs ${expected}`);
  return { dtype, shape: [...(shape as number[])], data: data.subarray(begin, end) };
}

/** Parse a `.safetensors` buffer into named tensors (views into `buf`, no copy); `__metadata__` is skipped. */
export function readSafetensors(buf: Uint8Array): Record<string, Tensor> {
  const { header, dataStart } = parseHeader(buf);
  const data = buf.subarray(dataStart);
  const out = Object.create(null) as Record<string, Tensor>;
  for (const [name, spec] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    out[name] = readEntry(name, spec, data);
  }
  return out;
}

/** The `__metadata__` string map of a `.safetensors` buffer (empty when absent). */
export function readSafetensorsMetadata(buf: Uint8Array): Record<string, string> {
  const meta = parseHeader(buf).header.__metadata__;
  if (meta === undefined) return {};
  if (typeof meta !== 'object' || meta === null) fail('__metadata__ is not an object');
  return Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, String(v)]));
}
