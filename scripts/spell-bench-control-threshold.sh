#!/usr/bin/env bash
# `[decoder] control_threshold` before and after, side by side in one run: `device
# spell-bench` (split: leave-one-source-out) with `--control-threshold 0` (the old rule:
# `space` and `del` count at the letters' threshold) and with the default (0.5: an unsure
# one votes for its likeliest letter). Prints, per pace and decoder, the exact words and
# letter errors of both, the words split by a misread `space`, and every word spelled
# differently.
#
#   scripts/spell-bench-control-threshold.sh
#   SEED=1 scripts/spell-bench-control-threshold.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build -q -p device
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pids=()
for c in 0 0.5; do
  target/debug/device spell-bench --json --seed "${SEED:-0}" --control-threshold "$c" >"$out/$c.json" 2>"$out/$c.log" &
  pids+=($!)
done
for p in "${pids[@]}"; do
  wait "$p" || { echo "spell-bench failed:" >&2; cat "$out"/*.log >&2; exit 1; }
done
python3 - "$out/0.json" "$out/0.5.json" <<'EOF'
import json, sys
old, new = (json.load(open(p)) for p in sys.argv[1:])
print("| pace | decoder | exact words, old | exact words, new | letter errors, old | letter errors, new |")
print("|---|---|---:|---:|---:|---:|")
for a, b in zip(old["rows"], new["rows"]):
    print(f"| {a['pace']} | {a['decoder']} | {a['exact']} | {b['exact']} | {a['letter_errors']} | {b['letter_errors']} |")
split = lambda r: sum(" " in s[3] for s in r["spelled"])
print(f"\nwords split by a misread space (plain decoder): {split(old)} -> {split(new)} of {len(old['spelled'])}")
print("\nspelled differently (source, pace, word: plain / lexicon / names in no list):")
for a, b in zip(old["spelled"], new["spelled"]):
    if a != b:
        print(f"  {a[0]}, {a[1]}, {a[2]}: {' / '.join(a[3:])} -> {' / '.join(b[3:])}")
EOF
