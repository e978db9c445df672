#!/usr/bin/env bash
# The device's architecture, proven without a Pi: builds `shared` and `device` for
# aarch64-unknown-linux-gnu with Debian's cross linker, runs their tests as aarch64 code
# under qemu (-cpu cortex-a72, see .cargo/config.toml), and packages the release binary
# as a .deb with cargo-deb, then checks what the package holds.
#
# Release profile: the .deb ships the same binary the tests ran beside.
# The `device` CLI tests (tests/cli.rs) spawn the binary, which qemu-user cannot do
# without binfmt_misc; they run natively in `cargo test --workspace`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=aarch64-unknown-linux-gnu
start=$(date +%s)
tdir=${CARGO_TARGET_DIR:-target}

# Every step selects the same packages and features. Cargo resolves features per
# invocation: `-p shared --features tract` alone and `-p device` alone enabled different
# features of tract-linalg (multithread-mm), libc, syn and more, so tract and most other
# dependencies were compiled twice in release for aarch64. Targets and test names choose
# what runs.
both=(--release --target $target -p shared -p device --features shared/tract)
# shared's preprocessing, card and class tables; the device's logic, its screens and SPI
# panel, and its int8/float parity on aarch64.
cargo test "${both[@]}" --lib --test bad_input --test card_onnx --test fuzz_regressions \
    --test preprocess_props --test preprocess_real --test aarch64_parity --test ui_screen --test spi_panel
# Signspell's own depthwise, 1x1 and stem ops on NEON (shared::lanes::Neon), and the hand models that run them
# against onnxruntime's recorded outputs (the timing-dependent tracker tests stay native).
cargo test "${both[@]}" --test hands -- depthwise pointwise stem tract_matches
# The kiosk spelling HELLO with the shipped model, float and int8, as aarch64 code. The
# other replay tests (a camera that stalls or goes, a failing display or hand stage) test
# the loop's logic, which is the same code on every architecture: they run natively in
# `cargo test --workspace`, where they take seconds; under qemu each took a minute or more
# (kiosk_replay was 451 s of this script on 2 cores). Float and int8 HELLO took 295 s one
# after the other; they are two tests now, run side by side (190 s). The default landmark
# kiosk is not run here: its hand models under qemu took over 10 min for two words; their
# aarch64 kernels are checked by shared's `hands` tests above.
cargo test "${both[@]}" --test kiosk_replay -- held_out_frames_spell_hello_
echo "[aarch64] tests under qemu took $(( $(date +%s) - start )) s"

bin=$tdir/$target/release/device
# No `cmd | grep -q` under pipefail: grep -q quits at the first match and the writer's
# SIGPIPE (exit 141) fails the script at random. Capture, then match.
kind=$(file "$bin")
grep -q "ARM aarch64" <<<"$kind" || { echo "[aarch64] $bin is not an aarch64 binary" >&2; exit 1; }
scripts/stage-deb-assets.sh
cargo deb --target $target -p device --no-build
deb=$(ls -t "$tdir"/$target/debian/signspell_*_arm64.deb | sed -n 1p)
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/signspell-device ./etc/signspell/kiosk.toml ./usr/share/signspell/models/asl-landmarks.onnx \
         ./usr/share/signspell/models/asl-alphabet-int8.onnx \
         ./usr/share/signspell/models/sign-language-digits-int8.onnx ./usr/share/signspell/models/arsl2018-int8.onnx \
         ./usr/share/signspell/models/asl-alphabet.onnx ./usr/share/doc/signspell/kiosk.example.toml \
         ./usr/share/signspell/models/asl-alphabet-mask-int8.onnx ./usr/share/signspell/mediapipe/palm_detection_lite.onnx \
         ./usr/share/signspell/mediapipe/hand_landmark_lite.onnx ./usr/share/doc/signspell/mediapipe-LICENSE \
         ./usr/share/signspell/models/asl-landmarks.loso.json ./usr/share/signspell/lexicon/words.tsv \
         ./usr/share/signspell/lexicon/names.tsv ./usr/share/doc/signspell/lexicon-NOTICE.md; do
    grep -q " $f\$" <<<"$contents" || { echo "[aarch64] $deb lacks $f" >&2; exit 1; }
done
grep -q "signspell.service" <<<"$contents" || { echo "[aarch64] $deb lacks the systemd unit" >&2; exit 1; }
info=$(dpkg-deb --info "$deb")
grep -q "Architecture: arm64" <<<"$info" || { echo "[aarch64] $deb is not arm64" >&2; exit 1; }
postinst=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst)
grep -q "adduser --system" <<<"$postinst" || { echo "[aarch64] $deb's postinst does not create the user" >&2; exit 1; }
echo "[aarch64] $deb: $(stat -c %s "$deb") bytes; binary $(stat -c %s "$bin") bytes (stripped in the package)"
echo "[aarch64] total $(( $(date +%s) - start )) s"
