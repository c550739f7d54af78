#!/usr/bin/env python3
"""Build-time cost of array_expr! kernels: marginal release-build time per kernel.

Creates throwaway crates with 1, 10 and 50 realistic kernels (and the same counts of
hand-written ndarray `Zip` loops for comparison), builds their dependencies once, then times
`cargo build --release` after touching only the crate's own source. Prints a table; the
marginal cost per kernel is (t(50) - t(1)) / 49.

Usage: python3 tools/build_time.py [--runs 3]
"""
import os, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = "/tmp/ae-buildtime"
TARGET = os.path.join(WORK, "target")

TEMPLATES = [
    "fn affine{i}(x: f32[n, m], w: f32[m], b: f32[m]) -> f32[n, m] {{ let y = x * w + b; where(y > 0.0, y, 0.01 * y) }}",
    "fn triad{i}(a: f64[n], b: f64[n], s: f64) -> f64[n] {{ a + s * b }}",
    "fn dist{i}(x: f32[n], y: f32[n]) -> f32 {{ sum((x - y) * (x - y)) }}",
    "fn softmax{i}(x: f32[n, m]) -> f32[n, m] {{ let e = exp(x - max(x, axis = 1, keepdims)); e / sum(e, axis = 1, keepdims) }}",
    "fn standardize{i}(x: f64[n, m]) -> f64[n, m] {{ let mu = mean(x, axis = 0); let d = x - mu; d / sqrt(mean(d * d, axis = 0) + 1e-9) }}",
    "fn clipcast{i}(x: i32[n], s: f32) -> f32[n] {{ clip(x as f32 * s, -1.0, 1.0) }}",
    "fn chain{i}(x: f32[n]) -> f32[n] {{ sqrt(abs(x)) * exp(-x) + log1p(abs(x)) }}",
    "fn masks{i}(a: f32[n], b: f32[n]) -> bool[n] {{ (a > 0.5) & !(b < 0.25) | (a == b) }}",
    "fn outer{i}(x: f32[n], y: f32[m]) -> f32[n, m] {{ x[:, newaxis] * y + 1.0 }}",
    "fn colsum{i}(x: f32[n, m]) -> f32[m] {{ sum(x, axis = 0) }}",
]

NDARRAY_TEMPLATE = """
pub fn affine{i}(x: ndarray::ArrayView2<f32>, w: ndarray::ArrayView1<f32>, b: ndarray::ArrayView1<f32>, mut out: ndarray::ArrayViewMut2<f32>) {{
    ndarray::Zip::from(&mut out).and(&x).and_broadcast(&w).and_broadcast(&b).for_each(|o, &x, &w, &b| {{
        let y = x * w + b;
        *o = if y > 0.0 {{ y }} else {{ 0.01 * y }};
    }});
}}
"""


def write_crate(name, n, kind):
    path = os.path.join(WORK, name)
    os.makedirs(os.path.join(path, "src"), exist_ok=True)
    dep = f'array-expr = {{ path = "{ROOT}" }}' if kind == "ae" else 'ndarray = "0.17"'
    with open(os.path.join(path, "Cargo.toml"), "w") as f:
        f.write(f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n{dep}\n\n[workspace]\n')
    with open(os.path.join(path, "src", "lib.rs"), "w") as f:
        if kind == "ae":
            f.write("#![allow(dead_code)]\nuse array_expr::array_expr;\narray_expr! {\n")
            for i in range(n):
                f.write("    pub " + TEMPLATES[i % len(TEMPLATES)].format(i=i) + "\n")
            f.write("}\n")
        else:
            for i in range(n):
                f.write(NDARRAY_TEMPLATE.format(i=i))
    return path


def build(path, env):
    t = time.perf_counter()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=path, env=env, check=True)
    return time.perf_counter() - t


def main():
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    shutil.rmtree(WORK, ignore_errors=True)
    env = dict(os.environ, CARGO_TARGET_DIR=TARGET)
    # the workspace's own flags, so the dependency builds match
    env.setdefault("RUSTFLAGS", "-C target-cpu=x86-64-v3")
    rows = []
    for kind in ["ae", "nd"]:
        for n in [1, 10, 50]:
            path = write_crate(f"{kind}{n}", n, kind)
            build(path, env)  # dependencies
            times = []
            for _ in range(runs):
                os.utime(os.path.join(path, "src", "lib.rs"))
                times.append(build(path, env))
            rows.append((kind, n, statistics.median(times)))
    print(f"{'crate':<22} {'kernels':>8} {'release build (median)':>24}")
    for kind, n, t in rows:
        label = "array_expr! kernels" if kind == "ae" else "ndarray Zip loops"
        print(f"{label:<22} {n:>8} {t * 1e3:>21.0f} ms")
    for kind in ["ae", "nd"]:
        t = {n: s for k, n, s in rows if k == kind}
        label = "array_expr!" if kind == "ae" else "ndarray Zip"
        print(f"marginal cost per kernel, {label}: {(t[50] - t[1]) / 49 * 1e3:.1f} ms from 1 to 50, "
              f"{(t[50] - t[10]) / 40 * 1e3:.1f} ms from 10 to 50 (every template already seen)")


if __name__ == "__main__":
    main()
