#!/usr/bin/env bash
# Inference latency of exported ONNX files, tract vs onnxruntime side by side in one run:
# batch 1, one thread, same input. int8 weight-only files are also timed with their
# weights dequantized at load (what keeps them at float speed in tract).
#
#   scripts/bench-onnx.sh models/NAME.onnx models/NAME-int8.onnx [--runs 50]
#
# Not part of CI: onnxruntime is installed into .venv-bench/ (PyPI) on first use; without
# it the table has tract only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs=50 files=()
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
((${#files[@]})) || { echo "usage: $0 FILE.onnx... [--runs N]" >&2; exit 2; }
cargo build -q --release -p host-train
tract=$(target/release/host-train --threads 1 latency --json --dequantize-at-load --runs "$runs" "${files[@]}" 2>/dev/null)
ort=""
if [[ -x .venv-bench/bin/python ]] || python3 -m venv .venv-bench; then
  .venv-bench/bin/python -c 'import onnxruntime' 2>/dev/null || .venv-bench/bin/pip install -q onnxruntime numpy || true
  ort=$(.venv-bench/bin/python scripts/bench_onnxruntime.py "$runs" "${files[@]}" 2>/dev/null || true)
fi
python3 - "$tract" "$ort" <<'PY'
import json, sys
tract = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
ort = {r["model"]: r for r in (json.loads(l) for l in sys.argv[2].splitlines() if l.strip())}
print(f"{'model':<58}{'bytes':>11}{'tract ms':>10}{'ort ms':>9}{'tract/ort':>11}")
for t in tract:
    o = ort.get(t["model"])
    ratio = f"{t['p50_ms'] / o['p50_ms']:.2f}x" if o else "-"
    print(f"{t['model']:<58}{t['bytes']:>11}{t['p50_ms']:>10.3f}{(o['p50_ms'] if o else float('nan')):>9.3f}{ratio:>11}")
PY
