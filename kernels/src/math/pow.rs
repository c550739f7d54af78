//! `pow` (float exponent) and `powi` (integer exponent).
//!
//! - `powi` is binary exponentiation with the exponent shared by all lanes, in the same order of
//!   multiplications as `std`'s `powi` (compiler-rt `__powisf2`): `r *= x` for each set bit from
//!   the lowest, `x *= x` between bits, and `1 / r` for a negative exponent.
//! - f32 `pow` runs in f64: `exp(y ln x)` with the f64 kernels of this crate is good to about
//!   2^-42 relative for `|y ln x| <= 700`, so the final rounding to f32 dominates (<= 1 ulp).
//!   Lanes with `x <= 0`, non-finite `x` or `y`, or `|y ln x| > 700` go one by one through
//!   `std`'s `powf` (the other lanes of their vector keep the fast path), which gives every
//!   special case (`pow(x, 0) = 1`, `pow(-8, 1/3) = NaN`, ...) its IEEE value.
//! - f64 `pow` goes lane by lane through `std` (a fast f64 `pow` needs a double-double logarithm;
//!   not done yet).

use super::exp::exp_core;
use super::log::ln_core;
use super::trig::{narrow, widen};
use core::ops::{Div, Mul};
use wide::{f32x8, f64x4};

/// `x^n` by binary exponentiation (see the module docs for the order).
#[inline(always)]
pub(crate) fn powi<V: Copy + Mul<Output = V> + Div<Output = V>>(x: V, n: i32, one: V) -> V {
    let mut r = one;
    let mut b = x;
    let mut e = n.unsigned_abs();
    loop {
        if e & 1 == 1 {
            r = r * b;
        }
        e >>= 1;
        if e == 0 {
            break;
        }
        b = b * b;
    }
    if n < 0 {
        one / r
    } else {
        r
    }
}

/// `y ln x` in f64 for one half, and the mask of its lanes in the fast range.
#[inline(always)]
fn pow_half(x: f64x4, y: f64x4) -> (f64x4, f64x4) {
    let ok_x = x.simd_gt(f64x4::splat(0.0)) & x.simd_le(f64x4::splat(f32::MAX as f64));
    let ok_y = y.abs().simd_le(f64x4::splat(f32::MAX as f64));
    let t = y * ln_core(x);
    let ok_t = t.abs().simd_le(f64x4::splat(700.0));
    (ok_x & ok_y & ok_t, t)
}

/// f32 `pow` through f64 (see the module docs). Lanes outside the fast range go through
/// `slow`; the others of their vector keep the fast path (as `poly::by_lane`), so a lane's
/// value does not depend on its neighbours.
#[inline(always)]
pub(crate) fn pow32(x: f32x8, y: f32x8, slow: impl Fn(f32x8, f32x8) -> f32x8) -> f32x8 {
    let ((xl, xh), (yl, yh)) = (widen(x), widen(y));
    let ((okl, tl), (okh, th)) = (pow_half(xl, yl), pow_half(xh, yh));
    if (okl & okh).all() {
        return narrow(exp_core(tl), exp_core(th));
    }
    let zero = f64x4::splat(0.0);
    let fast = narrow(exp_core(okl.select(tl, zero)), exp_core(okh.select(th, zero))).to_array();
    let mut out = slow(x, y).to_array();
    let ok = [okl.to_array(), okh.to_array()];
    for (k, o) in out.iter_mut().enumerate() {
        if ok[k / 4][k % 4].to_bits() != 0 {
            *o = fast[k];
        }
    }
    f32x8::new(out)
}
