#!/usr/bin/env bash
# Adaptation measured: the shipped ASL model fine-tuned (`host-train train --init`) on N
# pictures per letter of other people's hands (sign-mnist's training file, laid out as
# the kiosk's collection mode writes them), with 20 pictures per class of the original
# data mixed in (never its held-out test pictures). Before/after on sign-mnist's own test
# file (7,172 pictures), and the original held-out test (does it forget?).
# Needs runs/asl-alphabet from scripts/models/asl-alphabet.sh (its split) and the
# benchmark venv (.venv-bench, PIL) for the conversion. Results: models/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
cargo build -p host-train
ht=target/debug/host-train
epochs=${EPOCHS:-4}
for n in ${NS:-5 10 30}; do
  dir=runs/adapt/sm-$n run=runs/adapt/asl-sm-$n
  rm -rf "$dir" "$run"
  .venv-bench/bin/python scripts/adapt/sign_mnist_as_collected.py ../shared/data/sign-mnist/sign_mnist_train.csv.gz "$dir" "$n"
  $ht --threads 2 train --init models/asl-alphabet.onnx --dataset "$dir" --split stratified \
      --mix ../shared/data/asl-alphabet --mix-per-class 20 --mix-exclude models/asl-alphabet.heldout.txt \
      --freeze-bn --epochs "$epochs" --lr 3e-4 --label-smoothing 0.1 --out "$run"
  $ht export --run "$run" --out "$run/adapted.onnx" > /dev/null
  $ht eval --run "$run" --dataset ../shared/data/sign-mnist/sign_mnist_test.csv.gz --split all \
      --onnx "$run/adapted.onnx" --out "$run/sign-mnist" | grep -E "^ +accuracy" | sed "s/^/n=$n sign-mnist test /"
  $ht eval --run runs/asl-alphabet --onnx "$run/adapted.onnx" --out "$run/asl-heldout" \
      | grep -E "^ +accuracy" | sed "s/^/n=$n asl-alphabet held-out /"
done
