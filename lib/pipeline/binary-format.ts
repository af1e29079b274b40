// The framed binary batch format of `tunefeed stream --format binary` (spec: docs/binary-format.md).
import type { Batch, BatchSample } from './types.js';

/** Frame magic, ASCII "TFB1". */
export const FRAME_MAGIC = Buffer.from('TFB1', 'ascii');
/** Array offsets inside a payload are multiples of this. */
export const ARRAY_ALIGN = 64;

/** One array in a frame's payload. */
export interface ArrayEntry {
  sample: number;
  name: 'pixels' | 'latents';
  dtype: string;
  shape: number[];
  offset: number;
  nbytes: number;
}

/** The metadata line shared by ndjson and the binary header (SimpleTuner field names). */
export function batchMetadata(b: Batch): Record<string, unknown> {
  return {
    step: b.step, epoch: b.epoch, dataset: b.dataset, bucket: b.bucket, rank: b.rank, world_size: b.worldSize,
    samples: b.samples.map(sampleMetadata),
    skipped: b.skipped.map((s) => ({ key: s.key, reason: s.reason })),
  };
}

function sampleMetadata(s: BatchSample): Record<string, unknown> {
  return {
    path: s.path, caption: s.caption, original_size: s.original_size, intermediary_size: s.intermediary_size,
    target_size: s.target_size, crop_coordinates: s.crop_coordinates, aspect_ratio: s.aspect_ratio,
    ...(s.refill ? { refill: true } : {}),
  };
}

/** One ndjson line. */
export function encodeNdjson(b: Batch): string {
  return `${JSON.stringify(batchMetadata(b))}\n`;
}

/** One binary frame: magic, u32 LE header length, u64 LE payload length, JSON header, payload (64-byte aligned arrays). */
export function encodeFrame(b: Batch): Buffer[] {
  const arrays: ArrayEntry[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  b.samples.forEach((s, i) => {
    const a = s.pixels
      ? { name: 'pixels' as const, dtype: 'uint8', shape: [s.target_size[1], s.target_size[0], 3], data: s.pixels }
      : s.latents ? { name: 'latents' as const, dtype: s.latents.dtype, shape: s.latents.shape, data: s.latents.data } : null;
    if (!a) return;
    const pad = (ARRAY_ALIGN - (offset % ARRAY_ALIGN)) % ARRAY_ALIGN;
    if (pad) parts.push(new Uint8Array(pad));
    offset += pad;
    arrays.push({ sample: i, name: a.name, dtype: a.dtype, shape: a.shape, offset, nbytes: a.data.byteLength });
    parts.push(a.data);
    offset += a.data.byteLength;
  });
  const header = Buffer.from(JSON.stringify({ ...batchMetadata(b), arrays }), 'utf8');
  const prefix = Buffer.alloc(16);
  FRAME_MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(header.length, 4);
  prefix.writeBigUInt64LE(BigInt(offset), 8);
  return [prefix, header, ...parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))];
}
