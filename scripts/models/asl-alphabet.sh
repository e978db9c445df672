#!/usr/bin/env bash
# Reproduces models/asl-alphabet.onnx, models/asl-alphabet-int8.onnx, the held-out list
# and the report in models/reports/asl-alphabet/ from ../shared/data/asl-alphabet.
#
# MobileNetV2 1.0 at 128x128 (~100 MMAC), initialized from the ImageNet MobileNetV2
# TFLite in ../shared/models (weights dequantized, batch norm frozen), fine-tuned on the
# grouped split (runs of 20 consecutive frames stay on one side) with the default
# augmentation (crop, flip, rotation, colour, white balance, blur, noise).
# Time on 2 CPU cores: see models/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
run=${RUN:-runs/asl-alphabet}
epochs=${EPOCHS:-8}
cargo build -p host-train
ht=target/debug/host-train  # the dev profile is optimized (Cargo.toml)
$ht --threads 2 train --dataset ../shared/data/asl-alphabet --split grouped --group-size 20 \
    --arch mobilenetv2 --width 1.0 --input-size 128 --normalization symmetric \
    --pretrained ../shared/models/mobilenet_v2_imagenet/mobilenet_v2_1.0_224_quant.tflite --freeze-bn \
    --epochs "$epochs" --lr 5e-4 --label-smoothing 0.1 --out "$run"
$ht export --run "$run" --out models/asl-alphabet.onnx
cp "$run/checkpoints/best.safetensors" models/asl-alphabet.safetensors  # for host-train train --init (adaptation)
$ht export --run "$run" --int8 --out models/asl-alphabet-int8.onnx
$ht split-files --run "$run" --part test > models/asl-alphabet.heldout.txt
# The shipped files as the device runs them: tract over the same held-out test split.
for f in asl-alphabet asl-alphabet-int8; do
  $ht eval --run "$run" --onnx "models/$f.onnx" --out "$run/tract-$f"
done
mkdir -p models/reports/asl-alphabet
for f in asl-alphabet asl-alphabet-int8; do cp "$run/tract-$f/report.txt" "models/reports/asl-alphabet/tract-$f.txt"; done
# Other signers: sign-mnist's 7,172 test images (28x28 grey crops of other people's
# hands), its letters matched to the model's classes.
$ht eval --run "$run" --dataset ../shared/data/sign-mnist/sign_mnist_test.csv.gz --split all \
    --onnx models/asl-alphabet.onnx --out "$run/sign-mnist"
cp "$run/sign-mnist/report.txt" models/reports/asl-alphabet/other-signers-sign-mnist.txt
cp "$run"/{report.txt,report.json,confusion.png,curves.png} models/reports/asl-alphabet/
cp "$run"/config.toml models/reports/asl-alphabet/train-config.toml
