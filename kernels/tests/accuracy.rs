//! Accuracy sweep of the vector math against `std`, in ulps.
//!
//! Reference: for f32, the f64 `std` function rounded to f32 (correctly rounded in practice);
//! for f64, the f64 `std` function itself (so the figures include `std`'s own error, <= 1 ulp).
//! Inputs: a stride through all bit patterns (every exponent, both signs), dense uniform grids
//! over each function's interesting domain, and the special values. NaN must map to NaN,
//! infinities and zeros must match exactly (including the sign of zero).

use array_expr_kernels::math;
use wide::{f32x8, f64x4};

mod common;
use common::*;

fn f32_inputs(lo: f32, hi: f32) -> Vec<f32> {
    let mut v: Vec<f32> = (0..=u32::MAX).step_by(2053).map(f32::from_bits).collect();
    let n = 400_000;
    v.extend((0..n).map(|i| lo + (hi - lo) * (i as f32 / n as f32)));
    let mut rng = Rng::new(7);
    v.extend((0..100_000).map(|_| lo + (hi - lo) * rng.unit() as f32));
    v.extend(F32_SPECIALS);
    v
}

fn f64_inputs(lo: f64, hi: f64) -> Vec<f64> {
    let mut rng = Rng::new(11);
    let mut v: Vec<f64> = (0..300_000).map(|_| f64::from_bits(rng.next())).collect();
    let n = 300_000;
    v.extend((0..n).map(|i| lo + (hi - lo) * (i as f64 / n as f64)));
    v.extend((0..100_000).map(|_| lo + (hi - lo) * rng.unit()));
    v.extend(F64_SPECIALS);
    v
}

/// Max ulp error of `vf` (vector) against `rf` (reference) over `xs`; panics on a special-value
/// mismatch.
fn sweep32(name: &str, xs: &[f32], vf: impl Fn(f32x8) -> f32x8, rf: impl Fn(f32) -> f32) -> u64 {
    let mut worst = (0u64, 0f32);
    for c in xs.chunks(8) {
        let mut a = [1.0f32; 8];
        a[..c.len()].copy_from_slice(c);
        let got = vf(f32x8::new(a)).to_array();
        for (k, &x) in c.iter().enumerate() {
            let (g, w) = (got[k], rf(x));
            let e = ulp32(g, w);
            assert!(e != u64::MAX, "{name}({x:e}) = {g:e}, want {w:e}");
            if e > worst.0 {
                worst = (e, x);
            }
        }
    }
    println!("{name:>8} f32: max {} ulp (at {:e})", worst.0, worst.1);
    worst.0
}

fn sweep64(name: &str, xs: &[f64], vf: impl Fn(f64x4) -> f64x4, rf: impl Fn(f64) -> f64) -> u64 {
    let mut worst = (0u64, 0f64);
    for c in xs.chunks(4) {
        let mut a = [1.0f64; 4];
        a[..c.len()].copy_from_slice(c);
        let got = vf(f64x4::new(a)).to_array();
        for (k, &x) in c.iter().enumerate() {
            let (g, w) = (got[k], rf(x));
            let e = ulp64(g, w);
            assert!(e != u64::MAX, "{name}({x:e}) = {g:e}, want {w:e}");
            if e > worst.0 {
                worst = (e, x);
            }
        }
    }
    println!("{name:>8} f64: max {} ulp (at {:e})", worst.0, worst.1);
    worst.0
}

macro_rules! check {
    ($name:ident, $lo:expr, $hi:expr, $b32:expr, $b64:expr, $r32:expr, $r64:expr) => {
        #[test]
        fn $name() {
            let e32 = sweep32(stringify!($name), &f32_inputs($lo as f32, $hi as f32), math::$name, $r32);
            let e64 = sweep64(stringify!($name), &f64_inputs($lo, $hi), math::$name, $r64);
            assert!(e32 <= $b32, "{} f32: {e32} ulp > {}", stringify!($name), $b32);
            assert!(e64 <= $b64, "{} f64: {e64} ulp > {}", stringify!($name), $b64);
        }
    };
}

check!(exp, -110.0, 90.0, 1, 2, |x| (x as f64).exp() as f32, f64::exp);
check!(exp2, -160.0, 130.0, 1, 2, |x| (x as f64).exp2() as f32, f64::exp2);
check!(expm1, -20.0, 20.0, 2, 2, |x| (x as f64).exp_m1() as f32, f64::exp_m1);
check!(ln, 0.0, 100.0, 2, 2, |x| (x as f64).ln() as f32, f64::ln);
check!(log2, 0.0, 100.0, 2, 2, |x| (x as f64).log2() as f32, f64::log2);
check!(log10, 0.0, 100.0, 2, 2, |x| (x as f64).log10() as f32, f64::log10);
check!(log1p, -1.0, 10.0, 2, 2, |x| (x as f64).ln_1p() as f32, f64::ln_1p);
check!(sin, -100.0, 100.0, 2, 2, |x| (x as f64).sin() as f32, f64::sin);
check!(cos, -100.0, 100.0, 2, 2, |x| (x as f64).cos() as f32, f64::cos);
check!(tan, -100.0, 100.0, 4, 4, |x| (x as f64).tan() as f32, f64::tan);
check!(tanh, -12.0, 12.0, 4, 4, |x| (x as f64).tanh() as f32, f64::tanh);
check!(sinh, -90.0, 90.0, 4, 4, |x| (x as f64).sinh() as f32, f64::sinh);
check!(cosh, -90.0, 90.0, 4, 4, |x| (x as f64).cosh() as f32, f64::cosh);
check!(sigmoid, -110.0, 110.0, 4, 4, |x| (1.0 / (1.0 + (-(x as f64)).exp())) as f32, sigmoid64);
check!(sqrt, 0.0, 1e6, 0, 0, f32::sqrt, f64::sqrt);

fn sigmoid64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        x.exp() / (1.0 + x.exp())
    }
}

#[test]
fn pow() {
    let mut rng = Rng::new(3);
    let mut worst = 0;
    for _ in 0..200_000 {
        let x = (rng.unit() * 20.0) as f32;
        let y = ((rng.unit() - 0.5) * 60.0) as f32;
        let mut xs = [x; 8];
        xs[1] = 0.0;
        xs[2] = -x;
        xs[3] = f32::INFINITY;
        let got = math::pow(f32x8::new(xs), f32x8::splat(y)).to_array();
        let fast = math::pow(f32x8::splat(x.max(1e-3)), f32x8::splat(y)).to_array();
        for (k, &xk) in xs.iter().enumerate() {
            let want = (xk as f64).powf(y as f64) as f32;
            let e = ulp32(got[k], want);
            assert!(e <= 1, "pow({xk:e}, {y:e}) = {:e}, want {want:e}", got[k]);
        }
        worst = worst.max(ulp32(fast[0], ((x.max(1e-3)) as f64).powf(y as f64) as f32));
    }
    println!("     pow f32: max {worst} ulp");
    assert!(worst <= 1);
}

#[test]
fn powi_matches_std() {
    for n in -40..=40 {
        for &x in &[0.5f32, 1.1, -1.3, 3.0, 1e-3, 7.7e5, f32::INFINITY, 0.0, -0.0] {
            let got = math::powi(f32x8::splat(x), n).to_array()[0];
            assert_eq!(ulp32(got, x.powi(n)), 0, "powi({x}, {n})");
            let got = math::powi(f64x4::splat(x as f64), n).to_array()[0];
            assert_eq!(ulp64(got, (x as f64).powi(n)), 0, "powi({x}, {n})");
        }
    }
}
