//! Fusion benchmarks, streaming elementwise families (16M f32, single thread): triad, affine +
//! leaky ReLU, a write-only broadcast outer product with bias, where/clip, a cast from i32, an
//! integer pass (16M i32, no vector loop: LLVM vectorizes the scalar loop) and the allocating
//! form against `_into`.
//!
//! Each group times `ours` (an `array_expr!` kernel, `_into` a preallocated output) beside the
//! hand-written fused loop over slices (`hand`), the NumPy-style evaluation with one temporary
//! per operation (`unfused`), idiomatic ndarray operators (`ndarray_ops`, which allocate their
//! result), ndarray `Zip` into the preallocated output (`ndarray_zip`) and the STREAM triad
//! probe. Every comparison's result is checked against the hand loop once, before timing.
//!
//! Run: `cargo bench --features ndarray --bench elementwise`, then `python3 tools/bench_table.py`.

mod support;

use array_expr::array_expr;
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::{Axis, Zip};
use support::{assert_close, bench, bytes_f32, hand, nd2, nd2_mut, unfused, uniform, Probe, N, SIDE};

array_expr! {
    /// The STREAM triad.
    fn triad(b: f32[n], c: f32[n], s: f32) -> f32[n] {
        b + s * c
    }

    /// Affine map, broadcast over rows, then leaky ReLU: five operations.
    fn affine_leaky(x: f32[n, m], w: f32[m], b: f32[m]) -> f32[n, m] {
        let y = x * w + b;
        where(y > 0.0, y, 0.01 * y)
    }

    /// Outer product with a bias: reads two short vectors, writes n x m.
    fn outer_bias(x: f32[n], y: f32[m], b: f32[m]) -> f32[n, m] {
        x[:, newaxis] * y + b
    }

    /// A select over a clipped difference: four operations.
    fn where_clip(x: f32[n], y: f32[n]) -> f32[n] {
        where(x > y, clip(x - y, -0.5, 0.5), 0.0)
    }

    /// Integer arithmetic: five operations on i32, a division by a constant among them.
    fn int_mix(a: i32[n], b: i32[n]) -> i32[n] {
        (a * 3 - b) / 2 + abs(a)
    }

    /// A cast from i32, then scale and shift.
    fn cast_i32(x: i32[n]) -> f32[n] {
        x as f32 * 0.5 + 1.0
    }
}

/// Simple arithmetic: FMA contraction in either side may move the last bit.
const TOL: f32 = 1e-6;

fn triad_group(c: &mut Criterion, p: &mut Probe) {
    let (b, cc, s) = (uniform(N, -1.0, 1.0, 1), uniform(N, -1.0, 1.0, 2), 3.0f32);
    let (mut want, mut out) = (vec![0.0; N], vec![0.0; N]);
    hand::triad(&mut want, &b, &cc, s);
    triad_into(&b, &cc, s, &mut out).unwrap();
    assert_close("triad ours", &out, &want, TOL);
    let ops = || &ndarray::ArrayView1::from(&cc) * s + ndarray::ArrayView1::from(&b);
    assert_close("triad ndarray_ops", ops().as_slice().unwrap(), &want, TOL);
    let unf = |o: &mut [f32]| unfused::into2(o, &b, &unfused::map1(&cc, |v| s * v), |x, y| x + y);
    unf(&mut out);
    assert_close("triad unfused", &out, &want, TOL);
    let zip = |o: &mut [f32]| {
        Zip::from(ndarray::ArrayViewMut1::from(o))
            .and(&b[..])
            .and(&cc[..])
            .for_each(|o, &b, &c| *o = b + s * c)
    };
    zip(&mut out);
    assert_close("triad ndarray_zip", &out, &want, TOL);

    let bytes = bytes_f32(3, N);
    let mut g = support::group(c, "triad");
    p.triad(&mut g);
    bench(&mut g, "ours", bytes, || triad_into(&b, &cc, s, &mut out).unwrap());
    bench(&mut g, "hand", bytes, || hand::triad(&mut out, &b, &cc, s));
    bench(&mut g, "unfused", bytes, || unf(&mut out));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

fn affine_group(c: &mut Criterion, p: &mut Probe) {
    let (n, m) = (SIDE, SIDE);
    let x = uniform(n * m, -1.0, 1.0, 3);
    let (w, bias) = (uniform(m, 0.5, 1.5, 4), uniform(m, -0.1, 0.1, 5));
    let (mut want, mut out) = (vec![0.0; n * m], vec![0.0; n * m]);
    hand::affine_leaky(&mut want, &x, &w, &bias);
    let ours =
        |o: &mut [f32]| affine_leaky_into(support::view2(&x, n, m), &w, &bias, support::view2_mut(o, n, m));
    ours(&mut out).unwrap();
    assert_close("affine ours", &out, &want, TOL);
    let (xv, wv, bv) = (nd2(&x, n, m), ndarray::ArrayView1::from(&w), ndarray::ArrayView1::from(&bias));
    let ops = || (&xv * &wv + bv).mapv_into(|y| if y > 0.0 { y } else { 0.01 * y });
    assert_close("affine ndarray_ops", ops().as_slice().unwrap(), &want, TOL);
    let unf = |o: &mut [f32]| {
        let y = unfused::map_rows(&unfused::map_rows(&x, &w, |x, w| x * w), &bias, |t, b| t + b);
        let (pos, neg) = (unfused::mask1(&y, |y| y > 0.0), unfused::map1(&y, |y| 0.01 * y));
        unfused::select_into(o, &pos, &y, &neg);
    };
    unf(&mut out);
    assert_close("affine unfused", &out, &want, TOL);
    let zip = |o: &mut [f32]| {
        Zip::from(nd2_mut(o, n, m)).and(&xv).and_broadcast(&wv).and_broadcast(&bv).for_each(
            |o, &x, &w, &b| {
                let y = x * w + b;
                *o = if y > 0.0 { y } else { 0.01 * y };
            },
        )
    };
    zip(&mut out);
    assert_close("affine ndarray_zip", &out, &want, TOL);

    let bytes = bytes_f32(2, n * m) + bytes_f32(2, m);
    let mut g = support::group(c, "affine_leaky");
    p.triad(&mut g);
    bench(&mut g, "ours", bytes, || ours(&mut out).unwrap());
    bench(&mut g, "hand", bytes, || hand::affine_leaky(&mut out, &x, &w, &bias));
    bench(&mut g, "unfused", bytes, || unf(&mut out));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

fn outer_group(c: &mut Criterion, p: &mut Probe) {
    let (n, m) = (SIDE, SIDE);
    let (x, y, bias) = (uniform(n, -1.0, 1.0, 6), uniform(m, -1.0, 1.0, 7), uniform(m, -0.1, 0.1, 8));
    let (mut want, mut out) = (vec![0.0; n * m], vec![0.0; n * m]);
    hand::outer_bias(&mut want, &x, &y, &bias);
    let ours = |o: &mut [f32]| outer_bias_into(&x, &y, &bias, support::view2_mut(o, n, m));
    ours(&mut out).unwrap();
    assert_close("outer ours", &out, &want, TOL);
    let xv = ndarray::ArrayView1::from(&x).insert_axis(Axis(1));
    let (yv, bv) = (ndarray::ArrayView1::from(&y), ndarray::ArrayView1::from(&bias));
    let ops = || &xv * &yv + bv;
    assert_close("outer ndarray_ops", ops().as_slice().unwrap(), &want, TOL);
    let unf = |o: &mut [f32]| {
        let xy = unfused::outer(&x, &y, |a, b| a * b);
        for (orow, trow) in o.chunks_exact_mut(m).zip(xy.chunks_exact(m)) {
            unfused::into2(orow, trow, &bias, |t, b| t + b);
        }
    };
    unf(&mut out);
    assert_close("outer unfused", &out, &want, TOL);
    let zip = |o: &mut [f32]| {
        Zip::from(nd2_mut(o, n, m))
            .and_broadcast(&xv)
            .and_broadcast(&yv)
            .and_broadcast(&bv)
            .for_each(|o, &x, &y, &b| *o = x * y + b)
    };
    zip(&mut out);
    assert_close("outer ndarray_zip", &out, &want, TOL);

    // write-only: the output, plus the three short inputs
    let bytes = bytes_f32(1, n * m) + bytes_f32(1, n + 2 * m);
    let mut g = support::group(c, "outer_bias");
    p.triad(&mut g);
    p.write(&mut g);
    bench(&mut g, "ours", bytes, || ours(&mut out).unwrap());
    bench(&mut g, "hand", bytes, || hand::outer_bias(&mut out, &x, &y, &bias));
    bench(&mut g, "unfused", bytes, || unf(&mut out));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

fn where_clip_group(c: &mut Criterion, p: &mut Probe) {
    let (x, y) = (uniform(N, -1.0, 1.0, 9), uniform(N, -1.0, 1.0, 10));
    let (mut want, mut out) = (vec![0.0; N], vec![0.0; N]);
    hand::where_clip(&mut want, &x, &y);
    where_clip_into(&x, &y, &mut out).unwrap();
    assert_close("where_clip ours", &out, &want, TOL);
    let (xv, yv) = (ndarray::ArrayView1::from(&x), ndarray::ArrayView1::from(&y));
    let ops = || (&xv - &yv).mapv_into(|d| if d > 0.0 { d.clamp(-0.5, 0.5) } else { 0.0 });
    assert_close("where_clip ndarray_ops", ops().as_slice().unwrap(), &want, TOL);
    let unf = |o: &mut [f32]| {
        let d = unfused::map2(&x, &y, |x, y| x - y);
        let clipped = unfused::map1(&d, |d| d.clamp(-0.5, 0.5));
        let mask = unfused::mask2(&x, &y, |x, y| x > y);
        unfused::select_scalar_into(o, &mask, &clipped, 0.0);
    };
    unf(&mut out);
    assert_close("where_clip unfused", &out, &want, TOL);
    let zip = |o: &mut [f32]| {
        Zip::from(ndarray::ArrayViewMut1::from(o)).and(&xv).and(&yv).for_each(|o, &x, &y| {
            *o = if x > y { (x - y).clamp(-0.5, 0.5) } else { 0.0 };
        })
    };
    zip(&mut out);
    assert_close("where_clip ndarray_zip", &out, &want, TOL);

    let bytes = bytes_f32(3, N);
    let mut g = support::group(c, "where_clip");
    p.triad(&mut g);
    bench(&mut g, "ours", bytes, || where_clip_into(&x, &y, &mut out).unwrap());
    bench(&mut g, "hand", bytes, || hand::where_clip(&mut out, &x, &y));
    bench(&mut g, "unfused", bytes, || unf(&mut out));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

fn cast_group(c: &mut Criterion, p: &mut Probe) {
    let x = support::uniform_i32(N, -1000, 1000, 11);
    let (mut want, mut out) = (vec![0.0; N], vec![0.0; N]);
    hand::cast_i32(&mut want, &x);
    cast_i32_into(&x, &mut out).unwrap();
    assert_close("cast ours", &out, &want, 0.0);
    let xv = ndarray::ArrayView1::from(&x);
    let ops = || xv.mapv(|v| v as f32) * 0.5 + 1.0;
    assert_close("cast ndarray_ops", ops().as_slice().unwrap(), &want, 0.0);
    let unf = |o: &mut [f32]| {
        let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let half = unfused::map1(&xf, |v| v * 0.5);
        unfused::into1(o, &half, |h| h + 1.0);
    };
    unf(&mut out);
    assert_close("cast unfused", &out, &want, 0.0);
    let zip = |o: &mut [f32]| {
        Zip::from(ndarray::ArrayViewMut1::from(o)).and(&xv).for_each(|o, &x| *o = x as f32 * 0.5 + 1.0)
    };
    zip(&mut out);
    assert_close("cast ndarray_zip", &out, &want, 0.0);

    let bytes = 4 * N as u64 + bytes_f32(1, N);
    let mut g = support::group(c, "cast_i32");
    p.triad(&mut g);
    bench(&mut g, "ours", bytes, || cast_i32_into(&x, &mut out).unwrap());
    bench(&mut g, "hand", bytes, || hand::cast_i32(&mut out, &x));
    bench(&mut g, "unfused", bytes, || unf(&mut out));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

fn int_group(c: &mut Criterion, p: &mut Probe) {
    let (a, b) = (support::uniform_i32(N, -1000, 1000, 14), support::uniform_i32(N, -1000, 1000, 15));
    let (mut want, mut out) = (vec![0; N], vec![0; N]);
    hand::int_mix(&mut want, &a, &b);
    int_mix_into(&a, &b, &mut out).unwrap();
    assert_eq!(out, want, "int_mix ours");
    let (av, bv) = (ndarray::ArrayView1::from(&a), ndarray::ArrayView1::from(&b));
    let ops = || (&av * 3 - bv) / 2 + av.mapv(i32::abs);
    assert_eq!(ops().as_slice().unwrap(), &want[..], "int_mix ndarray_ops");
    let unf = |o: &mut [i32]| {
        let a3: Vec<i32> = a.iter().map(|&v| v * 3).collect();
        let d: Vec<i32> = a3.iter().zip(&b).map(|(&x, &y)| x - y).collect();
        let h: Vec<i32> = d.iter().map(|&v| v / 2).collect();
        let abs: Vec<i32> = a.iter().map(|&v| v.abs()).collect();
        for ((o, &h), &m) in o.iter_mut().zip(&h).zip(&abs) {
            *o = h + m;
        }
    };
    unf(&mut out);
    assert_eq!(out, want, "int_mix unfused");
    let zip = |o: &mut [i32]| {
        Zip::from(ndarray::ArrayViewMut1::from(o))
            .and(&av)
            .and(&bv)
            .for_each(|o, &a, &b| *o = (a * 3 - b) / 2 + a.abs())
    };
    zip(&mut out);
    assert_eq!(out, want, "int_mix ndarray_zip");

    let bytes = 3 * 4 * N as u64;
    let mut g = support::group(c, "int_mix_i32");
    p.triad(&mut g);
    bench(&mut g, "ours", bytes, || int_mix_into(&a, &b, &mut out).unwrap());
    bench(&mut g, "hand", bytes, || hand::int_mix(&mut out, &a, &b));
    bench(&mut g, "unfused", bytes, || unf(&mut out));
    bench(&mut g, "ndarray_ops", bytes, ops);
    bench(&mut g, "ndarray_zip", bytes, || zip(&mut out));
    g.finish();
}

/// The allocating call against `_into`: a 64 MiB output per call, dropped after it. `ours`
/// takes the buffer the previous call dropped from the output pool (array_expr::alloc), as a
/// loop calling it does; `ours_unpooled` turns the pool off, so each call gets fresh pages
/// (page faults, the kernel's zeroing and the unmapping on drop included).
fn alloc_group(c: &mut Criterion, p: &mut Probe) {
    let (b, cc, s) = (uniform(N, -1.0, 1.0, 12), uniform(N, -1.0, 1.0, 13), 3.0f32);
    let want = hand::triad_alloc(&b, &cc, s);
    assert_close("alloc ours", &triad(&b, &cc, s).unwrap().to_vec(), &want, TOL);
    let mut out = vec![0.0; N];
    triad_into(&b, &cc, s, &mut out).unwrap();
    assert_close("alloc ours_into", &out, &want, TOL);
    let ops = || &ndarray::ArrayView1::from(&cc) * s + ndarray::ArrayView1::from(&b);
    assert_close("alloc ndarray_ops", ops().as_slice().unwrap(), &want, TOL);

    let bytes = bytes_f32(3, N);
    let mut g = support::group(c, "alloc_vs_into");
    p.triad(&mut g);
    bench(&mut g, "ours", bytes, || triad(&b, &cc, s).unwrap());
    let pooled = array_expr::alloc::set_pool_limit(0);
    bench(&mut g, "ours_unpooled", bytes, || triad(&b, &cc, s).unwrap());
    array_expr::alloc::set_pool_limit(pooled);
    bench(&mut g, "ours_into", bytes, || triad_into(&b, &cc, s, &mut out).unwrap());
    bench(&mut g, "hand_alloc", bytes, || hand::triad_alloc(&b, &cc, s));
    bench(&mut g, "hand_into", bytes, || hand::triad(&mut out, &b, &cc, s));
    bench(&mut g, "ndarray_ops", bytes, ops);
    g.finish();
}

fn fusion(c: &mut Criterion) {
    let mut p = Probe::new();
    triad_group(c, &mut p);
    affine_group(c, &mut p);
    outer_group(c, &mut p);
    where_clip_group(c, &mut p);
    cast_group(c, &mut p);
    int_group(c, &mut p);
    alloc_group(c, &mut p);
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = fusion
}
criterion_main!(benches);
