//! Kernels benchmark: vector math through `map::map` vs a scalar `std` loop vs a plain copy
//! (memory speed), and reductions vs naive loops vs a pure read pass (STREAM-read-like), on 16M
//! f32 (64 MiB per array, far larger than the cache).
//!
//! Run: `cargo bench --bench kernels -- --warm-up-time 1 --measurement-time 3`
//! (figures and the machine in BENCHMARKS.md, section "SIMD kernels").
//!
//! `KERNELS_PAIRED=1 cargo bench --bench kernels` instead times each kernel and its reference
//! (the copy, or the read pass) call by call, alternating, and prints the median of the
//! per-round time ratios: on a shared machine whose load changes from second to second, that
//! ratio is far steadier than two criterion medians taken seconds apart.

use array_expr_kernels::{map::map, math, reduce, FloatMath, SimdElem};
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

const N: usize = 16 << 20;
type V = <f32 as SimdElem>::V;

/// SplitMix64 values in `[lo, hi)`.
fn data(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            let u = ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32;
            lo + (hi - lo) * u
        })
        .collect()
}

/// `out[i] = f(x[i])` one vector at a time with ordinary stores, tail by partial load/store: the
/// plain loop, to compare with `map` (streaming stores for large outputs).
#[inline(always)]
fn map_vec(x: &[f32], out: &mut [f32], f: impl Fn(V) -> V) {
    let mut i = 0;
    while i < x.len() {
        f32::store(f(f32::load(&x[i..])), &mut out[i..]);
        i += f32::LANES;
    }
}

type VecFn = fn(V) -> V;
type StdFn = fn(f32) -> f32;

fn math_benches(c: &mut Criterion) {
    let funcs: [(&str, f32, f32, VecFn, StdFn); 16] = [
        ("exp", -10.0, 10.0, math::exp, f32::exp),
        ("sqrt", 0.0, 100.0, math::sqrt, f32::sqrt),
        ("ln", 1e-3, 100.0, math::ln, f32::ln),
        ("log1p", -0.5, 10.0, math::log1p, f32::ln_1p),
        ("tanh", -5.0, 5.0, math::tanh, f32::tanh),
        ("sigmoid", -10.0, 10.0, math::sigmoid, |x| 1.0 / (1.0 + (-x).exp())),
        ("exp2", -10.0, 10.0, math::exp2, f32::exp2),
        ("expm1", -5.0, 5.0, math::expm1, f32::exp_m1),
        ("log2", 1e-3, 100.0, math::log2, f32::log2),
        ("log10", 1e-3, 100.0, math::log10, f32::log10),
        ("sin", -100.0, 100.0, math::sin, f32::sin),
        ("cos", -100.0, 100.0, math::cos, f32::cos),
        ("tan", -1.5, 1.5, math::tan, f32::tan),
        ("sinh", -10.0, 10.0, math::sinh, f32::sinh),
        ("cosh", -10.0, 10.0, math::cosh, f32::cosh),
        ("pow2.5", 0.1, 10.0, |x| math::pow(x, V::splat(2.5)), |x| x.powf(2.5)),
    ];
    let mut out = vec![0f32; N];
    for (name, lo, hi, vf, sf) in funcs {
        let x = data(N, lo, hi, 1);
        let mut g = c.benchmark_group(format!("math/{name}"));
        g.throughput(Throughput::Elements(N as u64)).sample_size(10);
        g.bench_function("copy", |b| b.iter(|| out.copy_from_slice(black_box(&x))));
        if name == "exp" || name == "sqrt" {
            // The same load/store loop with no math: what a plain (read-for-ownership) store
            // costs against memcpy's streaming stores; and `map` with no math.
            g.bench_function("copy_loop", |b| b.iter(|| map_vec(black_box(&x), &mut out, |v| v)));
            g.bench_function("copy_map", |b| b.iter(|| map(black_box(&x), &mut out, |v| v)));
            g.bench_function("ours_plain", |b| b.iter(|| map_vec(black_box(&x), &mut out, vf)));
        }
        g.bench_function("ours", |b| b.iter(|| map(black_box(&x), &mut out, vf)));
        g.bench_function("std_loop", |b| {
            b.iter(|| out.iter_mut().zip(black_box(&x)).for_each(|(o, &v)| *o = sf(v)))
        });
        match name {
            "exp" => g.bench_function("wide", |b| b.iter(|| map(black_box(&x), &mut out, |v| v.exp()))),
            "log1p" => g.bench_function("wide", |b| b.iter(|| map(black_box(&x), &mut out, |v| v.ln_1p()))),
            "ln" => g.bench_function("wide", |b| b.iter(|| map(black_box(&x), &mut out, |v| v.ln()))),
            "tanh" => g.bench_function("wide", |b| b.iter(|| map(black_box(&x), &mut out, |v| v.tanh()))),
            _ => &mut g,
        };
        g.finish();
    }
    // The same kernels on 4096 elements (16 KiB, L1-resident): compute throughput without the
    // memory system, where the cost of the math itself shows.
    let x = data(4096, 0.01, 9.0, 4);
    let mut small = vec![0f32; x.len()];
    let mut g = c.benchmark_group("math_l1");
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("copy_loop", |b| b.iter(|| map(black_box(&x), &mut small, |v| v)));
    for (name, ours, theirs) in [
        ("exp", math::exp as VecFn, (|v: V| v.exp()) as VecFn),
        ("ln", math::ln, |v| v.ln()),
        ("log1p", math::log1p, |v| v.ln_1p()),
        ("tanh", math::tanh, |v| v.tanh()),
        ("sigmoid", math::sigmoid, |v| V::splat(1.0) / (V::splat(1.0) + (-v).exp())),
        ("sqrt", math::sqrt, |v| v.sqrt()),
    ] {
        g.bench_function(format!("{name}/ours"), |b| b.iter(|| map(black_box(&x), &mut small, ours)));
        g.bench_function(format!("{name}/wide"), |b| b.iter(|| map(black_box(&x), &mut small, theirs)));
    }
    g.finish();
    // A three-function chain (exp * sqrt * log1p) in one pass vs the copy.
    let x = data(N, 0.0, 5.0, 2);
    let mut g = c.benchmark_group("math/chain_exp_sqrt_log1p");
    g.throughput(Throughput::Elements(N as u64)).sample_size(10);
    g.bench_function("copy", |b| b.iter(|| out.copy_from_slice(black_box(&x))));
    g.bench_function("ours", |b| {
        b.iter(|| map(black_box(&x), &mut out, |v| FloatMath::exp(v) * math::sqrt(v) * math::log1p(v)))
    });
    g.finish();
}

/// Pure read pass: XOR of the bits (vectorizes, no FP ordering), the STREAM-read reference.
fn read_pass(x: &[f32]) -> u32 {
    x.iter().fold(0u32, |a, v| a ^ v.to_bits())
}

fn reduce_benches(c: &mut Criterion) {
    let x = data(N, -1.0, 1.0, 3);
    let mut g = c.benchmark_group("reduce");
    g.throughput(Throughput::Elements(N as u64)).sample_size(10);
    g.bench_function("read_pass", |b| b.iter(|| read_pass(black_box(&x))));
    g.bench_function("sum/naive_f32", |b| b.iter(|| black_box(&x).iter().fold(0f32, |s, &v| s + v)));
    g.bench_function("sum/naive_f64", |b| b.iter(|| black_box(&x).iter().fold(0f64, |s, &v| s + v as f64)));
    g.bench_function("sum/pairwise", |b| b.iter(|| reduce::sum(black_box(&x))));
    g.bench_function("sum/kbn", |b| b.iter(|| reduce::sum_kbn(black_box(&x))));
    g.bench_function("sum/f64_acc", |b| b.iter(|| reduce::sum_f64(black_box(&x))));
    g.bench_function("max/naive", |b| b.iter(|| black_box(&x).iter().fold(f32::MIN, |m, &v| m.max(v))));
    g.bench_function("max/ours", |b| b.iter(|| reduce::max(black_box(&x))));
    g.bench_function("argmax/naive", |b| {
        b.iter(|| {
            let mut best = (f32::MIN, 0);
            for (i, &v) in black_box(&x).iter().enumerate() {
                if v > best.0 {
                    best = (v, i);
                }
            }
            best.1
        })
    });
    g.bench_function("argmax/ours", |b| b.iter(|| reduce::argmax(black_box(&x))));
    g.bench_function("mean/ours", |b| b.iter(|| reduce::mean(black_box(&x))));
    g.finish();

    let mut g = c.benchmark_group("reduce_rows");
    g.throughput(Throughput::Elements(N as u64)).sample_size(10);
    for ncols in [64usize, 1024] {
        let nrows = N / ncols;
        let mut out = vec![0f32; nrows];
        g.bench_with_input(BenchmarkId::new("read_pass", ncols), &ncols, |b, _| {
            b.iter(|| read_pass(black_box(&x)))
        });
        g.bench_with_input(BenchmarkId::new("sum_rows", ncols), &ncols, |b, _| {
            b.iter(|| reduce::sum_rows(black_box(&x), nrows, ncols, ncols, &mut out))
        });
        g.bench_with_input(BenchmarkId::new("per_row_pairwise", ncols), &ncols, |b, _| {
            b.iter(|| out.iter_mut().zip(x.chunks(ncols)).for_each(|(o, r)| *o = reduce::sum(r)))
        });
        g.bench_with_input(BenchmarkId::new("per_row_naive", ncols), &ncols, |b, _| {
            b.iter(|| out.iter_mut().zip(x.chunks(ncols)).for_each(|(o, r)| *o = r.iter().sum()))
        });
        let mut cols = vec![0f32; ncols];
        g.bench_with_input(BenchmarkId::new("sum_cols", ncols), &ncols, |b, _| {
            b.iter(|| reduce::sum_cols(black_box(&x), nrows, ncols, ncols, &mut cols))
        });
        // The plain loop `out += row` row after row (vectorizes across columns; sequential
        // order per column, so no reassociation is needed).
        g.bench_with_input(BenchmarkId::new("cols_naive", ncols), &ncols, |b, _| {
            b.iter(|| {
                cols.fill(0.0);
                for row in black_box(&x).chunks_exact(ncols) {
                    cols.iter_mut().zip(row).for_each(|(o, &v)| *o += v);
                }
            })
        });
    }
    g.finish();
}

/// Nanoseconds of one call of `f`.
fn time(f: &mut dyn FnMut()) -> f64 {
    let t = std::time::Instant::now();
    f();
    t.elapsed().as_nanos() as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `rounds` rounds of (reference, kernel) calls, the order alternating; prints the medians and
/// the median per-round ratio kernel / reference as a markdown row.
fn paired(name: &str, rounds: usize, reference: &mut dyn FnMut(), kernel: &mut dyn FnMut()) {
    let (mut tr, mut tk, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds + 2 {
        let (r, k) = if round % 2 == 0 {
            let r = time(reference);
            (r, time(kernel))
        } else {
            let k = time(kernel);
            (time(reference), k)
        };
        if round >= 2 {
            tr.push(r);
            tk.push(k);
            ratio.push(k / r);
        }
    }
    let ms = |v: Vec<f64>| median(v) / 1e6;
    println!("| {name} | {:.2} | {:.2} | {:.2} |", ms(tr), ms(tk), median(ratio));
}

/// The paired table: math through `map` against the copy, reductions against the read pass.
fn paired_all() {
    const ROUNDS: usize = 25;
    println!("| kernel | reference median ms | kernel median ms | median ratio kernel/reference |");
    println!("| --- | --- | --- | --- |");
    let mut out = vec![0f32; N];
    let funcs: [(&str, f32, f32, VecFn); 7] = [
        ("exp", -10.0, 10.0, math::exp),
        ("sqrt", 0.0, 100.0, math::sqrt),
        ("ln", 1e-3, 100.0, math::ln),
        ("log1p", -0.5, 10.0, math::log1p),
        ("tanh", -5.0, 5.0, math::tanh),
        ("sigmoid", -10.0, 10.0, math::sigmoid),
        ("exp*sqrt*log1p", 0.0, 5.0, |v| FloatMath::exp(v) * math::sqrt(v) * math::log1p(v)),
    ];
    let mut copy = vec![0f32; N];
    for (name, lo, hi, f) in funcs {
        let x = data(N, lo, hi, 1);
        let mut reference = || black_box(&mut copy).copy_from_slice(black_box(&x));
        paired(&format!("{name} vs copy"), ROUNDS, &mut reference, &mut || {
            map(black_box(&x), black_box(&mut out), f)
        });
    }
    let x = data(N, -1.0, 1.0, 3);
    let mut reference = || {
        black_box(read_pass(black_box(&x)));
    };
    paired(
        "map identity vs copy",
        ROUNDS,
        &mut || black_box(&mut copy).copy_from_slice(black_box(&x)),
        &mut || map(black_box(&x), black_box(&mut out), |v| v),
    );
    type SumFn<'a> = &'a dyn Fn(&[f32]) -> f64;
    let sums: [(&str, SumFn); 4] = [
        ("sum pairwise", &|x| reduce::sum(x) as f64),
        ("sum kbn", &|x| reduce::sum_kbn(x) as f64),
        ("sum f64 accumulator", &|x| reduce::sum_f64(x)),
        ("sum naive f32 loop", &|x| x.iter().fold(0f32, |s, &v| s + v) as f64),
    ];
    for (name, f) in sums {
        paired(&format!("{name} vs read"), ROUNDS, &mut reference, &mut || {
            black_box(f(black_box(&x)));
        });
    }
    for ncols in [64usize, 1024] {
        let nrows = N / ncols;
        let (mut rows, mut cols) = (vec![0f32; nrows], vec![0f32; ncols]);
        paired(&format!("sum_rows {nrows}x{ncols} vs read"), ROUNDS, &mut reference, &mut || {
            reduce::sum_rows(black_box(&x), nrows, ncols, ncols, &mut rows)
        });
        paired(&format!("sum_cols {nrows}x{ncols} vs read"), ROUNDS, &mut reference, &mut || {
            reduce::sum_cols(black_box(&x), nrows, ncols, ncols, &mut cols)
        });
    }
}

criterion_group!(benches, math_benches, reduce_benches);

fn main() {
    if std::env::var_os("KERNELS_PAIRED").is_some() {
        println!("wide backend: {}", array_expr_kernels::simd_level());
        paired_all();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
