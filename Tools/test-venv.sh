#!/usr/bin/env bash
# Makes the Python virtual environment the interoperability tests use (NumPy, safetensors, Pillow,
# PyTorch where a CPU wheel is at hand, and the Jupyter client side):
#   Tools/test-venv.sh [FOLDER]      (default .build/test-venv)
#   export LEBM_TEST_PYTHON=FOLDER/bin/python
set -euo pipefail
venv="${1:-.build/test-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
"${pip[@]}" numpy safetensors pillow jupyter_client nbformat nbconvert
# PyTorch only from a wheel already on the machine (the default one pulls gigabytes of GPU
# libraries); without it the PyTorch tests skip.
wheel=$(ls /opt/wheels/torch-*cpu*.whl 2>/dev/null | head -1 || true)
if [ -n "$wheel" ] && ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  "${pip[@]}" "$wheel" || echo "test-venv: could not install $wheel; the PyTorch tests will skip"
fi
