#!/usr/bin/env bash
# Builds the fuzz targets (cargo-fuzz on stable Rust: RUSTC_BOOTSTRAP for its -Z flags,
# no sanitizer) and fuzzes each for SECONDS (default 600), side by side, one core each.
# Crashes land in fuzz/artifacts/<target>/; copy each into fuzz/regressions/<target>/
# once fixed, and CI replays it (shared/tests/fuzz_regressions.rs).
#
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
secs=${1:-600}; shift || true
targets=("$@")
((${#targets[@]})) || targets=(card_json onnx_model image_decode camera_frame kiosk_config)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.1 --locked
[ -d corpus ] || ./seed.sh
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
    RUSTC_BOOTSTRAP=1 cargo fuzz build -s none --features device "$t"
done
pids=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    cargo fuzz run -s none --features device "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 \
        -artifact_prefix="artifacts/$t/" > "artifacts/$t.log" 2>&1 &
    pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then echo "${targets[$i]}: no crash in $secs s ($(grep -o 'stat::number_of_executed_units: [0-9]*' "artifacts/${targets[$i]}.log" || tail -1 "artifacts/${targets[$i]}.log"))"
    else echo "${targets[$i]}: CRASH, see fuzz/artifacts/${targets[$i]}/ and artifacts/${targets[$i]}.log"; status=1; fi
done
exit $status
