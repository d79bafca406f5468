#!/bin/bash
# One benchmark sitting: lebm, PyTorch and JAX back to back (the machine's speed drifts by tens of
# percent from minute to minute, so the programs being compared run next to each other), then the
# kernels, peak memory and start-up. Run from the repository root after `swift build -c release`;
# PYTHON is a Python with torch and jax (default /tmp/anchors/bin/python, see README); ANCHORS the
# folder of the anchor programs (default ../shared/anchors).
set -u
L="$PWD/.build/release/lebm"
P="${PYTHON:-/tmp/anchors/bin/python}"
cd "${ANCHORS:-../shared/anchors}" || exit 1
date; uptime
for c in toy2d mlp784; do
  "$L" bench $c --iters 20 --threads 2
  "$P" torch_lebm.py $c --iters 20 --threads 2 2>&1 | tail -1
  "$P" jax_lebm.py $c --iters 20 2>&1 | tail -1
done
# sgemm just before and after each lebm run: the machine's speed flips between modes, and a
# configuration's share of sgemm only means something against the speed of the same minute.
"$L" bench sgemm; "$L" bench mlp784 --iters 20 --threads 2; "$L" bench sgemm
"$P" torch_lebm.py mlp784 --iters 20 --threads 2 2>&1 | tail -1
"$L" bench sgemm; "$L" bench svhn --iters 3 --threads 2; "$L" bench sgemm
"$P" torch_lebm.py svhn --iters 3 --threads 2 2>&1 | tail -1
"$L" bench sgemm; "$L" bench fmnist --iters 5 --threads 2; "$L" bench sgemm
"$P" torch_lebm.py fmnist --iters 5 --threads 2 2>&1 | tail -1
"$P" jax_lebm.py fmnist --iters 5 2>&1 | tail -1
"$L" bench sgemm; "$L" bench text --iters 3 --threads 2; "$L" bench sgemm
"$P" torch_lebm.py text --iters 3 --threads 2 2>&1 | tail -1
"$L" bench kernels
python3 - "$L" <<'PY'
import subprocess, sys, time, statistics
ts = []
for _ in range(21):
    t = time.perf_counter(); subprocess.run([sys.argv[1], "-e", "1+1"], capture_output=True); ts.append((time.perf_counter() - t) * 1e3)
print("startup lebm -e 1+1: median %.1f ms (21 runs)" % statistics.median(ts))
PY
date; uptime
