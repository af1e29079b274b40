#!/usr/bin/env python3
"""Writes a SimpleTuner-style text-embed cache and VAE cache for images staged under a bucket-mirroring folder,
naming every file as SimpleTuner does (computed here in Python, independently of tunefeed's cache-keys.ts):
  text embeds: <text_dir>/<md5(caption)>-<model_family>.pt, one per caption line of <stem>.txt (flux's dict layout)
  latents:     <vae_dir>/<dirname(key) minus instance_data_dir, lstrip '/'>/<sha256(stem)>.pt (a bare tensor)
Values are seeded per file name, so every file differs. Usage: write-caches.py SPEC.json; prints what it wrote.
SPEC: {"out", "family", "instance_data_dir", "vae_dir", "text_dir", "images": [key...], "latents": [{key, dtype,
compress}]}."""
import hashlib
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ next to the helpers
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pt_format import Tensor, save  # noqa: E402


def caption_lines(text):
    """textfile strategy: split on \\n and drop empty lines when there is a \\n; never strip."""
    return [line for line in text.split("\n") if line] if "\n" in text else [text]


def rng_for(name):
    return np.random.default_rng(int(hashlib.md5(name.encode()).hexdigest()[:8], 16))


def bf16_bits(values):
    """float32 -> bfloat16 bit patterns, rounding to nearest even (what torch's .bfloat16() does)."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def tensor(rng, dtype, shape):
    values = rng.standard_normal(shape).astype(np.float32)
    if dtype == "bfloat16":
        return Tensor(dtype, bf16_bits(values))
    return Tensor(dtype, values.astype(dtype))


def text_embed(name):
    rng = rng_for(name)
    mask = np.array([[1, 1, 1, 1, 0, 0]], dtype=np.int64)
    return {
        "prompt_embeds": tensor(rng, "bfloat16", [1, 6, 8]),
        "pooled_prompt_embeds": tensor(rng, "bfloat16", [8]),
        "time_ids": tensor(rng, "float32", [6, 3]),
        "attention_masks": Tensor("int64", mask),
    }


def vae_key(vae_dir, instance_data_dir, key):
    stem = os.path.splitext(os.path.basename(key))[0]
    sub = os.path.dirname(key).replace(instance_data_dir, "").lstrip("/")
    return os.path.join(vae_dir, sub, hashlib.sha256(stem.encode()).hexdigest() + ".pt")


def write(root, key, data):
    path = os.path.join(root, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    written = []
    for key in spec["images"]:
        with open(os.path.join(spec["out"], os.path.splitext(key)[0] + ".txt"), encoding="utf-8") as f:
            lines = caption_lines(f.read())
        for line in lines:
            name = hashlib.md5(line.encode()).hexdigest() + "-" + spec["family"] + ".pt"
            file = os.path.join(spec["text_dir"], name)
            write(spec["out"], file, save(text_embed(file)))
            written.append({"kind": "text", "image": key, "caption": line, "file": file})
    for latent in spec["latents"]:
        file = vae_key(spec["vae_dir"], spec["instance_data_dir"], latent["key"])
        value = tensor(rng_for(file), latent["dtype"], [16, 4, 6])
        write(spec["out"], file, save(value, compress=latent.get("compress", False)))
        written.append({"kind": "latent", "image": latent["key"], "file": file})
    print(json.dumps(written))


if __name__ == "__main__":
    main()
