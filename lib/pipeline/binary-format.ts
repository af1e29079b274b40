// The framed binary batch format of `tunefeed stream --format binary` (spec: docs/binary-format.md).
import type { Batch, BatchSample } from './types.js';

/** Frame magic, ASCII "TFB1". */
export const FRAME_MAGIC = Buffer.from('TFB1', 'ascii');
/** Array offsets inside a payload are multiples of this. */
export const ARRAY_ALIGN = 64;

/** One array in a frame's payload. */
export interface ArrayEntry {
  sample: number;
  name: 'pixels' | 'latents' | 'conditioning' | 'text_embeds' | 'frames';
  /** For `conditioning`: index into the sample's `conditioning` list. */
  conditioning?: number;
  /** For `text_embeds`: the tensor's name in the cache file (prompt_embeds, pooled_prompt_embeds, ...). */
  tensor?: string;
  dtype: string;
  shape: number[];
  offset: number;
  nbytes: number;
}

/** The metadata line shared by ndjson and the binary header (SimpleTuner field names). */
export function batchMetadata(b: Batch): Record<string, unknown> {
  return {
    step: b.step,
    epoch: b.epoch,
    dataset: b.dataset,
    bucket: b.bucket,
    rank: b.rank,
    world_size: b.worldSize,
    samples: b.samples.map(sampleMetadata),
    skipped: b.skipped.map((s) => ({ key: s.key, reason: s.reason })),
  };
}

function sampleMetadata(s: BatchSample): Record<string, unknown> {
  return {
    path: s.path,
    caption: s.caption,
    original_size: s.original_size,
    intermediary_size: s.intermediary_size,
    target_size: s.target_size,
    crop_coordinates: s.crop_coordinates,
    aspect_ratio: s.aspect_ratio,
    ...(s.refill ? { refill: true } : {}),
    ...(s.conditioning ? { conditioning: s.conditioning.map((c) => ({ dataset: c.dataset, path: c.path })) } : {}),
    ...(s.textEmbedMissing !== undefined ? { text_embed_missing: s.textEmbedMissing } : {}),
    ...(s.frame_indices ? { frame_indices: s.frame_indices, fps: s.fps ?? 0 } : {}),
  };
}

/** One ndjson line. */
export function encodeNdjson(b: Batch): string {
  return `${JSON.stringify(batchMetadata(b))}\n`;
}

/**
 * One binary frame: magic, u32 LE header length, u64 LE payload length, JSON header, payload (64-byte aligned arrays).
 */
export function encodeFrame(b: Batch): Buffer[] {
  const arrays: ArrayEntry[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  const add = (entry: Omit<ArrayEntry, 'offset' | 'nbytes'>, data: Uint8Array): void => {
    const pad = (ARRAY_ALIGN - (offset % ARRAY_ALIGN)) % ARRAY_ALIGN;
    if (pad) parts.push(new Uint8Array(pad));
    offset += pad;
    arrays.push({ ...entry, offset, nbytes: data.byteLength });
    parts.push(data);
    offset += data.byteLength;
  };
  b.samples.forEach((s, i) => {
    const hwc = [s.target_size[1], s.target_size[0], 3];
    if (s.pixels) add({ sample: i, name: 'pixels', dtype: 'uint8', shape: hwc }, s.pixels);
    else if (s.latents)
      add({ sample: i, name: 'latents', dtype: s.latents.dtype, shape: s.latents.shape }, s.latents.data);
    if (s.frames) {
      const shape = [s.frames.byteLength / (hwc[0] * hwc[1] * 3), ...hwc];
      add({ sample: i, name: 'frames', dtype: 'uint8', shape }, s.frames);
    }
    s.conditioning?.forEach((c, k) => {
      if (c.pixels) add({ sample: i, name: 'conditioning', conditioning: k, dtype: 'uint8', shape: hwc }, c.pixels);
    });
    for (const [tensor, t] of Object.entries(s.textEmbeds ?? {}))
      add({ sample: i, name: 'text_embeds', tensor, dtype: t.dtype, shape: t.shape }, t.data);
  });
  const header = Buffer.from(JSON.stringify({ ...batchMetadata(b), arrays }), 'utf8');
  const prefix = Buffer.alloc(16);
  FRAME_MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(header.length, 4);
  prefix.writeBigUInt64LE(BigInt(offset), 8);
  return [prefix, header, ...parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))];
}
