// AVIF/HEIC (ISO base media): ftyp brands, then meta/iprp/ipco/ispe (largest) and irot; mdat may be skipped.
import { fail, needOrTruncated, ok, type ImageFormat, type ProbeOutcome } from './probe-types.js';

const AVIF = new Set(['avif', 'avis']);
const HEIC = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

interface Box {
  type: string;
  start: number;
  body: number;
  end: number;
}

function boxAt(buf: Buffer, pos: number, limit: number): Box | undefined {
  if (pos + 8 > limit) return undefined;
  let size = buf.readUInt32BE(pos);
  let body = pos + 8;
  if (size === 1) {
    if (pos + 16 > limit) return undefined;
    size = Number(buf.readBigUInt64BE(pos + 8));
    body = pos + 16;
  } else if (size === 0) size = limit - pos;
  if (size < body - pos) return undefined;
  return { type: buf.toString('latin1', pos + 4, pos + 8), start: pos, body, end: pos + size };
}

function children(buf: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  for (let p = from; p < to;) {
    const b = boxAt(buf, p, to);
    if (!b || b.end > to) break;
    out.push(b);
    p = b.end;
  }
  return out;
}

/** Largest ispe plus irot, from a complete meta box. */
function fromMeta(buf: Buffer, meta: Box, format: ImageFormat): ProbeOutcome {
  const iprp = children(buf, meta.body + 4, meta.end).find((b) => b.type === 'iprp');
  const ipco = iprp && children(buf, iprp.body, iprp.end).find((b) => b.type === 'ipco');
  if (!ipco) return fail('corrupt', `${format}: no item properties`);
  let w = 0;
  let h = 0;
  let rot = 0;
  for (const p of children(buf, ipco.body, ipco.end)) {
    if (p.type === 'ispe' && p.body + 12 <= p.end) {
      const pw = buf.readUInt32BE(p.body + 4);
      const ph = buf.readUInt32BE(p.body + 8);
      if (pw * ph > w * h) [w, h] = [pw, ph];
    } else if (p.type === 'irot' && p.body < p.end) rot = buf[p.body] & 3;
  }
  if (!w || !h) return fail('corrupt', `${format}: no ispe box`);
  return ok(format, w, h, [1, 8, 3, 6][rot]);
}

function brandFormat(buf: Buffer, ftyp: Box): ImageFormat | undefined {
  const brands = [buf.toString('latin1', ftyp.body, ftyp.body + 4)];
  for (let p = ftyp.body + 8; p + 4 <= ftyp.end; p += 4) brands.push(buf.toString('latin1', p, p + 4));
  if (brands.some((b) => AVIF.has(b))) return 'avif';
  if (brands.some((b) => HEIC.has(b))) return 'heic';
  return undefined;
}

/** Walks top-level boxes from absolute `pos`; `buf` starts at absolute `base`. */
function walk(buf: Buffer, base: number, pos: number, eof: boolean, format: ImageFormat): ProbeOutcome {
  for (;;) {
    const rel = pos - base;
    const b = boxAt(buf, rel, buf.length);
    if (!b) return needOrTruncated(format, eof, pos, 16, (nb, e) => walk(nb, pos, pos, e, format));
    if (b.type === 'meta') {
      if (b.end > buf.length)
        return needOrTruncated(format, eof, pos, b.end - b.start, (nb, e) => walk(nb, pos, pos, e, format));
      return fromMeta(buf, b, format);
    }
    pos = base + b.end;
  }
}

/** Probe an ISO-BMFF still image (buffer starts with an ftyp box). */
export function probeIsobmff(buf: Buffer, eof: boolean): ProbeOutcome {
  const ftyp = boxAt(buf, 0, buf.length);
  if (!ftyp || ftyp.end > buf.length) return needOrTruncated('avif', eof, 0, 64, probeIsobmff);
  const format = brandFormat(buf, ftyp);
  if (!format) return fail('unsupported', `ISO-BMFF brand ${buf.toString('latin1', 8, 12)} is not an AVIF/HEIC image`);
  return walk(buf, 0, ftyp.end, eof, format);
}
