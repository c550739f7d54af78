//! Fusion benchmarks, transcendental families (single thread): the exp·sqrt·log1p chain over
//! 16M f32, the row softmax of a 4096 x 4096 f32 matrix (rows of 16 KiB, which fit in L1) and
//! of 16M f32 in rows of 10 (`softmax_rows10`: short rows, a group of rows at a time).
//!
//! Comparisons as in `elementwise.rs`: the hand loop (`std`'s scalar functions), `hand_simd`
//! (the same loop over the kernels crate's vector functions: what the macro's math can reach
//! when hand-fused), the NumPy-style evaluation, ndarray operators and `Zip`, and the STREAM
//! triad probe. Targets (issue #5): the chain within 3.5x of the triad time for its bytes
//! (>= 28.6% of triad bandwidth), softmax within 2.2x (>= 45%).
//!
//! Run: `cargo bench --features ndarray --bench transcendental`, then `python3 tools/bench_table.py`.

mod support;

use array_expr::array_expr;
use array_expr::parallel::with_threads;
use array_expr_kernels::{math, SimdElem};
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::{Axis, Zip};
use support::{assert_close, bench, bytes_f32, hand, nd2, nd2_mut, unfused, uniform, Probe, N, SIDE};

array_expr! {
    /// Three transcendental functions and two products in one pass.
    fn chain(x: f32[n]) -> f32[n] {
        exp(x) * sqrt(x) * log1p(x)
    }

    /// Row softmax: a max pass, an exp-sum pass (temporaries of n elements), the output pass.
    fn softmax(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }
}

/// Each side's exp, sqrt and log1p are within 1-2 ulp of the exact value.
const TOL: f32 = 1e-5;

/// The chain over vectors of the kernels crate's math, tail by a partial load and store.
fn chain_simd(out: &mut [f32], x: &[f32]) {
    for (o, x) in out.chunks_mut(f32::LANES).zip(x.chunks(f32::LANES)) {
        let v = f32::load(x);
        f32::store(math::exp(v) * math::sqrt(v) * math::log1p(v), o);
    }
}

fn chain_group(c: &mut Criterion, p: &mut Probe) {
    let x = uniform(N, 0.0, 4.0, 21);
    let (mut want, mut out) = (vec![0.0; N], vec![0.0; N]);
    hand::chain(&mut want, &x);
    chain_into(&x, &mut out).unwrap();
    assert_close("chain ours", &out, &want, TOL);
    chain_simd(&mut out, &x);
    assert_close("chain hand_simd", &out, &want, TOL);
    let xv = ndarray::ArrayView1::from(&x);
    let ops = || xv.mapv(f32::exp) * xv.mapv(f32::sqrt) * xv.mapv(f32::ln_1p);
    assert_close("chain ndarray_ops", ops().as_slice().unwrap(), &want, TOL);
    let unf = |o: &mut [f32]| {
        let er = unfused::map2(&unfused::map1(&x, f32::exp), &unfused::map1(&x, f32::sqrt), |e, r| e * r);
        unfused::into2(o, &er, &unfused::map1(&x, f32::ln_1p), |a, b| a * b);
    };
    unf(&mut out);
    assert_close("chain unfused", &out, &want, TOL);
    let zip = |o: &mut [f32]| {
        Zip::from(ndarray::ArrayViewMut1::from(o))
            .and(&xv)
            .for_each(|o, &x| *o = x.exp() * x.sqrt() * x.ln_1p())
    };
    zip(&mut out);
    assert_close("chain ndarray_zip", &out, &want, TOL);

    let bytes = bytes_f32(2, N);
    let mut g = support::group(c, "exp_sqrt_log1p");
    p.triad(&mut g);
    bench(&mut g, "ours", bytes, || chain_into(&x, &mut out).unwrap());
    bench(&mut g, "hand", bytes, || hand::chain(&mut out, &x));
    bench(&mut g, "hand_simd", bytes, || chain_simd(&mut out, &x));
    bench(&mut g, "unfused", bytes, || unf(&mut out));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

/// The NumPy program: `e = exp(x - x.max(1, keepdims=True)); e / e.sum(1, keepdims=True)`.
fn softmax_unfused(out: &mut [f32], x: &[f32], m: usize) {
    let mx = unfused::reduce_rows(x, m, |r| r.iter().copied().fold(f32::NEG_INFINITY, f32::max));
    let e = unfused::map1(&unfused::map_per_row(x, &mx, |x, q| x - q), f32::exp);
    let s = unfused::reduce_rows(&e, m, |r| r.iter().map(|&v| v as f64).sum::<f64>() as f32);
    unfused::per_row_into(out, &e, &s, |e, s| e / s);
}

/// Row softmax of an `n x m` f32 matrix, group `name`.
fn softmax_group(c: &mut Criterion, p: &mut Probe, n: usize, m: usize, name: &str) {
    let x = uniform(n * m, -4.0, 4.0, 22);
    let (mut want, mut out) = (vec![0.0; n * m], vec![0.0; n * m]);
    hand::softmax_rows(&mut want, &x, m);
    let ours = |o: &mut [f32]| softmax_into(support::view2(&x, n, m), support::view2_mut(o, n, m));
    ours(&mut out).unwrap();
    assert_close("softmax ours", &out, &want, TOL);
    let xv = nd2(&x, n, m);
    let ops = || {
        let mx = xv.fold_axis(Axis(1), f32::NEG_INFINITY, |&a, &b| a.max(b)).insert_axis(Axis(1));
        let e = (&xv - &mx).mapv_into(f32::exp);
        let s = e.sum_axis(Axis(1)).insert_axis(Axis(1));
        e / s
    };
    assert_close("softmax ndarray_ops", ops().as_slice().unwrap(), &want, TOL);
    softmax_unfused(&mut out, &x, m);
    assert_close("softmax unfused", &out, &want, TOL);
    let zip = |o: &mut [f32]| {
        Zip::from(nd2_mut(o, n, m).rows_mut()).and(xv.rows()).for_each(|mut o, r| {
            let mx = r.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            o.zip_mut_with(&r, |o, &x| *o = (x - mx).exp());
            let s = o.sum();
            o.mapv_inplace(|v| v / s);
        })
    };
    zip(&mut out);
    assert_close("softmax ndarray_zip", &out, &want, TOL);

    let bytes = bytes_f32(2, n * m);
    let mut g = support::group(c, name);
    p.triad(&mut g);
    bench(&mut g, "ours", bytes, || ours(&mut out).unwrap());
    // the row blocks split over two threads (`ours` runs on one, as every comparison does)
    bench(&mut g, "ours_2threads", bytes, || with_threads(2, || ours(&mut out)).unwrap());
    bench(&mut g, "hand", bytes, || hand::softmax_rows(&mut out, &x, m));
    bench(&mut g, "unfused", bytes, || softmax_unfused(&mut out, &x, m));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

fn fusion(c: &mut Criterion) {
    let mut p = Probe::new();
    chain_group(c, &mut p);
    softmax_group(c, &mut p, SIDE, SIDE, "softmax_rows");
    // ten classes, the common classifier case: rows under 129 elements go a group at a time
    softmax_group(c, &mut p, N / 10, 10, "softmax_rows10");
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = fusion
}
criterion_main!(benches);
