// The Tensor shape both readers return (raw little-endian bytes), the dtype table, and float32 views/conversions.
import { endianness } from 'node:os';
import { EmbedFormatError } from '../errors.js';

/** A tensor as read from a `.pt` or `.safetensors` file: C-contiguous, little-endian raw bytes. */
export interface Tensor {
  /** torch-style dtype name: float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool. */
  dtype: string;
  shape: number[];
  /** Raw little-endian bytes, exactly numel × itemsize long (often a view into the file buffer). */
  data: Uint8Array;
}

/** Any value a torch `.pt` pickle may hold that tunefeed understands. Dicts are null-prototype objects. */
export type TorchValue =
  Tensor | string | number | bigint | boolean | null | Uint8Array | TorchValue[] | { [key: string]: TorchValue };

interface DtypeInfo {
  itemsize: number;
  /** torch legacy storage class name in persistent ids (torch.FloatStorage). */
  storage: string;
  /** safetensors header dtype. */
  safetensors: string;
}

/** Supported dtypes, keyed by torch-style name. */
export const DTYPES: ReadonlyMap<string, DtypeInfo> = new Map([
  ['float32', { itemsize: 4, storage: 'FloatStorage', safetensors: 'F32' }],
  ['float64', { itemsize: 8, storage: 'DoubleStorage', safetensors: 'F64' }],
  ['float16', { itemsize: 2, storage: 'HalfStorage', safetensors: 'F16' }],
  ['bfloat16', { itemsize: 2, storage: 'BFloat16Storage', safetensors: 'BF16' }],
  ['int64', { itemsize: 8, storage: 'LongStorage', safetensors: 'I64' }],
  ['int32', { itemsize: 4, storage: 'IntStorage', safetensors: 'I32' }],
  ['int16', { itemsize: 2, storage: 'ShortStorage', safetensors: 'I16' }],
  ['int8', { itemsize: 1, storage: 'CharStorage', safetensors: 'I8' }],
  ['uint8', { itemsize: 1, storage: 'ByteStorage', safetensors: 'U8' }],
  ['bool', { itemsize: 1, storage: 'BoolStorage', safetensors: 'BOOL' }],
]);

/** Bytes per element of a supported dtype; throws EmbedFormatError for anything else. */
export function itemSize(dtype: string): number {
  const info = DTYPES.get(dtype);
  if (!info)
    throw new EmbedFormatError(`Unsupported tensor dtype '${dtype}' (supported: ${[...DTYPES.keys()].join(', ')})`);
  return info.itemsize;
}

/** Number of elements for a shape ([] is a scalar: 1). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True for tensors produced by the readers (dicts are null-prototype objects, so they never match). */
export function isTensor(v: unknown): v is Tensor {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) === null) return false;
  const o = v as Partial<Tensor>;
  return typeof o.dtype === 'string' && Array.isArray(o.shape) && o.data instanceof Uint8Array;
}

const littleEndianHost = endianness() === 'LE';
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bf16ToFloat(b: number): number {
  u32Scratch[0] = b << 16;
  return f32Scratch[0];
}

/** One element reader per dtype, decided once per tensor so the conversion loop has no branches. */
function elementReader(t: Tensor): (view: DataView, i: number) => number {
  switch (t.dtype) {
    case 'float32':
      return (v, i) => v.getFloat32(i * 4, true);
    case 'float64':
      return (v, i) => v.getFloat64(i * 8, true);
    case 'float16':
      return (v, i) => halfToFloat(v.getUint16(i * 2, true));
    case 'bfloat16':
      return (v, i) => bf16ToFloat(v.getUint16(i * 2, true));
    case 'int64':
      return (v, i) => Number(v.getBigInt64(i * 8, true));
    case 'int32':
      return (v, i) => v.getInt32(i * 4, true);
    case 'int16':
      return (v, i) => v.getInt16(i * 2, true);
    case 'int8':
      return (v, i) => v.getInt8(i);
    case 'uint8':
    case 'bool':
      return (v, i) => v.getUint8(i);
    default:
      throw new EmbedFormatError(`Cannot convert dtype '${t.dtype}' to float32`);
  }
}

let halfTable: Float32Array | undefined;

/** 16-bit fast paths over an aligned Uint16Array view: bf16 is a shift, fp16 a 256 KiB lookup table. */
function halfWidthToFloat32(t: Tensor, n: number): Float32Array | null {
  if (!littleEndianHost || t.data.byteOffset % 2 !== 0) return null;
  const src = new Uint16Array(t.data.buffer, t.data.byteOffset, n);
  const out = new Float32Array(n);
  if (t.dtype === 'bfloat16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
    return out;
  }
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  for (let i = 0; i < n; i++) out[i] = halfTable[src[i]]!;
  return out;
}

/**
 * The tensor's values as float32. A float32 tensor whose bytes are 4-aligned is returned as a zero-copy view
 * (it shares memory with the file buffer), a misaligned one as an aligned copy; every other dtype is converted
 * into a new array.
 */
export function asFloat32(t: Tensor): Float32Array {
  const n = numel(t.shape);
  if (t.data.byteLength !== n * itemSize(t.dtype)) {
    throw new EmbedFormatError(
      `Tensor data is ${t.data.byteLength} bytes, ` +
        `expected ${n * itemSize(t.dtype)} for ${t.dtype}${JSON.stringify(t.shape)}`,
    );
  }
  if (t.dtype === 'float32' && littleEndianHost) {
    // A view when aligned; else one memcpy into fresh aligned memory (not .slice(), which is a view on a Buffer).
    const bytes = t.data.byteOffset % 4 === 0 ? t.data : new Uint8Array(t.data);
    return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  }
  if (t.dtype === 'bfloat16' || t.dtype === 'float16') {
    const fast = halfWidthToFloat32(t.data.byteOffset % 2 === 0 ? t : { ...t, data: new Uint8Array(t.data) }, n);
    if (fast) return fast;
  }
  const out = new Float32Array(n);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const read = elementReader(t);
  for (let i = 0; i < n; i++) out[i] = read(view, i);
  return out;
}
