"""The peer for `npm run bench:merge`: a straightforward numpy merge, tensor by tensor.

    python3 bench/numpy_merge.py SFT GRPO TARGET ALPHA OUT

For each tensor: load the three BF16 tensors, compute t + alpha * (g - s) in float32, round to
BF16 (nearest even), write one model.safetensors. What a researcher would write in an afternoon.
"""
import json, os, struct, sys
import numpy as np


def read_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return header, 8 + n


def files(d):
    index = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(index):
        return sorted(set(json.load(open(index))["weight_map"].values()))
    return ["model.safetensors"]


def load(d):
    out = {}
    for f in files(d):
        header, start = read_header(os.path.join(d, f))
        for name, info in header.items():
            out[name] = (os.path.join(d, f), start, info)
    return out


def tensor(entry):
    path, start, info = entry
    a, b = info["data_offsets"]
    raw = np.fromfile(path, dtype=np.uint16, count=(b - a) // 2, offset=start + a)
    return (raw.astype(np.uint32) << 16).view(np.float32)


def to_bf16(x):
    bits = x.view(np.uint32)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def main():
    sft, grpo, target, alpha, out = sys.argv[1:6]
    alpha = np.float32(float(alpha))
    s, g, t = load(sft), load(grpo), load(target)
    names = list(t.keys())
    header, offset = {}, 0
    for name in names:
        info = t[name][2]
        size = t[name][2]["data_offsets"][1] - t[name][2]["data_offsets"][0]
        header[name] = {"dtype": "BF16", "shape": info["shape"], "data_offsets": [offset, offset + size]}
        offset += size
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for name in names:
            merged = tensor(t[name]) + alpha * (tensor(g[name]) - tensor(s[name]))
            f.write(to_bf16(merged.astype(np.float32)).tobytes())


main()
