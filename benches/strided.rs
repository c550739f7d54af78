//! Fusion benchmarks, strided inputs (single thread): the triad with one operand read at every
//! other element of a 32M buffer (16M f32 used), and `a + b.T` over 4096 x 4096 C-order
//! matrices (the transposed operand walks columns).
//!
//! Besides the usual comparisons each group times `ours_contiguous`, the same kernel on
//! contiguous operands of the same shape: the target (issue #5) is a transposed operand within
//! 2x of the contiguous case. Throughput counts the bytes the expression uses (12 per element),
//! not the extra cache lines a stride of 2 drags in. `a + b.T` is a single NumPy operation (no
//! temporary), so that group has no `unfused` case.
//!
//! Run: `cargo bench --features ndarray --bench strided`, then `python3 tools/bench_table.py`.

mod support;

use array_expr::{array_expr, ArrayView};
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::{s, Zip};
use support::{assert_close, bench, bytes_f32, hand, nd2, nd2_mut, unfused, uniform, Probe, N, SIDE};

array_expr! {
    /// The STREAM triad.
    fn triad(b: f32[n], c: f32[n], s: f32) -> f32[n] {
        b + s * c
    }

    /// Adds a transposed operand.
    fn add_transposed(a: f32[n, m], b: f32[m, n]) -> f32[n, m] {
        a + b.T
    }

    /// The contiguous reference for `add_transposed`.
    fn add(a: f32[n, m], b: f32[n, m]) -> f32[n, m] {
        a + b
    }
}

const TOL: f32 = 1e-6;

fn every_other_group(c: &mut Criterion, p: &mut Probe) {
    let (b2, cc, s) = (uniform(2 * N, -1.0, 1.0, 41), uniform(N, -1.0, 1.0, 42), 3.0f32);
    let b = ArrayView::from_shape_strides(&b2, [N], [2], 0).unwrap();
    let b_contig: Vec<f32> = b2.iter().step_by(2).copied().collect();
    let (mut want, mut out) = (vec![0.0; N], vec![0.0; N]);
    hand::triad_every_other(&mut want, &b2, &cc, s);
    triad_into(b, &cc, s, &mut out).unwrap();
    assert_close("every other ours", &out, &want, TOL);
    triad_into(&b_contig, &cc, s, &mut out).unwrap();
    assert_close("every other ours_contiguous", &out, &want, TOL);
    let (bv, cv) = (ndarray::ArrayView1::from(&b2), ndarray::ArrayView1::from(&cc));
    let ops = || &cv * s + bv.slice(s![..;2]);
    assert_close("every other ndarray_ops", ops().as_slice().unwrap(), &want, TOL);
    // NumPy: b2[::2] is a view; s * c is the one temporary
    let unf = |o: &mut [f32]| {
        let sc = unfused::map1(&cc, |v| s * v);
        for ((o, &b), &t) in o.iter_mut().zip(b2.iter().step_by(2)).zip(&sc) {
            *o = b + t;
        }
    };
    unf(&mut out);
    assert_close("every other unfused", &out, &want, TOL);
    let zip = |o: &mut [f32]| {
        Zip::from(ndarray::ArrayViewMut1::from(o))
            .and(bv.slice(s![..;2]))
            .and(&cv)
            .for_each(|o, &b, &c| *o = b + s * c)
    };
    zip(&mut out);
    assert_close("every other ndarray_zip", &out, &want, TOL);

    let bytes = bytes_f32(3, N);
    let mut g = support::group(c, "every_other");
    p.triad(&mut g);
    bench(&mut g, "ours", bytes, || triad_into(b, &cc, s, &mut out).unwrap());
    bench(&mut g, "ours_contiguous", bytes, || triad_into(&b_contig, &cc, s, &mut out).unwrap());
    bench(&mut g, "hand", bytes, || hand::triad_every_other(&mut out, &b2, &cc, s));
    bench(&mut g, "unfused", bytes, || unf(&mut out));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

fn transposed_group(c: &mut Criterion, p: &mut Probe) {
    let n = SIDE;
    let (a, b) = (uniform(n * n, -1.0, 1.0, 43), uniform(n * n, -1.0, 1.0, 44));
    let (mut want, mut out) = (vec![0.0; n * n], vec![0.0; n * n]);
    hand::add_transposed(&mut want, &a, &b, n);
    let v = |d| support::view2(d, n, n);
    let ours = |o: &mut [f32]| add_transposed_into(v(&a), v(&b), support::view2_mut(o, n, n));
    ours(&mut out).unwrap();
    assert_close("transposed ours", &out, &want, TOL);
    // the same sum with b already transposed into C order: the contiguous case
    let bt: Vec<f32> = ndarray::ArrayView2::from_shape((n, n), &b).unwrap().t().iter().copied().collect();
    let contiguous = |o: &mut [f32]| add_into(v(&a), v(&bt), support::view2_mut(o, n, n));
    contiguous(&mut out).unwrap();
    assert_close("transposed ours_contiguous", &out, &want, TOL);
    let (av, bv) = (nd2(&a, n, n), nd2(&b, n, n));
    let ops = || &av + &bv.t();
    assert_close("transposed ndarray_ops", ops().as_slice().unwrap(), &want, TOL);
    let zip =
        |o: &mut [f32]| Zip::from(nd2_mut(o, n, n)).and(&av).and(bv.t()).for_each(|o, &a, &b| *o = a + b);
    zip(&mut out);
    assert_close("transposed ndarray_zip", &out, &want, TOL);

    let bytes = bytes_f32(3, n * n);
    let mut g = support::group(c, "transposed_add");
    p.triad(&mut g);
    bench(&mut g, "ours", bytes, || ours(&mut out).unwrap());
    bench(&mut g, "ours_contiguous", bytes, || contiguous(&mut out).unwrap());
    bench(&mut g, "hand", bytes, || hand::add_transposed(&mut out, &a, &b, n));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

fn fusion(c: &mut Criterion) {
    let mut p = Probe::new();
    every_other_group(c, &mut p);
    transposed_group(c, &mut p);
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = fusion
}
criterion_main!(benches);
