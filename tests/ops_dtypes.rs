//! Every operator class for every dtype it allows, against a straightforward reference, over
//! C, F, strided, negative-stride and broadcast operands (property tests).
// The references mirror the kernels' expressions literally, `!(x >= y)` included.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use array_expr::{array_expr, Array, ArrayView, Element, Order, Slice};
use proptest::prelude::*;

/// The operand layouts each case runs on: the same logical values in different memory.
fn layouts<T: Element>(values: &Array<T, 2>) -> Vec<(&'static str, Array<T, 2>)> {
    let [n, m] = values.shape();
    let f = values.view().to_owned_order(Order::F);
    // strided: every other row and column of a larger array holding the values
    let big = Array::<T, 2>::from_fn([2 * n, 2 * m], |[i, j]| {
        if i % 2 == 0 && j % 2 == 0 {
            values[[i / 2, j / 2]]
        } else {
            T::ZERO
        }
    });
    // reversed: stored backwards, read through negative strides
    let rev = Array::<T, 2>::from_fn([n, m], |[i, j]| values[[n - 1 - i, m - 1 - j]]);
    vec![("C", values.clone()), ("F", f), ("strided", big), ("reversed", rev)]
}

/// The view of layout `name` that holds the logical values.
fn logical<'a, T: Element>(name: &str, a: &'a Array<T, 2>) -> ArrayView<'a, T, 2> {
    match name {
        "strided" => a.view().slice([Slice::full().step_by(2), Slice::full().step_by(2)]).unwrap(),
        "reversed" => a.view().invert_axis(0).unwrap().invert_axis(1).unwrap(),
        _ => a.view(),
    }
}

fn values<T: Element>(n: usize, m: usize, seed: u64, pick: impl Fn(u64) -> T) -> Array<T, 2> {
    let rng = array_expr::CounterRng::new(seed);
    let mut i = 0u64;
    Array::from_fn([n, m], |_| {
        i += 1;
        pick(rng.next_u64_at(i))
    })
}

macro_rules! int_suite {
    ($($t:ident),*) => {$(
        mod $t {
            use super::*;
            array_expr! {
                pub(crate) fn arith(a: $t[n, m], b: $t[m]) -> $t[n, m] { (a + b) * a - b / a % b }
                pub(crate) fn cmp(a: $t[n, m], b: $t[m]) -> bool[n, m] { (a < b) | (a == b) & !(a >= 3) }
                pub(crate) fn funcs(a: $t[n, m], b: $t[m]) -> $t[n, m] { clip(max(a, b), 1, 100) + min(a, square(b)) + abs(a) }
                pub(crate) fn select(a: $t[n, m], b: $t[m]) -> f64[n, m] { where(a > b, a as f64, b as f64 * 0.5) }
                pub(crate) fn col_sum(a: $t[n, m]) -> i64[m] { sum::<i64>(a as i64, axis = 0) }
                pub(crate) fn extremes(a: $t[n, m]) -> $t[n] { max(a, axis = 1) - min(a, axis = 1) }
                pub(crate) fn first_max(a: $t[n, m]) -> i64 { argmax(a) }
            }
        }
    )*};
}
int_suite!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! float_suite {
    ($($t:ident),*) => {$(
        mod $t {
            use super::*;
            array_expr! {
                pub(crate) fn arith(a: $t[n, m], b: $t[m]) -> $t[n, m] { (a + b) * a - b / a % b + -a }
                pub(crate) fn cmp(a: $t[n, m], b: $t[m]) -> bool[n, m] { (a < b) | (a == b) & !(a >= 0.5) }
                pub(crate) fn funcs(a: $t[n, m], b: $t[m]) -> $t[n, m] {
                    sqrt(abs(a)) + exp(a) + ln(abs(b) + 1) + sin(a) * cos(b) + tanh(a) + sigmoid(b) + floor(a * 3) + pow(abs(a), b) + powi(a, 3) + clip(a, -0.5, 0.5) + max(a, b)
                }
                pub(crate) fn select(a: $t[n, m], b: $t[m]) -> f64[n, m] { where(a > b, a as f64, b as f64 * 0.5) }
                pub(crate) fn col_sum(a: $t[n, m]) -> $t[m] { sum(a, axis = 0) }
                pub(crate) fn extremes(a: $t[n, m]) -> $t[n] { max(a, axis = 1) - min(a, axis = 1) }
                pub(crate) fn first_max(a: $t[n, m]) -> i64 { argmax(a) }
            }
        }
    )*};
}
float_suite!(f32, f64);

/// Casts to a float inside a float pass (the vector loop converts each loaded vector of the
/// source dtype lane for lane, and splats a converted scalar argument): every numeric source.
macro_rules! cast_suite {
    ($($t:ident),*) => {$(
        pub(crate) mod $t {
            use super::*;
            array_expr! {
                pub(crate) fn to_f32(a: $t[n, m], b: $t[m], s: $t) -> f32[n, m] { a as f32 * 0.5 + b as f32 - s as f32 }
                pub(crate) fn to_f64(a: $t[n, m], s: $t) -> f64[n, m] { a as f64 - s as f64 }
                pub(crate) fn total(a: $t[n, m]) -> f64 { sum(a as f64) }
            }
        }
    )*};
}

mod casts {
    use super::*;
    cast_suite!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);
}

/// Checks the casts of one source dtype over every layout, against Rust's `as`, bit for bit
/// (the sum within a relative 1e-12 of the absolute sum).
macro_rules! check_cast {
    ($t:ident, $n:expr, $m:expr, $seed:expr, $pick:expr) => {{
        let vals = values::<$t>($n, $m, $seed, $pick);
        let b: Vec<$t> = (0..$m).map(|j| ($pick)((j as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))).collect();
        let s: $t = ($pick)($seed ^ 0x5555);
        for (name, arr) in layouts(&vals) {
            let a = logical(name, &arr);
            let ctx = format!("{} {name} {:?}", stringify!($t), a.shape());
            let (g32, g64) = (casts::$t::to_f32(a, &b, s).unwrap(), casts::$t::to_f64(a, s).unwrap());
            for i in 0..$n {
                for j in 0..$m {
                    let x = vals[[i, j]];
                    let w32 = x as f32 * 0.5 + b[j] as f32 - s as f32;
                    assert_eq!(g32[[i, j]].to_bits(), w32.to_bits(), "{ctx} to_f32 at {i},{j}: {x:?}");
                    let w64 = x as f64 - s as f64;
                    assert_eq!(g64[[i, j]].to_bits(), w64.to_bits(), "{ctx} to_f64 at {i},{j}: {x:?}");
                }
            }
            let flat = vals.to_vec();
            let want: f64 = flat.iter().map(|&x| x as f64).sum();
            let scale: f64 = flat.iter().map(|&x| (x as f64).abs()).sum();
            let got = casts::$t::total(a).unwrap();
            assert!((got - want).abs() <= 1e-12 * scale, "{ctx} total {got} vs {want}");
        }
    }};
}

/// Checks one integer dtype over every layout.
macro_rules! check_int {
    ($t:ident, $n:expr, $m:expr, $seed:expr) => {{
        let vals = values::<$t>($n, $m, $seed, |r| (r % 251) as $t);
        let b: Vec<$t> = (0..$m).map(|j| (j as $t).wrapping_mul(3).wrapping_add(1)).collect();
        for (name, arr) in layouts(&vals) {
            let a = logical(name, &arr);
            let ctx = format!("{} {name} {:?}", stringify!($t), a.shape());
            let got = $t::arith(a, &b).unwrap();
            let got_cmp = $t::cmp(a, &b).unwrap();
            let got_f = $t::funcs(a, &b).unwrap();
            let got_s = $t::select(a, &b).unwrap();
            for i in 0..$n {
                for j in 0..$m {
                    let (x, y) = (vals[[i, j]], b[j]);
                    let div = |p: $t, q: $t| if q == 0 { 0 } else { p.wrapping_div(q) };
                    let rem = |p: $t, q: $t| if q == 0 { 0 } else { p.wrapping_rem(q) };
                    let want = x.wrapping_add(y).wrapping_mul(x).wrapping_sub(rem(div(y, x), y));
                    assert_eq!(got[[i, j]], want, "{ctx} arith at {i},{j}");
                    assert_eq!(got_cmp[[i, j]], (x < y) | ((x == y) & !(x >= 3)), "{ctx} cmp");
                    let clip = x.max(y).max(1).min(100);
                    #[allow(unused_comparisons)]
                    let absx = if x < (0 as $t) { (0 as $t).wrapping_sub(x) } else { x };
                    let want_f = clip.wrapping_add(x.min(y.wrapping_mul(y))).wrapping_add(absx);
                    assert_eq!(got_f[[i, j]], want_f, "{ctx} funcs");
                    let want_s = if x > y { x as f64 } else { y as f64 * 0.5 };
                    assert_eq!(got_s[[i, j]], want_s, "{ctx} select");
                }
            }
            let cs = $t::col_sum(a).unwrap();
            for j in 0..$m {
                assert_eq!(cs[[j]], (0..$n).map(|i| vals[[i, j]] as i64).sum::<i64>(), "{ctx} col_sum");
            }
            if $m > 0 {
                let ex = $t::extremes(a).unwrap();
                for i in 0..$n {
                    let row: Vec<$t> = (0..$m).map(|j| vals[[i, j]]).collect();
                    let want = row.iter().max().unwrap().wrapping_sub(*row.iter().min().unwrap());
                    assert_eq!(ex[[i]], want, "{ctx} extremes");
                }
            }
            if $n * $m > 0 {
                let flat = vals.to_vec();
                let want = flat.iter().enumerate().fold(0, |b, (k, &v)| if v > flat[b] { k } else { b });
                assert_eq!($t::first_max(a).unwrap(), want as i64, "{ctx} argmax");
            }
        }
    }};
}

macro_rules! check_float {
    ($t:ident, $n:expr, $m:expr, $seed:expr) => {{
        let vals =
            values::<$t>($n, $m, $seed, |r| ((r >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0) as $t);
        let b: Vec<$t> = (0..$m).map(|j| (j as $t) * 0.25 - 1.0).collect();
        for (name, arr) in layouts(&vals) {
            let a = logical(name, &arr);
            let ctx = format!("{} {name} {:?}", stringify!($t), a.shape());
            let got = $t::arith(a, &b).unwrap();
            let got_cmp = $t::cmp(a, &b).unwrap();
            let got_f = $t::funcs(a, &b).unwrap();
            for i in 0..$n {
                for j in 0..$m {
                    let (x, y) = (vals[[i, j]], b[j]);
                    let want = (x + y) * x - y / x % y + -x;
                    assert_eq!(got[[i, j]].to_bits(), want.to_bits(), "{ctx} arith");
                    assert_eq!(got_cmp[[i, j]], (x < y) | ((x == y) & !(x >= 0.5)), "{ctx} cmp");
                    let sig = 1.0 / (1.0 + (-y).exp());
                    let want_f = x.abs().sqrt()
                        + x.exp()
                        + (y.abs() + 1.0).ln()
                        + x.sin() * y.cos()
                        + x.tanh()
                        + sig
                        + (x * 3.0).floor()
                        + x.abs().powf(y)
                        + x.powi(3)
                        + x.clamp(-0.5, 0.5)
                        + x.max(y);
                    let tol = 1e-5 * (1.0 + want_f.abs());
                    assert!(
                        ((got_f[[i, j]] - want_f) as f64).abs() <= tol as f64,
                        "{ctx} funcs {} vs {want_f}",
                        got_f[[i, j]]
                    );
                }
            }
            let got_s = $t::select(a, &b).unwrap();
            for i in 0..$n {
                for j in 0..$m {
                    let (x, y) = (vals[[i, j]], b[j]);
                    assert_eq!(got_s[[i, j]], if x > y { x as f64 } else { y as f64 * 0.5 }, "{ctx} select");
                }
            }
            if $m > 0 {
                let ex = $t::extremes(a).unwrap();
                for i in 0..$n {
                    let row: Vec<$t> = (0..$m).map(|j| vals[[i, j]]).collect();
                    let want = row.iter().copied().fold(<$t>::MIN, <$t>::max)
                        - row.iter().copied().fold(<$t>::MAX, <$t>::min);
                    assert_eq!(ex[[i]], want, "{ctx} extremes");
                }
            }
            let cs = $t::col_sum(a).unwrap();
            for j in 0..$m {
                let want: f64 = (0..$n).map(|i| vals[[i, j]] as f64).sum();
                assert!((cs[[j]] as f64 - want).abs() <= 1e-6 * (1.0 + want.abs()), "{ctx} col_sum");
            }
            if $n * $m > 0 {
                let flat = vals.to_vec();
                let want = flat.iter().enumerate().fold(0, |b, (k, &v)| if v > flat[b] { k } else { b });
                assert_eq!($t::first_max(a).unwrap(), want as i64, "{ctx} argmax");
            }
        }
    }};
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn integer_ops_match_reference(n in 0usize..9, m in 0usize..11, seed in any::<u64>()) {
        check_int!(i8, n, m, seed);
        check_int!(i16, n, m, seed);
        check_int!(i32, n, m, seed);
        check_int!(i64, n, m, seed);
        check_int!(u8, n, m, seed);
        check_int!(u16, n, m, seed);
        check_int!(u32, n, m, seed);
        check_int!(u64, n, m, seed);
    }

    #[test]
    fn casts_to_float_match_as(n in 0usize..9, m in 0usize..13, seed in any::<u64>()) {
        // integers over their whole range (the wide ones round to the float's precision)
        check_cast!(i8, n, m, seed, |r: u64| r as i8);
        check_cast!(i16, n, m, seed, |r: u64| r as i16);
        check_cast!(i32, n, m, seed, |r: u64| r as i32);
        check_cast!(i64, n, m, seed, |r: u64| r as i64);
        check_cast!(u8, n, m, seed, |r: u64| r as u8);
        check_cast!(u16, n, m, seed, |r: u64| r as u16);
        check_cast!(u32, n, m, seed, |r: u64| r as u32);
        check_cast!(u64, n, m, seed, |r: u64| r);
        // floats: f64 values beyond f32's range and precision, f32 with every exponent
        check_cast!(f32, n, m, seed, |r: u64| f32::from_bits((r as u32) & 0x7F7F_FFFF | ((r >> 32) as u32 & 0x8000_0000)));
        check_cast!(f64, n, m, seed, |r: u64| ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1e40);
    }

    #[test]
    fn float_ops_match_reference(n in 0usize..9, m in 0usize..11, seed in any::<u64>()) {
        check_float!(f32, n, m, seed);
        check_float!(f64, n, m, seed);
    }
}

#[test]
fn nan_and_infinities_follow_the_contract() {
    let a = Array::<f64, 2>::from_shape_vec([1, 4], vec![f64::NAN, 1.0, f64::INFINITY, -0.0]).unwrap();
    let b = vec![0.0f64, f64::NAN, 1.0, 0.0];
    let ex = f64::extremes(&a).unwrap();
    assert!(ex[[0]].is_nan(), "min/max propagate NaN");
    assert_eq!(f64::first_max(&a).unwrap(), 0, "argmax returns the first NaN");
    let c = f64::cmp(&a, &b).unwrap();
    assert_eq!(c.to_vec(), vec![false, false, false, true]);
}

#[test]
fn integer_reductions_never_wrap_silently() {
    let a = Array::<i64, 2>::from_shape_vec([2, 1], vec![i64::MAX, 1]).unwrap();
    let e = i64::col_sum(&a).unwrap_err();
    assert_eq!(e.kind(), array_expr::ErrorKind::Overflow);
    assert_eq!(
        e.to_string(),
        "`sum` overflows `i64`; accumulate in a wider dtype, e.g. `sum` with `::<i64>` or a cast"
    );
}

array_expr! {
    /// Bounds wider than the clipped operand, each wider than the last: every argument is widened
    /// to the widest (once a compile error inside the generated call: the first two arguments
    /// stayed at the middle width).
    #[promote(safe)]
    fn clip_widening(x: i8[n], lo: i16[n], hi: i32[n]) -> i32[n] { clip(x, lo, hi) }
    #[promote(safe)]
    fn clip_to_f64(x: i16[n], lo: f32[n], hi: f64[n]) -> f64[n] { clip(x, lo, hi) }
}

#[test]
fn promoted_clip_widens_every_argument_to_the_widest() {
    let x = Array::from_vec(vec![-128i8, -5, 0, 7, 127]);
    let lo = Array::from_vec(vec![-300i16, -3, 1, -1, 200]);
    let hi = Array::from_vec(vec![100_000i32, 4, 2, 5, 70_000]);
    let want: Vec<i32> =
        (0..5).map(|i| i32::from(x.to_vec()[i]).max(i32::from(lo.to_vec()[i])).min(hi.to_vec()[i])).collect();
    assert_eq!(clip_widening(&x, &lo, &hi).unwrap().to_vec(), want);
    let x = Array::from_vec(vec![-7i16, 3, 9]);
    let lo = Array::from_vec(vec![-2.5f32, 3.5, 0.0]);
    let hi = Array::from_vec(vec![1.0e10f64, 8.0, 8.25]);
    assert_eq!(clip_to_f64(&x, &lo, &hi).unwrap().to_vec(), vec![-2.5, 3.5, 8.25]);
}

#[test]
fn casts_to_float_run_in_the_vector_loop() {
    // the source dtype's loads are converted in the float pass's SIMD loop, not a scalar loop
    for plan in [casts::i32::TO_F32_PLAN, casts::u8::TO_F32_PLAN, casts::f64::TO_F32_PLAN] {
        assert!(plan.contains("SIMD loop (f32x8)"), "{plan}");
    }
    for plan in [casts::f32::TO_F64_PLAN, casts::i64::TO_F64_PLAN, casts::u16::TO_F64_PLAN] {
        assert!(plan.contains("SIMD loop (f64x4)"), "{plan}");
    }
}
