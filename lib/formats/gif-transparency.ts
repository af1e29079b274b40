// The palette colour behind a GIF's transparent index: what PIL's convert("RGB") shows where libvips gives black.

/** Bytes of a colour table announced by a packed field (flag in bit 7, size 2^(n+1) entries in bits 0–2). */
function tableBytes(packed: number): number {
  return packed & 0x80 ? 3 * (1 << ((packed & 7) + 1)) : 0;
}

/** Offset just past a run of data sub-blocks starting at `at` (each: length byte, data; a 0 length ends it). */
function skipSubBlocks(buf: Uint8Array, at: number): number {
  let i = at;
  while (i < buf.length && buf[i] !== 0) i += buf[i] + 1;
  return i + 1;
}

/**
 * The RGB colour of the first frame's transparent palette entry, or null when the first frame has none (or the
 * file ends early). The first frame draws from its local colour table when it has one, else from the global one,
 * as PIL does; PIL also fills the canvas outside the frame with that index, so every pixel libvips returns with
 * alpha 0 shows this colour in PIL.
 */
export function gifTransparentColour(buf: Uint8Array): [number, number, number] | null {
  if (buf.length < 13 || String.fromCharCode(buf[0], buf[1], buf[2]) !== 'GIF') return null;
  const globalAt = 13;
  const globalSize = tableBytes(buf[10]);
  let i = globalAt + globalSize;
  let transparent: number | null = null;
  while (i < buf.length) {
    const block = buf[i];
    if (block === 0x21) {
      // Graphic Control Extension: size 4, packed (bit 0 = transparency), delay (2), transparent index.
      if (buf[i + 1] === 0xf9 && buf[i + 2] === 4 && i + 6 < buf.length)
        transparent = buf[i + 3] & 1 ? buf[i + 6] : null;
      i = skipSubBlocks(buf, i + 2);
    } else if (block === 0x2c) {
      if (transparent === null || i + 10 > buf.length) return null;
      const localSize = tableBytes(buf[i + 9]);
      const [table, size] = localSize ? [i + 10, localSize] : [globalAt, globalSize];
      const at = table + 3 * transparent;
      if (3 * transparent >= size || at + 3 > buf.length) return null;
      return [buf[at], buf[at + 1], buf[at + 2]];
    } else return null;
  }
  return null;
}

/** Give every fully transparent pixel of `rgba` the colour `rgb`, and drop alpha: PIL's P → RGB for one frame. */
export function fillTransparent(rgba: Uint8Array, pixels: number, rgb: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(pixels * 3);
  for (let i = 0, o = 0; i < pixels * 4; i += 4, o += 3) {
    const clear = rgba[i + 3] === 0;
    out[o] = clear ? rgb[0] : rgba[i];
    out[o + 1] = clear ? rgb[1] : rgba[i + 1];
    out[o + 2] = clear ? rgb[2] : rgba[i + 2];
  }
  return out;
}
