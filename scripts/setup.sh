#!/usr/bin/env bash
# One-command setup for Signspell on Debian 12 (x86_64 host).
#
# Installs, idempotently (a second run changes nothing and takes seconds):
#   - Debian packages: libclang-dev (bindgen for the `v4l` crate), the aarch64 cross
#     linker and libc (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross), qemu-user (runs
#     aarch64 tests here);
#   - the rustup target aarch64-unknown-linux-gnu;
#   - libtorch for `tch` 0.24: the PyPI `torch==2.11.0` wheel without its CUDA stack,
#     plus the two CUDA runtime libraries libtorch_cpu.so links against, in the
#     project-local virtualenv `.venv/`. `.cargo/config.toml` points LIBTORCH there.
#
# Usage: scripts/setup.sh            (from anywhere; acts on this checkout)
#        SIGNSPELL_SKIP_APT=1 ...    (skip the Debian packages, e.g. when not root)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Versions that must move together: tch 0.24 requires exactly torch 2.11.0, and the
# torch 2.11.0 wheel pins cuda-toolkit 13.0.2 = cudart 13.0.96 + cupti 13.0.85.
TORCH_VERSION=2.11.0
CUDART_VERSION=13.0.96
CUPTI_VERSION=13.0.85
VENV="$root/.venv"
PY="${PYTHON:-python3}"

log() { printf '[setup] %s\n' "$*"; }
start=$(date +%s)

# 1. Debian packages -----------------------------------------------------------------
apt_pkgs=(libclang-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user file)
if [[ "${SIGNSPELL_SKIP_APT:-0}" != 1 ]]; then
  missing=()
  for p in "${apt_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
  done
  if ((${#missing[@]})); then
    sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
    log "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    log "Debian packages present"
  fi
fi

# 2. Rust cross target ---------------------------------------------------------------
# `grep >/dev/null`, not `grep -q`: under pipefail an early-quitting grep can fail the
# pipeline with the writer's SIGPIPE.
if rustup target list --installed | grep -x aarch64-unknown-linux-gnu >/dev/null; then
  log "rust target aarch64-unknown-linux-gnu present"
else
  log "adding rust target aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi

# 3. libtorch in .venv ---------------------------------------------------------------
# cargo-deb packages the aarch64 build (scripts/test-aarch64.sh).
CARGO_DEB_VERSION=3.8.0
if cargo deb --version 2>/dev/null | grep "$CARGO_DEB_VERSION" >/dev/null; then
  log "cargo-deb $CARGO_DEB_VERSION present"
else
  log "installing cargo-deb $CARGO_DEB_VERSION"
  cargo install --quiet --locked cargo-deb --version "$CARGO_DEB_VERSION"
fi

stamp="$VENV/.signspell-libtorch"
want="torch==$TORCH_VERSION nvidia-cuda-runtime==$CUDART_VERSION nvidia-cuda-cupti==$CUPTI_VERSION"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$VENV/libtorch/lib/libtorch_cpu.so" ]]; then
  log "libtorch $TORCH_VERSION present in .venv"
else
  log "installing libtorch ($want) into .venv (lean: no CUDA stack beyond cudart and cupti)"
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-cache-dir --no-deps $want
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  # A fixed path for LIBTORCH (.cargo/config.toml), whatever the Python version.
  ln -sfn "$("$VENV/bin/python" -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$site/torch" "$VENV")" "$VENV/libtorch"
  echo "$want" > "$stamp"
fi
[[ -f "$VENV/libtorch/lib/libtorch_cpu.so" ]] || { echo "setup: libtorch_cpu.so missing under $VENV/libtorch" >&2; exit 1; }

log "libtorch: .venv/libtorch -> $(readlink "$VENV/libtorch") ($(du -shL "$VENV/libtorch" | cut -f1), with CUDA runtime: $(du -sh "$VENV" | cut -f1) in .venv)"
log "done in $(( $(date +%s) - start )) s"
