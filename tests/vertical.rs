//! Vertical accumulation (reductions whose kept axis is the contiguous one, e.g. column sums of
//! a C-order matrix): the result equals, bit for bit, the documented order (each block of 512
//! reduced elements folded in order from zero, blocks combined in the fixed pairwise tree), on
//! every thread count, whether the pass splits by outputs or by reduced range, with strips
//! cut anywhere and with fused, broadcast and strided operands.

use array_expr::parallel::with_threads;
use array_expr::{array_expr, Array, ArrayView, Slice};

array_expr! {
    fn col_sum(x: f32[n, m]) -> f32[m] { sum(x, axis = 0) }
    fn col_sum_s(x: f32[n, m]) -> f32[m] { sum::<f32>(x, axis = 0) }
    fn col_mean(x: f32[n, m]) -> f32[m] { mean(x, axis = 0) }
    fn col_fused(x: f32[n, m], w: f32[m]) -> f32[m] { sum(x * w - 0.5, axis = 0) }
    fn col_scaled(x: f32[n, m], y: f32[n, 1]) -> f32[m] { sum(x * y, axis = 0) }
    fn col_max(x: f32[n, m]) -> f32[m] { max(x, axis = 0) }
    fn col_min(x: f32[n, m]) -> f32[m] { min(x, axis = 0) }
    fn col_max_fused(x: f32[n, m], w: f32[m]) -> f32[m] { max(x * w - 0.5, axis = 0) }
    fn col_max_i16(x: i16[n, m]) -> i16[m] { max(x, axis = 0) }
    fn col_sum_exp(x: f32[n, m]) -> f32[m] { sum(exp(x), axis = 0) }
}

/// The pairwise carry chain over block partials (as the drivers document it).
fn tree<P: Copy>(parts: &[P], combine: impl Fn(P, P) -> P) -> Option<P> {
    let mut stack: Vec<(P, u32)> = Vec::new();
    for &p in parts {
        let (mut p, mut level) = (p, 0);
        while let Some(&(q, l)) = stack.last() {
            if l != level {
                break;
            }
            stack.pop();
            p = combine(q, p);
            level += 1;
        }
        stack.push((p, level));
    }
    let mut acc = None;
    while let Some((p, _)) = stack.pop() {
        acc = Some(acc.map_or(p, |a| combine(p, a)));
    }
    acc
}

/// Column `j` reduced in the vertical order: blocks of 512 rows folded from `zero`.
fn column<P: Copy>(
    x: &ArrayView<'_, f32, 2>,
    j: usize,
    zero: P,
    step: impl Fn(P, f32) -> P,
    combine: impl Fn(P, P) -> P,
) -> Option<P> {
    let n = x.shape()[0];
    let parts: Vec<P> = (0..n)
        .step_by(512)
        .map(|r0| (r0..(r0 + 512).min(n)).fold(zero, |a, r| step(a, *x.get([r, j]).unwrap())))
        .collect();
    tree(&parts, combine)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Runs `f` on 1, 2, 3 and 8 threads and checks every result has the bits of `want`.
fn check(what: &str, want: &[f32], f: impl Fn() -> Vec<f32>) {
    for t in [1, 2, 3, 8] {
        assert_eq!(bits(&with_threads(t, &f)), bits(want), "{what} on {t} threads");
    }
}

fn check_all(x: ArrayView<'_, f32, 2>, w: &Array<f32, 1>, what: &str) {
    let m = x.shape()[1];
    let n = x.shape()[0] as f64;
    let d: Vec<f32> = (0..m)
        .map(|j| column(&x, j, 0.0f64, |a, v| a + v as f64, |a, b| a + b).unwrap_or(0.0) as f32)
        .collect();
    check(&format!("sum {what}"), &d, || col_sum(x).unwrap().to_vec());
    let s: Vec<f32> =
        (0..m).map(|j| column(&x, j, 0.0f32, |a, v| a + v, |a, b| a + b).unwrap_or(0.0)).collect();
    check(&format!("sum::<f32> {what}"), &s, || col_sum_s(x).unwrap().to_vec());
    let mean: Vec<f32> = (0..m)
        .map(|j| (column(&x, j, 0.0f64, |a, v| a + v as f64, |a, b| a + b).unwrap_or(0.0) / n) as f32)
        .collect();
    check(&format!("mean {what}"), &mean, || col_mean(x).unwrap().to_vec());
    let wv = w.to_vec();
    let fused: Vec<f32> = (0..m)
        .map(|j| {
            column(&x, j, 0.0f64, |a, v| a + (v * wv[j] - 0.5) as f64, |a, b| a + b).unwrap_or(0.0) as f32
        })
        .collect();
    check(&format!("fused {what}"), &fused, || col_fused(x, w.view()).unwrap().to_vec());
}

#[test]
fn column_reductions_follow_the_vertical_order_on_every_thread_count() {
    // many rows, few outputs: the reduced range splits across threads; many outputs: strips
    // of 256 plus a partial one, split by outputs; a short matrix with a partial last block
    for shape in [[1 << 17, 16], [3000, 600], [700, 9]] {
        let x = Array::<f32, 2>::random_uniform(shape, 7, -1.0, 1.0);
        let w = Array::<f32, 1>::random_uniform([shape[1]], 8, 0.5, 1.5);
        check_all(x.view(), &w, &format!("{shape:?} C"));
        // columns contiguous but rows strided (a view into a wider matrix)
        let wide = Array::<f32, 2>::random_uniform([shape[0], shape[1] + 5], 9, -1.0, 1.0);
        let sub =
            wide.view().slice([Slice::full(), Slice::new(Some(2), Some(2 + shape[1] as isize), 1)]).unwrap();
        check_all(sub, &w, &format!("{shape:?} sub-view"));
    }
}

#[test]
fn empty_and_single_row_columns() {
    let w = Array::<f32, 1>::random_uniform([12], 8, 0.5, 1.5);
    let x = Array::<f32, 2>::random_uniform([0, 12], 1, -1.0, 1.0);
    assert_eq!(col_sum(x.view()).unwrap().to_vec(), vec![0.0; 12]);
    let x = Array::<f32, 2>::random_uniform([1, 12], 1, -1.0, 1.0);
    assert_eq!(bits(&col_sum(x.view()).unwrap().to_vec()), bits(&x.to_vec()));
    check_all(x.view(), &w, "one row");
}

#[test]
fn wide_panels_follow_the_vertical_order_on_every_thread_count() {
    // panels of up to 4096 outputs walked row by row: widths that are no multiple of the strip
    // (256) or of the panel, one row, a partial block (513 rows), and 4500 outputs, which split
    // by outputs on 2 threads and by reduced range on 3 and 8
    for shape in [[1, 5000], [513, 300], [513, 4500], [1100, 4099]] {
        let x = Array::<f32, 2>::random_uniform(shape, 11, -1.0, 1.0);
        let w = Array::<f32, 1>::random_uniform([shape[1]], 12, 0.5, 1.5);
        check_all(x.view(), &w, &format!("{shape:?} C"));
        // rows in reverse order: a negative row stride, columns still contiguous
        let rev = x.view().slice([Slice::new(None, None, -1), Slice::full()]).unwrap();
        check_all(rev, &w, &format!("{shape:?} reversed rows"));
    }
}

#[test]
fn a_column_broadcast_along_the_kept_axis_stays_in_order() {
    // `y: [n, 1]` spreads one value over each row segment (stride 0 along the kept axis)
    for shape in [[513, 4500], [1030, 77]] {
        let x = Array::<f32, 2>::random_uniform(shape, 13, -1.0, 1.0);
        let y = Array::<f32, 2>::random_uniform([shape[0], 1], 14, 0.5, 1.5);
        let (xv, yv) = (x.view(), y.view());
        let want: Vec<f32> = (0..shape[1])
            .map(|j| {
                let n = shape[0];
                let parts: Vec<f64> = (0..n)
                    .step_by(512)
                    .map(|r0| {
                        (r0..(r0 + 512).min(n)).fold(0.0f64, |a, r| {
                            a + (*xv.get([r, j]).unwrap() * *yv.get([r, 0]).unwrap()) as f64
                        })
                    })
                    .collect();
                tree(&parts, |a, b| a + b).unwrap_or(0.0) as f32
            })
            .collect();
        check(&format!("scaled {shape:?}"), &want, || col_scaled(xv, yv).unwrap().to_vec());
    }
}

#[test]
fn rows_folded_several_per_call_keep_the_order() {
    // `accum` folds 8 consecutive rows of a block per call (fewer at a block's end): row
    // counts around multiples of 8 and of the block (512), narrow and wide panels, with a
    // second operand (`w`) and a broadcast column (`y`), on every thread count
    for shape in [[7, 40], [8, 40], [9, 300], [15, 16], [17, 64], [520, 33], [1031, 260]] {
        let x = Array::<f32, 2>::random_uniform(shape, 21, -1.0, 1.0);
        let w = Array::<f32, 1>::random_uniform([shape[1]], 22, 0.5, 1.5);
        check_all(x.view(), &w, &format!("{shape:?} C"));
        let y = Array::<f32, 2>::random_uniform([shape[0], 1], 23, 0.5, 1.5);
        let (xv, yv) = (x.view(), y.view());
        let want: Vec<f32> = (0..shape[1])
            .map(|j| {
                let parts: Vec<f64> = (0..shape[0])
                    .step_by(512)
                    .map(|r0| {
                        (r0..(r0 + 512).min(shape[0])).fold(0.0f64, |a, r| {
                            a + (*xv.get([r, j]).unwrap() * *yv.get([r, 0]).unwrap()) as f64
                        })
                    })
                    .collect();
                tree(&parts, |a, b| a + b).unwrap_or(0.0) as f32
            })
            .collect();
        check(&format!("scaled {shape:?}"), &want, || col_scaled(xv, yv).unwrap().to_vec());
    }
}

/// NumPy's `maximum`: NaN propagates (the first one met), otherwise the later of two equal
/// values (`0.0` against `-0.0`).
fn maximum(a: f32, x: f32) -> f32 {
    if a.is_nan() || a > x {
        a
    } else {
        x
    }
}

fn minimum(a: f32, x: f32) -> f32 {
    if a.is_nan() || a < x {
        a
    } else {
        x
    }
}

/// Column maxima and minima through the vertical path (rows folded into a strip of values in
/// registers, eight at a time) have the bits of one fold of each column in row order: NaNs
/// (the first wins, payloads kept), signed zeros (the later wins), infinities, on every thread
/// count, for C order, a sub-view and a fused operand; F order (the block path) agrees; an
/// integer column maximum too.
#[test]
fn column_extremes_keep_nan_and_signed_zero_rules_on_every_thread_count() {
    for [n, m] in [[1, 5], [7, 300], [9, 257], [10, 4000], [513, 40], [3000, 600], [1 << 14, 16]] {
        let mut v = Array::<f32, 2>::random_uniform([n, m], (n * m) as u64, -4.0, 4.0).to_vec();
        // signed zeros and infinities here and there, NaNs with payloads in a few columns
        for (i, x) in v.iter_mut().enumerate() {
            match (i * 7919) % 97 {
                0 => *x = 0.0,
                1 => *x = -0.0,
                2 => *x = f32::INFINITY,
                3 => *x = f32::NEG_INFINITY,
                4 if i % 5 == 0 => *x = f32::from_bits(0x7fc0_0000 | (i as u32 & 0xffff)),
                _ => {}
            }
        }
        // a column of zeros of both signs only, to pin the tie rule
        for r in 0..n {
            v[r * m] = if r % 2 == 0 { -0.0 } else { 0.0 };
        }
        let x = Array::<f32, 2>::from_shape_vec([n, m], v.clone()).unwrap();
        let fold = |f: fn(f32, f32) -> f32, vals: &dyn Fn(usize, usize) -> f32| -> Vec<f32> {
            (0..m).map(|j| (1..n).fold(vals(0, j), |a, r| f(a, vals(r, j)))).collect()
        };
        let w = Array::<f32, 1>::random_uniform([m], 3, 0.5, 1.5);
        let wv = w.to_vec();
        let want_max = fold(maximum, &|r, j| v[r * m + j]);
        let want_min = fold(minimum, &|r, j| v[r * m + j]);
        let want_fused = fold(maximum, &|r, j| v[r * m + j] * wv[j] - 0.5);
        let what = format!("[{n}, {m}]");
        check(&format!("max {what}"), &want_max, || col_max(x.view()).unwrap().to_vec());
        check(&format!("min {what}"), &want_min, || col_min(x.view()).unwrap().to_vec());
        check(&format!("fused max {what}"), &want_fused, || {
            col_max_fused(x.view(), w.view()).unwrap().to_vec()
        });
        // F order: each column one run through the block path (SIMD lanes for runs of 64 and
        // more, which may return another of the column's NaNs): the same values
        let xf = Array::<f32, 2>::from_shape_vec([m, n], x.view().t().to_vec()).unwrap();
        let got = col_max(xf.view().t()).unwrap().to_vec();
        for (j, (g, w)) in got.iter().zip(&want_max).enumerate() {
            assert!(
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                "max {what} F order column {j}: {g} {w}"
            );
        }
        let wide = Array::<f32, 2>::from_fn([n, m + 3], |[r, j]| if j < m { v[r * m + j] } else { f32::NAN });
        let sub = wide.view().slice([Slice::full(), Slice::new(Some(0), Some(m as isize), 1)]).unwrap();
        check(&format!("max {what} sub-view"), &want_max, || col_max(sub).unwrap().to_vec());
        let xi = Array::<i16, 2>::from_fn([n, m], |[r, j]| ((r * 31 + j * 17) % 2001) as i16 - 1000);
        let xiv = xi.to_vec();
        let want_i: Vec<i16> = (0..m).map(|j| (0..n).map(|r| xiv[r * m + j]).max().unwrap()).collect();
        for t in [1, 3] {
            assert_eq!(
                with_threads(t, || col_max_i16(xi.view()).unwrap().to_vec()),
                want_i,
                "i16 max {what} on {t} threads"
            );
        }
    }
    let empty = Array::<f32, 2>::zeros([0, 20]);
    assert_eq!(col_max(empty.view()).unwrap_err().to_string(), "`max` of an empty array has no value");
}

/// A column sum of `exp`: the values come from the vector `exp` (the one the kernel's
/// elementwise passes use) and fold in the vertical order; within a few ulp of summing the
/// scalar function, the same bits on every thread count.
#[test]
fn column_sums_of_transcendentals_use_the_vector_functions() {
    for [n, m] in [[5, 3], [700, 9], [3000, 600], [1 << 14, 16]] {
        let x = Array::<f32, 2>::random_uniform([n, m], 11, -3.0, 3.0);
        let one = with_threads(1, || col_sum_exp(x.view()).unwrap().to_vec());
        check(&format!("sum of exp [{n}, {m}]"), &one, || col_sum_exp(x.view()).unwrap().to_vec());
        let want: Vec<f64> = (0..m)
            .map(|j| column(&x.view(), j, 0.0f64, |a, v| a + v.exp() as f64, |a, b| a + b).unwrap_or(0.0))
            .collect();
        for (j, (g, w)) in one.iter().zip(&want).enumerate() {
            let rel = ((*g as f64 - w) / w).abs();
            assert!(rel < 4e-7, "sum of exp [{n}, {m}] column {j}: {g} against {w}");
        }
    }
}
