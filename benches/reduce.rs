//! Fusion benchmarks, reductions (single thread): the fused sum of squared differences over 16M
//! f32, row sums of short rows (262144 x 64, and 4194304 x 4: a row per 16 bytes) and column
//! sums (4096 x 4096 and 262144 x 64) of C-order matrices.
//!
//! Each group has the STREAM triad and read probes (`stream_read` is the reference for the
//! targets: >= 90% of read bandwidth for full and column reductions, >= 75% for short rows).
//! The hand loops accumulate in `f64`, as the kernels do by default. A single reduction is one
//! NumPy operation with no temporary, so only the squared differences have an `unfused` case.
//!
//! Run: `cargo bench --features ndarray --bench reduce`, then `python3 tools/bench_table.py`.

mod support;

use array_expr::array_expr;
use array_expr::parallel::with_threads;
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::{Axis, Zip};
use support::{assert_close, assert_close_scalar, bench, bytes_f32, hand, nd2, uniform, Probe, N, SIDE};

array_expr! {
    /// Sum of squared differences: one pass, no temporary.
    fn ssd(x: f32[n], y: f32[n]) -> f32 {
        sum((x - y) * (x - y))
    }

    /// Sum of every row.
    fn row_sums(x: f32[n, m]) -> f32[n] {
        sum(x, axis = 1)
    }

    /// Sum of every column.
    fn col_sums(x: f32[n, m]) -> f32[m] {
        sum(x, axis = 0)
    }
}

/// f32 results of f64 sums agree to the f32 rounding. ndarray sums in f32 and drifts more: about
/// 1e-5 over rows and columns here, 1.6e-3 over the 16M squared differences.
const TOL: f32 = 1e-6;
const TOL_F32_ACC: f32 = 1e-4;
const TOL_F32_ACC_FULL: f64 = 1e-2;

fn ssd_group(c: &mut Criterion, p: &mut Probe) {
    let (x, y) = (uniform(N, -1.0, 1.0, 31), uniform(N, -1.0, 1.0, 32));
    let want = hand::ssd(&x, &y);
    assert_close_scalar("ssd ours", ssd(&x, &y).unwrap() as f64, want, TOL as f64);
    let (xv, yv) = (ndarray::ArrayView1::from(&x), ndarray::ArrayView1::from(&y));
    let ops = || {
        let d = &xv - &yv;
        (&d * &d).sum()
    };
    assert_close_scalar("ssd ndarray_ops", ops() as f64, want, TOL_F32_ACC_FULL);
    // NumPy: d = x - y; d2 = d * d; d2.sum() (a vectorized pairwise sum, here the kernels crate's)
    let unf = || {
        let d = support::unfused::map2(&x, &y, |x, y| x - y);
        array_expr_kernels::reduce::sum_f64(&support::unfused::map2(&d, &d, |a, b| a * b))
    };
    assert_close_scalar("ssd unfused", unf(), want, TOL as f64);
    let zip = || Zip::from(&xv).and(&yv).fold(0.0f64, |acc, &x, &y| acc + ((x - y) * (x - y)) as f64);
    assert_close_scalar("ssd ndarray_zip", zip(), want, TOL as f64);

    let bytes = bytes_f32(2, N);
    let mut g = support::group(c, "sum_sq_diff");
    p.triad(&mut g);
    p.read(&mut g);
    bench(&mut g, "ours", bytes, || ssd(&x, &y).unwrap());
    bench(&mut g, "hand", bytes, || hand::ssd(&x, &y));
    bench(&mut g, "unfused", bytes, unf);
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, zip);
    g.finish();
}

fn rows_group(c: &mut Criterion, p: &mut Probe, n: usize, m: usize) {
    let x = uniform(n * m, -1.0, 1.0, 33);
    let (mut want, mut out) = (vec![0.0; n], vec![0.0; n]);
    hand::row_sums(&mut want, &x, m);
    let ours = |o: &mut Vec<f32>| row_sums_into(support::view2(&x, n, m), o);
    ours(&mut out).unwrap();
    assert_close("row sums ours", &out, &want, TOL);
    let xv = nd2(&x, n, m);
    let ops = || xv.sum_axis(Axis(1));
    assert_close("row sums ndarray_ops", ops().as_slice().unwrap(), &want, TOL_F32_ACC);
    let zip = |o: &mut [f32]| {
        Zip::from(ndarray::ArrayViewMut1::from(o)).and(xv.rows()).for_each(|o, r| *o = r.sum())
    };
    zip(&mut out);
    assert_close("row sums ndarray_zip", &out, &want, TOL_F32_ACC);

    let bytes = bytes_f32(1, n * m) + bytes_f32(1, n);
    let mut g = support::group(c, &format!("row_sums_{n}x{m}"));
    p.triad(&mut g);
    p.read(&mut g);
    bench(&mut g, "ours", bytes, || ours(&mut out).unwrap());
    bench(&mut g, "hand", bytes, || hand::row_sums(&mut out, &x, m));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

fn cols_group(c: &mut Criterion, p: &mut Probe, n: usize, m: usize) {
    let x = uniform(n * m, -1.0, 1.0, 34);
    let (mut want, mut out, mut acc) = (vec![0.0; m], vec![0.0; m], vec![0.0f64; m]);
    hand::col_sums(&mut want, &mut acc, &x);
    let ours = |o: &mut Vec<f32>| col_sums_into(support::view2(&x, n, m), o);
    ours(&mut out).unwrap();
    assert_close("col sums ours", &out, &want, TOL);
    let xv = nd2(&x, n, m);
    let ops = || xv.sum_axis(Axis(0));
    assert_close("col sums ndarray_ops", ops().as_slice().unwrap(), &want, TOL_F32_ACC);
    let zip = |o: &mut [f32]| {
        let mut o = ndarray::ArrayViewMut1::from(o);
        o.fill(0.0);
        for row in xv.rows() {
            Zip::from(&mut o).and(&row).for_each(|o, &x| *o += x);
        }
    };
    zip(&mut out);
    assert_close("col sums ndarray_zip", &out, &want, TOL_F32_ACC);

    let bytes = bytes_f32(1, n * m) + bytes_f32(1, m);
    let mut g = support::group(c, &format!("col_sums_{n}x{m}"));
    p.triad(&mut g);
    p.read(&mut g);
    bench(&mut g, "ours", bytes, || ours(&mut out).unwrap());
    // the same pass split over two threads (the split policy of vertical reductions)
    bench(&mut g, "ours_2threads", bytes, || with_threads(2, || ours(&mut out)).unwrap());
    bench(&mut g, "hand", bytes, || hand::col_sums(&mut out, &mut acc, &x));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

fn fusion(c: &mut Criterion) {
    let mut p = Probe::new();
    ssd_group(c, &mut p);
    rows_group(c, &mut p, N / 64, 64);
    rows_group(c, &mut p, N / 4, 4);
    cols_group(c, &mut p, SIDE, SIDE);
    cols_group(c, &mut p, N / 64, 64);
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = fusion
}
criterion_main!(benches);
