//! Shared setup for the fusion benchmarks: data, the STREAM probes, criterion settings, result
//! checks. The hand-written fused loops live in `hand`, the NumPy-style evaluation in `unfused`.
//!
//! Every group measures `ours` (an `array_expr!` kernel) beside its comparisons and a
//! `stream_triad` probe (and, for reductions, `stream_read`) timed in the same group, so
//! `tools/bench_table.py` can report each case as a share of the bandwidth measured moments
//! before it. Throughput is `Bytes`: what the case reads plus what it writes, counted once each
//! (the STREAM convention: the read-for-ownership of a normal store is not counted).
#![allow(dead_code)] // each bench binary uses a different subset

pub(crate) mod hand;
pub(crate) mod unfused;

use array_expr::{ArrayView, ArrayViewMut, Order};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;

/// Elements of the large 1-D cases: 16M f32 = 64 MiB per array, far larger than any cache.
pub(crate) const N: usize = 16 << 20;
/// Side of the large square cases: 4096 x 4096 = 16M elements.
pub(crate) const SIDE: usize = 4096;
/// Bytes of one f32.
pub(crate) const F32: u64 = 4;

/// Criterion settings for these benches: short warm-up and measurement, 10 samples. Command-line
/// flags (`--warm-up-time`, `--measurement-time`) still override them.
pub(crate) fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
        .without_plots()
}

/// A group for one expression family: flat sampling (every sample runs the same number of
/// iterations, so a 100 ms case does not need 55 iterations), 10 samples.
///
/// Sets the process-wide thread budget to 1: the targets are single-threaded and every
/// comparison (hand loops, ndarray, `matrixmultiply`) runs on one thread, so `ours` does too.
/// Cases named `ours_2threads` opt back in with `with_threads(2, ..)`. (`ARRAY_EXPR_NUM_THREADS`
/// would override this; do not set it for these benches.)
pub(crate) fn group<'a>(c: &'a mut Criterion, family: &str) -> BenchmarkGroup<'a, WallTime> {
    array_expr::parallel::set_num_threads(1);
    let mut g = c.benchmark_group(format!("fusion/{family}"));
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    g
}

/// Times `f` as benchmark `id` of `g`, with `bytes` of memory traffic per call.
pub(crate) fn bench<O>(g: &mut BenchmarkGroup<'_, WallTime>, id: &str, bytes: u64, f: impl FnMut() -> O) {
    bench_as(g, id, Throughput::Bytes(bytes), f);
}

/// Times `f` as benchmark `id` of `g` with any throughput (GEMM counts flops as elements).
pub(crate) fn bench_as<O>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    t: Throughput,
    mut f: impl FnMut() -> O,
) {
    g.throughput(t);
    g.bench_function(id, |b| b.iter(|| black_box(f())));
}

/// Elementwise traffic: `arrays` arrays of `n` f32 each (inputs plus outputs).
pub(crate) fn bytes_f32(arrays: u64, n: usize) -> u64 {
    arrays * n as u64 * F32
}

/// SplitMix64 values in `[lo, hi)`, deterministic for a seed.
pub(crate) fn uniform(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    (0..n).map(|i| lo + (hi - lo) * unit(seed, i as u64)).collect()
}

/// SplitMix64 integers in `[lo, hi)`.
pub(crate) fn uniform_i32(n: usize, lo: i32, hi: i32, seed: u64) -> Vec<i32> {
    let span = (hi as i64 - lo as i64) as f64;
    (0..n).map(|i| lo + (unit(seed, i as u64) as f64 * span) as i32).collect()
}

/// Element `i` of the stream for `seed`, in `[0, 1)` with 24 random bits.
fn unit(seed: u64, i: u64) -> f32 {
    let mut z = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(i.wrapping_mul(0x6a09_e667_f3bc_c909));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
}

/// The STREAM probes: three 16M f32 arrays, allocated and first touched once per bench binary.
pub(crate) struct Probe {
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
}

impl Probe {
    /// Allocates and fills the probe's arrays (page faults happen here, not in the timed loop).
    pub(crate) fn new() -> Self {
        Probe { a: vec![0.0; N], b: uniform(N, -1.0, 1.0, 101), c: uniform(N, -1.0, 1.0, 102) }
    }

    /// Adds `stream_triad` (`a = b + 3 c` over slices; 12 bytes per element) to `g`.
    pub(crate) fn triad(&mut self, g: &mut BenchmarkGroup<'_, WallTime>) {
        let Probe { a, b, c } = self;
        bench(g, "stream_triad", bytes_f32(3, N), || hand::triad(a, b, c, 3.0));
    }

    /// Adds `stream_read` (XOR of every element's bits; 4 bytes per element) to `g`: the
    /// read-bandwidth reference for reductions.
    pub(crate) fn read(&mut self, g: &mut BenchmarkGroup<'_, WallTime>) {
        let b = &self.b;
        bench(g, "stream_read", bytes_f32(1, N), || read_pass(b));
    }

    /// Adds the write-bandwidth ceilings to `g` (4 bytes per element, 64 MiB): `write_plain`
    /// fills `a` with ordinary vector stores (each line read for ownership first) and
    /// `write_nontemporal` copies a 32 KiB L1-resident buffer over it with streaming stores
    /// (no read for ownership). A write-only pass cannot beat the better of the two.
    pub(crate) fn write(&mut self, g: &mut BenchmarkGroup<'_, WallTime>) {
        let a = &mut self.a;
        bench(g, "write_plain", bytes_f32(1, N), || write_plain(a, 1.5));
        let src = vec![2.5f32; 8192];
        let a = &mut self.a;
        bench(g, "write_nontemporal", bytes_f32(1, N), || {
            for chunk in a.chunks_mut(src.len()) {
                array_expr::__private::kernels::mem::copy_nontemporal(chunk, &src);
            }
        });
    }
}

/// Fills `a` with `v` through ordinary stores (black-boxed so it stays a vector loop, not a
/// `memset` call whose large-size path may use streaming stores itself).
pub(crate) fn write_plain(a: &mut [f32], v: f32) {
    let v = black_box(v);
    for x in a.iter_mut() {
        *x = v;
    }
}

/// A pure read pass: XOR of the bits (vectorizes, no floating-point ordering).
pub(crate) fn read_pass(x: &[f32]) -> u32 {
    black_box(x).iter().fold(0u32, |acc, v| acc ^ v.to_bits())
}

/// Panics unless `got` matches `want` within `tol` relative error (`|g - w| <= tol * max(1, |w|)`).
/// Run once per comparison, outside the timed loop, so a wrong kernel cannot look fast.
pub(crate) fn assert_close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let (mut worst, mut at) = (0.0f32, 0);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = if g == w { 0.0 } else { (g - w).abs() / w.abs().max(1.0) };
        if err > worst || err.is_nan() {
            (worst, at) = (if err.is_nan() { f32::INFINITY } else { err }, i);
        }
    }
    assert!(
        worst <= tol,
        "{what}: element {at} is {} but the hand loop gives {} (rel. error {worst:e})",
        got[at],
        want[at]
    );
}

/// Like [`assert_close`] for one scalar result.
pub(crate) fn assert_close_scalar(what: &str, got: f64, want: f64, tol: f64) {
    let err = (got - want).abs() / want.abs().max(1.0);
    assert!(err <= tol, "{what}: got {got}, the hand loop gives {want} (rel. error {err:e})");
}

/// A C-order `[n, m]` view of `data` for the kernels.
pub(crate) fn view2(data: &[f32], n: usize, m: usize) -> ArrayView<'_, f32, 2> {
    ArrayView::from_shape([n, m], data, Order::C).expect("the data holds n * m elements")
}

/// A mutable C-order `[n, m]` view of `data` for the kernels' `_into` forms.
pub(crate) fn view2_mut(data: &mut [f32], n: usize, m: usize) -> ArrayViewMut<'_, f32, 2> {
    ArrayViewMut::from_shape([n, m], data, Order::C).expect("the data holds n * m elements")
}

/// A C-order `[n, m]` ndarray view of `data`.
pub(crate) fn nd2(data: &[f32], n: usize, m: usize) -> ndarray::ArrayView2<'_, f32> {
    ndarray::ArrayView2::from_shape((n, m), data).expect("the data holds n * m elements")
}

/// A mutable C-order `[n, m]` ndarray view of `data`.
pub(crate) fn nd2_mut(data: &mut [f32], n: usize, m: usize) -> ndarray::ArrayViewMut2<'_, f32> {
    ndarray::ArrayViewMut2::from_shape((n, m), data).expect("the data holds n * m elements")
}
