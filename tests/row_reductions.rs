//! Reductions over the innermost axis of short rows (row sums of a C-order matrix), which the
//! driver hands to the kernel several rows per call: the result equals, bit for bit, the
//! documented order of one block per row (rows under 64 elements folded in order from zero,
//! longer ones with the kernels crate's block scheme, rows over 512 elements cut into blocks
//! combined by the pairwise tree), on every thread count, for plain, fused, broadcast and
//! strided operands, and for the non-sum reductions that share the path.

use array_expr::__private::kernels::reduce::{block_partial, Sum, SumF64};
use array_expr::parallel::with_threads;
use array_expr::{array_expr, Array, ArrayView, Slice};

array_expr! {
    fn row_sum(x: f32[n, m]) -> f32[n] { sum(x, axis = 1) }
    fn row_sum_s(x: f32[n, m]) -> f32[n] { sum::<f32>(x, axis = 1) }
    fn row_mean(x: f32[n, m]) -> f32[n] { mean(x, axis = 1) }
    fn row_fused(x: f32[n, m], w: f32[m]) -> f32[n] { sum(x * w - 0.5, axis = 1) }
    fn row_fused_s(x: f32[n, m], w: f32[m]) -> f32[n] { sum::<f32>(x * w - 0.5, axis = 1) }
    fn row_centered(x: f32[n, m], c: f32[n, 1]) -> f32[n] { sum(x - c, axis = 1) }
    fn row_dot(x: f32[n, m], y: f32[n, m]) -> f32[n] { mean(x * y, axis = 1) }
    fn row_dot_s(x: f32[n, m], y: f32[n, m]) -> f32[n] { sum::<f32>(x * y - 0.5, axis = 1) }
    fn row_sum_d(x: f64[n, m]) -> f64[n] { sum(x * 1.5, axis = 1) }
    fn row_sum_d_direct(x: f64[n, m]) -> f64[n] { sum(x, axis = 1) }
    fn row_mean_d(x: f64[n, m]) -> f64[n] { mean(x, axis = 1) }
    fn row_max(x: f32[n, m]) -> f32[n] { max(x, axis = 1) }
    fn row_min(x: f32[n, m]) -> f32[n] { min(x, axis = 1) }
    fn row_argmax(x: f32[n, m]) -> i64[n] { argmax(x, axis = 1) }
    fn row_argmin(x: f32[n, m]) -> i64[n] { argmin(x, axis = 1) }
    fn row_max_neg(x: f32[n, m]) -> f32[n] { max(-x, axis = 1) }
    fn row_min_neg(x: f32[n, m]) -> f32[n] { min(-x, axis = 1) }
    fn row_max_scaled(x: f32[n, m], w: f32[m]) -> f32[n] { max(x * w, axis = 1) }
    fn row_min_scaled(x: f32[n, m], w: f32[m]) -> f32[n] { min(x * w, axis = 1) }
}

/// The pairwise tree over block partials (split at the largest power of two below the count).
fn tree<P: Copy>(p: &[P], combine: &impl Fn(P, P) -> P) -> P {
    if p.len() == 1 {
        return p[0];
    }
    let h = 1 << (usize::BITS - 1 - (p.len() - 1).leading_zeros());
    combine(tree(&p[..h], combine), tree(&p[h..], combine))
}

/// One row's sum in the documented order: blocks of 512, each folded in order from zero when
/// shorter than 64, else by `block`; the blocks combined by the tree.
fn row_order<T: Copy, P: Copy + Default + std::ops::Add<Output = P>>(
    row: &[T],
    widen: impl Fn(T) -> P,
    block: impl Fn(&[T]) -> P,
) -> P {
    if row.is_empty() {
        return P::default();
    }
    let parts: Vec<P> = row
        .chunks(512)
        .map(|b| if b.len() < 64 { b.iter().fold(P::default(), |a, &x| a + widen(x)) } else { block(b) })
        .collect();
    tree(&parts, &|a, b| a + b)
}

/// The rows of `x` with `f` applied to each element (the fused expression's values).
fn mapped<T: Copy>(x: &ArrayView<'_, f32, 2>, f: impl Fn(usize, usize, f32) -> T) -> Vec<Vec<T>> {
    let [n, m] = x.shape();
    (0..n).map(|i| (0..m).map(|j| f(i, j, *x.get([i, j]).unwrap())).collect()).collect()
}

fn bits<T: Copy + Into<f64>>(v: &[T]) -> Vec<u64> {
    v.iter().map(|&x| Into::<f64>::into(x).to_bits()).collect()
}

/// Runs `f` on 1, 2, 3 and 8 threads and checks every result has the bits of `want`.
fn check<T: Copy + Into<f64>>(what: &str, want: &[T], f: impl Fn() -> Vec<T>) {
    for t in [1, 2, 3, 8] {
        assert_eq!(bits(&with_threads(t, &f)), bits(want), "{what} on {t} threads");
    }
}

fn f64_sums(rows: &[Vec<f32>]) -> Vec<f64> {
    rows.iter().map(|r| row_order(r, |x| x as f64, |b| block_partial(SumF64, b, 0))).collect()
}

fn check_sums(x: ArrayView<'_, f32, 2>, what: &str) {
    let [n, m] = x.shape();
    let plain = mapped(&x, |_, _, v| v);
    let d: Vec<f32> = f64_sums(&plain).iter().map(|&s| s as f32).collect();
    check(&format!("sum {what}"), &d, || row_sum(x).unwrap().to_vec());
    let mean: Vec<f32> = f64_sums(&plain).iter().map(|&s| (s / m as f64) as f32).collect();
    check(&format!("mean {what}"), &mean, || row_mean(x).unwrap().to_vec());
    let s: Vec<f32> = plain.iter().map(|r| row_order(r, |x| x, |b| block_partial(Sum, b, 0))).collect();
    check(&format!("sum::<f32> {what}"), &s, || row_sum_s(x).unwrap().to_vec());
    let w = Array::<f32, 1>::random_uniform([m], 8, 0.5, 1.5);
    let wv = w.to_vec();
    let fused: Vec<f32> =
        f64_sums(&mapped(&x, |_, j, v| v * wv[j] - 0.5)).iter().map(|&s| s as f32).collect();
    check(&format!("fused {what}"), &fused, || row_fused(x, w.view()).unwrap().to_vec());
    // accumulated in f32, where an order other than the documented one shows in the bits
    let fused_s: Vec<f32> = mapped(&x, |_, j, v| v * wv[j] - 0.5)
        .iter()
        .map(|r| row_order(r, |x| x, |b| block_partial(Sum, b, 0)))
        .collect();
    check(&format!("fused sum::<f32> {what}"), &fused_s, || row_fused_s(x, w.view()).unwrap().to_vec());
    let c = Array::<f32, 2>::random_uniform([n, 1], 9, -1.0, 1.0);
    let cv = c.to_vec();
    let centered: Vec<f32> = f64_sums(&mapped(&x, |i, _, v| v - cv[i])).iter().map(|&s| s as f32).collect();
    check(&format!("centered {what}"), &centered, || row_centered(x, c.view()).unwrap().to_vec());
    // a value computed from operands of the same shape (in C order their rows are one run
    // of elements, staged a chunk of rows at a time)
    let y = Array::<f32, 2>::random_uniform([n, m], 10, -2.0, 2.0);
    let yat = |i: usize, j: usize| *y.view().get([i, j]).unwrap();
    let dot: Vec<f32> =
        f64_sums(&mapped(&x, |i, j, v| v * yat(i, j))).iter().map(|&s| (s / m as f64) as f32).collect();
    check(&format!("row dot {what}"), &dot, || row_dot(x, y.view()).unwrap().to_vec());
    let dot_s: Vec<f32> = mapped(&x, |i, j, v| v * yat(i, j) - 0.5)
        .iter()
        .map(|r| row_order(r, |x| x, |b| block_partial(Sum, b, 0)))
        .collect();
    check(&format!("row dot sum::<f32> {what}"), &dot_s, || row_dot_s(x, y.view()).unwrap().to_vec());
    let xd = mapped(&x, |_, _, v| v as f64);
    let d64: Vec<f64> = xd
        .iter()
        .map(|r| {
            let r: Vec<f64> = r.iter().map(|v| v * 1.5).collect();
            row_order(&r, |x| x, |b| block_partial(Sum, b, 0))
        })
        .collect();
    let x64 = Array::<f64, 2>::from_shape_vec([n, m], xd.concat()).unwrap();
    check(&format!("f64 sum {what}"), &d64, || row_sum_d(x64.view()).unwrap().to_vec());
    // f64 values read as is (rows of four: four per vector, transposed)
    let s64: Vec<f64> = xd.iter().map(|r| row_order(r, |x| x, |b| block_partial(Sum, b, 0))).collect();
    check(&format!("f64 sum as is {what}"), &s64, || row_sum_d_direct(x64.view()).unwrap().to_vec());
    let m64: Vec<f64> = s64.iter().map(|s| s / m as f64).collect();
    check(&format!("f64 mean {what}"), &m64, || row_mean_d(x64.view()).unwrap().to_vec());
}

fn check_others(x: ArrayView<'_, f32, 2>, what: &str) {
    let rows = mapped(&x, |_, _, v| v);
    let max: Vec<f32> = rows.iter().map(|r| r.iter().copied().fold(f32::NEG_INFINITY, f32::max)).collect();
    check(&format!("max {what}"), &max, || row_max(x).unwrap().to_vec());
    let arg: Vec<f64> = rows
        .iter()
        .map(|r| r.iter().enumerate().fold(0, |b, (i, &v)| if v > r[b] { i } else { b }) as f64)
        .collect();
    let got = || row_argmax(x).unwrap().to_vec().iter().map(|&i| i as f64).collect::<Vec<f64>>();
    check(&format!("argmax {what}"), &arg, got);
    // computed values (no NaN or -0.0 here: every fold order gives these bits)
    let neg: Vec<f32> = rows.iter().map(|r| r.iter().map(|v| -v).fold(f32::NEG_INFINITY, f32::max)).collect();
    check(&format!("max(-x) {what}"), &neg, || row_max_neg(x).unwrap().to_vec());
    let w: Vec<f32> = (0..x.shape()[1]).map(|j| 0.5 + j as f32 * 0.25).collect();
    let scaled: Vec<f32> =
        rows.iter().map(|r| r.iter().zip(&w).map(|(v, w)| v * w).fold(f32::INFINITY, f32::min)).collect();
    check(&format!("min(x * w) {what}"), &scaled, || row_min_scaled(x, &w).unwrap().to_vec());
}

#[test]
fn row_reductions_follow_the_block_order_on_every_thread_count() {
    for m in [1, 2, 3, 4, 7, 9, 10, 16, 31, 32, 33, 48, 63, 64, 65, 100, 128, 256, 257, 512, 513, 1100] {
        for n in [1, 5, 16, 17, 40, 3000] {
            if n * m > 400_000 {
                continue;
            }
            let x = Array::<f32, 2>::random_uniform([n, m], 7, -1.0, 1.0);
            check_sums(x.view(), &format!("[{n}, {m}] C"));
            check_others(x.view(), &format!("[{n}, {m}] C"));
        }
    }
}

#[test]
fn strided_rows_and_negative_strides() {
    let [n, m] = [301, 64];
    let wide = Array::<f32, 2>::random_uniform([n, m + 5], 9, -1.0, 1.0);
    // rows contiguous, row stride 69: a view into a wider matrix
    let sub = wide.view().slice([Slice::full(), Slice::new(Some(2), Some(2 + m as isize), 1)]).unwrap();
    check_sums(sub, "sub-view");
    check_others(sub, "sub-view");
    // every other row, rows in reverse, elements in reverse
    let every = wide.view().slice([Slice::new(None, None, 2), Slice::full()]).unwrap();
    check_sums(every, "every other row");
    let rev = wide.view().slice([Slice::new(None, None, -1), Slice::new(None, None, -1)]).unwrap();
    check_sums(rev, "reversed");
    check_others(rev, "reversed");
    // short rows apart in memory (the rows path: computed extremes staged from 16 elements on,
    // one fold per row below)
    for m in [3, 8, 15, 16, 20, 40, 63] {
        let sub = wide.view().slice([Slice::full(), Slice::new(Some(1), Some(1 + m as isize), 1)]).unwrap();
        check_sums(sub, &format!("sub-view of {m} columns"));
        check_others(sub, &format!("sub-view of {m} columns"));
    }
}

#[test]
fn short_row_extremes_keep_nan_and_signed_zero_rules() {
    // rows under 64 elements go eight per vector through the kernels crate; each row must
    // still be the in-order fold of `maximum`/`minimum`: the first NaN met wins, and between
    // 0.0 and -0.0 the later element
    let nan_a = f32::from_bits(0x7fc0_0011);
    let nan_b = f32::from_bits(0xffc0_0022);
    let patterns: [&[f32]; 6] = [
        &[0.0, -0.0, 0.0, -0.0],
        &[-0.0, 0.0, -0.0, 0.0],
        &[1.0, nan_a, 2.0, nan_b],
        &[nan_b, -3.0, nan_a, 5.0],
        &[f32::NEG_INFINITY, -1.0, f32::INFINITY, 0.5],
        &[-0.0, -0.0, 0.0, 0.0],
    ];
    for m in [1, 2, 4, 8, 9, 12, 17, 40, 63, 64, 100] {
        let n = 37;
        let x = Array::<f32, 2>::from_fn([n, m], |[i, j]| patterns[(i + j / 4) % 6][(i * 3 + j) % 4]);
        let rows = mapped(&x.view(), |_, _, v| v);
        let ones = vec![1.0f32; m];
        for max in [true, false] {
            let fold = |r: &[f32]| {
                let (&first, rest) = r.split_first().unwrap();
                let pick =
                    |a: f32, v: f32| if a.is_nan() || (if max { a > v } else { a < v }) { a } else { v };
                rest.iter().fold(first, |a, &v| pick(a, v)).to_bits()
            };
            let want: Vec<u32> = rows.iter().map(|r| fold(r)).collect();
            // computed values: staged whole rows at a time (`-x`, rows one after another) or
            // row by row (`x * w`, a broadcast row operand), the same rules
            let want_neg: Vec<u32> =
                rows.iter().map(|r| fold(&r.iter().map(|v| -v).collect::<Vec<_>>())).collect();
            for t in [1, 2] {
                let (neg, scaled) = with_threads(t, || {
                    let xv = x.view();
                    match max {
                        true => (row_max_neg(xv).unwrap(), row_max_scaled(xv, &ones).unwrap()),
                        false => (row_min_neg(xv).unwrap(), row_min_scaled(xv, &ones).unwrap()),
                    }
                });
                if m < 64 {
                    let neg: Vec<u32> = neg.to_vec().iter().map(|v| v.to_bits()).collect();
                    assert_eq!(neg, want_neg, "-x: [{n}, {m}], max {max}, {t} threads");
                    let scaled: Vec<u32> = scaled.to_vec().iter().map(|v| v.to_bits()).collect();
                    assert_eq!(scaled, want, "x * w: [{n}, {m}], max {max}, {t} threads");
                }
            }
            // argmax/argmin: the first NaN, else the first of the equal extremes (0.0 == -0.0)
            let want_at: Vec<i64> = rows
                .iter()
                .map(|r| {
                    let best =
                        r.iter()
                            .copied()
                            .fold(r[0], |a, v| if (max && v > a) || (!max && v < a) { v } else { a });
                    r.iter().position(|v| v.is_nan()).or_else(|| r.iter().position(|&v| v == best)).unwrap()
                        as i64
                })
                .collect();
            for t in [1, 2] {
                let got =
                    with_threads(t, || if max { row_max(x.view()) } else { row_min(x.view()) }).unwrap();
                let got: Vec<u32> = got.to_vec().iter().map(|v| v.to_bits()).collect();
                // (rows of 64 and more fold by the SIMD block scheme, whose NaN is one of the
                // row's NaNs, not necessarily the first: values checked under 64 only)
                if m < 64 {
                    assert_eq!(got, want, "[{n}, {m}], max {max}, {t} threads");
                }
                let at = with_threads(t, || if max { row_argmax(x.view()) } else { row_argmin(x.view()) })
                    .unwrap();
                assert_eq!(at.to_vec(), want_at, "arg [{n}, {m}], max {max}, {t} threads");
            }
        }
    }
}
