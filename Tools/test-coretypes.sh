#!/usr/bin/env bash
# Runs the numerical test suites again under other OpenBLAS core types, as CI does: OpenBLAS picks
# its kernels (and so the order of each sum) by CPU, so this is how the other CPUs of our machine
# kind are tried on one machine. Tests must pass under every one: they assert what is promised
# (tolerances, bounds), not what one CPU's kernels happen to give.
#   Tools/test-coretypes.sh [CORETYPE…]   (default: Haswell, and SkylakeX where the CPU has
#                                          AVX-512, else Zen)
# Where the machine itself sets OPENBLAS_CORETYPE (some CPUs need it: older OpenBLAS builds crash
# or compute wrong results on them), that choice is kept and the suites run once under it.
# Run after `swift build --build-tests` (or `swift test`); it does not build.
set -euo pipefail
cd "$(dirname "$0")/.."
suites='EngineTests|LatentEBMTests|LangTests'
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
  echo "test-coretypes: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE is set by this machine; running under it alone"
  types=("$OPENBLAS_CORETYPE")
elif [ $# -gt 0 ]; then
  types=("$@")
elif grep -qw avx512f /proc/cpuinfo; then
  types=(Haswell SkylakeX)
else
  types=(Haswell Zen)
fi
for t in "${types[@]}"; do
  echo "test-coretypes: the numerical suites under OPENBLAS_CORETYPE=$t"
  OPENBLAS_CORETYPE="$t" swift test --skip-build --filter "$suites"
done
