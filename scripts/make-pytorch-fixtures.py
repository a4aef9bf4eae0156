#!/usr/bin/env python3
"""Writes the PyTorch fixtures of KafkaMl.Tests/PyTorch/Fixtures (issue 20: weights trained elsewhere).

The model is nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)), whose state dict is
0.weight [8, 6], 0.bias [8], 2.weight [3, 8], 2.bias [3] - the names the KafkaMl script
`Sequential(Linear(6, 8), ReLU(), Linear(8, 3))` gives the same parameters.

Files written:
  mlp.safetensors   the state dict as safetensors (metadata {"format": "pt"})
  mlp.pt            the state dict as torch.save(model.state_dict(), ...) writes it (zip format)
  reference.json    the script, the inputs and model(inputs), the outputs PyTorch predicts
  how-made.txt      which path made them (torch, or the standard library only)

With PyTorch installed (`import torch` works) the files come from torch itself: torch.save, safetensors'
save_file (when the safetensors package is there) and model(x) under torch.no_grad(). Without it, the same
files are written with the standard library only: the zip records torch.save writes (data.pkl as a protocol-2
pickle of a collections.OrderedDict of torch._utils._rebuild_tensor_v2 calls on storages named by persistent
ids ('storage', torch.FloatStorage, key, 'cpu', numel), with the state dict's _metadata; .format_version,
.storage_alignment, byteorder, data/<key> stored uncompressed at 64-byte aligned offsets, version), and the
reference outputs from a forward pass in Python floats on the float32 weights.

Usage: python3 scripts/make-pytorch-fixtures.py [output-dir]
"""
import collections
import json
import os
import pickle
import random
import struct
import sys
import types
import zipfile

SIZES = [(6, 8), (8, 3)]  # the two Linear layers, (in, out)
LAYER_INDICES = [0, 2]  # their indices in the Sequential (ReLU is index 1)
SCRIPT = "Sequential(Linear(6, 8), ReLU(), Linear(8, 3))"
SEED = 20


def f32(x):
    """x rounded to float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def make_weights():
    """name -> (shape, flat float32 values), in state-dict order; PyTorch's default Linear init range."""
    rng = random.Random(SEED)
    state = collections.OrderedDict()
    for (inputs, outputs), index in zip(SIZES, LAYER_INDICES):
        bound = 1 / inputs ** 0.5
        state[f"{index}.weight"] = ([outputs, inputs], [f32(rng.uniform(-bound, bound)) for _ in range(outputs * inputs)])
        state[f"{index}.bias"] = ([outputs], [f32(rng.uniform(-bound, bound)) for _ in range(outputs)])
    return state


def make_inputs():
    rng = random.Random(SEED + 1)
    return [[f32(rng.uniform(-2, 2)) for _ in range(SIZES[0][0])] for _ in range(5)]


def forward(state, x):
    """The MLP on one sample in Python floats: Linear, ReLU, Linear."""
    for layer, index in enumerate(LAYER_INDICES):
        (outputs, inputs), weight = state[f"{index}.weight"]
        _, bias = state[f"{index}.bias"]
        x = [bias[o] + sum(weight[o * inputs + i] * x[i] for i in range(inputs)) for o in range(outputs)]
        if layer < len(LAYER_INDICES) - 1:
            x = [max(0.0, v) for v in x]
    return [f32(v) for v in x]


def float_bytes(values):
    return struct.pack(f"<{len(values)}f", *values)


def write_safetensors(path, state):
    """safetensors layout: u64 header length, JSON header padded with spaces to 8 bytes, data (all F32 here, so by name)."""
    header, data, offset = {"__metadata__": {"format": "pt"}}, b"", 0
    for name in sorted(state):
        shape, values = state[name]
        raw = float_bytes(values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


# --- torch.save's zip format with the standard library only -------------------------------------------------------

def fake_torch():
    """Modules named torch and torch._utils holding just the names the pickle refers to (nothing of them ever runs)."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise RuntimeError("only pickled, never called")

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    FloatStorage = type("FloatStorage", (), {"__module__": "torch"})
    torch.FloatStorage, torch._utils = FloatStorage, utils
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    return torch


class Storage:
    def __init__(self, key, values):
        self.key, self.values = key, values


class Tensor:
    """Pickles as torch.Tensor.__reduce_ex__ does for a contiguous CPU tensor."""

    def __init__(self, storage, shape, rebuild):
        self.storage, self.shape, self.rebuild = storage, shape, rebuild

    def __reduce__(self):
        stride, step = [], 1
        for dim in reversed(self.shape):
            stride.insert(0, step)
            step *= dim
        return (self.rebuild, (self.storage, 0, tuple(self.shape), tuple(stride), False, collections.OrderedDict()))


def write_torch_zip(path, state):
    torch = fake_torch()
    storages = []

    class TorchPickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", torch.FloatStorage, obj.key, "cpu", len(obj.values))
            return None

    state_dict = collections.OrderedDict()
    for name, (shape, values) in state.items():
        storage = Storage(str(len(storages)), values)
        storages.append(storage)
        state_dict[name] = Tensor(storage, shape, torch._utils._rebuild_tensor_v2)
    # nn.Module.state_dict() carries each module's version: '' for the Sequential, then its children.
    state_dict._metadata = collections.OrderedDict((key, {"version": 1}) for key in ["", "0", "1", "2"])
    buffer = __import__("io").BytesIO()
    TorchPickler(buffer, protocol=2).dump(state_dict)

    records = [("data.pkl", buffer.getvalue()), (".format_version", b"1"), (".storage_alignment", b"64"), ("byteorder", b"little")]
    records += [(f"data/{s.key}", float_bytes(s.values)) for s in storages]
    records += [("version", b"3\n"), (".data/serialization_id", b"0" * 40)]
    with open(path, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as archive:
        for name, data in records:
            info = zipfile.ZipInfo(f"archive/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            # Like PyTorch's writer: an extra field 'FB' pads the local header so the data starts 64-byte aligned.
            header = 30 + len(info.filename) + 4
            padding = -(raw.tell() + header) % 64
            info.extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding
            archive.writestr(info, data)


# --- the torch path --------------------------------------------------------------------------------------------------

def with_torch(out, state, inputs):
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    model.load_state_dict({name: torch.tensor(values, dtype=torch.float32).reshape(shape) for name, (shape, values) in state.items()})
    torch.save(model.state_dict(), os.path.join(out, "mlp.pt"))
    try:
        from safetensors.torch import save_file
        save_file(model.state_dict(), os.path.join(out, "mlp.safetensors"), metadata={"format": "pt"})
        how = "torch.save and safetensors.torch.save_file"
    except ImportError:
        # Debian's python3-torch has no safetensors package: the same layout from the model's own tensors.
        tensors = {name: (list(t.shape), t.flatten().tolist()) for name, t in model.state_dict().items()}
        write_safetensors(os.path.join(out, "mlp.safetensors"), tensors)
        how = "torch.save; mlp.safetensors written by this script from the model's tensors (no safetensors package)"
    with torch.no_grad():
        outputs = model(torch.tensor(inputs, dtype=torch.float32)).tolist()
    return outputs, f"PyTorch {torch.__version__}: {how}; reference outputs from model(x)"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "KafkaMl.Tests", "PyTorch", "Fixtures")
    os.makedirs(out, exist_ok=True)
    state, inputs = make_weights(), make_inputs()
    try:
        import torch  # noqa: F401
        has_torch = True
    except ImportError:
        has_torch = False
    if has_torch:
        outputs, how = with_torch(out, state, inputs)
    else:
        write_safetensors(os.path.join(out, "mlp.safetensors"), state)
        write_torch_zip(os.path.join(out, "mlp.pt"), state)
        outputs = [forward(state, x) for x in inputs]
        how = (f"Python {sys.version.split()[0]} standard library only (torch was not importable): torch.save's zip format and "
               "safetensors written by this script, reference outputs from its pure-Python forward pass")
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump({"script": SCRIPT, "inputs": inputs, "outputs": outputs}, f, indent=1)
        f.write("\n")
    with open(os.path.join(out, "how-made.txt"), "w") as f:
        f.write(how + "\n")
    print(how)


if __name__ == "__main__":
    main()
