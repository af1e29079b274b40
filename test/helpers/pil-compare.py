#!/usr/bin/env python3
"""Reads `tunefeed stream --format binary` on stdin (with docs/read_batches.py) and compares every delivered sample's
pixels with PIL's own pipeline on the same file: exif_transpose → convert("RGB") → resize(intermediary_size,
LANCZOS) → crop(crop_coordinates). Prints one JSON line per sample: path, max and mean absolute difference."""
import json
import os
import sys

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "docs"))
from read_batches import read_batches  # noqa: E402


def to_rgb(im):
    """convert("RGB"), except 16-bit grayscale: PIL 9.4 clips mode I to 255 (white); tunefeed keeps the high byte,
    as PIL itself does for 16-bit RGB, so the reference does the same."""
    if im.mode in ("I", "I;16", "I;16B"):
        return Image.fromarray((np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8), "L").convert("RGB")
    return im.convert("RGB")


def reference(meta):
    return pil_pipeline(Image.open(meta["path"]), meta)


def pil_pipeline(im, meta):
    """PIL's pipeline on an opened image, to the sample's intermediary size, crop and target size."""
    im = ImageOps.exif_transpose(im)
    im = to_rgb(im)
    iw, ih = meta["intermediary_size"]
    tw, th = meta["target_size"]
    top, left = meta["crop_coordinates"]
    if (iw, ih) != im.size:
        im = im.resize((iw, ih), Image.LANCZOS)
    return np.asarray(im.crop((left, top, left + tw, top + th)))


def main():
    for header, arrays in read_batches(sys.stdin.buffer):
        for meta, arrs in zip(header["samples"], arrays):
            ref = reference(meta).astype(np.int16)
            got = arrs["pixels"].astype(np.int16)
            d = np.abs(ref - got) if ref.shape == got.shape else None
            print(json.dumps({
                "path": meta["path"], "shape": list(got.shape), "ref_shape": list(ref.shape),
                "max": int(d.max()) if d is not None else None,
                "mean": float(d.mean()) if d is not None else None,
            }), flush=True)


if __name__ == "__main__":
    main()
