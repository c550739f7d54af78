//! The macro end to end: kernels and inline expressions against straightforward references,
//! over C, F, strided, negative-stride and broadcast operands.

use array_expr::{array_expr, Array, ArrayView, Order, Slice};
use proptest::prelude::*;

array_expr! {
    /// Affine map then leaky ReLU, broadcast over rows.
    pub fn affine_leaky(x: f32[n, m], w: f32[m], b: f32[m]) -> f32[n, m] {
        let y = x * w + b;
        where(y > 0.0, y, 0.01 * y)
    }

    fn triad(a: f64[n], b: f64[n], s: f64) -> f64[n] {
        a + s * b
    }

    fn int_mix(a: i32[n], b: i32[n]) -> i32[n] {
        (a * 3 - b) / 2 % 7 + abs(a)
    }

    fn masks(a: f32[n], b: f32[n]) -> bool[n] {
        (a > 0.5) & !(b < 0.25) | (a == b)
    }

    fn casts(a: i32[n], s: f32) -> f64[n] {
        (a as f32 * s) as f64 + sqrt(a as f64 * a as f64)
    }

    fn outer(x: f32[n, 1], y: f32[m]) -> f32[n, m] {
        x * y + 1
    }

    fn row_sum(x: f32[n, m]) -> f32[n] {
        sum(x, axis = 1)
    }

    fn col_max(x: f64[n, m]) -> f64[1, m] {
        max(x, axis = 0, keepdims)
    }

    fn standardize(x: f64[n, m]) -> f64[n, m] {
        let mu = mean(x, axis = 0);
        let d = x - mu;
        d / sqrt(mean(d * d, axis = 0) + 1e-12)
    }

    fn total(x: i16[n, m]) -> i64 {
        sum(x)
    }

    fn count_pos(x: f32[n]) -> i64 {
        sum(x > 0.0)
    }

    fn outer_newaxis(x: f32[n], y: f32[m]) -> f32[n, m] {
        x[:, newaxis] * y
    }

    fn add_transposed(a: f32[n, m], b: f32[m, n]) -> f32[n, m] {
        a + b.T
    }

    fn transpose_expr(a: f32[n, m], w: f32[m]) -> f32[m, n] {
        (a * w + 1).T
    }

    fn sq_dists(x: f64[n, d], c: f64[k, d]) -> f64[n, k] {
        sum(square(x[:, newaxis, :] - c[newaxis, :, :]), axis = 2)
    }

    fn permuted(x: i32[a, b, c]) -> i32[c, a, b] {
        transpose(x, axes = (2, 0, 1)) * 2
    }

    fn argmax_rows(x: f32[n, m]) -> i64[n] {
        argmax(x, axis = 1)
    }

    fn argmin_flat(x: i16[n, m]) -> i64 {
        argmin(x)
    }

    fn nearest(x: f64[n, d], c: f64[k, d]) -> i64[n] {
        argmin(sum(square(x[:, newaxis, :] - c[newaxis, :, :]), axis = 2), axis = 1)
    }

    fn scale_in_place(mut x: f32[n, m], s: f32) {
        x *= s
    }

    fn center_columns(mut x: f64[n, m]) {
        x -= mean(x, axis = 0)
    }

    fn axpy(mut y: f64[n], a: f64, x: f64[n]) {
        y += a * x
    }

    fn overwrite(mut y: i32[n, m], x: i32[m]) {
        y = x * 2 + 1
    }

    fn mm(a: f64[m, k], b: f64[k, n]) -> f64[m, n] {
        matmul(a, b)
    }

    fn dense_relu(x: f32[n, d], w: f32[d, h], b: f32[h]) -> f32[n, h] {
        max(matmul(x, w) + b, 0.0)
    }

    fn gram(a: f64[m, k]) -> f64[m, m] {
        matmul(a, a.T)
    }

    fn matvec(a: f64[m, k], x: f64[k]) -> f64[m] {
        matmul(a, x)
    }

    fn dot32(x: f32[n], y: f32[n]) -> f32 {
        dot(x, y)
    }

    fn scaled_product(a: f64[m, k], b: f64[k, n]) -> f64[m, n] {
        matmul(a * 2.0, b.T.T) - 1
    }

    fn int_mm(a: i32[m, k], b: i32[k, n]) -> i32[m, n] {
        matmul(a, b)
    }

    fn alpha_folded(a: f64[m, k], b: f64[k, n], s: f64) -> f64[m, n] {
        -0.5 * matmul(a * s, 2.0 * b)
    }

    fn bias_prefilled(a: f64[m, k], b: f64[k, n], c: f64[n], d: f64[m, 1]) -> f64[m, n] {
        c * d + matmul(a, b) * 3.0
    }

    fn int_alpha(a: i32[m, k], b: i32[k, n], s: i32) -> i32[m, n] {
        matmul(a, b) * s + 7
    }

    fn col_stats(x: f64[n, m]) -> (f64[m], f64[m]) {
        let mu = mean(x, axis = 0);
        (mu, sqrt(mean(square(x - mu), axis = 0)))
    }

    fn range_and_mask(x: f32[n]) -> (f32, f32, bool[n]) {
        (min(x), max(x), x > 0.0)
    }

    fn vector_chain(x: f32[n], s: f32) -> f32[n] {
        where(x > 0.0, exp(-x) * s + sigmoid(x), sqrt(abs(x)) - tanh(x))
    }

    fn rounded(x: f64[n]) -> f64[n] {
        round(x)
    }

    fn funcs(x: f64[n]) -> f64[n] {
        exp(x) + ln(abs(x) + 1) + tanh(x) + sigmoid(x) + clip(x, -0.5, 0.5) + powi(x, 3) + max(x, 0.25) + square(x)
    }
}

fn layouts(rows: usize, cols: usize, seed: u64) -> Vec<(String, Array<f32, 2>, Vec<isize>)> {
    let base = Array::<f32, 2>::random_uniform([rows * 2, cols * 2], seed, -1.0, 1.0);
    let c = base.view().slice([Slice::from(..rows), Slice::from(..cols)]).unwrap().to_owned();
    let f = c.view().to_owned_order(Order::F);
    vec![("C".into(), c, vec![]), ("F".into(), f, vec![])]
}

fn ref_affine(x: &ArrayView<'_, f32, 2>, w: &[f32], b: &[f32]) -> Vec<f32> {
    let [n, m] = x.shape();
    let mut out = Vec::new();
    for i in 0..n {
        for j in 0..m {
            let y = x.get([i, j]).unwrap() * w[j] + b[j];
            out.push(if y > 0.0 { y } else { 0.01 * y });
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn affine_matches_reference(rows in 0usize..40, cols in 0usize..40, seed in any::<u64>(), rev in any::<bool>(), step in 1isize..3) {
        for (_, x, _) in layouts(rows, cols, seed) {
            let w = Array::<f32, 1>::random_uniform([cols], seed ^ 1, -2.0, 2.0).to_vec();
            let b = Array::<f32, 1>::random_uniform([cols], seed ^ 2, -1.0, 1.0).to_vec();
            let mut v = x.view().slice([Slice::full().step_by(step), Slice::full()]).unwrap();
            if rev {
                v = v.invert_axis(1).unwrap();
            }
            let got = affine_leaky(v, &w, &b).unwrap();
            let want = ref_affine(&v, &w, &b);
            prop_assert_eq!(got.to_vec(), want.clone());
            // _into, including a transposed (F-order) destination
            let mut out_t = Array::<f32, 2>::zeros([v.shape()[1], v.shape()[0]]);
            affine_leaky_into(v, &w, &b, out_t.view_mut().reversed_axes()).unwrap();
            prop_assert_eq!(out_t.t().to_vec(), want);
        }
    }

    #[test]
    fn reductions_match_reference(rows in 0usize..30, cols in 1usize..30, seed in any::<u64>()) {
        let x = Array::<f32, 2>::random_uniform([rows, cols], seed, -1.0, 1.0);
        let rs = row_sum(&x).unwrap();
        for i in 0..rows {
            let want: f64 = (0..cols).map(|j| x[[i, j]] as f64).sum();
            prop_assert!((rs[[i]] as f64 - want).abs() <= 1e-5 * (1.0 + want.abs()));
        }
        let xd = Array::<f64, 2>::random_normal([rows, cols], seed, 0.0, 3.0);
        if rows == 0 {
            prop_assert!(col_max(&xd).is_err());
        } else {
            let cm = col_max(xd.t().t()).unwrap();
            for j in 0..cols {
                let want = (0..rows).map(|i| xd[[i, j]]).fold(f64::NEG_INFINITY, f64::max);
                prop_assert_eq!(cm[[0, j]], want);
            }
        }
    }
}

#[test]
fn kernels_compute_what_they_say() {
    let a = Array::<f64, 1>::linspace(-1.0, 1.0, 9);
    let b = Array::<f64, 1>::linspace(2.0, 3.0, 9);
    let t = triad(&a, &b, 2.0).unwrap();
    for i in 0..9 {
        assert_eq!(t[[i]], a[[i]] + 2.0 * b[[i]]);
    }

    let ia = Array::<i32, 1>::from_vec(vec![i32::MIN, -7, 0, 5, i32::MAX]);
    let ib = Array::<i32, 1>::from_vec(vec![1, 0, 3, -2, -1]);
    let got = int_mix(&ia, &ib).unwrap().to_vec();
    let want: Vec<i32> = (0..5)
        .map(|k| {
            let (x, y) = (ia[[k]], ib[[k]]);
            x.wrapping_mul(3).wrapping_sub(y).wrapping_div(2).wrapping_rem(7).wrapping_add(x.wrapping_abs())
        })
        .collect();
    assert_eq!(got, want);

    let fa = vec![0.6f32, 0.1, 0.9, 0.3];
    let fb = vec![0.3f32, 0.1, 0.2, 0.5];
    assert_eq!(masks(&fa, &fb).unwrap().to_vec(), vec![true, true, false, false]);

    let c = casts(&[1, -2, 3][..], 0.5).unwrap().to_vec();
    assert_eq!(c, vec![1.5, 1.0, 4.5]);

    let o = outer(
        Array::<f32, 2>::from_shape_vec([2, 1], vec![1.0, 2.0]).unwrap().view(),
        &[1.0f32, 10.0, 100.0],
    )
    .unwrap();
    assert_eq!(o.to_vec(), vec![2.0, 11.0, 101.0, 3.0, 21.0, 201.0]);

    let x = Array::<i16, 2>::from_fn([300, 300], |[i, j]| (i as i16).wrapping_mul(j as i16));
    let want: i64 = x.to_vec().iter().map(|&v| v as i64).sum();
    assert_eq!(total(&x).unwrap(), want);
    assert_eq!(count_pos(&[1.0f32, -1.0, 2.0, f32::NAN][..]).unwrap(), 2);

    let xs = Array::<f64, 1>::linspace(-2.0, 2.0, 33);
    let f = funcs(&xs).unwrap();
    for i in 0..33 {
        let v = xs[[i]];
        let want = v.exp()
            + (v.abs() + 1.0).ln()
            + v.tanh()
            + 1.0 / (1.0 + (-v).exp())
            + v.clamp(-0.5, 0.5)
            + v.powi(3)
            + v.max(0.25)
            + v * v;
        assert!((f[[i]] - want).abs() < 1e-12, "{i}: {} vs {want}", f[[i]]);
    }
}

#[test]
fn standardize_is_two_reduction_passes() {
    let x = Array::<f64, 2>::random_normal([50, 4], 3, 5.0, 2.0);
    let z = standardize(&x).unwrap();
    for j in 0..4 {
        let col: Vec<f64> = (0..50).map(|i| z[[i, j]]).collect();
        let m = col.iter().sum::<f64>() / 50.0;
        let v = col.iter().map(|c| (c - m) * (c - m)).sum::<f64>() / 50.0;
        assert!(m.abs() < 1e-12 && (v - 1.0).abs() < 1e-9, "col {j}: mean {m} var {v}");
    }
}

#[test]
fn inline_form_over_locals() {
    let x = vec![1.0f32, 2.0, 3.0];
    let y = Array::<f32, 1>::from_vec(vec![0.5, 0.5, 0.5]);
    let d2 = array_expr!((x: f32[n], y: f32[n]) => sum((x - y) * (x - y))).unwrap();
    assert_eq!(d2, 0.25 + 2.25 + 6.25);
    let s = 3.0f32;
    let z = array_expr!((x: f32[n], s: f32) => { let t = x * s; t + 1 }).unwrap();
    assert_eq!(z.to_vec(), vec![4.0, 7.0, 10.0]);
}

#[test]
fn runtime_shape_errors_name_argument_axis_symbol_and_sizes() {
    let x = Array::<f32, 2>::zeros([3, 4]);
    let w = vec![0.0f32; 4];
    let b = vec![0.0f32; 5];
    let e = affine_leaky(&x, &w, &b).unwrap_err();
    assert_eq!(e.to_string(), "argument `b` axis 0: expected `m` = 4 (bound by `x` axis 1), found 5");
    let mut out = Array::<f32, 2>::zeros([3, 5]);
    let e = affine_leaky_into(&x, &w, &w, &mut out).unwrap_err();
    assert_eq!(e.to_string(), "argument `out` axis 1: expected `m` = 4 (bound by `x` axis 1), found 5");
    let e = col_max(&Array::<f64, 2>::zeros([0, 3])).unwrap_err();
    assert_eq!(e.to_string(), "`max` of an empty array has no value");
}

#[test]
fn new_axes_and_transposes() {
    let x = vec![1.0f32, 2.0];
    let y = vec![10.0f32, 20.0, 30.0];
    assert_eq!(outer_newaxis(&x, &y).unwrap().to_vec(), vec![10.0, 20.0, 30.0, 20.0, 40.0, 60.0]);

    let a = Array::<f32, 2>::from_fn([2, 3], |[i, j]| (i * 3 + j) as f32);
    let b = Array::<f32, 2>::from_fn([3, 2], |[i, j]| (100 * i + 10 * j) as f32);
    let s = add_transposed(&a, &b).unwrap();
    for i in 0..2 {
        for j in 0..3 {
            assert_eq!(s[[i, j]], a[[i, j]] + b[[j, i]]);
        }
    }
    let w = vec![1.0f32, 2.0, 3.0];
    let t = transpose_expr(&a, &w).unwrap();
    assert_eq!(t.shape(), [3, 2]);
    for i in 0..2 {
        for j in 0..3 {
            assert_eq!(t[[j, i]], a[[i, j]] * w[j] + 1.0);
        }
    }

    let xs = Array::<f64, 2>::random_normal([7, 4], 1, 0.0, 1.0);
    let cs = Array::<f64, 2>::random_normal([3, 4], 2, 0.0, 1.0);
    let d = sq_dists(&xs, cs.t().t()).unwrap();
    for i in 0..7 {
        for k in 0..3 {
            let want: f64 = (0..4).map(|j| (xs[[i, j]] - cs[[k, j]]).powi(2)).sum();
            assert!((d[[i, k]] - want).abs() < 1e-12);
        }
    }

    let x3 = Array::<i32, 3>::from_fn([2, 3, 4], |[i, j, k]| (i * 100 + j * 10 + k) as i32);
    let p = permuted(&x3).unwrap();
    assert_eq!(p.shape(), [4, 2, 3]);
    assert_eq!(p[[3, 1, 2]], 2 * x3[[1, 2, 3]]);
}

#[test]
fn arg_reductions_return_first_occurrence_in_logical_order() {
    let data =
        vec![1.0f32, 5.0, 5.0, 0.0, /**/ 2.0, 2.0, -1.0, 2.0, /**/ 0.0, f32::NAN, 9.0, f32::NAN];
    let c = Array::<f32, 2>::from_shape_vec([3, 4], data.clone()).unwrap();
    let f = c.view().to_owned_order(Order::F);
    for x in [&c, &f] {
        assert_eq!(argmax_rows(x).unwrap().to_vec(), vec![1, 0, 1]);
    }
    let big = Array::<f32, 2>::random_uniform([5, 2000], 9, 0.0, 1.0);
    let got = argmax_rows(big.view().to_owned_order(Order::F).view()).unwrap();
    for i in 0..5 {
        let row: Vec<f32> = (0..2000).map(|j| big[[i, j]]).collect();
        let want = row.iter().enumerate().fold(0, |b, (j, &v)| if v > row[b] { j } else { b });
        assert_eq!(got[[i]], want as i64);
    }
    let ints = Array::<i16, 2>::from_fn([30, 40], |[i, j]| ((i * 7 + j * 13) % 17) as i16 - 8);
    let flat = ints.to_vec();
    let want = flat.iter().enumerate().fold(0, |b, (j, &v)| if v < flat[b] { j } else { b });
    assert_eq!(argmin_flat(ints.t().t()).unwrap(), want as i64);
    assert_eq!(
        argmin_flat(&Array::<i16, 2>::zeros([0, 3])).unwrap_err().to_string(),
        "`argmin` of an empty array has no value"
    );

    let xs = Array::<f64, 2>::random_normal([50, 3], 4, 0.0, 1.0);
    let cs = Array::<f64, 2>::random_normal([6, 3], 5, 0.0, 1.0);
    let got = nearest(&xs, &cs).unwrap();
    for i in 0..50 {
        let d = |k: usize| (0..3).map(|j| (xs[[i, j]] - cs[[k, j]]).powi(2)).sum::<f64>();
        let want = (0..6).fold(0, |b, k| if d(k) < d(b) { k } else { b });
        assert_eq!(got[[i]], want as i64);
    }
}

#[test]
fn in_place_updates() {
    let mut x = Array::<f32, 2>::from_fn([3, 4], |[i, j]| (i * 4 + j) as f32);
    let before = x.clone();
    scale_in_place(&mut x, 2.0).unwrap();
    assert_eq!(x.to_vec(), before.to_vec().iter().map(|v| v * 2.0).collect::<Vec<_>>());
    // a strided, transposed destination
    let mut big = Array::<f32, 2>::ones([6, 8]);
    let v =
        big.view_mut().slice([Slice::full().step_by(2), Slice::full().step_by(-2)]).unwrap().reversed_axes();
    scale_in_place(v, 3.0).unwrap();
    let threes = big.to_vec().iter().filter(|&&v| v == 3.0).count();
    assert_eq!(threes, 12);

    let mut c = Array::<f64, 2>::random_normal([40, 3], 8, 10.0, 2.0);
    center_columns(&mut c).unwrap();
    for j in 0..3 {
        let m: f64 = (0..40).map(|i| c[[i, j]]).sum::<f64>() / 40.0;
        assert!(m.abs() < 1e-12);
    }

    let mut y = vec![1.0f64, 2.0, 3.0];
    axpy(&mut y, 2.0, &[1.0f64, 1.0, 1.0][..]).unwrap();
    assert_eq!(y, vec![3.0, 4.0, 5.0]);

    let mut z = Array::<i32, 2>::zeros([2, 3]);
    overwrite(&mut z, &[1, 2, 3][..]).unwrap();
    assert_eq!(z.to_vec(), vec![3, 5, 7, 3, 5, 7]);
    let e = axpy(&mut y, 1.0, &[1.0f64][..]).unwrap_err();
    assert_eq!(e.to_string(), "argument `x` axis 0: expected `n` = 3 (bound by `y` axis 0), found 1");
}

fn naive_mm(a: &ArrayView<'_, f64, 2>, b: &ArrayView<'_, f64, 2>) -> Vec<f64> {
    let ([m, k], [_, n]) = (a.shape(), b.shape());
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| a.get([i, p]).unwrap() * b.get([p, j]).unwrap()).sum();
        }
    }
    out
}

#[test]
fn matmul_dot_and_epilogues() {
    let a = Array::<f64, 2>::random_normal([7, 5], 1, 0.0, 1.0);
    let b = Array::<f64, 2>::random_normal([5, 3], 2, 0.0, 1.0);
    let close = |x: &[f64], y: &[f64]| x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-12);
    let want = naive_mm(&a.view(), &b.view());
    assert!(close(&mm(&a, &b).unwrap().to_vec(), &want));
    // transposed and F-order operands, F-order output
    let at = a.view().to_owned_order(Order::F);
    let mut out = Array::<f64, 2>::zeros([3, 7]);
    mm_into(&at, b.t().t(), out.view_mut().reversed_axes()).unwrap();
    assert!(close(&out.t().to_vec(), &want));
    let scaled: Vec<f64> = naive_mm(&a.view(), &b.view()).iter().map(|v| 2.0 * v - 1.0).collect();
    assert!(close(&scaled_product(&a, &b).unwrap().to_vec(), &scaled));
    let g = gram(&a).unwrap();
    assert!(close(&g.to_vec(), &naive_mm(&a.view(), &a.t())));

    let x = Array::<f32, 2>::random_normal([6, 4], 3, 0.0, 1.0);
    let w = Array::<f32, 2>::random_normal([4, 5], 4, 0.0, 1.0);
    let bias = Array::<f32, 1>::random_normal([5], 5, 0.0, 1.0);
    let y = dense_relu(&x, &w, &bias).unwrap();
    for i in 0..6 {
        for j in 0..5 {
            let z: f32 = (0..4).map(|p| x[[i, p]] * w[[p, j]]).sum::<f32>() + bias[[j]];
            assert!((y[[i, j]] - z.max(0.0)).abs() < 1e-5);
        }
    }

    let v = Array::<f64, 1>::random_normal([5], 6, 0.0, 1.0);
    let mv = matvec(&a, &v).unwrap();
    for i in 0..7 {
        let want: f64 = (0..5).map(|p| a[[i, p]] * v[[p]]).sum();
        assert!((mv[[i]] - want).abs() < 1e-12);
    }
    assert_eq!(dot32(&[1.0f32, 2.0, 3.0][..], &[4.0f32, 5.0, 6.0][..]).unwrap(), 32.0);
    let ia = Array::<i32, 2>::from_fn([3, 4], |[i, j]| (i * 4 + j) as i32 - 5);
    let ib = Array::<i32, 2>::from_fn([4, 2], |[i, j]| (i + 2 * j) as i32);
    let got = int_mm(&ia, &ib).unwrap();
    for i in 0..3 {
        for j in 0..2 {
            let want: i32 = (0..4).map(|p| ia[[i, p]] * ib[[p, j]]).sum();
            assert_eq!(got[[i, j]], want);
        }
    }
    // scalar factors fold into GEMM's alpha; an addend pre-fills the output (beta = 1)
    let p = naive_mm(&a.view(), &b.view());
    let got = alpha_folded(&a, &b, 1.5).unwrap().to_vec();
    assert!(close(&got, &p.iter().map(|v| -1.5 * v).collect::<Vec<_>>()));
    let c = Array::<f64, 1>::random_normal([3], 7, 0.0, 1.0);
    let d = Array::<f64, 2>::random_normal([7, 1], 8, 0.0, 1.0);
    let got = bias_prefilled(&a, &b, &c, &d).unwrap();
    for i in 0..7 {
        for j in 0..3 {
            assert!((got[[i, j]] - (c[[j]] * d[[i, 0]] + 3.0 * p[i * 3 + j])).abs() < 1e-12);
        }
    }
    // F-order output, written through `_into` with the pre-fill
    let mut out = Array::<f64, 2>::zeros([3, 7]);
    bias_prefilled_into(&a, &b, &c, &d, out.view_mut().reversed_axes()).unwrap();
    assert!(close(&out.t().to_owned_order(Order::C).to_vec(), &got.to_vec()));
    let got = int_alpha(&ia, &ib, -3).unwrap();
    for i in 0..3 {
        for j in 0..2 {
            let want: i32 = (0..4).map(|p| ia[[i, p]] * ib[[p, j]]).sum::<i32>() * -3 + 7;
            assert_eq!(got[[i, j]], want);
        }
    }
    let e = mm(&a, &a).unwrap_err();
    assert_eq!(e.to_string(), "argument `b` axis 0: expected `k` = 5 (bound by `a` axis 1), found 7");
}

#[test]
fn several_outputs() {
    let x = Array::<f64, 2>::random_normal([200, 3], 11, 4.0, 2.0);
    let (mu, sd) = col_stats(&x).unwrap();
    for j in 0..3 {
        let col: Vec<f64> = (0..200).map(|i| x[[i, j]]).collect();
        let m = col.iter().sum::<f64>() / 200.0;
        let v = col.iter().map(|c| (c - m) * (c - m)).sum::<f64>() / 200.0;
        assert!((mu[[j]] - m).abs() < 1e-12 && (sd[[j]] - v.sqrt()).abs() < 1e-12);
    }
    let (mut a, mut b) = (Array::<f64, 1>::zeros([3]), Array::<f64, 1>::zeros([3]));
    col_stats_into(&x, &mut a, &mut b).unwrap();
    assert_eq!((a.to_vec(), b.to_vec()), (mu.to_vec(), sd.to_vec()));
    let e = col_stats_into(&x, &mut a, &mut Array::<f64, 1>::zeros([4])).unwrap_err();
    assert_eq!(e.to_string(), "argument `out1` axis 0: expected `m` = 3 (bound by `x` axis 1), found 4");
    let (lo, hi, mask) = range_and_mask(&[0.5f32, -2.0, 3.0][..]).unwrap();
    assert_eq!((lo, hi, mask.to_vec()), (-2.0, 3.0, vec![true, false, true]));
}

#[test]
fn single_axis_reductions_are_bit_identical_across_layouts() {
    let x = Array::<f32, 2>::random_normal([5000, 37], 12, 1.0, 3.0);
    let c = row_sum(x.t()).unwrap();
    let f = row_sum(x.view().to_owned_order(Order::F).t()).unwrap();
    let s = row_sum(x.view().invert_axis(0).unwrap().invert_axis(0).unwrap().t()).unwrap();
    assert_eq!(
        c.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        f.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(c.to_vec(), s.to_vec());
}

#[test]
fn round_ties_to_even_like_numpy() {
    let r = rounded(&[0.5f64, 1.5, 2.5, -0.5, -2.5, 2.6][..]).unwrap();
    assert_eq!(r.to_vec(), vec![0.0, 2.0, 2.0, -0.0, -2.0, 3.0]);
}

#[test]
fn vector_loops_cover_every_tail_and_do_not_depend_on_position() {
    let all = Array::<f32, 1>::random_uniform([80], 21, -3.0, 3.0).to_vec();
    for len in 0..=40 {
        let x = &all[..len];
        let got = vector_chain(x, 1.5).unwrap().to_vec();
        for (k, (&g, &v)) in got.iter().zip(x).enumerate() {
            let want =
                if v > 0.0 { (-v).exp() * 1.5 + 1.0 / (1.0 + (-v).exp()) } else { v.abs().sqrt() - v.tanh() };
            assert!(
                (g - want).abs() <= 4.0 * f32::EPSILON * (1.0 + want.abs()),
                "len {len} k {k}: {g} vs {want}"
            );
        }
        // the same values at another offset (other lanes, other tail) give the same bits
        let shifted = vector_chain(&all[3..3 + len], 1.5).unwrap().to_vec();
        let direct = vector_chain(&all[3..3 + len].to_vec(), 1.5).unwrap().to_vec();
        assert_eq!(
            shifted.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            direct.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
    // strided input: every element still goes through the vector code
    let big = Array::<f32, 1>::from_vec(all.clone());
    let strided = big.view().slice([array_expr::Slice::full().step_by(2)]).unwrap();
    let got = vector_chain(strided, 1.5).unwrap().to_vec();
    let want = vector_chain(&strided.to_vec(), 1.5).unwrap().to_vec();
    assert_eq!(got, want);
}

#[test]
fn long_min_max_reductions_propagate_nan_and_match_reference() {
    let mut x = Array::<f64, 2>::random_normal([1000, 5], 31, 0.0, 10.0);
    x[[700, 2]] = f64::NAN;
    x[[10, 4]] = f64::INFINITY;
    let got = col_max(&x).unwrap();
    for j in 0..5 {
        let col: Vec<f64> = (0..1000).map(|i| x[[i, j]]).collect();
        if j == 2 {
            assert!(got[[0, j]].is_nan());
        } else {
            assert_eq!(got[[0, j]], col.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        }
    }
    let y = Array::<i16, 2>::from_fn([3, 700], |[i, j]| ((i * 7919 + j * 104729) % 2001) as i16 - 1000);
    let ext = i16::extremes_long(&y).unwrap();
    for i in 0..3 {
        let row: Vec<i16> = (0..700).map(|j| y[[i, j]]).collect();
        assert_eq!(ext[[i]], row.iter().max().unwrap() - row.iter().min().unwrap());
    }
}

mod i16 {
    use super::*;
    array_expr! {
        pub(crate) fn extremes_long(a: i16[n, m]) -> i16[n] { max(a, axis = 1) - min(a, axis = 1) }
    }
}
