#!/usr/bin/env bash
# Reproduces models/asl-alphabet-mask.onnx, models/asl-alphabet-mask-int8.onnx, the
# held-out list and the reports in models/reports/asl-alphabet-mask/: the landmark-mask
# model of seed 002 §4.5.3, to compare with the picture model models/asl-alphabet.onnx.
#
# The same network, initialization, recipe and grouped split as scripts/models/asl-alphabet.sh
# (12 epochs instead of 8: the moved hands take longer to fit);
# only the input differs: each picture's hand is found once with MediaPipe's palm and
# landmark models (tract, the device's code; cached in runs/landmarks/) and drawn as a
# skeleton on black, each finger in its own colour. Augmentation is geometric only (a
# mask has no colour), plus the hand itself moved before each training mask is drawn:
# turned out of the picture's plane, its bones rescaled, its points jittered.
# Time on 2 CPU cores: see models/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
run=${RUN:-runs/asl-alphabet-mask}
epochs=${EPOCHS:-12}
cargo build -p host-train
ht=target/debug/host-train  # the dev profile is optimized (Cargo.toml)
$ht --threads 2 train --dataset ../shared/data/asl-alphabet --split grouped --group-size 20 \
    --arch mobilenetv2 --width 1.0 --input-size 128 --normalization symmetric \
    --pretrained ../shared/models/mobilenet_v2_imagenet/mobilenet_v2_1.0_224_quant.tflite --freeze-bn \
    --epochs "$epochs" --lr 5e-4 --label-smoothing 0.1 \
    --input landmark-mask --mask-margin 0.1 --mask-style fingers --hands-models ../shared/models/mediapipe \
    --landmark-yaw 30 --landmark-pitch 20 --landmark-bones 0.1 --landmark-noise 0.02 --out "$run"
$ht export --run "$run" --out models/asl-alphabet-mask.onnx
cp "$run/checkpoints/best.safetensors" models/asl-alphabet-mask.safetensors  # for host-train train --init (adaptation)
$ht export --run "$run" --int8 --out models/asl-alphabet-mask-int8.onnx
$ht split-files --run "$run" --part test > models/asl-alphabet-mask.heldout.txt
# Same split as the picture model, so the two test numbers compare.
cmp models/asl-alphabet-mask.heldout.txt models/asl-alphabet.heldout.txt
for f in asl-alphabet-mask asl-alphabet-mask-int8; do
  $ht eval --run "$run" --onnx "models/$f.onnx" --out "$run/tract-$f"
done
mkdir -p models/reports/asl-alphabet-mask
for f in asl-alphabet-mask asl-alphabet-mask-int8; do cp "$run/tract-$f/report.txt" "models/reports/asl-alphabet-mask/tract-$f.txt"; done
# Other signers, as for the picture model: sign-mnist's 7,172 test images.
$ht eval --run "$run" --dataset ../shared/data/sign-mnist/sign_mnist_test.csv.gz --split all \
    --onnx models/asl-alphabet-mask.onnx --out "$run/sign-mnist"
cp "$run/sign-mnist/report.txt" models/reports/asl-alphabet-mask/other-signers-sign-mnist.txt
cp "$run"/{report.txt,report.json,confusion.png,curves.png} models/reports/asl-alphabet-mask/
cp "$run"/config.toml models/reports/asl-alphabet-mask/train-config.toml
