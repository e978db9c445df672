#!/usr/bin/env bash
# Before and after settling (`TrackerConfig::settle`), side by side in one run: the 2-D
# landmark classifier measured leave-one-source-out (split: by source) on the corpus's
# hands found with the palm detector's crop alone (--settle 0, before) and with N
# settling passes (after), each with seeds 0, 1 and 2. Prints one row per run and the
# mean per setting.
#
#   scripts/models/settle-before-after.sh            # 0 against 1 (the default) and 2
#   SETTLES="0 1" SEEDS="0" scripts/models/settle-before-after.sh
#
# Each setting finds the hands once into its own cache (runs/settle/cache-N; about 13
# minutes on 2 cores the first time), then each run takes about 1.5 minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${RUN:-runs/settle}
cargo build -p host-train
ht="target/debug/host-train --threads 2"
mkdir -p "$out"
printf '| settle | seed | %s | mean |\n' "per held-out source"
for settle in ${SETTLES:-0 1 2}; do
  for seed in ${SEEDS:-0 1 2}; do
    dir="$out/settle-$settle-seed-$seed"
    $ht landmarks --shared ../shared --cache-dir "$out/cache-$settle" --settle "$settle" --seed "$seed" --no-depth \
        --out "$dir" > "$dir.log" 2>&1
    folds=$(grep -E '^\| [a-z0-9]' "$dir/loso.md" | grep -v '^| held-out' | awk -F'|' '{gsub(/[ *]/,"",$2); gsub(/[ *]/,"",$5); printf "%s %s, ", $2, $5}')
    mean=$(grep 'mean over sources' "$dir/loso.md" | grep -o '[0-9.]*%')
    printf '| %s | %s | %s | %s |\n' "$settle" "$seed" "$folds" "$mean"
  done
done
