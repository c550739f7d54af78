#!/usr/bin/env python3
"""NumPy's side of examples/numpy_interop.rs: NumPy writes the inputs, the Rust example runs its
row softmax on them, NumPy reads the results and checks them against its own softmax.

Cases: float32 and float64, C and Fortran order, plus inputs the example must reject with a
message (an int32 file, a 3-D file, a file that is not .npy): those must fail with exit code 1
and an `error:` line, never a panic (exit code 101).

Usage: python3 examples/numpy_interop_check.py [extra `cargo run` arguments, e.g. --release]
Exits non-zero on any mismatch; the last line is `numpy_interop_check: N passed, M failed`.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import numpy as np
except ImportError:
    print("numpy_interop_check: numpy is not installed (python3 -m pip install numpy)", file=sys.stderr)
    sys.exit(2)

ROOT = Path(__file__).resolve().parent.parent
TOL = {np.float32: dict(rtol=2e-6, atol=1e-9), np.float64: dict(rtol=1e-13, atol=1e-300)}


def example(cargo_args, *args):
    cmd = ["cargo", "run", "--quiet", *cargo_args, "--example", "numpy_interop", "--", *map(str, args)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def check_case(d, cargo_args, dtype, order):
    name = f"{np.dtype(dtype).name} {order} order"
    rng = np.random.default_rng(0)
    x = np.array(rng.uniform(-40, 40, (300, 37)), dtype=dtype, order=order)
    src, dst = d / f"x_{name.replace(' ', '_')}.npy", d / f"y_{name.replace(' ', '_')}.npy"
    np.save(src, x)
    run = example(cargo_args, src, dst)
    if run.returncode != 0:
        return [f"{name}: the example failed ({run.returncode}): {run.stderr.strip()}"]
    y = np.load(dst)
    if y.dtype != x.dtype or y.shape != x.shape:
        return [f"{name}: got {y.dtype} {y.shape}, expected {x.dtype} {x.shape}"]
    try:
        np.testing.assert_allclose(y, softmax(x), **TOL[dtype])
    except AssertionError as e:
        return [f"{name}: values differ from NumPy's softmax: {e}"]
    return []


def check_rejected(d, cargo_args, name, write):
    path = d / f"bad_{name}.npy"
    write(path)
    run = example(cargo_args, path, d / "never_written.npy")
    if run.returncode != 1 or "error:" not in run.stderr or "panicked" in run.stderr:
        return [f"rejects {name}: exit {run.returncode}, stderr {run.stderr.strip()!r}"]
    return []


def main():
    cargo_args = sys.argv[1:]
    build = subprocess.run(["cargo", "build", "--quiet", *cargo_args, "--example", "numpy_interop"], cwd=ROOT)
    if build.returncode != 0:
        print("numpy_interop_check: the example does not build")
        return 1
    d = Path(tempfile.mkdtemp(prefix="array_expr_numpy_interop_"))
    try:
        results = [check_case(d, cargo_args, t, o) for t in (np.float32, np.float64) for o in "CF"]
        results.append(check_rejected(d, cargo_args, "int32", lambda p: np.save(p, np.arange(6, dtype=np.int32).reshape(2, 3))))
        results.append(check_rejected(d, cargo_args, "rank3", lambda p: np.save(p, np.zeros((2, 2, 2), np.float32))))
        results.append(check_rejected(d, cargo_args, "notnpy", lambda p: p.write_bytes(b"not an array\n")))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    for problems in results:
        for p in problems:
            print("numpy_interop_check: FAIL", p)
    failed = sum(1 for r in results if r)
    print(f"numpy {np.__version__}: numpy_interop_check: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
