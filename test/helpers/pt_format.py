"""torch.save's zip format without torch: write (fake torch globals, CPython's pickle) and read (pickle + numpy).

Tests need SimpleTuner-style .pt caches where CI has no torch (.ci/setup-test-tools installs numpy and PIL only).
The writer emits what torch 1.13's torch.save(value, BytesIO) emits: a stored zip with archive/data.pkl (pickle
protocol 2, tensors as torch._utils._rebuild_tensor_v2 over persistent-id storages), archive/data/<n> (raw
little-endian bytes) and archive/version; trainer-reader.py checks the files with the real torch.load when it is
installed. The reader is independent of tunefeed's TypeScript pickle VM: it is CPython's own Unpickler.
"""
import collections
import gzip
import io
import pickle
import sys
import types
import zipfile

import numpy as np

# torch storage class -> numpy dtype; bfloat16 is carried as its raw 16-bit patterns (numpy has no bfloat16).
STORAGES = {
    "FloatStorage": ("float32", np.float32), "HalfStorage": ("float16", np.float16),
    "BFloat16Storage": ("bfloat16", np.uint16), "DoubleStorage": ("float64", np.float64),
    "LongStorage": ("int64", np.int64), "IntStorage": ("int32", np.int32), "ShortStorage": ("int16", np.int16),
    "CharStorage": ("int8", np.int8), "ByteStorage": ("uint8", np.uint8), "BoolStorage": ("bool", np.bool_),
}
BY_DTYPE = {dtype: (name, np_type) for name, (dtype, np_type) in STORAGES.items()}


class Tensor:
    """A C-contiguous tensor to save: `dtype` is a torch dtype name, `data` a numpy array (uint16 bits for bf16)."""

    def __init__(self, dtype, data):
        self.dtype, self.data = dtype, np.ascontiguousarray(data, dtype=BY_DTYPE[dtype][1])


def _fake_torch():
    """Module objects named like torch's so pickle writes torch's GLOBAL opcodes (writer processes only)."""
    if "torch" in sys.modules and not getattr(sys.modules["torch"], "_tunefeed_fake", False):
        raise RuntimeError("pt_format.save must not run in a process that imported the real torch")
    torch = types.ModuleType("torch")
    torch._tunefeed_fake = True
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise RuntimeError("placeholder")

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    for name in STORAGES:
        setattr(torch, name, type(name, (), {"__module__": "torch"}))
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    return torch


class _Storage:
    def __init__(self, key, tensor):
        self.key, self.tensor = key, tensor


class _TensorReduce:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape

    def __reduce__(self):
        torch = sys.modules["torch"]
        stride, s = [], 1
        for n in reversed(self.shape):
            stride.insert(0, s)
            s *= n
        args = (self.storage, 0, tuple(self.shape), tuple(stride), False, collections.OrderedDict())
        return (torch._utils._rebuild_tensor_v2, args)


def _replace(value, storages):
    if isinstance(value, Tensor):
        st = _Storage(str(len(storages)), value)
        storages.append(st)
        return _TensorReduce(st, list(value.data.shape))
    if isinstance(value, dict):
        return {k: _replace(v, storages) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_replace(v, storages) for v in value)
    return value


def save(value, compress=False):
    """The bytes torch.save(value, BytesIO) writes; `compress` wraps them in gzip as SimpleTuner's compress_cache."""
    torch = _fake_torch()
    storages = []
    body = _replace(value, storages)

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if not isinstance(obj, _Storage):
                return None
            name = BY_DTYPE[obj.tensor.dtype][0]
            return ("storage", getattr(torch, name), obj.key, "cpu", int(obj.tensor.data.size))

    pkl = io.BytesIO()
    Pickler(pkl, protocol=2).dump(body)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl.getvalue())
        for st in storages:
            little = st.tensor.data.astype(st.tensor.data.dtype.newbyteorder("<"))
            z.writestr(f"archive/data/{st.key}", little.tobytes())
        z.writestr("archive/version", "3\n")
    data = out.getvalue()
    return gzip.compress(data, mtime=0) if compress else data


def load(data):
    """torch.load without torch: tensors come back as (dtype name, numpy array); bf16 as uint16 bit patterns."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    z = zipfile.ZipFile(io.BytesIO(data))
    root = z.namelist()[0].split("/")[0]

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return _rebuild
            if module == "torch" and name in STORAGES:
                return STORAGES[name]
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            raise pickle.UnpicklingError(f"refused global {module}.{name}")

        def persistent_load(self, pid):
            _, (dtype, np_type), key, _, numel = pid
            raw = np.frombuffer(z.read(f"{root}/data/{key}"), dtype=np.dtype(np_type).newbyteorder("<"), count=numel)
            return dtype, raw

    return Unpickler(io.BytesIO(z.read(f"{root}/data.pkl"))).load()


def _rebuild(storage, offset, size, stride, *_):
    dtype, raw = storage
    view = np.lib.stride_tricks.as_strided(raw[offset:], tuple(size), tuple(s * raw.itemsize for s in stride))
    return dtype, np.array(view)
