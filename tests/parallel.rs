//! Parallel execution: every reduction kind and accumulator is bit-identical for 1, 2, 3, 4
//! and 8 threads (and each parallel run really split), over C, F and strided layouts and over
//! shapes that split by outputs and by reduced range; elementwise passes (streaming stores
//! included) and GEMM give the same bits on any thread count; all against references.

use array_expr::parallel::{regions_started, with_threads};
use array_expr::{array_expr, Array, ArrayView, Order, Slice};
use std::fmt::Debug;

array_expr! {
    fn sum_d(x: f32[n, m]) -> f32 { sum(x) }
    fn sum_s(x: f32[n, m]) -> f32 { sum::<f32>(x) }
    fn mean_d(x: f32[n, m]) -> f32 { mean(x) }
    fn mean_s(x: f32[n, m]) -> f32 { mean::<f32>(x) }
    fn prod_d(x: f32[n, m]) -> f32 { prod(x) }
    fn prod_s(x: f32[n, m]) -> f32 { prod::<f32>(x) }
    fn min_all(x: f32[n, m]) -> f32 { min(x) }
    fn max_all(x: f32[n, m]) -> f32 { max(x) }
    fn argmin_all(x: f32[n, m]) -> i64 { argmin(x) }
    fn argmax_all(x: f32[n, m]) -> i64 { argmax(x) }
    fn any_all(x: f32[n, m], t: f32) -> bool { any(x > t) }
    fn all_all(x: f32[n, m], t: f32) -> bool { all(x < t) }
    fn fused_sum(x: f32[n, m]) -> f32 { sum(x * 2.0 - 1.0) }
    fn sum_f64(x: f64[n, m]) -> f64 { sum(x) }
    fn sum_i32(x: i32[n, m]) -> i64 { sum(x) }

    fn sum_d0(x: f32[n, m]) -> f32[m] { sum(x, axis = 0) }
    fn sum_s1(x: f32[n, m]) -> f32[n] { sum::<f32>(x, axis = 1) }
    fn mean_d1(x: f32[n, m]) -> f32[n] { mean(x, axis = 1) }
    fn mean_s0(x: f32[n, m]) -> f32[m] { mean::<f32>(x, axis = 0) }
    fn prod_d0(x: f32[n, m]) -> f32[m] { prod(x, axis = 0) }
    fn prod_s1(x: f32[n, m]) -> f32[n] { prod::<f32>(x, axis = 1) }
    fn min0(x: f32[n, m]) -> f32[m] { min(x, axis = 0) }
    fn max1(x: f32[n, m]) -> f32[n] { max(x, axis = 1) }
    fn argmin1(x: f32[n, m]) -> i64[n] { argmin(x, axis = 1) }
    fn argmax0(x: f32[n, m]) -> i64[m] { argmax(x, axis = 0) }
    fn any0(x: f32[n, m], t: f32) -> bool[m] { any(x > t, axis = 0) }
    fn all1(x: f32[n, m], t: f32) -> bool[n] { all(x < t, axis = 1) }

    fn isum0(x: i64[n, m]) -> i64[m] { sum(x, axis = 0) }
    fn isum_all(x: i64[n, m]) -> i64 { sum(x) }

    fn chain(x: f32[n, m], w: f32[m], b: f32[m]) -> f32[n, m] {
        let y = x * w + b;
        where(y > 0.0, exp(-y), 0.5 * y)
    }

    fn axpb(a: f32[n], b: f32[n], s: f32) -> f32[n] { a * s + b }
    fn outer(x: f32[n, 1], y: f32[m]) -> f32[n, m] { x * y }
    fn outer_bias64(x: f64[n], y: f64[m], b: f64[m]) -> f64[n, m] { x[:, newaxis] * y + b }
    fn outer_i32(x: i32[n], y: i32[m]) -> i32[n, m] { x[:, newaxis] * y - 3 }
    fn widen_i64(x: i32[n, m]) -> i64[n, m] { x as i64 * 3 - 1 }
    fn outer_gt(x: i32[n], y: i32[m]) -> bool[n, m] { x[:, newaxis] > y }

    fn add_into(mut acc: f32[n, m], y: f32[n, m]) { acc += 2.0 * y }
}

/// A value compared bit for bit.
trait Bits {
    fn bits(&self) -> Vec<u64>;
}
impl Bits for f32 {
    fn bits(&self) -> Vec<u64> {
        vec![u64::from(self.to_bits())]
    }
}
impl Bits for f64 {
    fn bits(&self) -> Vec<u64> {
        vec![self.to_bits()]
    }
}
impl Bits for i64 {
    fn bits(&self) -> Vec<u64> {
        vec![*self as u64]
    }
}
impl Bits for bool {
    fn bits(&self) -> Vec<u64> {
        vec![u64::from(*self)]
    }
}
impl<T: Bits + array_expr::Element, const D: usize> Bits for Array<T, D> {
    fn bits(&self) -> Vec<u64> {
        self.to_vec().iter().flat_map(Bits::bits).collect()
    }
}

/// Runs `f` single-threaded and with 2, 3, 4 and 8 threads; asserts that every multi-thread
/// run started a parallel region and gave the single-threaded bits. Returns that result.
fn same_on_all_threads<R: Bits + Debug>(what: &str, f: impl Fn() -> R) -> R {
    let before = regions_started().1;
    let one = with_threads(1, &f);
    assert_eq!(regions_started().1, before, "{what}: one thread started a region");
    for t in [2, 3, 4, 8] {
        let before = regions_started().1;
        let r = with_threads(t, &f);
        assert!(regions_started().1 > before, "{what}: {t} threads did not split");
        assert_eq!(r.bits(), one.bits(), "{what}: {t} threads");
    }
    one
}

/// The same logical-shape data as C order, F order, and a strided view with reversed columns.
struct Layouts {
    c: Array<f32, 2>,
    f: Array<f32, 2>,
    wide: Array<f32, 2>,
}

impl Layouts {
    fn new(shape: [usize; 2], seed: u64, low: f32, high: f32) -> Self {
        let c = Array::<f32, 2>::random_uniform(shape, seed, low, high);
        let f = c.view().to_owned_order(Order::F);
        let wide = Array::<f32, 2>::random_uniform([shape[0], 2 * shape[1]], seed + 1, low, high);
        Layouts { c, f, wide }
    }

    fn views(&self) -> Vec<(&'static str, ArrayView<'_, f32, 2>)> {
        let strided = self.wide.view().slice([Slice::full(), Slice::full().step_by(-2)]).unwrap();
        vec![("C", self.c.view()), ("F", self.f.view()), ("strided", strided)]
    }
}

/// Row-major values of a view with its shape.
fn rows(x: &ArrayView<'_, f32, 2>) -> (Vec<f32>, usize, usize) {
    let [n, m] = x.shape();
    (x.to_vec(), n, m)
}

fn first_index(v: &[f32], better: impl Fn(f32, f32) -> bool) -> i64 {
    let mut best = 0;
    for i in 1..v.len() {
        if better(v[i], v[best]) {
            best = i;
        }
    }
    best as i64
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!((got - want).abs() <= rel * want.abs().max(1.0), "{what}: {got} vs {want}");
}

#[test]
fn full_reductions_are_bit_identical_on_every_thread_count() {
    let data = Layouts::new([1024, 2048], 11, 0.999, 1.001);
    for (layout, x) in data.views() {
        let (v, _, _) = rows(&x);
        let exact: f64 = v.iter().map(|&a| f64::from(a)).sum();
        let what = |k: &str| format!("{k} over {layout}");
        close(f64::from(same_on_all_threads(&what("sum"), || sum_d(x).unwrap())), exact, 1e-6, layout);
        close(f64::from(same_on_all_threads(&what("sum::<f32>"), || sum_s(x).unwrap())), exact, 1e-5, layout);
        let n = v.len() as f64;
        close(f64::from(same_on_all_threads(&what("mean"), || mean_d(x).unwrap())), exact / n, 1e-6, layout);
        close(
            f64::from(same_on_all_threads(&what("mean::<f32>"), || mean_s(x).unwrap())),
            exact / n,
            1e-5,
            layout,
        );
        let log: f64 = v.iter().map(|&a| f64::from(a).ln()).sum();
        close(f64::from(same_on_all_threads(&what("prod"), || prod_d(x).unwrap())).ln(), log, 1e-5, layout);
        close(
            f64::from(same_on_all_threads(&what("prod::<f32>"), || prod_s(x).unwrap())).ln(),
            log,
            1e-3,
            layout,
        );
        let lo = v.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(same_on_all_threads(&what("min"), || min_all(x).unwrap()), lo);
        assert_eq!(same_on_all_threads(&what("max"), || max_all(x).unwrap()), hi);
        let (amin, amax) = (first_index(&v, |a, b| a < b), first_index(&v, |a, b| a > b));
        assert_eq!(same_on_all_threads(&what("argmin"), || argmin_all(x).unwrap()), amin);
        assert_eq!(same_on_all_threads(&what("argmax"), || argmax_all(x).unwrap()), amax);
        assert!(same_on_all_threads(&what("any"), || any_all(x, hi - 1e-6).unwrap()));
        assert!(!same_on_all_threads(&what("any (none)"), || any_all(x, hi).unwrap()));
        assert!(same_on_all_threads(&what("all"), || all_all(x, hi + 1.0).unwrap()));
        assert!(!same_on_all_threads(&what("all (one fails)"), || all_all(x, hi).unwrap()));
        let fused: f64 = v.iter().map(|&a| f64::from(a * 2.0 - 1.0)).sum();
        close(
            f64::from(same_on_all_threads(&what("fused sum"), || fused_sum(x).unwrap())),
            fused,
            1e-6,
            layout,
        );
    }
}

#[test]
fn other_dtypes_reduce_identically() {
    let x = Array::<f64, 2>::random_normal([700, 1500], 3, 0.0, 1e6);
    let exact: f64 = x.to_vec().iter().sum();
    close(same_on_all_threads("f64 sum", || sum_f64(&x).unwrap()), exact, 1e-12, "f64");
    let t = x.t();
    same_on_all_threads("f64 sum, transposed", || sum_f64(t).unwrap());
    let i = Array::<i32, 2>::from_fn([1000, 1100], |[a, b]| (a * 7919 + b * 104729) as i32 % 2001 - 1000);
    let want: i64 = i.to_vec().iter().map(|&v| i64::from(v)).sum();
    assert_eq!(same_on_all_threads("i32 sum", || sum_i32(&i).unwrap()), want);
}

#[test]
fn reduction_errors_surface_from_parallel_runs() {
    // every column overflows i64 after 5 rows; only some rows are large in the second matrix
    let big = Array::<i64, 2>::full([1024, 1024], i64::MAX / 4);
    let mixed =
        Array::<i64, 2>::from_fn([1024, 1024], |[i, j]| if i == 1000 && j > 500 { i64::MAX } else { 1 });
    for x in [&big, &mixed] {
        for t in [1, 2, 3, 8] {
            let e = with_threads(t, || isum0(x)).unwrap_err();
            assert_eq!(
                e.to_string(),
                "`sum` overflows `i64`; accumulate in a wider dtype, e.g. `sum` with `::<i64>` or a cast"
            );
            assert!(with_threads(t, || isum_all(x)).is_err());
        }
    }
    let ok = Array::<i64, 2>::full([1024, 1024], 3);
    assert_eq!(same_on_all_threads("i64 sum", || isum_all(&ok).unwrap()), 3 * 1024 * 1024);
}

/// Reference per-axis reduction of row-major `v` (`n x m`): the values of each output's lane.
fn lanes(v: &[f32], n: usize, m: usize, axis: usize) -> Vec<Vec<f32>> {
    match axis {
        0 => (0..m).map(|j| (0..n).map(|i| v[i * m + j]).collect()).collect(),
        _ => (0..n).map(|i| v[i * m..(i + 1) * m].to_vec()).collect(),
    }
}

fn check_axis_kernels(x: ArrayView<'_, f32, 2>, what: &str) {
    let (v, n, m) = rows(&x);
    let (l0, l1) = (lanes(&v, n, m, 0), lanes(&v, n, m, 1));
    let w = |k: &str| format!("{k} over {what}");
    let sum = |l: &Vec<f32>| l.iter().map(|&a| f64::from(a)).sum::<f64>();
    let got = same_on_all_threads(&w("sum axis 0"), || sum_d0(x).unwrap()).to_vec();
    got.iter().zip(&l0).for_each(|(g, l)| close(f64::from(*g), sum(l), 1e-6, what));
    let got = same_on_all_threads(&w("sum::<f32> axis 1"), || sum_s1(x).unwrap()).to_vec();
    got.iter().zip(&l1).for_each(|(g, l)| close(f64::from(*g), sum(l), 1e-5, what));
    let got = same_on_all_threads(&w("mean axis 1"), || mean_d1(x).unwrap()).to_vec();
    got.iter().zip(&l1).for_each(|(g, l)| close(f64::from(*g), sum(l) / m as f64, 1e-6, what));
    let got = same_on_all_threads(&w("mean::<f32> axis 0"), || mean_s0(x).unwrap()).to_vec();
    got.iter().zip(&l0).for_each(|(g, l)| close(f64::from(*g), sum(l) / n as f64, 1e-5, what));
    let log = |l: &Vec<f32>| l.iter().map(|&a| f64::from(a).ln()).sum::<f64>();
    let got = same_on_all_threads(&w("prod axis 0"), || prod_d0(x).unwrap()).to_vec();
    got.iter().zip(&l0).for_each(|(g, l)| close(f64::from(*g).ln(), log(l), 1e-5, what));
    let got = same_on_all_threads(&w("prod::<f32> axis 1"), || prod_s1(x).unwrap()).to_vec();
    got.iter().zip(&l1).for_each(|(g, l)| close(f64::from(*g).ln(), log(l), 1e-3, what));
    let mins: Vec<f32> = l0.iter().map(|l| l.iter().copied().fold(f32::INFINITY, f32::min)).collect();
    assert_eq!(same_on_all_threads(&w("min axis 0"), || min0(x).unwrap()).to_vec(), mins);
    let maxs: Vec<f32> = l1.iter().map(|l| l.iter().copied().fold(f32::NEG_INFINITY, f32::max)).collect();
    assert_eq!(same_on_all_threads(&w("max axis 1"), || max1(x).unwrap()).to_vec(), maxs);
    let am: Vec<i64> = l1.iter().map(|l| first_index(l, |a, b| a < b)).collect();
    assert_eq!(same_on_all_threads(&w("argmin axis 1"), || argmin1(x).unwrap()).to_vec(), am);
    let am: Vec<i64> = l0.iter().map(|l| first_index(l, |a, b| a > b)).collect();
    assert_eq!(same_on_all_threads(&w("argmax axis 0"), || argmax0(x).unwrap()).to_vec(), am);
    let t = 1.0009;
    let any: Vec<bool> = l0.iter().map(|l| l.iter().any(|&a| a > t)).collect();
    assert_eq!(same_on_all_threads(&w("any axis 0"), || any0(x, t).unwrap()).to_vec(), any);
    let all: Vec<bool> = l1.iter().map(|l| l.iter().all(|&a| a < t)).collect();
    assert_eq!(same_on_all_threads(&w("all axis 1"), || all1(x, t).unwrap()).to_vec(), all);
}

#[test]
fn axis_reductions_split_by_outputs() {
    let data = Layouts::new([2048, 1024], 21, 0.999, 1.001);
    for (layout, x) in data.views() {
        check_axis_kernels(x, &format!("2048x1024 {layout}"));
    }
}

#[test]
fn axis_reductions_split_long_lanes() {
    for shape in [[4, 1 << 19], [1 << 19, 4]] {
        let data = Layouts::new(shape, 31, 0.999, 1.001);
        for (layout, x) in data.views() {
            check_axis_kernels(x, &format!("{shape:?} {layout}"));
        }
    }
}

fn chain_ref(x: f32, w: f32, b: f32) -> f32 {
    let y = x * w + b;
    if y > 0.0 {
        (-y).exp()
    } else {
        0.5 * y
    }
}

#[test]
fn elementwise_passes_give_the_same_bits_on_every_thread_count() {
    let data = Layouts::new([1024, 2048], 41, -1.0, 1.0);
    let w = Array::<f32, 1>::random_uniform([2048], 42, 0.5, 1.5);
    let b = Array::<f32, 1>::random_uniform([2048], 43, -0.5, 0.5);
    for (layout, x) in data.views() {
        let got = same_on_all_threads(&format!("chain over {layout}"), || chain(x, &w, &b).unwrap());
        let (v, _, m) = rows(&x);
        let (wv, bv) = (w.to_vec(), b.to_vec());
        for (i, (g, xv)) in got.to_vec().iter().zip(&v).enumerate() {
            let want = chain_ref(*xv, wv[i % m], bv[i % m]);
            assert!(
                (g - want).abs() <= 4.0 * f32::EPSILON * want.abs().max(1e-30),
                "{layout} {i}: {g} vs {want}"
            );
        }
        // a strided (non-contiguous) output: computed in blocks and scattered, by several tasks
        let mut big = Array::<f32, 2>::zeros([1024, 4096]);
        let mut out = big.view_mut().slice([Slice::full(), Slice::full().step_by(2)]).unwrap();
        with_threads(4, || chain_into(x, &w, &b, &mut out).unwrap());
        assert_eq!(out.to_vec().bits(), got.to_vec().bits(), "strided output over {layout}");
    }
}

trait VecBits {
    fn bits(&self) -> Vec<u32>;
}
impl VecBits for Vec<f32> {
    fn bits(&self) -> Vec<u32> {
        self.iter().map(|v| v.to_bits()).collect()
    }
}

#[test]
fn streaming_stores_write_the_same_values() {
    // 2048 x 2048 f32 = 16 MiB of output: above the streaming threshold
    let x = Array::<f32, 2>::random_uniform([2048, 1], 51, -2.0, 2.0);
    let y = Array::<f32, 1>::random_uniform([2048], 52, -2.0, 2.0);
    let streamed = same_on_all_threads("outer product", || outer(&x, &y).unwrap());
    let (xv, yv) = (x.to_vec(), y.to_vec());
    let want: Vec<f32> = (0..2048 * 2048).map(|i| xv[i / 2048] * yv[i % 2048]).collect();
    assert_eq!(streamed.to_vec(), want);
    array_expr::driver::set_streaming_stores(false);
    let plain = with_threads(2, || outer(&x, &y).unwrap());
    array_expr::driver::set_streaming_stores(true);
    assert_eq!(plain.to_vec(), want);
}

#[test]
fn read_and_write_passes_stream_large_outputs_with_the_same_values() {
    // 9M + 3 f32 (36 MiB) of output, reading as much: above the read-and-write streaming
    // threshold; odd offsets put the first vector boundary anywhere
    let n = (9 << 20) + 3;
    let a = Array::<f32, 1>::random_uniform([n], 53, -2.0, 2.0);
    let b = Array::<f32, 1>::random_uniform([n], 54, -2.0, 2.0);
    let (av, bv) = (a.to_vec(), b.to_vec());
    let want: Vec<u32> = av.iter().zip(&bv).map(|(a, b)| (a * 1.5 + b).to_bits()).collect();
    for at in [0, 1, 5] {
        let mut buf = vec![0f32; n + at];
        axpb_into(&a, &b, 1.5, &mut buf[at..]).unwrap();
        let got: Vec<u32> = buf[at..].iter().map(|v| v.to_bits()).collect();
        assert!(got == want, "offset {at}: streamed values differ");
    }
    let streamed = same_on_all_threads("a * s + b", || axpb(&a, &b, 1.5).unwrap());
    assert!(streamed.to_vec().iter().map(|v| v.to_bits()).eq(want.iter().copied()));
}

/// The output of `f` written into a buffer at element offset `at`, as a C-order `[n, m]` view
/// with row stride `m + pad`: every row starts at another alignment when `m + pad` is odd.
fn written_at<T: array_expr::Element + Default>(
    at: usize,
    (n, m, pad): (usize, usize, usize),
    f: impl Fn(&mut array_expr::ArrayViewMut<'_, T, 2>),
) -> Vec<T> {
    let mut buf = vec![T::default(); at + n * (m + pad)];
    let mut view =
        array_expr::ArrayViewMut::from_shape_strides(&mut buf, [n, m], [(m + pad) as isize, 1], at).unwrap();
    f(&mut view);
    (0..n).flat_map(|i| buf[at + i * (m + pad)..][..m].to_vec()).collect()
}

#[test]
fn streaming_stores_hold_at_every_alignment_and_dtype() {
    // 1031 x 1029 elements (4 MiB of f32, 8 MiB of f64: at or above the streaming threshold),
    // written at every offset within a 32-byte vector, with contiguous rows and with rows
    // padded by one element (so consecutive rows start at different alignments); the
    // streamed result must equal the one with ordinary stores, element for element
    let (n, m) = (1031, 1029);
    let x = Array::<f64, 1>::random_uniform([n], 53, -2.0, 2.0);
    let y = Array::<f64, 1>::random_uniform([m], 54, -2.0, 2.0);
    let b = Array::<f64, 1>::random_uniform([m], 55, -1.0, 1.0);
    let (xv, yv, bv) = (x.to_vec(), y.to_vec(), b.to_vec());
    let want64: Vec<f64> = (0..n * m).map(|i| xv[i / m] * yv[i % m] + bv[i % m]).collect();
    let xi: Vec<i32> = (0..n as i32).map(|i| i % 97 - 48).collect();
    let yi: Vec<i32> = (0..m as i32).map(|j| j % 89 - 44).collect();
    let want_i: Vec<i32> = (0..n * m).map(|i| xi[i / m] * yi[i % m] - 3).collect();
    for stream in [true, false] {
        array_expr::driver::set_streaming_stores(stream);
        for pad in [0, 1] {
            for at in 0..4 {
                let got = written_at(at, (n, m, pad), |o| {
                    with_threads(2, || outer_bias64_into(&x, &y, &b, o)).unwrap()
                });
                assert!(got == want64, "f64 outer product, offset {at}, pad {pad}, streaming {stream}");
            }
            for at in 0..8 {
                let got = written_at(at, (n, m, pad), |o| outer_i32_into(&xi, &yi, o).unwrap());
                assert!(got == want_i, "i32 outer product, offset {at}, pad {pad}, streaming {stream}");
            }
        }
    }
    array_expr::driver::set_streaming_stores(true);
}

#[test]
fn scalar_loops_stream_at_every_alignment() {
    // passes without a vector loop stage 64 elements at a time and copy them out with
    // streaming stores: a cast to i64 (8 MiB written, half as much read: write-mostly) and a
    // boolean outer comparison (4 MiB), at every offset within a vector and with padded rows,
    // with and without streaming, on one and two threads
    let (n, m) = (1031, 1029);
    let x = Array::<i32, 2>::from_fn([n, m], |[i, j]| ((i * 37 + j * 11) % 2001) as i32 - 1000);
    let xv = x.to_vec();
    let want: Vec<i64> = xv.iter().map(|&v| v as i64 * 3 - 1).collect();
    let (gn, gm) = (2053, 2047);
    let a: Vec<i32> = (0..gn as i32).map(|i| i % 101 - 50).collect();
    let b: Vec<i32> = (0..gm as i32).map(|j| j % 103 - 51).collect();
    let want_gt: Vec<bool> = (0..gn * gm).map(|i| a[i / gm] > b[i % gm]).collect();
    for stream in [true, false] {
        array_expr::driver::set_streaming_stores(stream);
        for threads in [1, 2] {
            for pad in [0, 1] {
                for at in 0..4 {
                    let got = written_at(at, (n, m, pad), |o| {
                        with_threads(threads, || widen_i64_into(&x, o)).unwrap()
                    });
                    assert!(
                        got == want,
                        "i32 -> i64, offset {at}, pad {pad}, {threads} threads, streaming {stream}"
                    );
                }
                for at in [0, 1, 7, 31] {
                    let got = written_at(at, (gn, gm, pad), |o| {
                        with_threads(threads, || outer_gt_into(&a, &b, o)).unwrap()
                    });
                    assert!(
                        got == want_gt,
                        "bool outer, offset {at}, pad {pad}, {threads} threads, streaming {stream}"
                    );
                }
            }
        }
    }
    array_expr::driver::set_streaming_stores(true);
}

#[test]
fn in_place_updates_split_too() {
    let y = Array::<f32, 2>::random_uniform([1024, 1536], 61, -1.0, 1.0);
    let start = Array::<f32, 2>::random_uniform([1024, 1536], 62, -1.0, 1.0);
    let want: Vec<f32> = start.to_vec().iter().zip(y.to_vec()).map(|(a, b)| a + 2.0 * b).collect();
    same_on_all_threads("x += 2 y", || {
        let mut acc = start.clone();
        add_into(&mut acc, &y).unwrap();
        assert_eq!(acc.to_vec(), want);
        acc
    });
}

#[test]
fn gemm_gives_the_same_bits_on_every_thread_count() {
    use array_expr::gemm::{gemm, matmul};
    let a = Array::<f32, 2>::random_uniform([512, 300], 71, -1.0, 1.0);
    let b = Array::<f32, 2>::random_uniform([300, 700], 72, -1.0, 1.0);
    let p = same_on_all_threads("sgemm (split columns)", || matmul(&a.view(), &b.view()).unwrap());
    let (av, bv, pv) = (a.to_vec(), b.to_vec(), p.to_vec());
    for (i, j) in [(0, 0), (511, 699), (200, 31), (33, 650)] {
        let want: f64 = (0..300).map(|k| f64::from(av[i * 300 + k]) * f64::from(bv[k * 700 + j])).sum();
        close(f64::from(pv[i * 700 + j]), want, 1e-5, "sgemm element");
    }
    let at = a.view().to_owned_order(Order::F);
    let pt = same_on_all_threads("sgemm bᵀ·aᵀ (split rows)", || matmul(&b.t(), &at.t()).unwrap());
    assert_eq!(pt.t().to_vec().bits(), p.to_vec().bits());
    let a = Array::<f64, 2>::random_uniform([900, 200], 73, -1.0, 1.0);
    let b = Array::<f64, 2>::random_uniform([200, 300], 74, -1.0, 1.0);
    let c0 = Array::<f64, 2>::random_uniform([900, 300], 75, -1.0, 1.0);
    same_on_all_threads("dgemm with beta", || {
        let mut c = c0.clone();
        gemm(0.5, &a.view(), &b.view(), 2.0, &mut c.view_mut()).unwrap();
        c
    });
    let a = Array::<i32, 2>::from_fn([600, 500], |[i, j]| ((i * 31 + j * 17) % 13) as i32 - 6);
    let b = Array::<i32, 2>::from_fn([500, 400], |[i, j]| ((i * 7 + j * 3) % 11) as i32 - 5);
    let p = same_on_all_threads("integer gemm", || {
        let m = matmul(&a.view(), &b.view()).unwrap();
        Array::<i64, 2>::from_fn(m.shape(), |ix| i64::from(*m.get(ix).unwrap()))
    });
    let want: i64 =
        (0..500).map(|k| i64::from(a.to_vec()[7 * 500 + k]) * i64::from(b.to_vec()[k * 400 + 9])).sum();
    assert_eq!(*p.get([7, 9]).unwrap(), want);
}

#[test]
fn small_arrays_stay_on_the_calling_thread() {
    let x = Array::<f32, 2>::random_uniform([10, 100], 81, -1.0, 1.0);
    let (w, b) = (vec![1.0f32; 100], vec![0.0f32; 100]);
    let before = regions_started().1;
    with_threads(8, || {
        chain(&x, &w, &b).unwrap();
        sum_d(&x).unwrap();
        array_expr::gemm::matmul(&x.view(), &x.t()).unwrap();
    });
    assert_eq!(regions_started().1, before);
    // 64K elements: a plain outer product (8 bytes each) stays inline; the chain with its `exp`
    // (a transcendental counts as 32 bytes of work) splits
    let x = Array::<f32, 2>::random_uniform([64, 1024], 82, -1.0, 1.0);
    let (w, b) = (vec![1.0f32; 1024], vec![0.0f32; 1024]);
    let col = Array::<f32, 2>::random_uniform([64, 1], 83, -1.0, 1.0);
    with_threads(8, || outer(&col, &w).unwrap());
    assert_eq!(regions_started().1, before);
    with_threads(8, || chain(&x, &w, &b).unwrap());
    assert_eq!(regions_started().1, before + 1);
}
