#!/usr/bin/env python3
"""Checks `.npy` interop with NumPy itself, both ways.

1. NumPy writes `np_*.npy` files for every dtype, C and F order, ranks 0 to 4 (including
   zero-size dims) and format versions 1.0, 2.0 and 3.0, plus special float values and
   `bad_<kind>_*.npy` files the Rust reader must reject with that error kind.
2. The ignored Rust test `numpy_interop` (tests/npy.rs) reads them, checks dtype, shape, order
   and values, and writes `rs_*.npy` files: the same arrays in the same order, and (`_S_`)
   reversed along axis 0 from a strided view.
3. NumPy reads the Rust files and checks dtype, shape, `fortran_order` and values, and that the
   bytes equal what `np.save` writes for the same array.

Usage: python3 .ci/numpy_check.py [extra `cargo test` arguments, e.g. --release]
Exits non-zero on any mismatch; the last line is `numpy_check: N passed, M failed`.
"""

import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import numpy as np
except ImportError:
    print("numpy_check: numpy is not installed (python3 -m pip install numpy)", file=sys.stderr)
    sys.exit(2)

ROOT = Path(__file__).resolve().parent.parent

DTYPES = {
    "bool": "|b1",
    "i8": "|i1",
    "i16": "<i2",
    "i32": "<i4",
    "i64": "<i8",
    "u8": "|u1",
    "u16": "<u2",
    "u32": "<u4",
    "u64": "<u8",
    "f32": "<f4",
    "f64": "<f8",
}
SHAPES = [(), (0,), (5,), (3, 4), (1, 4), (4, 1), (2, 0, 3), (2, 3, 4), (2, 3, 2, 3)]
# extra files in other format versions: (dtype, order, shape, version)
VERSIONED = [("f64", "C", (3, 4), (2, 0)), ("i16", "F", (2, 3), (3, 0)), ("bool", "F", (3, 2), (2, 0))]


def expected(dtype, shape):
    """The values tests/npy.rs `Sample::sample` gives, in C order: element i is f(i)."""
    n = int(np.prod(shape, dtype=np.int64))
    i = np.arange(n, dtype=np.int64)
    if dtype == "bool":
        values = i % 3 == 0
    elif dtype.startswith("f"):
        values = (i * 0.25 - 7.5).astype(DTYPES[dtype])
    else:
        values = (i * 37 + 11).astype(DTYPES[dtype])  # wraps like Rust's `as`
    return values.reshape(shape)


def in_order(a, order):
    return np.array(a, order=order, copy=True)


def shape_name(shape):
    return "scalar" if not shape else "x".join(str(d) for d in shape)


def specials(dtype):
    info = np.finfo(DTYPES[dtype])
    tiny = 1e-45 if dtype == "f32" else 5e-324
    return np.array([np.nan, np.inf, -np.inf, -0.0, tiny, info.max, info.min], dtype=DTYPES[dtype])


def save_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def header_of(path):
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(f)
        return np.lib.format.read_array_header_2_0(f)


def write_numpy_files(d):
    """Step 1; returns the specs `{dtype}_{order}_{shape}[_{tag}]` Rust must answer."""
    specs = []
    for dtype in DTYPES:
        for shape in SHAPES:
            for order in "CF":
                spec = f"{dtype}_{order}_{shape_name(shape)}"
                np.save(d / f"np_{spec}.npy", in_order(expected(dtype, shape), order))
                specs.append((spec, dtype, order, shape))
    for dtype, order, shape, version in VERSIONED:
        spec = f"{dtype}_{order}_{shape_name(shape)}_v{version[0]}"
        with open(d / f"np_{spec}.npy", "wb") as f:
            np.lib.format.write_array(f, in_order(expected(dtype, shape), order), version=version)
        specs.append((spec, dtype, order, shape))
    for dtype in ("f32", "f64"):
        np.save(d / f"special_{dtype}.npy", specials(dtype))
    bad = {
        "dtype_bigendian": np.arange(3, dtype=">f8"),
        "dtype_complex": np.arange(3, dtype=np.complex128),
        "dtype_structured": np.zeros(3, dtype=[("a", "<f8")]),
        "dtype_f32": np.arange(3, dtype=np.float32),
        "shape_rank2": np.zeros((2, 2)),
        "format_truncated": np.arange(10, dtype=np.float64),
    }
    for name, a in bad.items():
        np.save(d / f"bad_{name}.npy", a)
    with open(d / "bad_format_truncated.npy", "r+b") as f:
        f.truncate(os.path.getsize(d / "bad_format_truncated.npy") - 3)
    (d / "bad_format_notnpy.npy").write_bytes(b"PK\x03\x04 this is a zip file, not an array\n")
    return specs


def run_rust(d, cargo_args):
    """Step 2: the ignored Rust test, pointed at the directory."""
    cmd = ["cargo", "test", *cargo_args, "--test", "npy", "numpy_interop", "--", "--ignored", "--exact"]
    print("numpy_check: running", " ".join(cmd), flush=True)
    env = dict(os.environ, NPY_CHECK_DIR=str(d))
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode == 0


def check_rust_file(path, want, fortran):
    """Step 3 for one file; returns a list of problems (empty when it matches)."""
    if not path.exists():
        return [f"{path.name}: missing (the Rust side did not write it)"]
    problems = []
    got = np.load(path)
    if got.dtype != want.dtype:
        problems.append(f"{path.name}: dtype {got.dtype}, expected {want.dtype}")
    if got.shape != want.shape:
        problems.append(f"{path.name}: shape {got.shape}, expected {want.shape}")
    elif not np.array_equal(got, want):
        problems.append(f"{path.name}: values differ")
    header_shape, header_fortran, _ = header_of(path)
    if header_fortran != fortran or header_shape != want.shape:
        problems.append(f"{path.name}: header says shape {header_shape} fortran_order {header_fortran}")
    if fortran and not got.flags.f_contiguous:
        problems.append(f"{path.name}: NumPy did not load it as F-contiguous")
    layout = in_order(want, "F" if fortran else "C")  # (np.ascontiguousarray makes 0-d 1-d)
    if path.read_bytes() != save_bytes(layout):
        problems.append(f"{path.name}: bytes differ from np.save of the same array")
    return problems


def check_rust_files(d, specs):
    results = []
    for spec, dtype, order, shape in specs:
        rest = spec[len(dtype) + 3 :]
        want = expected(dtype, shape)
        laid_out = in_order(want, order)
        fortran = order == "F" and not laid_out.flags.c_contiguous
        results.append(check_rust_file(d / f"rs_{dtype}_{order}_{rest}.npy", want, fortran))
        if shape:
            rev = np.ascontiguousarray(want[::-1])
            results.append(check_rust_file(d / f"rs_{dtype}_S_{rest}.npy", rev, False))
    for dtype in ("f32", "f64"):
        path = d / f"rs_special_{dtype}.npy"
        want = specials(dtype)
        uint = want.dtype.str.replace("f", "u")
        if not path.exists():
            results.append([f"{path.name}: missing"])
        elif not np.array_equal(np.load(path).view(uint), want.view(uint)):
            results.append([f"{path.name}: bits differ from {want}"])
        else:
            results.append([])
    return results


def main():
    d = Path(tempfile.mkdtemp(prefix="array_expr_numpy_check_"))
    try:
        specs = write_numpy_files(d)
        rust_ok = run_rust(d, sys.argv[1:])
        results = [[] if rust_ok else ["Rust test numpy_interop failed (reading NumPy's files)"]]
        results += check_rust_files(d, specs)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    failed = [p for r in results if r for p in r]
    for problem in failed:
        print("numpy_check: FAIL", problem)
    n_failed = sum(1 for r in results if r)
    print(f"numpy {np.__version__}: {len(specs)} NumPy files read by Rust, {len(results) - 1} Rust files checked")
    print(f"numpy_check: {len(results) - n_failed} passed, {n_failed} failed")
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
