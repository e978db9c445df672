#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with real seeds: the shipped models and their cards, real
# pictures from ../shared/data (JPEG, and PNG/BMP conversions), camera-frame inputs
# made of a real picture, and the shipped kiosk configs. Nothing here is committed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
shared=${SIGNSPELL_SHARED:-../../shared}
mkdir -p corpus/{onnx_model,card_json,image_decode,camera_frame,kiosk_config}
cp ../models/*.onnx corpus/onnx_model/
for m in ../models/*.onnx; do
    # `device card` prints the model's card as JSON.
    ../target/debug/device card "$m" > "corpus/card_json/$(basename "$m" .onnx).json" 2>/dev/null \
        || ../target/release/device card "$m" > "corpus/card_json/$(basename "$m" .onnx).json"
done
i=0
for f in "$shared"/data/asl-alphabet/{A,B,L}/*.jpg; do
    cp "$f" corpus/image_decode/; i=$((i+1)); [ $i -ge 12 ] && break
done
python3 - "$shared" <<'PY'
import sys, struct, zlib, pathlib
# Camera-frame inputs: 12 geometry bytes (see fuzz/checks.rs), then pixel bytes taken
# from a real JPEG file (the stdlib cannot decode it; the fuzzer only needs a start).
src = sorted(pathlib.Path(sys.argv[1], "data/asl-alphabet/A").glob("*.jpg"))[0].read_bytes()
w, h = 32, 24
pix = bytes(src[(i * 7) % len(src)] for i in range(w * h * 3))
head = bytes([w - 1, h - 1, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0])
pathlib.Path("corpus/camera_frame/rgb.bin").write_bytes(head + pix)
head = bytes([w - 1, h - 1, 1, 2, 1, 4, 2, 20, 0, 16, 5, 0])
pathlib.Path("corpus/camera_frame/yuyv.bin").write_bytes(head + pix[: w * h * 2 + 2 * h])
PY
cp ../device/kiosk.toml corpus/kiosk_config/kiosk.toml
cp ../device/debian/kiosk.toml corpus/kiosk_config/debian-kiosk.toml
echo "seeded: $(find corpus -type f | wc -l) files"
