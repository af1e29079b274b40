#!/usr/bin/env python3
"""Write real encoded test images of every format tunefeed decodes, with PIL: photo-like content (smooth shading,
edges, noise), transparency in every variant PIL knows, CMYK, 16-bit and grayscale. Usage: pil-images.py DIR [W H]."""
import io
import struct
import sys
import zlib

import numpy as np
from PIL import Image

out = sys.argv[1]
W, H = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (150, 100)
rng = np.random.default_rng(7)
y, x = np.mgrid[0:H, 0:W].astype(np.float64)
shade = np.stack([128 + 100 * np.sin(x / 17.0), 128 + 90 * np.cos(y / 11.0), 255 * (x + y) / (W + H)], -1)
disc = ((x - W * 0.6) ** 2 + (y - H * 0.4) ** 2) < (H * 0.25) ** 2
shade[disc] = [230, 40, 60]
rgb = np.clip(shade + rng.normal(0, 6, shade.shape), 0, 255).astype(np.uint8)
# Alpha: a ramp from transparent to opaque plus a fully transparent hole, so translucent pixels matter.
alpha = np.clip(x * 255 / W, 0, 255).astype(np.uint8)
alpha[(np.abs(x - W * 0.25) < W * 0.06)] = 0


def png16(path, arr, colour_type):
    """PIL cannot write 16-bit RGB PNGs: a minimal writer (filter 0 rows, one IDAT)."""
    h, w = arr.shape[:2]
    raw = b"".join(b"\0" + arr[i].astype(">u2").tobytes() for i in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def exif_rotated_jpeg(path):
    """Orientation 6: the stored image is the upright one turned 90° counter-clockwise."""
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgb).transpose(Image.ROTATE_90).save(path, quality=92, exif=exif.tobytes())


rgba = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
Image.fromarray(rgb).save(f"{out}/rgb.jpg", quality=92)
exif_rotated_jpeg(f"{out}/rgb-exif6.jpg")
Image.fromarray(rgb[..., 1]).save(f"{out}/gray.jpg", quality=92)
Image.fromarray(rgb).convert("CMYK").save(f"{out}/cmyk.jpg", quality=92)
Image.fromarray(rgb).save(f"{out}/rgb.png")
rgba.save(f"{out}/rgba.png")
Image.fromarray(np.dstack([rgb[..., 0], alpha]), "LA").save(f"{out}/la.png")
pal = Image.fromarray(rgb).quantize(96)
pal.save(f"{out}/palette-trns.png", transparency=5)
Image.fromarray(rgb[..., 2]).save(f"{out}/gray.png")
png16(f"{out}/rgb16.png", np.minimum(rgb.astype(np.int64) * 257 + rng.integers(0, 256, rgb.shape), 65535), 2)
png16(f"{out}/gray16.png", rgb[..., 0].astype(np.uint16) * 257, 0)
rgba.save(f"{out}/rgba.webp", lossless=True)
Image.fromarray(rgb).save(f"{out}/rgb.webp", quality=90)
pal.save(f"{out}/palette.gif")
# libvips returns a GIF's transparent pixels as black; PIL shows the palette colour of the transparent index.
pal.save(f"{out}/palette-trns.gif", transparency=5)
Image.fromarray(rgb).save(f"{out}/rgb.bmp")
Image.fromarray(rgb).save(f"{out}/rgb.tiff")
rgba.save(f"{out}/rgba.tiff")
