#!/usr/bin/env bash
# Inference latency of exported ONNX files, tract vs onnxruntime side by side in one run:
# batch 1, one thread, same input. int8 weight-only files are also timed with their
# weights dequantized at load (what keeps them at float speed in tract).
#
#   scripts/bench-onnx.sh models/NAME.onnx models/NAME-int8.onnx [--runs 50]
#   HOST_TRAIN=target/debug/host-train scripts/bench-onnx.sh /tmp/int8/*.onnx
#
# Every int8 form `host-train export --int8-form` writes (weights-only, qdq-tensor,
# qdq-channel, qlinear) can be compared this way: export them all from one run, then
# pass every file here. Ratios are to the first file, so put the float file first.
# HOST_TRAIN names an already built host-train (otherwise a release build is made).
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
bin=${HOST_TRAIN:-}
if [[ -z $bin ]]; then
  cargo build -q --release -p host-train
  bin=target/release/host-train
fi
tract=$("$bin" --threads 1 latency --json --dequantize-at-load --runs "$runs" "${files[@]}" 2>/dev/null)
ort=""
if [[ -x .venv-bench/bin/python ]] || python3 -m venv .venv-bench; then
  .venv-bench/bin/python -c 'import onnxruntime' 2>/dev/null || .venv-bench/bin/pip install -q onnxruntime numpy || true
  ort=$(for f in "${files[@]}"; do .venv-bench/bin/python scripts/bench_onnxruntime.py "$f" "$runs" 1 2>/dev/null || true; done)
fi
python3 - "$tract" "$ort" <<'PY'
import json, sys
tract = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
ort = {r["model"]: r for r in (json.loads(l) for l in sys.argv[2].splitlines() if l.strip())}
print(f"{'model':<52}{'form':<28}{'bytes':>11}{'tract ms':>10}{'x first':>9}{'ort ms':>9}{'x first':>9}{'tract/ort':>11}")
ort_first = None
for t in tract:
    # onnxruntime runs each file as stored (its own loader folds constant weights).
    o = ort.get(t.get("file", t["model"]))
    if o and ort_first is None:
        ort_first = o["p50_ms"]
    ratio = f"{t['p50_ms'] / o['p50_ms']:.2f}x" if o else "-"
    ort_ms = f"{o['p50_ms']:.3f}" if o else "-"
    ort_x = f"{o['p50_ms'] / ort_first:.2f}" if o else "-"
    print(f"{t['model']:<52}{t.get('form', ''):<28}{t['bytes']:>11}{t['p50_ms']:>10.3f}{t['ratio_to_first']:>9.2f}{ort_ms:>9}{ort_x:>9}{ratio:>11}")
PY
