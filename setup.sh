#!/usr/bin/env bash
# Installs the Debian packages lebm needs when they are missing, builds lebm, and runs the
# quick-start. `./setup.sh --deps-only` stops after the packages.
set -euo pipefail
cd "$(dirname "$0")"
need=()
for p in libedit-dev libpng-dev libopenblas-dev zlib1g-dev pkg-config dataset-fashion-mnist \
         libcairo2-dev fonts-dejavu-core libzmq3-dev libssl-dev libcmark-gfm-dev \
         libcmark-gfm-extensions-dev libjs-katex python3-venv; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${need[@]}"
fi
[ "${1:-}" = "--deps-only" ] && exit 0
swift build -c release
.build/release/lebm --version
.build/release/lebm examples/quickstart.lebm
