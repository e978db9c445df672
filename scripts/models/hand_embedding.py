#!/usr/bin/env python3
"""The hand-landmark model's own picture of the hand: the 672 values its global average
pool gives, from which MediaPipe's every head (21 points, presence, handedness, world
points) is one linear layer. Computed for every hand in a `host-train landmarks` cache
(the crop the kiosk's tracking makes from those landmarks, as the next frame would see
it), and its mirror image; saved for `explore-landmark-classifiers.py embedding`.

    pip install numpy pillow onnx onnxruntime
    python3 scripts/models/hand_embedding.py runs/settle/cache-1 runs/explore/embedding.npz
"""
import gzip
import json
import math
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MODEL = os.path.join(ROOT, "..", "shared", "models", "mediapipe", "hand_landmark_lite.onnx")
POOL = "model_1/model/global_average_pooling2d/Mean_Squeeze__310:0"
FOLDERS = ["asl-alphabet", "asl-letters-roboflow", "sign-language-digits", "sign-mnist"]
SUBSET = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18]


def session():
    m = onnx.load(MODEL)
    m.graph.output.append(onnx.helper.make_tensor_value_info(POOL, onnx.TensorProto.FLOAT, None))
    return ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])


def rotation(a, b):
    r = math.pi / 2 - math.atan2(-(b[1] - a[1]), b[0] - a[0])
    return r - 2 * math.pi * math.floor((r + math.pi) / (2 * math.pi))


def rect_from_landmarks(p):
    """shared::hands::rect::RotatedRect::from_landmarks."""
    m = (p[5] + p[13]) / 2
    to = (m + p[9]) / 2
    r = rotation(p[0], to)
    c, s = math.cos(r), math.sin(r)
    u = p[SUBSET, 0] * c + p[SUBSET, 1] * s
    v = -p[SUBSET, 0] * s + p[SUBSET, 1] * c
    x0, x1, y0, y1 = u.min(), u.max(), v.min(), v.max()
    cu, cv = (x0 + x1) / 2, (y0 + y1) / 2
    cx, cy, w, h = cu * c - cv * s, cu * s + cv * c, x1 - x0, y1 - y0
    # transformed(2.0, 0.0, -0.1)
    dx, dy = -h * -0.1 * s, h * -0.1 * c
    return cx + dx, cy + dy, max(w, h) * 2.0, r


def crop(img, rect, side=224):
    """224x224 in 0..1, bilinear, pixel centres at +0.5, black outside."""
    cx, cy, w, r = rect
    c, s = math.cos(r), math.sin(r)
    at = (np.arange(side) + 0.5) / side - 0.5
    U, V = np.meshgrid(at * w, at * w)
    X = cx + U * c - V * s - 0.5
    Y = cy + U * s + V * c - 0.5
    x0, y0 = np.floor(X).astype(int), np.floor(Y).astype(int)
    ax, ay = (X - x0)[..., None], (Y - y0)[..., None]
    H, W = img.shape[:2]

    def px(x, y):
        ok = (x >= 0) & (y >= 0) & (x < W) & (y < H)
        v = img[np.clip(y, 0, H - 1), np.clip(x, 0, W - 1)].astype(np.float32)
        return v * ok[..., None]

    out = px(x0, y0) * (1 - ax) * (1 - ay) + px(x0 + 1, y0) * ax * (1 - ay) + px(x0, y0 + 1) * (1 - ax) * ay + px(x0 + 1, y0 + 1) * ax * ay
    return (out / 255.0).astype(np.float32)


def enlarge(gray28, side=224, border=0.25):
    big = np.asarray(Image.fromarray(gray28).resize((side, side), Image.BICUBIC).convert("RGB"))
    b = round(border * side)
    idx = np.clip(np.arange(side + 2 * b) - b, 0, side - 1)
    return big[idx][:, idx]


def sign_mnist_rows(shared):
    out = {}
    for name in ["sign_mnist_train.csv.gz", "sign_mnist_test.csv.gz"]:
        with gzip.open(os.path.join(shared, "sign-mnist", name), "rt") as f:
            next(f)
            for i, line in enumerate(f):
                out[f"{name}:row {i + 1}"] = line
    return out


def main():
    cache, out_path = sys.argv[1], sys.argv[2]
    sess = session()
    names = [o.name for o in sess.get_outputs()]
    sm = sign_mnist_rows(os.path.join(ROOT, "..", "shared", "data"))
    keys, emb, emb_m, err = [], [], [], []
    for folder in FOLDERS:
        with open(os.path.join(cache, f"{folder}.landmarks.jsonl")) as f:
            next(f)
            for n, line in enumerate(f):
                d = json.loads(line)
                if d.get("points") is None:
                    continue
                src = d["source"]
                if folder == "sign-mnist":
                    px = np.array(sm[src].strip().split(",")[1:], np.uint8).reshape(28, 28)
                    img = enlarge(px)
                else:
                    img = np.asarray(Image.open(src).convert("RGB"))
                p = np.array(d["points"], np.float32)
                rect = rect_from_landmarks(p)
                x = crop(img, rect)
                batch = np.stack([x, x[:, ::-1].copy()])
                outs = [sess.run(names, {"input_1": b[None]}) for b in batch]
                pts = outs[0][0].reshape(21, 3)[:, :2] / 224
                cx, cy, w, r = rect
                c, s = math.cos(r), math.sin(r)
                fx = cx + (pts[:, 0] - 0.5) * w * c - (pts[:, 1] - 0.5) * w * s
                fy = cy + (pts[:, 0] - 0.5) * w * s + (pts[:, 1] - 0.5) * w * c
                err.append(np.hypot(fx - p[:, 0], fy - p[:, 1]).mean() / w)
                keys.append(src)
                emb.append(outs[0][-1].ravel())
                emb_m.append(outs[1][-1].ravel())
                if n % 2000 == 0:
                    print(folder, n, f"landmarks again vs cache: {100 * np.median(err):.2f}% of the crop", flush=True)
    np.savez_compressed(out_path, keys=np.array(keys), emb=np.array(emb, np.float16), emb_mirror=np.array(emb_m, np.float16))
    print(f"{len(keys)} hands; the landmarks read again from these crops are {100 * np.median(err):.2f}% of the crop's side from the cached ones (median)")


if __name__ == "__main__":
    main()
