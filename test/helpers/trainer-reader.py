#!/usr/bin/env python3
"""A trainer-like consumer of `tunefeed stream --format binary` (docs/read_batches.py) that checks every sample
against what SimpleTuner's loader would hand it, fetching the objects itself from the S3 endpoint (loopback):
  caption      one of the lines of <stem>.txt, split as SimpleTuner's textfile strategy does (no strip)
  text embeds  every tensor of <text_dir>/<md5(caption)>-<family>.pt, element for element (bits and dtype)
  latents      the tensor of <vae_dir>/<subfolders>/<sha256(stem)>.pt, element for element
  pixels       PIL's pipeline (pil-compare.py) on the downloaded image: max and mean absolute difference
Cache files are parsed with pt_format.load (CPython's pickle); with torch installed, also with torch.load.
Usage: trainer-reader.py ENDPOINT BUCKET INSTANCE_DATA_DIR VAE_DIR TEXT_DIR MODEL_FAMILY. One JSON line per sample,
then {"done": true, "torch": <bool>}."""
import gzip
import hashlib
import importlib.util
import io
import json
import os
import sys
import urllib.error
import urllib.request

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ next to the helpers or docs/read_batches.py
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "docs"))
import pt_format  # noqa: E402
from read_batches import read_batches  # noqa: E402

_spec = importlib.util.spec_from_file_location("pil_compare", os.path.join(HERE, "pil-compare.py"))
pil_compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pil_compare)

try:
    import torch
except ImportError:
    torch = None

ENDPOINT, BUCKET, INSTANCE_DIR, VAE_DIR, TEXT_DIR, FAMILY = sys.argv[1:7]


def fetch(key):
    """GET an object (anonymous, loopback); None when the server answers 404."""
    url = f"{ENDPOINT}/{BUCKET}/{urllib.request.quote(key)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def caption_lines(text):
    return [line for line in text.split("\n") if line] if "\n" in text else [text]


def vae_file(key):
    stem = os.path.splitext(os.path.basename(key))[0]
    sub = os.path.dirname(key).replace(INSTANCE_DIR, "").lstrip("/")
    return os.path.join(VAE_DIR, sub, hashlib.sha256(stem.encode()).hexdigest() + ".pt")


def torch_view(t):
    """A torch tensor as (dtype name, numpy array), bfloat16 as its bit patterns."""
    name = str(t.dtype).replace("torch.", "")
    arr = t.view(torch.int16).numpy().view(np.uint16) if t.dtype == torch.bfloat16 else t.numpy()
    return name, arr


def same(want, got_dtype, got):
    """Element for element: same dtype name, shape and bytes."""
    dtype, arr = want
    return dtype == got_dtype and list(arr.shape) == list(got.shape) and arr.tobytes() == got.tobytes()


def torch_load(data):
    if torch is None:
        return None
    raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return torch.load(io.BytesIO(raw), map_location="cpu")


def check_text(entry, meta, got, dtypes):
    file = os.path.join(TEXT_DIR, hashlib.md5(meta["caption"].encode()).hexdigest() + "-" + FAMILY + ".pt")
    data = fetch(file)
    entry["text_file"] = file
    if data is None:
        entry["text_embeds"] = None
        return
    want = pt_format.load(data)
    by_torch = torch_load(data)
    entry["text_embeds"] = {
        name: {
            "dtype": dtypes.get(name),
            "shape": list(got[name].shape) if name in got else None,
            "equal": name in got and same(want[name], dtypes.get(name), got[name]),
            "torch_equal": None if by_torch is None else same(torch_view(by_torch[name]), dtypes.get(name), got[name]),
        }
        for name in want
    }
    entry["text_embeds_extra"] = sorted(set(got) - set(want))


def check_latent(entry, got, dtype):
    file = vae_file(entry["key"])
    data = fetch(file)
    entry["latent"] = {"file": file, "dtype": dtype, "shape": list(got.shape), "found": data is not None}
    if data is None:
        return
    entry["latent"]["equal"] = same(pt_format.load(data), dtype, got)
    by_torch = torch_load(data)
    entry["latent"]["torch_equal"] = None if by_torch is None else same(torch_view(by_torch), dtype, got)


def check_pixels(entry, meta, got):
    ref = pil_compare.pil_pipeline(Image.open(io.BytesIO(fetch(entry["key"]))), meta).astype(np.int16)
    d = np.abs(ref - got.astype(np.int16)) if ref.shape == got.shape else None
    entry["pixels"] = {
        "shape": list(got.shape), "ref_shape": list(ref.shape),
        "max": int(d.max()) if d is not None else None, "mean": float(d.mean()) if d is not None else None,
    }
    entry["latent_file_present"] = fetch(vae_file(entry["key"])) is not None


def check_sample(header, index, meta, arrs):
    key = meta["path"]
    text = fetch(os.path.splitext(key)[0] + ".txt").decode("utf-8")
    entry = {"key": key, "bucket": header["bucket"], "caption": meta["caption"], "caption_lines": caption_lines(text)}
    entry["caption_ok"] = meta["caption"] in entry["caption_lines"]
    dtypes = {a["tensor"]: a["dtype"] for a in header["arrays"] if a["sample"] == index and "tensor" in a}
    check_text(entry, meta, arrs.get("text_embeds", {}), dtypes)
    latent_dtype = [a["dtype"] for a in header["arrays"] if a["sample"] == index and a["name"] == "latents"]
    if "latents" in arrs:
        check_latent(entry, arrs["latents"], latent_dtype[0])
    if "pixels" in arrs:
        check_pixels(entry, meta, arrs["pixels"])
    return entry


def main():
    for header, arrays in read_batches(sys.stdin.buffer):
        for index, (meta, arrs) in enumerate(zip(header["samples"], arrays)):
            print(json.dumps(check_sample(header, index, meta, arrs)), flush=True)
    print(json.dumps({"done": True, "torch": torch is not None}), flush=True)


if __name__ == "__main__":
    main()
