//! GEMM throughput: this crate's `gemm` beside `matrixmultiply::{sgemm, dgemm}` called directly
//! on the same buffers, in one criterion group per shape and dtype so every comparison comes
//! from one run. `matmul` (which also allocates its C-order output) runs in the same group for
//! reference. Throughput is `Elements(2·m·n·k)`, so criterion's "elem/s" are flop/s.
//!
//! Run: `cargo bench --bench gemm -- --warm-up-time 1 --measurement-time 3`. Two more modes of
//! the same binary: `GEMM_PAIRED=1` prints call-by-call paired ratios (see `paired`), and
//! `GEMM_CALLGRIND=gemm|direct` runs a fixed workload for instruction counts (`callgrind_run`).

use array_expr::gemm::{gemm, matmul, GemmElement};
use array_expr::{Array, RandomElement};
use criterion::{criterion_group, Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The dtypes benchmarked, with their direct matrixmultiply entry point.
trait Float: GemmElement + RandomElement {
    const NAME: &'static str;
    const DIRECT: DirectGemm<Self>;
    fn of(v: f64) -> Self;
}

/// `sgemm` / `dgemm`'s signature.
type DirectGemm<T> = unsafe fn(
    usize,
    usize,
    usize,
    T,
    *const T,
    isize,
    isize,
    *const T,
    isize,
    isize,
    T,
    *mut T,
    isize,
    isize,
);

impl Float for f32 {
    const NAME: &'static str = "f32";
    const DIRECT: DirectGemm<f32> = matrixmultiply::sgemm;
    fn of(v: f64) -> Self {
        v as f32
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    const DIRECT: DirectGemm<f64> = matrixmultiply::dgemm;
    fn of(v: f64) -> Self {
        v
    }
}

/// One group: C = A·B with A `[m, k]`, B `[k, n]`, C `[m, n]`, all C order (`label` is
/// `m x k x n`). The two contenders alternate call by call: each iteration of the wrapper's
/// benchmark first runs the direct call untimed and then times the wrapper, and vice versa, so
/// both see the same machine state (caches, other processes on the shared cores).
fn bench_shape<T: Float>(c: &mut Criterion, label: &str, (m, k, n): (usize, usize, usize)) {
    let a = Array::<T, 2>::random_uniform([m, k], 1, T::of(-1.0), T::of(1.0));
    let b = Array::<T, 2>::random_uniform([k, n], 2, T::of(-1.0), T::of(1.0));
    let mut out = Array::<T, 2>::zeros([m, n]);
    let mut group = c.benchmark_group(format!("gemm/{}/{label}", T::NAME));
    group.throughput(Throughput::Elements(2 * (m * n * k) as u64));
    if m * n * k >= 512 * 512 * 512 {
        group.sample_size(10);
    }
    group.bench_function("array-expr gemm", |bench| {
        bench.iter_custom(|iters| {
            alternate(iters, &mut out, |o| via_direct(&a, &b, o), |o| via_gemm(&a, &b, o))
        })
    });
    group.bench_function("matrixmultiply direct", |bench| {
        bench.iter_custom(|iters| {
            alternate(iters, &mut out, |o| via_gemm(&a, &b, o), |o| via_direct(&a, &b, o))
        })
    });
    group.bench_function("array-expr matmul (allocates C)", |bench| {
        bench.iter(|| black_box(matmul(&a.view(), &b.view()).unwrap()))
    });
    group.finish();
}

/// Runs `other` then `timed` on `out`, `iters` times; returns the time spent in `timed` only.
fn alternate<O>(
    iters: u64,
    out: &mut O,
    mut other: impl FnMut(&mut O),
    mut timed: impl FnMut(&mut O),
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        other(out);
        let start = Instant::now();
        timed(out);
        total += start.elapsed();
    }
    total
}

/// `out = a·b` through this crate's `gemm`.
fn via_gemm<T: Float>(a: &Array<T, 2>, b: &Array<T, 2>, out: &mut Array<T, 2>) {
    gemm(T::ONE, &a.view(), &b.view(), T::ZERO, &mut out.view_mut()).unwrap();
    black_box(out);
}

/// `out = a·b` through matrixmultiply called directly on the arrays' buffers and strides.
fn via_direct<T: Float>(a: &Array<T, 2>, b: &Array<T, 2>, out: &mut Array<T, 2>) {
    let ([m, k], [_, n]) = (a.shape(), b.shape());
    let ([rsa, csa], [rsb, csb], [rsc, csc]) = (a.strides(), b.strides(), out.strides());
    let (pa, pb) = (a.as_slice_memory_order().as_ptr(), b.as_slice_memory_order().as_ptr());
    let pc = out.as_slice_memory_order_mut().as_mut_ptr();
    // SAFETY: every array here is made by `bench_shape` / `callgrind_run` in C order with shapes
    // [m, k], [k, n] and [m, n] (positive strides, so each buffer starts at its first element);
    // every i·rs + j·cs with in-range i, j therefore lands in its buffer; `out` is borrowed
    // mutably, so C is exclusive and aliases neither input.
    unsafe { T::DIRECT(m, k, n, T::ONE, pa, rsa, csa, pb, rsb, csb, T::ZERO, pc, rsc, csc) };
    black_box(out);
}

/// Instruction counting: with `GEMM_CALLGRIND=gemm` or `=direct` the binary makes 10 calls of
/// that kind on `GEMM_CALLGRIND_N`-square f32 matrices (default 256) and exits, for
/// `valgrind --tool=callgrind`; the difference of the two totals is the wrapper's cost.
fn callgrind_run(mode: &str) {
    let n = std::env::var("GEMM_CALLGRIND_N").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    let a = Array::<f32, 2>::random_uniform([n, n], 1, -1.0, 1.0);
    let b = Array::<f32, 2>::random_uniform([n, n], 2, -1.0, 1.0);
    let mut out = Array::<f32, 2>::zeros([n, n]);
    for _ in 0..10 {
        match mode {
            "gemm" => via_gemm(&a, &b, &mut out),
            _ => via_direct(&a, &b, &mut out),
        }
    }
}

/// The shapes (m, k, n): square 64..1024 and two tall-skinny ones.
const SHAPES: [(usize, usize, usize); 7] = [
    (64, 64, 64),
    (128, 128, 128),
    (256, 256, 256),
    (512, 512, 512),
    (1024, 1024, 1024),
    (100_000, 64, 64),
    (16_384, 256, 16),
];

/// Every shape, f32 and f64.
fn gemm_benches(c: &mut Criterion) {
    for (m, k, n) in SHAPES {
        bench_shape::<f32>(c, &format!("{m}x{k}x{n}"), (m, k, n));
        bench_shape::<f64>(c, &format!("{m}x{k}x{n}"), (m, k, n));
    }
}

/// Paired timing (`GEMM_PAIRED=1`): criterion measures each function over its own window of
/// seconds, so on a shared machine a burst of load can land on one side only. Here every round
/// times one wrapper call and one direct call back to back (order alternating), and the table
/// gives the median of the per-round time ratios, which such bursts barely move.
fn paired<T: Float>((m, k, n): (usize, usize, usize), budget: Duration) {
    let a = Array::<T, 2>::random_uniform([m, k], 1, T::of(-1.0), T::of(1.0));
    let b = Array::<T, 2>::random_uniform([k, n], 2, T::of(-1.0), T::of(1.0));
    let mut out = Array::<T, 2>::zeros([m, n]);
    let time = |f: fn(&Array<T, 2>, &Array<T, 2>, &mut Array<T, 2>), out: &mut Array<T, 2>| {
        let start = Instant::now();
        f(&a, &b, out);
        start.elapsed().as_secs_f64()
    };
    let (mut tg, mut td) = (Vec::new(), Vec::new());
    let start = Instant::now();
    for round in 0.. {
        if round >= 3 && (start.elapsed() > budget || round >= 1000) && tg.len() >= 15 {
            break;
        }
        let (g, d) = if round % 2 == 0 {
            let g = time(via_gemm, &mut out);
            (g, time(via_direct, &mut out))
        } else {
            let d = time(via_direct, &mut out);
            (time(via_gemm, &mut out), d)
        };
        if round >= 3 {
            tg.push(g);
            td.push(d);
        }
    }
    let mut ratios: Vec<f64> = tg.iter().zip(&td).map(|(g, d)| g / d).collect();
    let flop = 2.0 * (m * n * k) as f64;
    let (mg, md, mr) = (median(&mut tg), median(&mut td), median(&mut ratios));
    println!(
        "| {} | {m}x{k}x{n} | {} | {:.3e} | {:.3e} | {:.1} | {:.1} | {mr:.4} |",
        T::NAME,
        tg.len(),
        mg,
        md,
        flop / mg / 1e9,
        flop / md / 1e9
    );
}

/// The middle element (upper median) after sorting.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

criterion_group!(benches, gemm_benches);

fn main() {
    if let Ok(mode) = std::env::var("GEMM_CALLGRIND") {
        callgrind_run(&mode);
        return;
    }
    if std::env::var("GEMM_PAIRED").is_ok() {
        println!("| dtype | m x k x n | rounds | gemm median s | direct median s | gemm GFLOP/s | direct GFLOP/s | median gemm/direct |");
        println!("|---|---|---|---|---|---|---|---|");
        for shape in SHAPES {
            paired::<f32>(shape, Duration::from_secs(3));
            paired::<f64>(shape, Duration::from_secs(3));
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
