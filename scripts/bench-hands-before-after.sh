#!/usr/bin/env bash
# Before and after for the hand-following kiosk: the device binary of BEFORE_REV (default:
# 9fc6007, before the pipelined kiosk and the hand models' own ops) against this
# checkout's, taking turns for ROUNDS rounds (this host is shared: turns spread its noise
# over both), medians of the rounds printed as a markdown table:
#   - each hand model in its binary's default plan (`device profile --hands`);
#   - the one-thread kiosk with the default classifier on a hand held still (`device
#     bench --hands`), and this checkout's pipelined kiosk with two landmark threads.
#
#   scripts/bench-hands-before-after.sh [BEFORE_REV] [ROUNDS]
#   BEFORE_BIN=path/to/device scripts/bench-hands-before-after.sh REV   # already built
#
# Not part of CI. Builds BEFORE_REV in a git worktree with a target dir of its own (a
# clean release build: 7-13 minutes here), then this checkout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rev=${1:-9fc6007}
rounds=${2:-5}
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/before" 2>/dev/null || true; rm -rf "$tmp"' EXIT
target=${CARGO_TARGET_DIR:-$root/target}
if [[ -n ${BEFORE_BIN:-} ]]; then
  # A binary already built from BEFORE_REV (the build below takes a clean release
  # build's time, tract included: the copied target dir is rebuilt from scratch).
  cp "$BEFORE_BIN" "$tmp/device-before"
else
  git worktree add -q --detach "$tmp/before" "$rev"
  (cd "$tmp/before" && CARGO_TARGET_DIR="$tmp/target" cargo build -q --release -p device)
  cp "$tmp/target/release/device" "$tmp/device-before"
  rm -rf "$tmp/target"
fi
cargo build -q --release -p device
cp "$target/release/device" "$tmp/device-after"
help=$("$tmp/device-after" bench --help)
grep -q -- --pipelined <<<"$help" || { echo "this checkout's binary lacks --pipelined" >&2; exit 1; }
mp=../shared/models/mediapipe
still=../shared/data/asl-alphabet/B/B1004.jpg
for r in $(seq "$rounds"); do
  for b in before after; do
    for h in palm landmarks; do
      "$tmp/device-$b" profile --hands $h --runs 50 --top 0 --json 2>/dev/null > "$tmp/$b.$h.$r.json"
    done
    "$tmp/device-$b" bench --json --hands $mp --source $still --frames 300 2>/dev/null > "$tmp/$b.kiosk.$r.json"
  done
  "$tmp/device-after" bench --json --hands $mp --source $still --frames 300 --pipelined --landmark-threads 2 2>/dev/null > "$tmp/after.pipelined.$r.json"
done
python3 - "$tmp" "$rounds" "$rev" "$(git rev-parse --short HEAD)" <<'PY'
import json, sys, pathlib, statistics
tmp, rounds, rev, head = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
med = lambda xs: statistics.median(xs)
load = lambda n: json.loads((tmp / n).read_text())
run_ms = lambda b, h: med([load(f"{b}.{h}.{r}.json")["run_ms"] for r in range(1, rounds + 1)])
def period(b, k):
    # Wall time a frame: 1000 / throughput where the binary reports it (frames overlap
    # when pipelined), else the mean frame (one thread: frames follow each other).
    def one(r):
        j = load(f"{b}.{k}.{r}.json")
        return 1000.0 / j["throughput_fps"] if j.get("throughput_fps") else j["frame_ms"]["mean"]
    return med([one(r) for r in range(1, rounds + 1)])
print(f"Before ({rev}) and after ({head}), medians of {rounds} rounds taking turns (`scripts/bench-hands-before-after.sh`):\n")
print("| | before | after | speed-up |\n|---|---:|---:|---:|")
for h, name in (("palm", "palm detector, ms a run (default plan)"), ("landmarks", "landmark model, ms a run (default plan)")):
    b, a = run_ms("before", h), run_ms("after", h)
    print(f"| {name} | {b:.2f} | {a:.2f} | {b / a:.2f}x |")
b, a = period("before", "kiosk"), period("after", "kiosk")
print(f"| kiosk frame period, one thread, ms | {b:.2f} | {a:.2f} | {b / a:.2f}x |")
p = period("after", "pipelined")
print(f"| kiosk frame period, pipelined with 2 landmark threads, ms | {b:.2f} (one thread) | {p:.2f} | {b / p:.2f}x |")
PY
