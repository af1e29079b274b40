// Reads torch.save files (zip + pickle, optionally gzip-wrapped as SimpleTuner's compress_cache writes them).
// Only an allow-list of data constructors is honoured; any other global is refused before anything runs.
import { EmbedFormatError } from '../errors.js';
import { inflateGzip } from './gzip-inflate.js';
import { PyCallable, unpickle, type PickleHooks } from './pickle-vm.js';
import { DTYPES, itemSize, numel, type Tensor, type TorchValue } from './tensor.js';
import { openZip, type ZipArchive } from './zip-reader.js';

/** Limits for untrusted files. */
export interface TorchReadOptions {
  /** Largest size a gzip-compressed file may inflate to. @default 1 GiB */
  maxDecompressedBytes?: number;
  /** Verify each archive entry's CRC-32 (see ZipReadOptions.verifyCrc). @default false */
  verifyCrc?: boolean;
}

interface Storage {
  dtype: string;
  bytes: Uint8Array;
}

class StorageType {
  constructor(readonly dtype: string) {}
}

const STORAGE_DTYPES = new Map([...DTYPES].map(([dtype, info]) => [info.storage, dtype]));
const TORCH_DTYPE_NAMES = new Map<string, string>([
  ...[...DTYPES.keys()].map((d) => [d, d] as [string, string]),
  ['float', 'float32'],
  ['half', 'float16'],
  ['double', 'float64'],
  ['long', 'int64'],
  ['int', 'int32'],
  ['short', 'int16'],
]);

function isIntList(v: unknown): v is number[] {
  if (!Array.isArray(v)) return false;
  for (const x of v as unknown[]) if (!Number.isSafeInteger(x) || (x as number) < 0) return false;
  return true;
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Copy a strided view into fresh C-contiguous bytes (non-contiguous tensors, e.g. a transpose). */
function materialise(src: Uint8Array, offset: number, shape: number[], stride: number[], size: number): Uint8Array {
  const n = numel(shape);
  const out = new Uint8Array(n * size);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let e = offset;
    for (let d = 0; d < shape.length; d++) e += idx[d] * stride[d];
    out.set(src.subarray(e * size, e * size + size), k * size);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata]). */
function rebuildTensor(args: unknown[]): Tensor {
  const [storage, offset, shape, stride] = args as [Storage, unknown, unknown, unknown];
  if (!(storage && typeof storage === 'object' && 'bytes' in storage))
    throw new EmbedFormatError('Tensor rebuild without a storage');
  if (
    !Number.isSafeInteger(offset) ||
    (offset as number) < 0 ||
    !isIntList(shape) ||
    !isIntList(stride) ||
    shape.length !== stride.length
  ) {
    throw new EmbedFormatError(
      `Malformed tensor geometry: offset=${String(offset)} ` +
        `size=${JSON.stringify(shape)} stride=${JSON.stringify(stride)}`,
    );
  }
  const size = itemSize(storage.dtype);
  const n = numel(shape);
  const off = offset as number;
  let last = off;
  for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * stride[d];
  if (n > 0 && (last + 1) * size > storage.bytes.byteLength) {
    throw new EmbedFormatError(
      `Tensor ${storage.dtype}${JSON.stringify(shape)} reaches past its ${storage.bytes.byteLength}-byte storage`,
    );
  }
  const contiguous = contiguousStrides(shape).every((s, d) => s === stride[d] || shape[d] <= 1);
  const data =
    n === 0
      ? new Uint8Array(0)
      : contiguous
        ? storage.bytes.subarray(off * size, (off + n) * size)
        : materialise(storage.bytes, off, [...shape], [...stride], size);
  return { dtype: storage.dtype, shape: [...shape], data };
}

function latin1Bytes(args: unknown[]): Uint8Array {
  const [s, enc] = args;
  if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1'))
    throw new EmbedFormatError('Unsupported _codecs.encode call');
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/** A Python class named in a stream only as data (torch.Tensor in _rebuild_from_type_v2), never instantiated. */
class TypeMarker {
  constructor(readonly qualname: string) {}
}

/** torch ≥ 2 wraps tensors that carry Python state: (func, type, args, state); the state (attributes) is dropped. */
function rebuildFromType(args: unknown[]): unknown {
  const [func, type, inner] = args;
  if (!(func instanceof PyCallable) || !(type instanceof TypeMarker) || !Array.isArray(inner)) {
    throw new EmbedFormatError('Malformed _rebuild_from_type_v2 call');
  }
  return func.call(inner);
}

const TYPE_MARKERS = new Map([
  ['torch.Tensor', new TypeMarker('torch.Tensor')],
  ['torch.nn.parameter.Parameter', new TypeMarker('torch.nn.parameter.Parameter')],
]);

const CALLABLES = new Map<string, PyCallable>([
  ['torch._tensor._rebuild_from_type_v2', new PyCallable('_rebuild_from_type_v2', rebuildFromType)],
  ['torch._utils._rebuild_parameter_with_state', new PyCallable('_rebuild_parameter_with_state', (a) => a[0])],
  ['torch._utils._rebuild_tensor_v2', new PyCallable('_rebuild_tensor_v2', rebuildTensor)],
  ['torch._utils._rebuild_tensor', new PyCallable('_rebuild_tensor', rebuildTensor)],
  ['torch._utils._rebuild_parameter', new PyCallable('_rebuild_parameter', (a) => a[0])],
  ['collections.OrderedDict', new PyCallable('OrderedDict', () => Object.create(null))],
  [
    'torch.Size',
    new PyCallable('Size', (a) => {
      if (!isIntList(a[0])) throw new EmbedFormatError('Bad torch.Size');
      return [...a[0]];
    }),
  ],
  ['torch.device', new PyCallable('device', (a) => a.map(String).join(':'))],
  ['_codecs.encode', new PyCallable('encode', latin1Bytes)],
]);

/** module → name → value of every allowed global, built once: a lookup is two Map hits, no string building. */
const ALLOWED = new Map<string, Map<string, unknown>>();
function allow(qualname: string, value: unknown): void {
  const dot = qualname.lastIndexOf('.');
  const [module, name] = [qualname.slice(0, dot), qualname.slice(dot + 1)];
  if (!ALLOWED.has(module)) ALLOWED.set(module, new Map());
  ALLOWED.get(module)!.set(name, value);
}
// Lowest precedence first (a later allow() wins): markers, dtype names, storage classes, callables.
for (const [qualname, marker] of TYPE_MARKERS) allow(qualname, marker);
for (const [name, dtype] of TORCH_DTYPE_NAMES) allow(`torch.${name}`, dtype);
for (const [name, dtype] of STORAGE_DTYPES) allow(`torch.${name}`, new StorageType(dtype));
for (const [qualname, callable] of CALLABLES) allow(qualname, callable);

function findGlobal(module: string, name: string): unknown {
  const value = ALLOWED.get(module)?.get(name);
  if (value !== undefined) return value;
  if (module === 'torch' && name.endsWith('Storage')) {
    throw new EmbedFormatError(
      `Unsupported tensor storage torch.${name} (supported dtypes: ${[...DTYPES.keys()].join(', ')})`,
    );
  }
  throw new EmbedFormatError(
    `Refusing pickle global '${module}.${name}': not an allowed tensor/container constructor (nothing was executed)`,
  );
}

/** persistent id ('storage', StorageType, key, location, numel) → the bytes of `<prefix>/data/<key>`. */
function storageLoader(zip: ZipArchive, prefix: string): PickleHooks['persistentLoad'] {
  const cache = new Map<string, Storage>();
  return (pid) => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof StorageType) || typeof pid[2] !== 'string') {
      throw new EmbedFormatError('Unsupported persistent id in torch file (expected a storage reference)');
    }
    const key = pid[2];
    const hit = cache.get(key);
    if (hit) return hit;
    const bytes = zip.read(`${prefix}data/${key}`);
    if (!bytes) throw new EmbedFormatError(`Torch archive lacks storage entry '${prefix}data/${key}'`);
    const dtype = pid[1].dtype;
    if (Number.isSafeInteger(pid[4]) && (pid[4] as number) * itemSize(dtype) > bytes.byteLength) {
      throw new EmbedFormatError(
        `Storage '${key}' is ${bytes.byteLength} bytes, shorter than its ${String(pid[4])} ${dtype} elements`,
      );
    }
    const storage = { dtype, bytes };
    cache.set(key, storage);
    return storage;
  };
}

function readArchive(buf: Uint8Array, options: TorchReadOptions): TorchValue {
  const zip = openZip(buf, { maxInflatedBytes: options.maxDecompressedBytes, verifyCrc: options.verifyCrc });
  const pkl = zip.names.filter((k) => k === 'data.pkl' || k.endsWith('/data.pkl'));
  if (pkl.length !== 1) throw new EmbedFormatError(`Torch archive must hold exactly one data.pkl, found ${pkl.length}`);
  const prefix = pkl[0].slice(0, -'data.pkl'.length);
  const order = zip.read(`${prefix}byteorder`);
  if (order && Buffer.from(order.buffer, order.byteOffset, order.byteLength).toString('latin1') !== 'little') {
    throw new EmbedFormatError('Big-endian torch files are not supported (re-save on a little-endian machine)');
  }
  return unpickle(zip.read(pkl[0])!, { findGlobal, persistentLoad: storageLoader(zip, prefix) }) as TorchValue;
}

function startsWith(buf: Uint8Array, ...magic: number[]): boolean {
  return buf.length >= magic.length && magic.every((b, i) => buf[i] === b);
}

/**
 * Parse a torch `.pt` file: zip archive, gzip-wrapped archive (SimpleTuner's compress_cache), or the legacy
 * "torch.save(gzip bytes)" form SimpleTuner once wrote. Tensors, dicts, lists and tuples of them come back
 * as plain values; anything else is refused with EmbedFormatError.
 */
export function readTorchFile(buf: Uint8Array, options: TorchReadOptions = {}): TorchValue {
  const max = options.maxDecompressedBytes ?? 2 ** 30;
  let bytes = buf;
  for (let depth = 0; depth < 3; depth++) {
    if (startsWith(bytes, 0x1f, 0x8b)) {
      bytes = inflateGzip(bytes, max);
      continue;
    }
    if (startsWith(bytes, 0x50, 0x4b, 0x03, 0x04) || startsWith(bytes, 0x50, 0x4b, 0x05, 0x06)) {
      const value = readArchive(bytes, options);
      if (value instanceof Uint8Array && startsWith(value, 0x1f, 0x8b)) {
        bytes = value;
        continue;
      }
      return value;
    }
    if (startsWith(bytes, 0x80, 0x02, 0x8a)) {
      throw new EmbedFormatError('Legacy (pre-1.6, non-zip) torch format is not supported; re-save with torch>=1.6');
    }
    throw new EmbedFormatError(
      `Not a torch file (starts with ${Buffer.from(bytes.subarray(0, 4)).toString('hex') || 'nothing'})`,
    );
  }
  throw new EmbedFormatError('Torch file nests compression more than twice');
}
