// SimpleTuner's MultiaspectImage size calculators (pixel edge, pixel area), alignment rounding and canvas limits.
import { ImageProbeError } from '../errors.js';
import { pyFloatKey, pyInt, pyRound, roundHalfEven } from './python-format.js';

export type Size = [number, number];

/** What a calculator returns: `(target, intermediary, new_aspect)` in SimpleTuner's order. */
export interface SizeResult {
  target: Size;
  intermediary: Size;
  aspect: number;
}

/**
 * The area-mode consistency map: the first target computed for (megapixels, aspect) is reused by later samples
 * with the same rounded aspect (SimpleTuner's `aspect_resolution_map-<res>.json`).
 */
export class AspectResolutionMap {
  readonly #map = new Map<string, Size>();

  get(mp: number, aspect: number): Size | undefined {
    return this.#map.get(`${mp}|${pyFloatKey(aspect)}`);
  }

  set(mp: number, aspect: number, size: Size): void {
    const k = `${mp}|${pyFloatKey(aspect)}`;
    if (!this.#map.has(k)) this.#map.set(k, size);
  }

  /** `{ "<aspect>": [w, h] }` for one resolution, as SimpleTuner persists it. */
  toJSON(mp: number): Record<string, Size> {
    const out: Record<string, Size> = {};
    for (const [k, v] of this.#map) {
      const [m, a] = k.split('|') as [string, string];
      if (Number(m) === mp) out[a] = v;
    }
    return out;
  }

  /** Loads a persisted `{ "<aspect>": [w, h] }` map for one resolution. */
  load(mp: number, data: Record<string, unknown>): void {
    for (const [a, v] of Object.entries(data)) {
      if (Array.isArray(v) && v.length === 2 && v.every((n) => Number.isInteger(n)))
        this.set(mp, Number(a), [Number(v[0]), Number(v[1])]);
    }
  }
}

/** `max(round(v/m)*m, m)` with Python's banker's rounding (96 → 128, 160 → 128 at m=64). */
export function roundToMultiple(v: number, m: number): number {
  return Math.max(roundHalfEven(v / m) * m, m);
}

/** `round(w/h, rounding)` as Python computes it. */
export function aspectOf(size: Size, rounding: number): number {
  return pyRound(size[0] / size[1], rounding);
}

/** Rejects zero, negative or non-finite sizes with SimpleTuner's message. */
export function assertValidSize(size: Size): void {
  const [w, h] = size;
  if (!(w > 0 && h > 0 && Number.isFinite(w) && Number.isFinite(h))) {
    throw new ImageProbeError(`Invalid image dimensions: (${w}, ${h})`, 'corrupt');
  }
}

/** Pixel mode: the shorter edge becomes `res`; the intermediary keeps the original W/H ratio. */
export function sizeByPixelEdge(ar: number, res: number, original: Size, m: number, rounding: number): SizeResult {
  assertValidSize(original);
  const [W, H] = original;
  const raw = W / H;
  let wt: number;
  let ht: number;
  if (W < H) {
    wt = res;
    ht = pyInt(res / ar);
  } else {
    ht = res;
    wt = pyInt(res * ar);
  }
  const wa = roundToMultiple(wt, m);
  const ha = roundToMultiple(ht, m);
  let wi: number;
  let hi: number;
  if (W >= H) {
    hi = Math.max(ha, ht);
    wi = pyInt(hi * raw);
    if (wi < wa) [wi, hi] = [wa, pyInt(wa / raw)];
  } else {
    wi = Math.max(wa, wt);
    hi = pyInt(wi / raw);
    if (hi < ha) [wi, hi] = [pyInt(ha * raw), ha];
  }
  return { target: [wa, ha], intermediary: [wi, hi], aspect: aspectOf([wa, ha], rounding) };
}

/** Area mode: a target of about `mp` megapixels at aspect `ar`; the intermediary scales the original to cover it. */
export function sizeByPixelArea(
  ar: number,
  mp: number,
  original: Size,
  m: number,
  rounding: number,
  map?: AspectResolutionMap,
): SizeResult {
  assertValidSize(original);
  const [W, H] = original;
  const edge = roundToMultiple(pyInt(Math.sqrt(mp * 1e6)), m);
  if (ar === 1.0 && W === H) return { target: [edge, edge], intermediary: [edge, edge], aspect: ar };
  const raw = W / H;
  let wt = roundToMultiple(edge * Math.sqrt(ar), m);
  let ht = roundToMultiple(edge / Math.sqrt(ar), m);
  let wi: number;
  let hi: number;
  if (wt < ht) {
    wi = wt;
    hi = pyInt(wi / raw);
  } else {
    hi = ht;
    wi = pyInt(hi * raw);
  }
  const aspect = aspectOf([wt, ht], rounding);
  const stored = map?.get(mp, aspect);
  if (stored) [wt, ht] = stored;
  else map?.set(mp, aspect, [wt, ht]);
  if (wt > wi) {
    const wd = wt - wi;
    wi += wd;
    hi += pyInt(wd / raw);
  } else if (ht > hi) {
    const hd = ht - hi;
    hi += hd;
    wi += pyInt(hd * raw);
  }
  return { target: [wt, ht], intermediary: [wi, hi], aspect };
}

/** Shrinks a canvas over `max` pixels by one alignment step on the larger side, then on the other if needed. */
export function limitCanvasSize(w: number, h: number, max: number, m: number): Size {
  if (w * h <= max) return [w, h];
  const widthLarger = w >= h;
  if (widthLarger) w -= m;
  else h -= m;
  if (w * h > max) {
    if (widthLarger) h -= m;
    else w -= m;
  }
  return [w, h];
}

/** A model's MAXIMUM_CANVAS_SIZE: scale by sqrt(max/area), align, then limitCanvasSize. */
export function limitMaximumSize(size: Size, max: number | null | undefined, m: number): Size {
  if (!max) return size;
  const [w, h] = size;
  if (w * h <= max) return size;
  const scale = Math.sqrt(max / (w * h));
  const nw = roundToMultiple(pyInt(w * scale), m);
  const nh = roundToMultiple(pyInt(h * scale), m);
  return nw * nh > max ? limitCanvasSize(nw, nh, max, m) : [nw, nh];
}
