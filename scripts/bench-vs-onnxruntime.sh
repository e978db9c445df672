#!/usr/bin/env bash
# The kiosk's frame against onnxruntime's model call, for every shipped model, in one
# run on one machine. For each model:
#   - `device bench` times every stage of the real loop (replayed held-out frames, one
#     tract thread), once with tract's own plan (`--plan tract`, the form before this
#     work) and once with the kiosk's plan (channel-last, Signspell's depthwise op);
#   - onnxruntime (CPU provider, one intra-op thread) times the model call alone on the
#     same file and the same inputs: the model tensors of 32 of the frames the kiosk
#     loop preprocessed (`device bench --save-inputs`).
# Then a thread sweep (1, 2 threads, both engines) on asl-alphabet, and the per-operator
# profiles (`device profile`) of the classifier and of MediaPipe's hand models, and the
# hand-following kiosk (one thread and pipelined) against onnxruntime running the hand
# models one after another (scripts/bench-hands-vs-onnxruntime.sh). Writes
# docs/performance.md and prints it.
#
#   scripts/bench-vs-onnxruntime.sh [--frames 300] [--out docs/performance.md]
#   DEVICE=target/release/device scripts/bench-vs-onnxruntime.sh   # an already built binary
#
# Not part of CI: onnxruntime goes into .venv-bench/ (PyPI) on first use.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
frames=300 out=docs/performance.md
while (($#)); do
  case "$1" in
    --frames) frames=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--frames N] [--out FILE]" >&2; exit 2 ;;
  esac
done
bin=${DEVICE:-}
if [[ -z $bin ]]; then
  cargo build -q --release -p device
  bin=target/release/device
fi
[[ -x .venv-bench/bin/python ]] || python3 -m venv .venv-bench
.venv-bench/bin/python -c 'import onnxruntime' 2>/dev/null || .venv-bench/bin/pip install -q onnxruntime numpy
models=(models/asl-alphabet.onnx models/asl-alphabet-int8.onnx models/sign-language-digits.onnx
        models/sign-language-digits-int8.onnx models/arsl2018.onnx models/arsl2018-int8.onnx
        models/asl-alphabet-mask.onnx models/asl-alphabet-mask-int8.onnx)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in "${models[@]}"; do
  n=$(basename "$m")
  "$bin" bench --json --plan tract --threads 1 --frames "$frames" --model "$m" > "$tmp/$n.tract.json" 2>/dev/null
  "$bin" bench --json --threads 1 --frames "$frames" --model "$m" --save-inputs "$tmp/$n.inputs" > "$tmp/$n.json" 2>/dev/null
  .venv-bench/bin/python scripts/bench_onnxruntime.py "$m" "$frames" 1 "$tmp/$n.inputs" > "$tmp/$n.ort.json"
done
for t in 1 2; do
  "$bin" bench --json --threads $t --frames "$frames" --model models/asl-alphabet.onnx > "$tmp/threads$t.json" 2>/dev/null
  .venv-bench/bin/python scripts/bench_onnxruntime.py models/asl-alphabet.onnx "$frames" $t "$tmp/asl-alphabet.onnx.inputs" > "$tmp/threads$t.ort.json"
done
"$bin" profile --model models/asl-alphabet.onnx --runs 200 --top 10 > "$tmp/profile.txt" 2>/dev/null
"$bin" profile --model models/asl-alphabet.onnx --plan tract --runs 200 --top 10 > "$tmp/profile.tract.txt" 2>/dev/null
for h in palm landmarks; do
  for p in tract channel-last-own; do
    "$bin" profile --hands $h --plan $p --runs 30 --top 3 > "$tmp/profile.$h.$p.txt" 2>/dev/null
  done
done
DEVICE="$bin" scripts/bench-hands-vs-onnxruntime.sh --frames "$frames" > "$tmp/hands.md"
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
python3 - "$tmp" "$cpu" "$frames" "$out" "${models[@]}" <<'PY'
import json, sys, pathlib
tmp, cpu, frames, out, models = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
load = lambda name: json.loads((tmp / name).read_text())
stages = lambda b: {s["stage"]: s["p50"] for s in b["stages"]}
rows, before, extra = [], [], []
for m in models:
    n = pathlib.Path(m).name
    b, t, o = load(n + ".json"), load(n + ".tract.json"), load(n + ".ort.json")["p50_ms"]
    st, tt = stages(b), stages(t)
    frame, tframe = b["frame_ms"]["p50"], t["frame_ms"]["p50"]
    rows.append(
        f"| {n} | {st['capture']:.2f} | {st.get('region', 0):.2f} | {st['preprocess']:.2f} | {st['inference']:.2f} "
        f"| {st['decode']:.3f} | {st['draw']:.2f} | {st['push']:.3f} | **{frame:.2f}** | {o:.2f} "
        f"| {st['inference'] / o:.2f}x | **{frame / o:.2f}x** | {b['model_load_ms']:.0f} | {(b['peak_rss_kib'] or 0) / 1024:.0f} |")
    extra.append(f"| {n} | {b.get('startup_ms') or 0:.0f} | {b['model_load_ms']:.0f} | {(b['peak_rss_kib'] or 0) / 1024:.1f} "
                 f"| {b['allocations_per_frame']:.0f} | {b['spi_bytes_per_frame']:.0f} | {b['spi_bytes_full_screen']:.0f} "
                 f"| {b['spi_bytes_per_frame'] * 8 / 32e3:.1f} | {b['spi_bytes_full_screen'] * 8 / 32e3:.1f} |")
    before.append(f"| {n} | {tt['inference']:.2f} | {st['inference']:.2f} | {tt['inference'] / st['inference']:.2f}x "
                  f"| {tt['inference'] / o:.2f}x | {st['inference'] / o:.2f}x | {tframe:.2f} | {frame:.2f} |")
sweep = []
extra_table = "\n".join(extra)
for th in (1, 2):
    b, o = load(f"threads{th}.json"), load(f"threads{th}.ort.json")["p50_ms"]
    inf = stages(b)["inference"]
    sweep.append(f"| {th} | {inf:.2f} | {o:.2f} | {inf / o:.2f}x | {b['frame_ms']['p50']:.2f} |")
text = f"""# Performance: the kiosk's frame against onnxruntime

{(tmp / "hands.md").read_text().rstrip()}

# The picture and mask models

Measured with `scripts/bench-vs-onnxruntime.sh --frames {frames}` on {cpu} ({frames} frames a
model), one thread for both engines unless stated. Stage times are medians (ms) of `device
bench`: the real kiosk loop on replayed held-out frames, screen 240x240, no panel attached
(so "push" is the in-memory hand-off; see the README for what an SPI push costs). "ort"
is onnxruntime's median for the model call alone on the same file and the same inputs (32
model tensors the loop preprocessed, cycled). "model ratio" is tract's inference stage
over ort; "frame ratio" is the whole frame (capture to pixels) over ort's model call, the
goal being <= 1.0x. Mask models include MediaPipe's hand models in "region" (palm
detection every 10 frames, landmarks every frame). Load is model load, plan and warm-up;
RSS is the process's peak.

## The kiosk's plan (channel-last, Signspell's depthwise op)

| model | capture | region | preprocess | inference | decode | draw | push | frame | ort | model ratio | frame ratio | load ms | peak RSS MiB |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
""" + "\n".join(rows) + f"""

## Before and after: tract's own plan against the kiosk's, same run

| model | inference, tract plan | inference, kiosk plan | speed-up | model ratio before | model ratio after | frame before | frame after |
|---|---:|---:|---:|---:|---:|---:|---:|
""" + "\n".join(before) + f"""

## Startup, memory, allocations and the SPI push (kiosk plan)

"startup" is from the start of `main` to the first frame pushed (config, model load,
plan, warm-up, hand models, first capture and draw). "allocs" are heap allocations a
frame, whole process (a counting global allocator in the `device` binary). The SPI
columns count the bytes `SpiPanel` sends a frame now that it sends only the bands of rows
that changed, against a whole screen every frame (before); the times are those bytes
at the default 32 MHz SPI clock (computed: bytes x 8 / 32 MHz, the bus's own time).

| model | startup ms | load ms | peak RSS MiB | allocs/frame | SPI bytes/frame | whole screen | SPI ms now | SPI ms before |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{extra_table}

## Threads (asl-alphabet.onnx, kiosk plan; ort with as many intra-op threads)

| threads | tract inference | ort | ratio | whole frame |
|---:|---:|---:|---:|---:|
""" + "\n".join(sweep) + f"""

## Where tract's time goes (`device profile`, asl-alphabet.onnx, 200 runs)

Kiosk plan:

```
{(tmp / "profile.txt").read_text().rstrip()}
```

tract's own plan:

```
{(tmp / "profile.tract.txt").read_text().rstrip()}
```

## MediaPipe's hand models per operator (`device profile --hands`, 30 runs)

Both hand models run channel-last with Signspell's depthwise and 1x1 ops
(`channel-last-own`: `shared::hands::palm::PLAN`, `shared::hands::landmarks::PLAN`; the
table at the top has every form). tract's own plan and that form, same run:

""" + "\n".join(f"""{h}, {p}:

```
{(tmp / f"profile.{h}.{p}.txt").read_text().rstrip()}
```
""" for h in ("palm", "landmarks") for p in ("tract", "channel-last-own"))
pathlib.Path(out).write_text(text)
print(text)
PY
