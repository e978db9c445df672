#!/usr/bin/env bash
# Copies MediaPipe's hand models (Apache-2.0, with their LICENSE) from ../shared/models/mediapipe
# (or $SIGNSPELL_SHARED/models/mediapipe) into device/debian/mediapipe/, where cargo-deb
# picks them up for /usr/share/signspell/mediapipe/: the hand-following region and the
# landmark-mask model need them on the device. They are not committed (they come from
# ../shared); run this before `cargo deb`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
shared=${SIGNSPELL_SHARED:-}
if [[ -z "$shared" ]]; then
  dir=$PWD
  while [[ "$dir" != / ]]; do
    dir=$(dirname "$dir")
    if [[ -f "$dir/shared/data/README.md" ]]; then shared=$dir/shared; break; fi
  done
fi
src=$shared/models/mediapipe
[[ -n "$shared" && -f "$src/palm_detection_lite.onnx" ]] || {
  echo "stage-deb-assets: no MediaPipe models in '${src}' (set SIGNSPELL_SHARED)" >&2; exit 1; }
mkdir -p device/debian/mediapipe
for f in palm_detection_lite.onnx hand_landmark_lite.onnx LICENSE; do
  install -m 644 "$src/$f" device/debian/mediapipe/$f
done
echo "stage-deb-assets: $(ls device/debian/mediapipe | wc -l) files from $src"
