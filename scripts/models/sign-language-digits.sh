#!/usr/bin/env bash
# Reproduces models/sign-language-digits.onnx (+ -int8) and models/reports/sign-language-digits/
# from ../shared/data/sign-language-digits (2,062 photos of 218 students' hands, 10 classes).
# MobileNetV2 1.0 at 128x128 from the ImageNet TFLite weights, stratified split (the data
# has no signer ids). Time on 2 CPU cores: see models/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
run=${RUN:-runs/sign-language-digits}
epochs=${EPOCHS:-10}
cargo build -p host-train
ht=target/debug/host-train  # the dev profile is optimized (Cargo.toml)
$ht --threads 2 train --dataset ../shared/data/sign-language-digits --split stratified \
    --arch mobilenetv2 --width 1.0 --input-size 128 --normalization symmetric \
    --pretrained ../shared/models/mobilenet_v2_imagenet/mobilenet_v2_1.0_224_quant.tflite --freeze-bn \
    --epochs "$epochs" --lr 5e-4 --label-smoothing 0.1 --out "$run"
$ht export --run "$run" --out models/sign-language-digits.onnx
cp "$run/checkpoints/best.safetensors" models/sign-language-digits.safetensors  # for host-train train --init (adaptation)
$ht export --run "$run" --int8 --out models/sign-language-digits-int8.onnx
# The shipped files as the device runs them: tract over the same held-out test split.
for f in sign-language-digits sign-language-digits-int8; do
  $ht eval --run "$run" --onnx "models/$f.onnx" --out "$run/tract-$f"
done
mkdir -p models/reports/sign-language-digits
for f in sign-language-digits sign-language-digits-int8; do cp "$run/tract-$f/report.txt" "models/reports/sign-language-digits/tract-$f.txt"; done
cp "$run"/{report.txt,report.json,confusion.png,curves.png} models/reports/sign-language-digits/
cp "$run"/config.toml models/reports/sign-language-digits/train-config.toml
