#!/usr/bin/env python3
"""Pixel difference between tunefeed's decoded samples and PIL's pipeline on the same files (bench/pil-pixels.ts).

Usage: pil-pixels.py JOBS.json RAW [RAW ...]
JOBS.json lists {"path", "intermediary", "crop", "target"}; each RAW file holds one variant's pixels for every job,
concatenated in job order (RGB uint8, target height × width × 3). Prints one JSON object: per RAW file, the largest
and the mean absolute difference per channel value over all images, and the largest per-image mean.
"""
import json
import sys

import numpy as np
from PIL import Image, ImageOps


def reference(job):
    """What SimpleTuner's TrainingSample gives: exif_transpose, convert("RGB"), LANCZOS to intermediary, crop."""
    with Image.open(job["path"]) as im:
        im = ImageOps.exif_transpose(im)
        im = im.convert("RGB")
        iw, ih = job["intermediary"]
        if im.size != (iw, ih):
            im = im.resize((iw, ih), resample=Image.LANCZOS)
        top, left = job["crop"]
        tw, th = job["target"]
        return np.asarray(im.crop((left, top, left + tw, top + th)), dtype=np.int16)


def main():
    jobs = json.load(open(sys.argv[1]))
    refs = [reference(j) for j in jobs]
    out = {}
    for raw in sys.argv[2:]:
        data = np.fromfile(raw, dtype=np.uint8)
        offset, worst, total, count, worst_mean = 0, 0, 0, 0, 0.0
        for ref in refs:
            got = data[offset:offset + ref.size].reshape(ref.shape).astype(np.int16)
            offset += ref.size
            d = np.abs(got - ref)
            worst = max(worst, int(d.max()))
            total += int(d.sum())
            count += d.size
            worst_mean = max(worst_mean, float(d.mean()))
        out[raw] = {"max": worst, "mean": total / count, "worst_image_mean": worst_mean}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
