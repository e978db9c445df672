#!/usr/bin/env bash
# Training throughput, tch (host-train bench) vs PyTorch eager (scripts/bench_pytorch.py),
# side by side in one run, same model, batch, input and thread count.
#
#   scripts/bench-train.sh [--width 0.5] [--input-size 128] [--batch 32] [--steps 10] [--threads 2]
#
# Not part of CI: the first run installs the full torch 2.11.0 wheel (with its CUDA
# packages, ~2.7 GB) and torchvision 0.26.0 into .venv-bench/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
width=1.0 size=224 batch=32 steps=10 threads=$(nproc)
while (($#)); do
  case "$1" in
    --width) width=$2; shift 2 ;;
    --input-size) size=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if ! .venv-bench/bin/python -c 'import torch, torchvision' 2>/dev/null; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q --disable-pip-version-check torch==2.11.0 torchvision==0.26.0
fi
cargo build -q --release -p host-train
args=(--arch mobilenetv2 --width "$width" --input-size "$size" --batch "$batch" --steps "$steps")
tch_json=$(target/release/host-train --threads "$threads" bench "${args[@]}" --json 2>/dev/null)
# The same allocator settings host-train applies to itself with mallopt at start.
py_json=$(GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736 \
  .venv-bench/bin/python scripts/bench_pytorch.py "${args[@]}" --threads "$threads")
python3 - "$tch_json" "$py_json" <<'PY'
import json, sys
t, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"MobileNetV2 {t['width']}/{t['input_size']}, batch {t['batch']}, {t['steps']} steps, {t['threads']} threads")
print(f"{'engine':<16}{'images/s':>10}{'ms/step':>10}{'params':>10}")
for r in (t, p):
    print(f"{r['engine']:<16}{r['images_per_sec']:>10.1f}{r['ms_per_step']:>10.1f}{r['parameters']:>10}")
print(f"tch / pytorch throughput: {t['images_per_sec'] / p['images_per_sec']:.2f}x")
PY
