// EXIF orientation from an APP1 payload ("Exif\0\0" + TIFF structure), bounds-checked.

/** Reads tag 0x0112 from IFD0 of a TIFF structure starting at `buf[0]`; undefined when absent or malformed. */
export function tiffOrientation(buf: Buffer): number | undefined {
  if (buf.length < 8) return undefined;
  const le = buf[0] === 0x49 && buf[1] === 0x49;
  if (!le && !(buf[0] === 0x4d && buf[1] === 0x4d)) return undefined;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const ifd = u32(4);
  if (ifd + 2 > buf.length) return undefined;
  const n = u16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > buf.length) return undefined;
    if (u16(e) === 0x0112) {
      const v = u16(e + 8);
      return v >= 1 && v <= 8 ? v : undefined;
    }
  }
  return undefined;
}

/** Orientation from a JPEG APP1 payload; undefined unless it is an EXIF block with tag 0x0112. */
export function exifOrientation(payload: Buffer): number | undefined {
  if (payload.length < 14 || payload.toString('latin1', 0, 6) !== 'Exif\0\0') return undefined;
  return tiffOrientation(payload.subarray(6));
}
