#!/usr/bin/env bash
# The hand-following kiosk against onnxruntime, in one run on one machine: prints a
# markdown section (scripts/bench-vs-onnxruntime.sh puts it into docs/performance.md).
#   - each hand model alone: tract in every plan form (`device profile --hands
#     --compare-plans`, one run of each form in turn, real input from a picture) against
#     onnxruntime on the same input tensor (one thread);
#   - the whole kiosk with the default landmark classifier (`device bench --hands`, one
#     tract thread), one thread against the pipeline with 1 and 2 landmark threads, on a
#     hand held still (one picture replayed: the track holds, as in a camera's video);
#     its frame period against onnxruntime's time for the same models run one after
#     another on one thread (palm detection amortised over detect_every);
#   - the pipeline at a camera's 30 fps: latency p50/p99 and each thread's busy share;
#   - photos that jump (the asl-alphabet folder replayed at 30 fps): how many frames keep
#     a hand.
#
#   scripts/bench-hands-vs-onnxruntime.sh [--frames 300]
#   DEVICE=target/release/device scripts/bench-hands-vs-onnxruntime.sh
#
# Not part of CI: onnxruntime goes into .venv-bench/ (PyPI) on first use.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
frames=300
while (($#)); do
  case "$1" in
    --frames) frames=$2; shift 2 ;;
    *) echo "usage: $0 [--frames N]" >&2; exit 2 ;;
  esac
done
bin=${DEVICE:-}
if [[ -z $bin ]]; then
  cargo build -q --release -p device
  bin=target/release/device
fi
[[ -x .venv-bench/bin/python ]] || python3 -m venv .venv-bench
.venv-bench/bin/python -c 'import onnxruntime' 2>/dev/null || .venv-bench/bin/pip install -q onnxruntime numpy
mp=../shared/models/mediapipe
still=../shared/data/asl-alphabet/B/B1004.jpg
every=10
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Every plan form in one process, one run of each in turn (this host is shared: forms
# timed apart differ by more than the forms do), then onnxruntime on the same input.
for h in palm landmarks; do
  "$bin" profile --hands $h --runs 3 --top 0 --save-input "$tmp/$h.f32" > /dev/null 2>&1
  "$bin" profile --hands $h --compare-plans --runs 200 --json > "$tmp/$h.plans.json" 2>/dev/null
done
.venv-bench/bin/python scripts/bench_onnxruntime.py $mp/palm_detection_lite.onnx 200 1 "$tmp/palm.f32" > "$tmp/palm.ort.json"
.venv-bench/bin/python scripts/bench_onnxruntime.py $mp/hand_landmark_lite.onnx 200 1 "$tmp/landmarks.f32" > "$tmp/landmarks.ort.json"
b() { "$bin" bench --json --hands $mp --detect-every $every --frames "$frames" --threads 1 "$@" 2>/dev/null; }
b --source $still --save-inputs "$tmp/classifier.f32" > "$tmp/one.json"
.venv-bench/bin/python scripts/bench_onnxruntime.py models/asl-landmarks.onnx 200 1 "$tmp/classifier.f32" > "$tmp/classifier.ort.json"
b --source $still --pipelined --landmark-threads 1 > "$tmp/pipe1.json"
b --source $still --pipelined --landmark-threads 2 > "$tmp/pipe2.json"
b --source $still --pipelined --landmark-threads 1 --fps 30 > "$tmp/pipe1-30.json"
b --source $still --pipelined --landmark-threads 2 --fps 30 > "$tmp/pipe2-30.json"
b --source $still --fps 30 > "$tmp/one-30.json"
b --fps 30 > "$tmp/jump-one.json"
b --fps 30 --pipelined --landmark-threads 1 > "$tmp/jump-pipe1.json"
b --fps 30 --pipelined --landmark-threads 2 > "$tmp/jump-pipe2.json"
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
python3 - "$tmp" "$cpu" "$frames" "$every" <<'PY'
import json, sys, pathlib
tmp, cpu, frames, every = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
load = lambda n: json.loads((tmp / n).read_text())
forms = ["tract", "channel-last", "channel-last-depthwise", "tract-depthwise", "channel-last-own"]
ort = {h: load(f"{h}.ort.json")["p50_ms"] for h in ("palm", "landmarks", "classifier")}
rows = []
best = {}
for h, name in (("palm", "palm_detection_lite (192x192)"), ("landmarks", "hand_landmark_lite (224x224)")):
    ms = {t["plan"]: t["p50_ms"] for t in load(f"{h}.plans.json")}
    best[h] = min(ms.values())
    cells = " | ".join(f"{ms[p]:.2f}" for p in forms)
    rows.append(f"| {name} | {cells} | {ort[h]:.2f} | **{best[h] / ort[h]:.2f}x** |")
seq = ort["palm"] / every + ort["landmarks"] + ort["classifier"]
def line(name, f, paced=False):
    b = load(f)
    thr = b["throughput_fps"]
    busy = ", ".join(f"{t['thread']} {t['share'] * 100:.0f}%" for t in b["thread_busy"])
    h = b["hands"]
    lat = f"{b['latency_ms']['p50']:.1f} | {b['latency_ms']['p99']:.1f} | {h['frames_with_hand']} of {b['frames']} | {busy} |"
    if paced:
        return f"| {name} | {thr:.1f} | {lat}"
    return f"| {name} | {thr:.1f} | **{1000 / thr:.2f}** | {1000 / thr / seq:.2f}x | {lat}"
runs = [("one thread (`device bench --hands`)", "one.json"),
        ("pipelined, 1 landmark thread (`--pipelined`)", "pipe1.json"),
        ("pipelined, 2 landmark threads (`--pipelined --landmark-threads 2`)", "pipe2.json")]
cam = [("one thread, 30 fps camera pace (`--fps 30`)", "one-30.json"),
       ("pipelined, 1 landmark thread, 30 fps camera pace", "pipe1-30.json"),
       ("pipelined, 2 landmark threads, 30 fps camera pace", "pipe2-30.json")]
jump = [("one thread", "jump-one.json"), ("pipelined, 1 landmark thread", "jump-pipe1.json"),
        ("pipelined, 2 landmark threads", "jump-pipe2.json")]
head = "| kiosk | frames/s | frame period ms | period / ort in a row | latency p50 ms | latency p99 ms | frames with a hand | threads busy |\n|---|---:|---:|---:|---:|---:|---:|---|"
paced_head = "| kiosk | frames/s | latency p50 ms | latency p99 ms | frames with a hand | threads busy |\n|---|---:|---:|---:|---:|---|"
print(f"""## The hand-following kiosk against onnxruntime

Measured with `scripts/bench-hands-vs-onnxruntime.sh --frames {frames}` on {cpu}, one
tract thread (`--threads 1`) and one onnxruntime intra-op thread. Each model alone,
median ms of 200 runs on the same input tensor (a real picture's palm input and landmark
crop; tract in each plan form, one run of each form in turn in one process: `device
profile --hands palm --compare-plans`; ratio: tract's best form over onnxruntime, which
ran next, in its own process):

| model | tract | channel-last | channel-last-depthwise | tract-depthwise | channel-last-own (kiosk) | onnxruntime | best / ort |
|---|---:|---:|---:|---:|---:|---:|---:|
""" + "\n".join(rows) + f"""

The whole kiosk with the default classifier (`models/asl-landmarks.onnx`), palm detection
every {every} frames, 240x240 screen without a panel, on a hand held still (one picture
replayed, so the track holds as in a camera's video; frames delivered as fast as the
kiosk takes them). onnxruntime running the same models one after another on one thread
takes {ort['palm']:.2f} / {every} + {ort['landmarks']:.2f} + {ort['classifier']:.3f} = **{seq:.2f} ms** a frame
(palm amortised, landmarks, classifier; model calls only, no crop, capture or drawing).
Frame period = 1000 / frames a second over the run's wall time; latency = from the
frame read to its screen sent:

{head}
""" + "\n".join(line(n, f) for n, f in runs) + f"""

At a camera's pace (frames every 33 ms, the latest frame taken): latency and how busy
each thread is; a thread under 100% has room. With landmark threads the hand shown is
that of an earlier frame, and its latency is timed from that frame.

{paced_head}
""" + "\n".join(line(n, f, True) for n, f in cam) + f"""

Photos that jump (the asl-alphabet folder replayed at 30 fps, each frame another photo
of the signer): the track breaks at most frames. The one-thread tracker re-detects in
the frame itself (so that frame pays for palm detection). So does the pipelined one with
1 landmark thread (the landmark model in the kiosk's thread): a frame whose tracked crop
holds no hand waits for the palm detector run on itself. With landmark threads the loss
is known a frame later: the frames in flight go without a hand, and the next waits.

{paced_head}
""" + "\n".join(line(n, f, True) for n, f in jump))
PY
