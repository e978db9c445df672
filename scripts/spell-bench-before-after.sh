#!/usr/bin/env bash
# The word decoder's settings before and after, side by side in one run: `device
# spell-bench` (split: leave-one-source-out) with the old settings (confidence threshold
# 0.3, 10% of the word prior for strings in no list, a proposal shown at posterior 0.5),
# the new proposal rule alone (50%, a proposal shown when 5 times as likely as the
# letters as signed) and the shipped settings (that rule and threshold 0.15), each with
# the pictures of seeds 0, 1 and 2. Prints the lexicon rows: exact words with every name
# listed, exact words with the benchmark's names in no list, and how many names read
# right were rewritten.
#
#   scripts/spell-bench-before-after.sh
#   SEEDS="0" scripts/spell-bench-before-after.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build -q -p device
bench="target/debug/device spell-bench"
printf '| settings | seed | pace | lexicon exact | names in no list: exact | names in no list: read right, rewritten |\n|---|---:|---|---:|---:|---:|\n'
for seed in ${SEEDS:-0 1 2}; do
  for rule in before rule after; do
    case $rule in
      before) args="--threshold 0.3 --in-list 0.9 --propose-at 0.5 --propose-over 1" ;;
      rule) args="--threshold 0.3" ;;
      after) args="" ;;
    esac
    # shellcheck disable=SC2086
    $bench --seed "$seed" $args | awk -F'|' -v rule="$rule" -v seed="$seed" '
      $3 == " lexicon " { exact[$2] = $5 }
      $3 == " lexicon, names in no list " { printf "| %s | %s |%s|%s|%s|%s|\n", rule, seed, $2, exact[$2], $5, $7 }'
  done
done
