//! Edge cases, one test each: zero-size and size-1 dims, byte-size limits, NaN / infinities /
//! signed zeros through every operation and reduction, subnormals, integer overflow, unaligned
//! views, in-place updates that read their output, and one kernel called from many threads.
//!
//! Most kernels come in two forms: a single-float-dtype one (the explicit SIMD vector loop) and
//! one that also reads an `i32` operand (the scalar block-staged loop), so both code paths are
//! held to the same answers.

use array_expr::{array_expr, Array, ArrayView, ErrorKind, Slice};

array_expr! {
    fn add_rows(x: f32[n, m], w: f32[m]) -> f32[n, m] { x * w + 1.0 }
    fn sums(x: f64[n, m]) -> (f64[n], f64[m], f64, f64, f64) {
        (sum(x, axis = 1), prod(x, axis = 0), sum(x), prod(x), mean(x))
    }
    fn col_min(x: f32[n, m]) -> f32[m] { min(x, axis = 0) }
    fn first_max(x: f32[n, m]) -> i64 { argmax(x) }
    fn masks(x: f32[n, m]) -> (bool, bool) { (any(x > 0.0), all(x > 0.0)) }
    fn int_sums(x: i32[n, m]) -> (i64[m], i64) { (sum(x, axis = 0), prod(x)) }
    fn scale(mut y: f64[n, m], s: f64) { y *= s }
    fn ones3(a: f32[n, m, k], b: f32[1, m, 1], c: f32[k], s: f32) -> f32[n, m, k] {
        (a - b) * c + sum(a, axis = (0, 2), keepdims) + s
    }
    fn outer(x: f32[n], y: f32[m]) -> f32[n, m] { x[:, newaxis] * y }

    // Every elementwise operation on floats: the vector path ...
    fn fops(a: f64[n], b: f64[n]) -> (f64[n], f64[n], f64[n], f64[n], f64[n], f64[n], f64[n], f64[n], f64[n]) {
        (a + b, a - b, a * b, a / b, a % b, min(a, b), max(a, b), clip(a, b, 1.0), -a)
    }
    // ... and the scalar path (an i32 operand in the pass; `* 1.0` keeps every bit, -0.0 too).
    fn fops_s(a: f64[n], b: f64[n], z: i32[n]) -> (f64[n], f64[n], f64[n], f64[n], f64[n], f64[n], f64[n], f64[n], f64[n]) {
        let o = z as f64;
        ((a + b) * o, (a - b) * o, (a * b) * o, (a / b) * o, (a % b) * o, min(a, b) * o, max(a, b) * o, clip(a, b, 1.0) * o, -a * o)
    }
    fn fcmp(a: f32[n], b: f32[n]) -> (bool[n], bool[n], bool[n], bool[n], bool[n], bool[n]) {
        (a < b, a <= b, a > b, a >= b, a == b, a != b)
    }
    fn fsel(a: f32[n], b: f32[n]) -> f32[n] { where(a < b, a, b) }
    fn fcast(a: f32[n]) -> (i32[n], u8[n], i64[n], bool[n], f64[n]) {
        (a as i32, a as u8, a as i64, a as bool, a as f64)
    }
    fn funcs(x: f64[n]) -> (f64[n], f64[n], f64[n], f64[n], f64[n], f64[n], f64[n], f64[n], f64[n]) {
        (sqrt(x), exp(x), ln(x), log1p(x), sin(x), tanh(x), floor(x), round(x), abs(x))
    }
    fn funcs32(x: f32[n]) -> (f32[n], f32[n], f32[n], f32[n], f32[n], f32[n], f32[n], f32[n], f32[n]) {
        (sqrt(x), exp(x), ln(x), log1p(x), sin(x), tanh(x), floor(x), round(x), abs(x))
    }
    fn reds(x: f64[n]) -> (f64, f64, f64, f64, f64, i64, i64) {
        (sum(x), prod(x), mean(x), min(x), max(x), argmin(x), argmax(x))
    }
    fn halve(x: f32[n]) -> f32[n] { x * 0.5 }
    fn halve_s(x: f32[n], z: i32[n]) -> f32[n] { x * 0.5 + z as f32 }
    fn sub_ops(x: f64[n]) -> (f64[n], f64[n], f64, bool[n]) { (sqrt(x), x * x, sum(x), x > 0.0) }

    fn iops(a: i32[n], b: i32[n]) -> (i32[n], i32[n], i32[n], i32[n], i32[n], i32[n], i32[n]) {
        (a + b, a - b, a * b, a / b, a % b, -a, abs(a))
    }
    fn u8ops(a: u8[n], b: u8[n]) -> (u8[n], u8[n], u8[n], u8[n], u8[n]) { (a + b, a - b, a * b, a / b, a % b) }
    fn icast(a: i32[n]) -> (u8[n], i8[n], u64[n], f32[n]) { (a as u8, a as i8, a as u64, a as f32) }
    fn isum(a: i64[n]) -> i64 { sum(a) }
    fn usum(a: u64[n]) -> u64 { sum(a) }
    fn iprod(a: i32[n]) -> i64 { prod(a) }

    fn bump(mut y: f32[n, m]) { y += y * 2.0 }
    fn center(mut y: f64[n, m]) { y = y - mean(y, axis = 0) }
    fn square_minus_total(mut y: i64[n]) { y = y * y - sum(y) }

    fn softmax(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn zero_size_dims() {
    for shape in [[0, 3], [3, 0], [0, 0]] {
        let x = Array::<f32, 2>::zeros(shape);
        let w = vec![1.0f32; shape[1]];
        let y = add_rows(&x, &w).unwrap();
        assert_eq!(y.shape(), shape);
        let mut out = Array::<f32, 2>::zeros(shape);
        add_rows_into(&x, &w, &mut out).unwrap();
        let xd = Array::<f64, 2>::zeros(shape);
        let (rs, cp, s, p, m) = sums(&xd).unwrap();
        assert_eq!((rs.to_vec(), cp.to_vec()), (vec![0.0; shape[0]], vec![1.0; shape[1]]));
        assert_eq!((s, p), (0.0, 1.0), "empty sum is 0 and empty prod is 1");
        assert!(m.is_nan(), "the mean of nothing is NaN");
        assert_eq!(masks(&x).unwrap(), (false, true), "empty any is false, empty all is true");
        let e = first_max(&x).unwrap_err();
        assert_eq!(e.to_string(), "`argmax` of an empty array has no value");
        let (cs, ip) = int_sums(&Array::<i32, 2>::zeros(shape)).unwrap();
        assert_eq!((cs.to_vec(), ip), (vec![0; shape[1]], 1));
        let mut z = Array::<f64, 2>::zeros(shape);
        scale(&mut z, 2.0).unwrap();
    }
    // a column minimum over zero rows has no value; over zero columns it is an empty result
    let e = col_min(&Array::<f32, 2>::zeros([0, 3])).unwrap_err();
    assert_eq!(e.to_string(), "`min` of an empty array has no value");
    assert_eq!(col_min(&Array::<f32, 2>::zeros([3, 0])).unwrap().shape(), [0]);
}

#[test]
fn size_one_dims_everywhere() {
    let a = Array::<f32, 3>::full([1, 1, 1], 3.0);
    let got = ones3(&a, &Array::full([1, 1, 1], 0.5), &[2.0f32][..], 0.25).unwrap();
    assert_eq!(got.to_vec(), vec![(3.0 - 0.5) * 2.0 + 3.0 + 0.25]);
    // broadcasting a size-1 operand against every size, through a size-1 kept axis
    let a = Array::<f32, 3>::from_fn([2, 3, 4], |[i, j, k]| (i * 12 + j * 4 + k) as f32);
    let b = Array::<f32, 3>::from_fn([1, 3, 1], |[_, j, _]| j as f32);
    let c = vec![1.0f32, -1.0, 2.0, 0.5];
    let got = ones3(&a, &b, &c, 1.0).unwrap();
    for i in 0..2 {
        for j in 0..3 {
            for k in 0..4 {
                let col: f32 =
                    (0..2).flat_map(|p| (0..4).map(move |q| (p, q))).map(|(p, q)| a[[p, j, q]]).sum();
                let want = (a[[i, j, k]] - b[[0, j, 0]]) * c[k] + col + 1.0;
                assert_eq!(got[[i, j, k]], want, "{i} {j} {k}");
            }
        }
    }
    let x = Array::<f32, 1>::from_vec(vec![2.0]);
    assert_eq!(outer(&x, &x).unwrap().to_vec(), vec![4.0]);
    assert_eq!(first_max(&Array::<f32, 2>::full([1, 1], 7.0)).unwrap(), 0);
}

#[test]
fn byte_size_limits() {
    let max_f32 = isize::MAX as usize / 4;
    assert_eq!(array_expr::layout::checked_len("x", &[max_f32], 4).unwrap(), max_f32);
    let e = array_expr::layout::checked_len("x", &[max_f32 + 1], 4).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overflow);
    assert_eq!(
        e.to_string(),
        format!("x: shape [{}] needs more than isize::MAX bytes (4 bytes per element)", max_f32 + 1)
    );
    // the largest broadcast view that fits, over one element, and the first that does not
    let one = [1.5f32];
    let v = ArrayView::from_shape_strides(&one, [2, max_f32 / 2], [0, 0], 0).unwrap();
    assert_eq!(v.len(), max_f32 - 1);
    let e = ArrayView::from_shape_strides(&one, [2, max_f32 / 2 + 1], [0, 0], 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "data: shape [2, {}] needs more than isize::MAX bytes (4 bytes per element)",
            max_f32 / 2 + 1
        )
    );
    // a kernel whose output would not fit returns the error instead of aborting
    let x = ArrayView::from_shape_strides(&one, [1 << 31], [0], 0).unwrap();
    let y = ArrayView::from_shape_strides(&one, [1 << 30], [0], 0).unwrap();
    let e = outer(x, y).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overflow);
    assert_eq!(
        e.to_string(),
        format!(
            "shape: shape [{}, {}] needs more than isize::MAX bytes (4 bytes per element)",
            1u64 << 31,
            1u64 << 30
        )
    );
    // a huge but empty operand is fine: zero bytes
    let empty = ArrayView::from_shape_strides(&one, [0, max_f32], [0, 0], 0).unwrap();
    assert_eq!(masks(empty).unwrap(), (false, true));
    assert_eq!(first_max(empty).unwrap_err().to_string(), "`argmax` of an empty array has no value");
}

const SPECIAL: [f64; 12] =
    [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1.0, -1.0, 2.5, 5e-324, -1e-310, f64::MAX, -0.5];

/// Same IEEE value, sign of zero included (any NaN equals any NaN).
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The Numerics Contract's min/max: NaN-propagating; between equal values the second operand.
fn cmin(a: f64, b: f64) -> f64 {
    if a.is_nan() || a < b {
        a
    } else {
        b
    }
}
fn cmax(a: f64, b: f64) -> f64 {
    if a.is_nan() || a > b {
        a
    } else {
        b
    }
}

#[test]
fn nan_inf_and_signed_zero_through_every_elementwise_op() {
    let pairs: Vec<(f64, f64)> = SPECIAL.iter().flat_map(|&a| SPECIAL.iter().map(move |&b| (a, b))).collect();
    let a: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let b: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let ones = vec![1i32; a.len()];
    let v = fops(&a, &b).unwrap();
    let s = fops_s(&a, &b, &ones).unwrap();
    let got_v = [v.0, v.1, v.2, v.3, v.4, v.5, v.6, v.7, v.8];
    let got_s = [s.0, s.1, s.2, s.3, s.4, s.5, s.6, s.7, s.8];
    let names = ["+", "-", "*", "/", "%", "min", "max", "clip", "neg"];
    for (i, &(x, y)) in pairs.iter().enumerate() {
        let want = [x + y, x - y, x * y, x / y, x % y, cmin(x, y), cmax(x, y), cmin(cmax(x, y), 1.0), -x];
        for k in 0..9 {
            let (gv, gs) = (got_v[k][[i]], got_s[k][[i]]);
            assert!(same(gv, want[k]), "vector {x:?} {} {y:?} = {gv:?}, want {:?}", names[k], want[k]);
            assert!(same(gs, want[k]), "scalar {x:?} {} {y:?} = {gs:?}, want {:?}", names[k], want[k]);
        }
    }
    let a32: Vec<f32> = a.iter().map(|&x| x as f32).collect();
    let b32: Vec<f32> = b.iter().map(|&x| x as f32).collect();
    let c = fcmp(&a32, &b32).unwrap();
    let sel = fsel(&a32, &b32).unwrap();
    for (i, (&x, &y)) in a32.iter().zip(&b32).enumerate() {
        let want = [x < y, x <= y, x > y, x >= y, x == y, x != y];
        let got = [c.0[[i]], c.1[[i]], c.2[[i]], c.3[[i]], c.4[[i]], c.5[[i]]];
        assert_eq!(got, want, "comparisons of {x:?} and {y:?}");
        let w = if x < y { x } else { y };
        assert_eq!(sel[[i]].to_bits(), w.to_bits(), "where({x:?} < {y:?})");
    }
    let (i32s, u8s, i64s, bools, f64s) = fcast(&a32).unwrap();
    for (i, &x) in a32.iter().enumerate() {
        assert_eq!((i32s[[i]], u8s[[i]], i64s[[i]]), (x as i32, x as u8, x as i64), "casts of {x:?}");
        assert_eq!(bools[[i]], x != 0.0, "{x:?} as bool");
        assert!(same(f64s[[i]], x as f64));
    }
}

#[test]
fn nan_inf_and_signed_zero_through_float_functions() {
    let extra = [0.5, -2.5, 710.0, -750.0, 1e-300, f64::MIN_POSITIVE, -f64::MIN_POSITIVE];
    let x: Vec<f64> = SPECIAL.iter().chain(&extra).copied().collect();
    let std_f: [fn(f64) -> f64; 9] = [
        f64::sqrt,
        f64::exp,
        f64::ln,
        f64::ln_1p,
        f64::sin,
        f64::tanh,
        f64::floor,
        f64::round_ties_even,
        f64::abs,
    ];
    let check = |got: f64, want: f64, ulp: f64, what: &str| {
        let ok = if want.is_finite() && want != 0.0 {
            (got - want).abs() <= 4.0 * ulp * want.abs()
        } else {
            same(got, want)
        };
        assert!(ok, "{what}: got {got:?}, want {want:?}");
    };
    let g = funcs(&x).unwrap();
    let got = [g.0, g.1, g.2, g.3, g.4, g.5, g.6, g.7, g.8];
    for (i, &v) in x.iter().enumerate() {
        for (k, f) in std_f.iter().enumerate() {
            check(got[k][[i]], f(v), f64::EPSILON, &format!("f64 function {k} of {v:?}"));
        }
    }
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let g = funcs32(&x32).unwrap();
    let got = [g.0, g.1, g.2, g.3, g.4, g.5, g.6, g.7, g.8];
    for (i, &v) in x32.iter().enumerate() {
        for (k, f) in std_f.iter().enumerate() {
            let want = f(v as f64) as f32 as f64;
            check(got[k][[i]] as f64, want, f32::EPSILON as f64, &format!("f32 function {k} of {v:?}"));
        }
    }
}

#[test]
fn nan_inf_and_signed_zero_through_every_reduction() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    // (input, sum, prod, mean, min, max, argmin, argmax)
    let cases: [(Vec<f64>, [f64; 5], [i64; 2]); 6] = [
        (vec![1.0, nan, 2.0, nan], [nan, nan, nan, nan, nan], [1, 1]),
        (vec![inf, -inf], [nan, -inf, nan, -inf, inf], [1, 0]),
        (vec![2.0, inf, 1.0], [inf, inf, inf, 1.0, inf], [2, 1]),
        (vec![0.0, inf], [inf, nan, inf, 0.0, inf], [0, 1]),
        (vec![-0.0], [0.0, -0.0, 0.0, -0.0, -0.0], [0, 0]),
        (vec![-1.0, -0.0, 3.0], [2.0, 0.0, 2.0 / 3.0, -1.0, 3.0], [0, 2]),
    ];
    for (x, want, idx) in cases {
        let (s, p, m, lo, hi, amin, amax) = reds(&x).unwrap();
        for (got, w) in [s, p, m, lo, hi].into_iter().zip(want) {
            // the sign of a zero sum is not part of the contract (NumPy keeps -0.0 for [-0.0])
            let ok = if w == 0.0 { got == 0.0 } else { same(got, w) };
            assert!(ok, "{x:?}: got {got:?}, want {w:?}");
        }
        assert_eq!([amin, amax], idx, "{x:?}");
    }
    // long inputs go through the SIMD block reductions: one NaN or infinity anywhere decides
    for pos in [0, 7, 511, 512, 700, 999] {
        let mut x: Vec<f64> = (0..1000).map(|i| (i % 17) as f64 - 8.0).collect();
        x[pos] = nan;
        let (s, p, m, lo, hi, amin, amax) = reds(&x).unwrap();
        assert!([s, p, m, lo, hi].iter().all(|v| v.is_nan()), "NaN at {pos}");
        assert_eq!((amin, amax), (pos as i64, pos as i64));
        x[pos] = -inf;
        let (s, _, _, lo, _, amin, _) = reds(&x).unwrap();
        assert_eq!((s, lo, amin), (-inf, -inf, pos as i64));
    }
}

#[test]
fn subnormals_are_kept_not_flushed() {
    let tiny32 = [f32::MIN_POSITIVE, f32::MIN_POSITIVE * 3.0, 1e-45, 3e-45, -1e-40, 1.5e-38];
    let x: Vec<f32> = (0..40).map(|i| tiny32[i % tiny32.len()]).collect();
    let want: Vec<u32> = x.iter().map(|v| (v * 0.5).to_bits()).collect();
    let zeros = vec![0i32; x.len()];
    for got in [halve(&x).unwrap(), halve_s(&x, &zeros).unwrap()] {
        assert_eq!(got.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want);
    }
    let sub = 5e-324f64;
    let x = vec![sub; 1000];
    let (r, sq, s, pos) = sub_ops(&x).unwrap();
    assert_eq!(r[[0]], sub.sqrt());
    assert_eq!(bits(&sq.to_vec()), vec![0; 1000], "the square underflows to +0");
    assert_eq!(s, sub * 1000.0, "a sum of subnormals is exact");
    assert!(pos.to_vec().iter().all(|&p| p));
}

#[test]
fn integer_overflow_wraps_and_reductions_report_it() {
    let a = vec![i32::MAX, i32::MIN, i32::MIN, 7, -7, i32::MIN, 0, 100_000];
    let b = vec![1, -1, 0, 0, 2, i32::MIN, i32::MIN, 100_000];
    let (add, sub, mul, div, rem, neg, abs) = iops(&a, &b).unwrap();
    for i in 0..a.len() {
        let (x, y) = (a[i], b[i]);
        let d = if y == 0 { 0 } else { x.wrapping_div(y) };
        let r = if y == 0 { 0 } else { x.wrapping_rem(y) };
        let want = (
            x.wrapping_add(y),
            x.wrapping_sub(y),
            x.wrapping_mul(y),
            d,
            r,
            x.wrapping_neg(),
            x.wrapping_abs(),
        );
        assert_eq!(
            (add[[i]], sub[[i]], mul[[i]], div[[i]], rem[[i]], neg[[i]], abs[[i]]),
            want,
            "{x} and {y}"
        );
    }
    assert_eq!(div[[1]], i32::MIN, "MIN / -1 wraps to MIN");
    let (add, sub, mul, div, rem) = u8ops(&[250u8, 3, 16, 5][..], &[10u8, 5, 16, 0][..]).unwrap();
    assert_eq!(
        (add.to_vec(), sub.to_vec(), mul.to_vec()),
        (vec![4, 8, 32, 5], vec![240, 254, 0, 5], vec![196, 15, 0, 0])
    );
    assert_eq!((div[[3]], rem[[3]]), (0, 0), "division by zero gives 0");
    let (u8s, i8s, u64s, f32s) = icast(&[300, -1, 200, 16_777_217][..]).unwrap();
    assert_eq!((u8s.to_vec(), i8s.to_vec()), (vec![44, 255, 200, 1], vec![44, -1, -56, 1]));
    assert_eq!((u64s[[1]], f32s[[3]]), (u64::MAX, 16_777_216.0));
    let msg = |what: &str, t: &str| {
        format!(
            "`{what}` overflows `{t}`; accumulate in a wider dtype, e.g. `{what}` with `::<i64>` or a cast"
        )
    };
    assert_eq!(isum(&[i64::MAX, 1][..]).unwrap_err().to_string(), msg("sum", "i64"));
    assert_eq!(isum(&[i64::MAX, 1, -1][..]).unwrap(), i64::MAX, "the accumulator is exact");
    assert_eq!(isum(&[i64::MIN, -1][..]).unwrap_err().kind(), ErrorKind::Overflow);
    assert_eq!(usum(&[u64::MAX, 1][..]).unwrap_err().to_string(), msg("sum", "u64"));
    assert_eq!(iprod(&[i32::MAX, i32::MAX, 4][..]).unwrap_err().to_string(), msg("prod", "i64"));
    assert_eq!(iprod(&[i32::MAX, i32::MAX, 2][..]).unwrap(), 2 * (i32::MAX as i64) * (i32::MAX as i64));
}

/// An integer `prod` whose running product leaves i128 before or after a zero factor is 0,
/// not an overflow: a zero absorbs in the per-element step and in the combine of block
/// partials, so the answer does not depend on where the zero falls (order, blocks of 512,
/// threads); without a zero the overflow is still an error.
#[test]
fn integer_prod_with_a_zero_is_zero_in_any_order() {
    let x = vec![i32::MAX, i32::MAX, i32::MAX, i32::MAX, i32::MAX, 0];
    assert_eq!(iprod(&x).unwrap(), 0);
    let rev: Vec<i32> = x.iter().rev().copied().collect();
    assert_eq!(iprod(&rev).unwrap(), 0);
    for zero_at in [0, 5, 511, 512, 1500, 2047] {
        let mut long = vec![i32::MIN; 2048];
        long[zero_at] = 0;
        for t in [1, 3] {
            let got = array_expr::parallel::with_threads(t, || iprod(&long));
            assert_eq!(got.unwrap(), 0, "zero at {zero_at} on {t} threads");
        }
    }
    let msg = "`prod` overflows `i64`; accumulate in a wider dtype, e.g. `prod` with `::<i64>` or a cast";
    assert_eq!(iprod(&vec![i32::MIN; 2048]).unwrap_err().to_string(), msg);
    assert_eq!(iprod(&[3, -2, 0, 5][..]).unwrap(), 0);
    assert_eq!(iprod(&[3, -2, 7][..]).unwrap(), -42);
}

#[test]
fn unaligned_views_give_the_same_bits_as_aligned_ones() {
    let base: Vec<f32> = (0..200).map(|i| ((i * 37) % 101) as f32 / 7.0 - 6.0).collect();
    let base64: Vec<f64> = base.iter().map(|&v| v as f64 + 0.1).collect();
    for len in 0..=70 {
        let aligned = halve(&base[..len].to_vec()).unwrap().to_vec();
        let sums = reds(&base64[..len].to_vec());
        for off in 1..9 {
            // the same values stored `off` elements into a buffer: not 32-byte aligned
            let mut buf = vec![f32::NAN; off];
            buf.extend_from_slice(&base[..len]);
            let got = halve(&buf[off..]).unwrap().to_vec();
            assert_eq!(bits32(&got), bits32(&aligned), "len {len} offset {off}");
            let mut buf64 = vec![f64::NAN; off];
            buf64.extend_from_slice(&base64[..len]);
            let r = reds(&buf64[off..]);
            match (&r, &sums) {
                (Ok(g), Ok(w)) => {
                    assert_eq!(bits(&[g.0, g.1, g.2, g.3, g.4]), bits(&[w.0, w.1, w.2, w.3, w.4]))
                }
                (Err(g), Err(w)) => assert_eq!(g.to_string(), w.to_string()),
                _ => panic!("len {len} offset {off}: {r:?} vs {sums:?}"),
            }
        }
    }
}

fn bits32(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn in_place_updates_read_the_old_values() {
    let orig = Array::<f32, 2>::from_fn([6, 10], |[i, j]| (i * 10 + j) as f32 - 20.0);
    // contiguous, strided (every other column of a wider array), reversed
    let mut c = orig.clone();
    bump(&mut c).unwrap();
    assert_eq!(c.to_vec(), orig.to_vec().iter().map(|v| v + v * 2.0).collect::<Vec<_>>());
    let mut wide =
        Array::<f32, 2>::from_fn([6, 20], |[i, j]| if j % 2 == 0 { orig[[i, j / 2]] } else { -99.0 });
    let v = wide.view_mut().slice([Slice::full(), Slice::full().step_by(2)]).unwrap();
    bump(v).unwrap();
    for i in 0..6 {
        for j in 0..20 {
            let want = if j % 2 == 0 { orig[[i, j / 2]] * 3.0 } else { -99.0 };
            assert_eq!(wide[[i, j]], want, "{i} {j}");
        }
    }
    let mut y = Array::<f64, 2>::from_fn([50, 3], |[i, j]| (i * i) as f64 * 0.5 + j as f64);
    let before = y.clone();
    center(y.view_mut().invert_axis(0).unwrap()).unwrap();
    for j in 0..3 {
        let mean = (0..50).map(|i| before[[i, j]]).sum::<f64>() / 50.0;
        for i in 0..50 {
            assert!((y[[i, j]] - (before[[i, j]] - mean)).abs() < 1e-12);
        }
    }
    let mut z = vec![3i64, -1, 4, 1, -5];
    let total: i64 = z.iter().sum();
    let want: Vec<i64> = z.iter().map(|v| v * v - total).collect();
    square_minus_total(&mut z).unwrap();
    assert_eq!(z, want, "the sum is taken before any element is overwritten");
}

#[test]
fn one_kernel_called_from_many_threads_at_once() {
    let x = Array::<f32, 2>::random_normal([64, 37], 5, 0.0, 3.0);
    let want = softmax(&x).unwrap();
    let xs: Vec<Array<f32, 2>> =
        (0..8).map(|t| Array::random_uniform([10 + t, 9], t as u64, -5.0, 5.0)).collect();
    std::thread::scope(|s| {
        for (t, own) in xs.iter().enumerate() {
            let (x, want) = (&x, &want);
            s.spawn(move || {
                let solo = softmax(own).unwrap();
                for round in 0..25 {
                    let got = softmax(x).unwrap();
                    assert_eq!(bits32(&got.to_vec()), bits32(&want.to_vec()), "thread {t} round {round}");
                    let mut out = Array::<f32, 2>::zeros(own.shape());
                    softmax_into(own, &mut out).unwrap();
                    assert_eq!(bits32(&out.to_vec()), bits32(&solo.to_vec()));
                }
            });
        }
    });
}
