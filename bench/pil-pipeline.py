#!/usr/bin/env python3
# What SimpleTuner's TrainingSample does per image with PIL (open, EXIF transpose, RGB, LANCZOS resize, crop), over N processes.
"""Usage: pil-pipeline.py JOBS.json PROCESSES

JOBS.json is a list of {"path", "intermediary": [w, h], "crop": [top, left], "target": [w, h]} computed by the
TypeScript side with tunefeed's geometry, so both pipelines do exactly the same work. Prints one JSON object.
"""
import hashlib
import json
import multiprocessing as mp
import sys
import time

import PIL
from PIL import Image, ImageOps


def prepare(job):
    # TrainingSample: open, load, exif_transpose, convert("RGB"), resize to intermediary with LANCZOS, crop to target.
    with Image.open(job["path"]) as im:
        im.load()
        im = ImageOps.exif_transpose(im)
        if im.mode != "RGB":
            im = im.convert("RGB")
        iw, ih = job["intermediary"]
        if im.size != (iw, ih):
            im = im.resize((iw, ih), resample=Image.LANCZOS)
        top, left = job["crop"]
        tw, th = job["target"]
        im = im.crop((left, top, left + tw, top + th))
        data = im.tobytes()
    return (im.size[0], im.size[1], len(data))


def warm(_):
    return 0


def main():
    jobs = json.load(open(sys.argv[1]))
    processes = int(sys.argv[2])
    # fork is the default on Linux and what torch DataLoader workers use; the pool is started before timing.
    with mp.get_context("fork").Pool(processes) as pool:
        pool.map(warm, range(processes))
        start = time.perf_counter()
        shapes = pool.map(prepare, jobs, chunksize=1)
        seconds = time.perf_counter() - start
    digest = hashlib.sha1("".join("%d;" % v for s in shapes for v in s).encode()).hexdigest()[:12]
    print(json.dumps({
        "images": len(jobs),
        "seconds": seconds,
        "images_s": len(jobs) / seconds,
        "processes": processes,
        "checksum": digest,
        "pil_version": PIL.__version__,
        "python": sys.version.split()[0],
    }))


if __name__ == "__main__":
    main()
