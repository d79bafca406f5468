"""Checks lebm's .ipynb files with Jupyter's own tools.

usage: notebook_files.py LEBM TMPDIR EXAMPLE.lebm

- `lebm convert EXAMPLE.lebm -o ex.ipynb`, then `jupyter nbconvert --to notebook --execute` runs it
  with the lebm kernel (installed into TMPDIR/prefix) and the result validates;
- `lebm notebook EXAMPLE.lebm -o run.ipynb` writes a notebook that `nbformat.validate` accepts,
  with outputs (a stream, a PNG) and the lebm kernelspec;
- `lebm convert run.ipynb -o back.lebm` keeps every cell (kind, title, source).
Prints `ok: ...` per check; exits 1 with `FAIL: ...` at the first failure.
"""
import os
import subprocess
import sys

import nbformat

lebm, tmp, example = sys.argv[1], sys.argv[2], sys.argv[3]
prefix = os.path.join(tmp, "prefix")
env = dict(os.environ, JUPYTER_PATH=os.path.join(prefix, "share", "jupyter"),
           JUPYTER_DATA_DIR=os.path.join(tmp, "data"), JUPYTER_RUNTIME_DIR=os.path.join(tmp, "runtime"),
           LEBM_QUICK="1")


def check(cond, what, detail=""):
    if not cond:
        print(f"FAIL: {what} {detail}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def lebm_run(*args):
    r = subprocess.run([lebm, *args], env=env, cwd=tmp, capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, "lebm " + " ".join(args), r.stderr[-2000:])


subprocess.run([lebm, "kernel", "install", "--prefix", prefix], check=True, env=env, capture_output=True)

# .lebm -> .ipynb (no run) -> nbconvert --execute with the lebm kernel.
converted = os.path.join(tmp, "ex.ipynb")
lebm_run("convert", example, "-o", converted)
nbformat.validate(nbformat.read(converted, as_version=4))
check(True, "the converted notebook validates")
r = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                    "--ExecutePreprocessor.timeout=600", "--output", "executed.ipynb", converted],
                   env=env, cwd=tmp, capture_output=True, text=True, timeout=900)
check(r.returncode == 0, "jupyter nbconvert --execute runs it with the lebm kernel", r.stderr[-3000:])
executed = nbformat.read(os.path.join(tmp, "executed.ipynb"), as_version=4)
nbformat.validate(executed)
kinds = {o["output_type"] for c in executed.cells if c.cell_type == "code" for o in c.outputs}
check("stream" in kinds and "display_data" in kinds, "the executed notebook has streams and figures", kinds)

# lebm notebook -> .ipynb with outputs.
ran = os.path.join(tmp, "run.ipynb")
lebm_run("notebook", example, "-o", ran)
nb = nbformat.read(ran, as_version=4)
nbformat.validate(nb)
check(nb.nbformat == 4 and nb.nbformat_minor == 5 and all("id" in c for c in nb.cells),
      "lebm's .ipynb is nbformat 4.5 with cell ids and validates")
check(nb.metadata.kernelspec.name == "lebm" and nb.metadata.language_info.name == "lebm",
      "its metadata names the lebm kernel and language")
pngs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
        if o["output_type"] == "display_data" and "image/png" in o["data"]]
check(pngs, "its figures are inline PNGs")

# Round trip: .lebm -> .ipynb -> .lebm keeps every cell.
back = os.path.join(tmp, "back.lebm")
lebm_run("convert", ran, "-o", back)
again = os.path.join(tmp, "again.ipynb")
lebm_run("convert", back, "-o", again)
first = [(c.cell_type, c.metadata.get("title", ""), c.source) for c in nb.cells]
second = [(c.cell_type, c.metadata.get("title", ""), c.source) for c in nbformat.read(again, as_version=4).cells]
check(first == second, "the .lebm -> .ipynb -> .lebm round trip keeps every cell",
      [(a, b) for a, b in zip(first, second) if a != b][:2])
print("all checks passed")
