//! Parallel execution, streaming stores and counters, each comparison inside one run:
//! - `chain`: a compute-bound fused chain (exp, sin, tanh) on 4M f32, 1 vs 2 threads;
//! - `triad`: `a + s·b` on 16M f32, 1 vs 2 threads, against a hand-written 2-thread triad over
//!   slices (the machine's 2-thread triad bandwidth);
//! - `outer`: a write-only broadcast (outer product, 4096 x 4096 f32), streaming on/off, 1 vs 2;
//! - `gemm`: 1024³ f32, 1 vs 2 threads;
//! - `small`: 1e3 elements with a budget of 1 and of 2 (they must not differ: no split);
//! - `counters`: a 1M-element kernel with counters on and off.
//!
//! Run: `cargo bench --bench parallel -- --warm-up-time 1 --measurement-time 3`; paired
//! ratios (steadier under load): `PARALLEL_PAIRED=1 cargo bench --bench parallel`; instruction
//! counts: see `callgrind` below.

use array_expr::diagnostics::set_counters_enabled;
use array_expr::driver::set_streaming_stores;
use array_expr::parallel::with_threads;
use array_expr::{array_expr, Array};
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use std::hint::black_box;

array_expr! {
    fn chain(x: f32[n]) -> f32[n] {
        exp(-x * x) * sin(3.0 * x) + tanh(x)
    }

    fn triad(a: f32[n], b: f32[n], s: f32) -> f32[n] {
        a + s * b
    }

    fn outer(x: f32[n, 1], y: f32[m]) -> f32[n, m] {
        x * y
    }
}

fn data(n: usize, seed: u64) -> Array<f32, 1> {
    Array::<f32, 1>::random_uniform([n], seed, -1.0, 1.0)
}

fn chain_bench(c: &mut Criterion) {
    let n = 4 << 20;
    let x = data(n, 1);
    let mut out = Array::<f32, 1>::zeros([n]);
    let mut g = c.benchmark_group("parallel/chain");
    g.throughput(Throughput::Bytes((n * 8) as u64));
    for t in [1, 2] {
        g.bench_function(BenchmarkId::new("threads", t), |bch| {
            bch.iter(|| with_threads(t, || chain_into(black_box(&x), &mut out).unwrap()))
        });
    }
    g.finish();
}

/// The 2-thread triad over plain slices: two halves, one per rayon task.
fn hand_triad(a: &[f32], b: &[f32], s: f32, out: &mut [f32]) {
    let half = out.len().div_ceil(2);
    out.par_chunks_mut(half).enumerate().for_each(|(k, o)| {
        let (a, b) = (&a[k * half..], &b[k * half..]);
        for i in 0..o.len() {
            o[i] = a[i] + s * b[i];
        }
    });
}

fn triad_bench(c: &mut Criterion) {
    let n = 16 << 20;
    let (a, b) = (data(n, 2), data(n, 3));
    let mut out = Array::<f32, 1>::zeros([n]);
    let mut g = c.benchmark_group("parallel/triad");
    g.throughput(Throughput::Bytes((n * 12) as u64));
    g.sample_size(20);
    for t in [1, 2] {
        g.bench_function(BenchmarkId::new("ours", format!("{t}t")), |bch| {
            bch.iter(|| with_threads(t, || triad_into(&a, &b, black_box(1.5), &mut out).unwrap()));
        });
    }
    let (sa, sb) = (a.as_slice_memory_order(), b.as_slice_memory_order());
    g.bench_function(BenchmarkId::new("hand", "2t"), |bch| {
        bch.iter(|| hand_triad(sa, sb, black_box(1.5), out.as_slice_memory_order_mut()))
    });
    g.finish();
}

fn outer_bench(c: &mut Criterion) {
    let (n, m) = (4096, 4096);
    let x = Array::<f32, 2>::random_uniform([n, 1], 4, -1.0, 1.0);
    let y = data(m, 5);
    let mut out = Array::<f32, 2>::zeros([n, m]);
    let mut g = c.benchmark_group("parallel/outer");
    g.throughput(Throughput::Bytes((n * m * 4) as u64));
    g.sample_size(20);
    for (t, stream) in [(1, false), (1, true), (2, false), (2, true)] {
        let id = format!("{t}t-{}", if stream { "stream" } else { "plain" });
        g.bench_function(BenchmarkId::new("ours", id), |bch| {
            set_streaming_stores(stream);
            bch.iter(|| with_threads(t, || outer_into(&x, black_box(&y), &mut out).unwrap()));
            set_streaming_stores(true);
        });
    }
    g.finish();
}

fn gemm_bench(c: &mut Criterion) {
    let n = 1024;
    let a = Array::<f32, 2>::random_uniform([n, n], 6, -1.0, 1.0);
    let b = Array::<f32, 2>::random_uniform([n, n], 7, -1.0, 1.0);
    let mut out = Array::<f32, 2>::zeros([n, n]);
    let mut g = c.benchmark_group("parallel/gemm1024");
    g.throughput(Throughput::Elements((2 * n * n * n) as u64));
    g.sample_size(10);
    for t in [1, 2] {
        g.bench_function(BenchmarkId::new("threads", t), |bch| {
            bch.iter(|| {
                with_threads(t, || {
                    array_expr::gemm::matmul_into(&a.view(), &b.view(), &mut out.view_mut()).unwrap()
                })
            })
        });
    }
    g.finish();
}

fn small_bench(c: &mut Criterion) {
    let n = 1000;
    let (a, b) = (data(n, 8), data(n, 9));
    let mut out = Array::<f32, 1>::zeros([n]);
    let mut g = c.benchmark_group("parallel/small1e3");
    g.throughput(Throughput::Bytes((n * 12) as u64));
    for t in [1, 2] {
        g.bench_function(BenchmarkId::new("triad", t), |bch| {
            bch.iter(|| with_threads(t, || triad_into(&a, black_box(&b), 1.5, &mut out).unwrap()))
        });
        g.bench_function(BenchmarkId::new("chain", t), |bch| {
            bch.iter(|| with_threads(t, || chain_into(black_box(&a), &mut out).unwrap()))
        });
    }
    g.finish();
}

fn counters_bench(c: &mut Criterion) {
    let n = 1 << 20;
    let (a, b) = (data(n, 10), data(n, 11));
    let mut out = Array::<f32, 1>::zeros([n]);
    let mut g = c.benchmark_group("parallel/counters1M");
    g.throughput(Throughput::Bytes((n * 12) as u64));
    for on in [true, false] {
        g.bench_function(BenchmarkId::new("triad", if on { "on" } else { "off" }), |bch| {
            set_counters_enabled(on);
            bch.iter(|| with_threads(1, || triad_into(&a, black_box(&b), 1.5, &mut out).unwrap()));
            set_counters_enabled(true);
        });
    }
    g.finish();
}

criterion_group!(benches, chain_bench, triad_bench, outer_bench, gemm_bench, small_bench, counters_bench);

/// Fixed work for instruction counts (`valgrind --tool=callgrind`), chosen by
/// `PARALLEL_CALLGRIND`: `counters-on` / `counters-off` (10 triads of 1M elements),
/// `small-1` / `small-2` (1000 triads of 1e3 elements with a budget of 1 / 2 threads).
fn callgrind(mode: &str) {
    let big = mode.starts_with("counters");
    let n = if big { 1 << 20 } else { 1000 };
    let (a, b) = (data(n, 12), data(n, 13));
    let mut out = Array::<f32, 1>::zeros([n]);
    set_counters_enabled(mode != "counters-off");
    let threads = if mode == "small-2" { 2 } else { 1 };
    for _ in 0..if big { 10 } else { 1000 } {
        with_threads(threads, || triad_into(&a, black_box(&b), 1.5, &mut out).unwrap());
    }
    println!("{mode}: {}", out.as_slice_memory_order()[n / 2]);
}

/// Times `a` and `b` alternately (which goes first alternates too) for up to 3 s, and prints
/// both medians and the median of the per-round ratios `time(a) / time(b)`: under a shifting
/// machine load, a ratio of neighbours is steadier than two separate criterion windows.
fn paired(name: &str, mut a: impl FnMut(), mut b: impl FnMut()) {
    use std::time::Instant;
    // `PARALLEL_PAIRED=<text>` runs only the comparisons whose name contains it
    let filter = std::env::var("PARALLEL_PAIRED").unwrap_or_default();
    if filter != "1" && !name.contains(&filter) {
        return;
    }
    let time = |f: &mut dyn FnMut()| {
        let s = Instant::now();
        f();
        s.elapsed().as_secs_f64()
    };
    let (mut ta, mut tb, mut r) = (Vec::new(), Vec::new(), Vec::new());
    let start = Instant::now();
    for round in 0..1000 {
        if round >= 15 && start.elapsed().as_secs_f64() > 3.0 {
            break;
        }
        let (x, y) = if round % 2 == 0 {
            let x = time(&mut a);
            (x, time(&mut b))
        } else {
            let y = time(&mut b);
            (time(&mut a), y)
        };
        if round >= 3 {
            ta.push(x);
            tb.push(y);
            r.push(x / y);
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(|p, q| p.total_cmp(q));
        v[v.len() / 2]
    };
    let n = r.len();
    let (ma, mb, mr) = (med(&mut ta), med(&mut tb), med(&mut r));
    println!("{name:<44} rounds {n:>4}  a {:>9.3} ms  b {:>9.3} ms  a/b {mr:.3}", ma * 1e3, mb * 1e3);
}

/// The paired comparisons (`PARALLEL_PAIRED=1`); "a/b" is the time ratio.
fn paired_all() {
    let t = |n: usize, f: &mut dyn FnMut()| with_threads(n, f);
    let n = 4 << 20;
    let x = data(n, 1);
    let mut o1 = Array::<f32, 1>::zeros([n]);
    let mut o2 = Array::<f32, 1>::zeros([n]);
    paired(
        "chain 4M: 1 thread / 2 threads",
        || t(1, &mut || chain_into(&x, &mut o1).unwrap()),
        || t(2, &mut || chain_into(&x, &mut o2).unwrap()),
    );
    let n = 16 << 20;
    let (a, b) = (data(n, 2), data(n, 3));
    let mut out = Array::<f32, 1>::zeros([n]);
    let mut tri = |threads: usize, stream: bool| {
        set_streaming_stores(stream);
        t(threads, &mut || triad_into(&a, &b, 1.5, &mut out).unwrap());
        set_streaming_stores(true);
    };
    let cell = std::cell::RefCell::new(&mut tri);
    let run = |th: usize, st: bool| (cell.borrow_mut())(th, st);
    // the triad reads twice what it writes: it never streams (see driver docs), so the
    // streaming flag makes no difference here
    paired("triad 16M: 1 thread / 2 threads", || run(1, true), || run(2, true));
    let mut hand_out = vec![0.0f32; n];
    let (sa, sb) = (a.as_slice_memory_order(), b.as_slice_memory_order());
    paired("triad 16M 2 threads: ours / hand", || run(2, true), || hand_triad(sa, sb, 1.5, &mut hand_out));
    let (rows, cols) = (4096, 4096);
    let xc = Array::<f32, 2>::random_uniform([rows, 1], 4, -1.0, 1.0);
    let y = data(cols, 5);
    let mut prod = Array::<f32, 2>::zeros([rows, cols]);
    let mut outer_run = |threads: usize, stream: bool| {
        set_streaming_stores(stream);
        t(threads, &mut || outer_into(&xc, &y, &mut prod).unwrap());
        set_streaming_stores(true);
    };
    let cell = std::cell::RefCell::new(&mut outer_run);
    let run = |th: usize, st: bool| (cell.borrow_mut())(th, st);
    paired("outer 4096^2 1 thread: stream / plain", || run(1, true), || run(1, false));
    paired("outer 4096^2 2 threads: stream / plain", || run(2, true), || run(2, false));
    paired("outer 4096^2 stream: 1 thread / 2 threads", || run(1, true), || run(2, true));
    paired(
        "outer 4096^2 2 threads stream / hand triad",
        || run(2, true),
        || hand_triad(sa, sb, 1.5, &mut hand_out),
    );
    let g = 1024;
    let ga = Array::<f32, 2>::random_uniform([g, g], 6, -1.0, 1.0);
    let gb = Array::<f32, 2>::random_uniform([g, g], 7, -1.0, 1.0);
    let mut gc = Array::<f32, 2>::zeros([g, g]);
    let gemm_cell = std::cell::RefCell::new(&mut gc);
    let gemm = |th: usize| {
        let mut c = gemm_cell.borrow_mut();
        t(th, &mut || array_expr::gemm::matmul_into(&ga.view(), &gb.view(), &mut c.view_mut()).unwrap());
    };
    paired("gemm 1024^3: 1 thread / 2 threads", || gemm(1), || gemm(2));
    let small = 1000;
    let (sa1, sb1) = (data(small, 8), data(small, 9));
    let mut so = Array::<f32, 1>::zeros([small]);
    let so_cell = std::cell::RefCell::new(&mut so);
    let many = |th: usize, heavy: bool| {
        let mut o = so_cell.borrow_mut();
        for _ in 0..1000 {
            if heavy {
                t(th, &mut || chain_into(&sa1, &mut **o).unwrap());
            } else {
                t(th, &mut || triad_into(&sa1, &sb1, 1.5, &mut **o).unwrap());
            }
        }
    };
    paired("1000 x triad 1e3: 1 thread / 2 threads", || many(1, false), || many(2, false));
    paired("1000 x chain 1e3: 1 thread / 2 threads", || many(1, true), || many(2, true));
    let m = 1 << 20;
    let (ca, cb) = (data(m, 10), data(m, 11));
    let mut co = Array::<f32, 1>::zeros([m]);
    let co_cell = std::cell::RefCell::new(&mut co);
    let counted = |on: bool| {
        set_counters_enabled(on);
        t(1, &mut || triad_into(&ca, &cb, 1.5, &mut **co_cell.borrow_mut()).unwrap());
        set_counters_enabled(true);
    };
    paired("triad 1M 1 thread: counters on / off", || counted(true), || counted(false));
}

fn main() {
    if let Ok(mode) = std::env::var("PARALLEL_CALLGRIND") {
        callgrind(&mode);
        return;
    }
    if std::env::var_os("PARALLEL_PAIRED").is_some() {
        paired_all();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
