#!/usr/bin/env bash
# Reproduces models/arsl2018.onnx (+ -int8) and models/reports/arsl2018/ from
# ../shared/data/arsl2018 (a 300-per-class subset of ArSL2018: 9,600 mostly 64x64 gray
# photos, 40 signers, 32 classes). MobileNetV2 1.0 at 96x96 (gray replicated to RGB for
# the ImageNet TFLite weights), stratified split (the subset has no signer ids).
# Time on 2 CPU cores: see models/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
run=${RUN:-runs/arsl2018}
epochs=${EPOCHS:-8}
cargo build -p host-train
ht=target/debug/host-train  # the dev profile is optimized (Cargo.toml)
$ht --threads 2 train --dataset ../shared/data/arsl2018/ArASL_Database_54K --split stratified \
    --arch mobilenetv2 --width 1.0 --input-size 96 --normalization symmetric \
    --pretrained ../shared/models/mobilenet_v2_imagenet/mobilenet_v2_1.0_224_quant.tflite --freeze-bn \
    --epochs "$epochs" --lr 5e-4 --label-smoothing 0.1 --out "$run"
$ht export --run "$run" --out models/arsl2018.onnx
cp "$run/checkpoints/best.safetensors" models/arsl2018.safetensors  # for host-train train --init (adaptation)
$ht export --run "$run" --int8 --out models/arsl2018-int8.onnx
# The shipped files as the device runs them: tract over the same held-out test split.
for f in arsl2018 arsl2018-int8; do
  $ht eval --run "$run" --onnx "models/$f.onnx" --out "$run/tract-$f"
done
mkdir -p models/reports/arsl2018
for f in arsl2018 arsl2018-int8; do cp "$run/tract-$f/report.txt" "models/reports/arsl2018/tract-$f.txt"; done
cp "$run"/{report.txt,report.json,confusion.png,curves.png} models/reports/arsl2018/
cp "$run"/config.toml models/reports/arsl2018/train-config.toml
