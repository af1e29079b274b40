#!/usr/bin/env python3
"""Read `tunefeed stream --format binary` frames with numpy only (format: docs/binary-format.md).

Usage as a library:
    import sys
    from read_batches import read_batches
    for header, arrays in read_batches(sys.stdin.buffer):
        pixels = arrays[0]["pixels"]          # numpy uint8, shape (H, W, 3)
        embeds = arrays[0].get("text_embeds")  # {"prompt_embeds": ndarray, ...} when the caption's embeds are cached

Usage as a script: `tunefeed stream cfg.json --format binary | python3 read_batches.py`
prints one JSON summary line per batch (step, dataset, bucket, per-sample array shapes and sums).
"""
import json
import struct
import sys

import numpy as np

MAGIC = b"TFB1"
DTYPES = {
    "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "float16": np.float16, "float32": np.float32, "float64": np.float64, "bool": np.bool_,
    "bfloat16": np.uint16,  # numpy has no bfloat16: raw bits; see bfloat16_to_float32
}


def bfloat16_to_float32(bits):
    """bfloat16 bit patterns (uint16) to float32: they are the high half of a float32."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def _read_exact(stream, n):
    chunks = []
    while n > 0:
        chunk = stream.read(n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(stream):
    """One (header, arrays) pair, or None at a clean end of stream."""
    prefix = _read_exact(stream, 16)
    if prefix is None:
        return None
    if prefix[:4] != MAGIC:
        raise ValueError("not a tunefeed frame: magic %r" % prefix[:4])
    header_len, payload_len = struct.unpack("<IQ", prefix[4:16])
    header = json.loads(_read_exact(stream, header_len).decode("utf-8"))
    payload = _read_exact(stream, payload_len) if payload_len else b""
    if payload is None:
        raise ValueError("stream ended inside a frame (step %s)" % header.get("step"))
    arrays = [dict() for _ in header["samples"]]
    for a in header["arrays"]:
        dtype = np.dtype(DTYPES[a["dtype"]]).newbyteorder("<")
        count = a["nbytes"] // dtype.itemsize
        arr = np.frombuffer(payload, dtype=dtype, count=count, offset=a["offset"]).reshape(a["shape"])
        if a["name"] == "text_embeds":
            arrays[a["sample"]].setdefault("text_embeds", {})[a["tensor"]] = arr
        elif a["name"] == "conditioning":
            slots = arrays[a["sample"]].setdefault("conditioning", [None] * len(header["samples"][a["sample"]]["conditioning"]))
            slots[a["conditioning"]] = arr
        else:
            arrays[a["sample"]][a["name"]] = arr
    return header, arrays


def read_batches(stream):
    """Yield (header, arrays) for every frame until the end of the stream."""
    while True:
        frame = read_frame(stream)
        if frame is None:
            return
        yield frame


def _float_sum(arr):
    return float(arr.astype(np.float64).sum())


def main():
    for header, arrays in read_batches(sys.stdin.buffer):
        samples = []
        for meta, arrs in zip(header["samples"], arrays):
            entry = {"path": meta["path"], "caption": meta["caption"]}
            if "text_embed_missing" in meta:
                entry["text_embed_missing"] = meta["text_embed_missing"]
            for name, arr in arrs.items():
                if name == "conditioning":
                    entry[name] = [{"shape": list(c.shape), "sum": int(c.astype(np.int64).sum())} for c in arr]
                    continue
                if name == "text_embeds":
                    entry[name] = {k: {"shape": list(t.shape), "dtype": str(t.dtype), "sum": _float_sum(t)}
                                   for k, t in arr.items()}
                    continue
                entry[name] = {"shape": list(arr.shape), "sum": int(arr.astype(np.int64).sum()) if arr.dtype == np.uint8 else float(arr.astype(np.float64).sum())}
            samples.append(entry)
        print(json.dumps({"step": header["step"], "epoch": header["epoch"], "dataset": header["dataset"],
                          "bucket": header["bucket"], "samples": samples}), flush=True)


if __name__ == "__main__":
    main()
