#!/usr/bin/env bash
# Reproduces models/asl-landmarks.onnx (the kiosk's default), models/asl-landmarks-int8.onnx,
# the held-out list and every number in models/reports/asl-landmarks/:
#
# 1. the landmark classifier measured leave-one-source-out over every source of hands
#    (asl-alphabet's signer, the roboflow photos, sign-language-digits' students, each
#    asl-landmarks author): each source held out in turn, a picture without a hand found
#    counts as wrong; the shipped picture and mask models scored on the same sources;
# 2. the same for the 2-D variant (no depth), to choose which ships;
# 3. the model trained on every source except asl-alphabet's held-out frames (the
#    picture model's test split, so demos and tests replay frames it never saw), exported
#    float and int8 through the tract parity gate, its card holding the numbers of 1.
#
# Hands are found once with MediaPipe in tract (the device's code) and cached under
# runs/landmarks/hands-cache/ (about 8,000 pictures: a few minutes on 2 cores the first time).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=${RUN:-runs/landmarks}
cargo build -p host-train
ht=target/debug/host-train  # the dev profile is optimized (Cargo.toml)
$ht --threads 2 landmarks --out "$out/2d" --no-depth --hold-out models/asl-alphabet.heldout.txt \
    --cache-dir "$out/hands-cache"
$ht --threads 2 landmarks --out "$out" --hold-out models/asl-alphabet.heldout.txt \
    --compare models/asl-alphabet.onnx --compare models/asl-alphabet-mask.onnx \
    --export models/asl-landmarks.onnx
mkdir -p models/reports/asl-landmarks
cp "$out/loso.md" "$out/loso.json" "$out/compare.md" models/reports/asl-landmarks/
cp "$out/2d/loso.md" models/reports/asl-landmarks/loso-2d.md
for d in "$out"/*/report.txt; do
  src=$(basename "$(dirname "$d")")
  [[ "$src" == 2d || "$src" == hands-cache ]] && continue
  cp "$d" "models/reports/asl-landmarks/held-out-$src.txt"
  cp "$(dirname "$d")/confusion.png" "models/reports/asl-landmarks/held-out-$src.png"
done
