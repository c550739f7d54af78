//! Float math for scalars (`f32`, `f64`) and vectors (`f32x8`, `f64x4`) through one trait,
//! [`FloatMath`], so generic code calls `x.exp()` on either.
//!
//! The scalar implementations are `std` (plus the crate's own definitions of `min`, `max`,
//! `round`, `sigmoid`, `clip`); they are the reference the vector versions are measured against
//! (accuracy table in the crate docs). The vector implementations are range reduction plus a
//! short polynomial, with a fast path per vector and edge cases handled outside it.
//!
//! **Calling convention.** `wide`'s vector types and `std`'s float types have inherent methods
//! with some of the same names (`exp`, `min`, `round`, ...) and inherent methods win over trait
//! methods in method-call syntax on a concrete type. Generated code should therefore call the
//! free functions of this module (`math::exp(x)`) or the trait path (`FloatMath::exp(x)`);
//! inside a function generic over `F: FloatMath`, `x.exp()` is the trait method.
//!
//! # Examples
//! ```
//! use array_expr_kernels::math;
//! use wide::f32x8;
//! let v = math::exp(f32x8::splat(1.0));
//! assert_eq!(v.to_array()[3], 1f32.exp());
//! assert_eq!(math::exp(1.0f64), 1f64.exp());
//! // NaN-propagating minimum (wide's own `min` would ignore the NaN):
//! assert!(math::min(f32x8::splat(f32::NAN), f32x8::splat(1.0)).to_array()[0].is_nan());
//! ```

mod exp;
mod log;
mod poly;
mod pow;
mod trig;

use crate::scalar::ScalarElem;
use crate::simd::SimdElem;
pub(crate) use trig::widen;
use trig::Trig;
use wide::{f32x8, f64x4};

/// Elementwise float math on a scalar or a vector. See the crate docs for accuracy, domains and
/// NaN/inf behaviour of each function.
///
/// # Examples
/// A kernel written once for scalars and vectors:
/// ```
/// use array_expr_kernels::FloatMath;
/// fn softplus<F: FloatMath>(x: F) -> F {
///     x.exp().log1p()
/// }
/// assert!((softplus(0.0f32) - 2f32.ln()).abs() < 1e-6);
/// let v = softplus(wide::f32x8::splat(0.0));
/// assert!((v.to_array()[7] - 2f32.ln()).abs() < 1e-6);
/// ```
pub trait FloatMath: Copy {
    /// Mask type: `bool` for scalars, the vector itself (all-ones lanes) for vectors.
    type Mask: Copy;
    /// `|x|`.
    fn abs(self) -> Self;
    /// Square root (correctly rounded, as `std`).
    fn sqrt(self) -> Self;
    /// `e^x`.
    fn exp(self) -> Self;
    /// `2^x`.
    fn exp2(self) -> Self;
    /// `e^x - 1`, accurate near 0.
    fn expm1(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Base-2 logarithm.
    fn log2(self) -> Self;
    /// Base-10 logarithm.
    fn log10(self) -> Self;
    /// `ln(1 + x)`, accurate near 0.
    fn log1p(self) -> Self;
    /// Sine (radians).
    fn sin(self) -> Self;
    /// Cosine (radians).
    fn cos(self) -> Self;
    /// Tangent (radians).
    fn tan(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Hyperbolic sine.
    fn sinh(self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(self) -> Self;
    /// Logistic function `1 / (1 + e^-x)`.
    fn sigmoid(self) -> Self;
    /// `x^y` with a float exponent (IEEE `pow` special cases, as `std`'s `powf`).
    fn pow(self, y: Self) -> Self;
    /// `x^n` with an integer exponent (same multiplication order as `std`'s `powi`).
    fn powi(self, n: i32) -> Self;
    /// Largest integer `<= x`.
    fn floor(self) -> Self;
    /// Smallest integer `>= x`.
    fn ceil(self) -> Self;
    /// Nearest integer, ties to even (NumPy's `round`; note `std`'s `f32::round` rounds ties away
    /// from zero).
    fn round(self) -> Self;
    /// NaN-propagating minimum (NumPy's `minimum`); see [`ScalarElem::min`].
    fn min(self, o: Self) -> Self;
    /// NaN-propagating maximum (NumPy's `maximum`).
    fn max(self, o: Self) -> Self;
    /// `min(max(x, lo), hi)` with the NaN-propagating `min`/`max` (NumPy's `clip`).
    fn clip(self, lo: Self, hi: Self) -> Self;
    /// `x * x`.
    fn square(self) -> Self;
    /// `x * a + b`: fused (one rounding) for scalars and in builds with FMA (`x86-64-v3`); two
    /// roundings for vectors in builds without it.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// `mask ? a : b` per lane.
    fn select(mask: Self::Mask, a: Self, b: Self) -> Self;
    /// `x < o` (false for NaN).
    fn lt(self, o: Self) -> Self::Mask;
    /// `x <= o` (false for NaN).
    fn le(self, o: Self) -> Self::Mask;
    /// `x == o` (false for NaN).
    fn eq(self, o: Self) -> Self::Mask;
}

macro_rules! scalar_float_math {
    ($t:ident, $sigmoid:expr) => {
        impl FloatMath for $t {
            type Mask = bool;
            #[inline(always)]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $t::exp(self)
            }
            #[inline(always)]
            fn exp2(self) -> Self {
                $t::exp2(self)
            }
            #[inline(always)]
            fn expm1(self) -> Self {
                $t::exp_m1(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline(always)]
            fn log2(self) -> Self {
                $t::log2(self)
            }
            #[inline(always)]
            fn log10(self) -> Self {
                $t::log10(self)
            }
            #[inline(always)]
            fn log1p(self) -> Self {
                $t::ln_1p(self)
            }
            #[inline(always)]
            fn sin(self) -> Self {
                $t::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                $t::cos(self)
            }
            #[inline(always)]
            fn tan(self) -> Self {
                $t::tan(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $t::tanh(self)
            }
            #[inline(always)]
            fn sinh(self) -> Self {
                $t::sinh(self)
            }
            #[inline(always)]
            fn cosh(self) -> Self {
                $t::cosh(self)
            }
            #[inline(always)]
            fn sigmoid(self) -> Self {
                let f: fn($t) -> $t = $sigmoid;
                f(self)
            }
            #[inline(always)]
            fn pow(self, y: Self) -> Self {
                $t::powf(self, y)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                $t::powi(self, n)
            }
            #[inline(always)]
            fn floor(self) -> Self {
                $t::floor(self)
            }
            #[inline(always)]
            fn ceil(self) -> Self {
                $t::ceil(self)
            }
            #[inline(always)]
            fn round(self) -> Self {
                $t::round_ties_even(self)
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                <$t as ScalarElem>::min(self, o)
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                <$t as ScalarElem>::max(self, o)
            }
            #[inline(always)]
            fn clip(self, lo: Self, hi: Self) -> Self {
                FloatMath::min(FloatMath::max(self, lo), hi)
            }
            #[inline(always)]
            fn square(self) -> Self {
                self * self
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
            #[inline(always)]
            fn select(mask: bool, a: Self, b: Self) -> Self {
                if mask {
                    a
                } else {
                    b
                }
            }
            #[inline(always)]
            fn lt(self, o: Self) -> bool {
                self < o
            }
            #[inline(always)]
            fn le(self, o: Self) -> bool {
                self <= o
            }
            #[inline(always)]
            fn eq(self, o: Self) -> bool {
                self == o
            }
        }
    };
}

// f32 sigmoid in f64: correctly rounded in practice and right at both tails.
scalar_float_math!(f32, |x| (1.0 / (1.0 + (-(x as f64)).exp())) as f32);
scalar_float_math!(f64, |x| if x >= 0.0 {
    1.0 / (1.0 + (-x).exp())
} else {
    let e = x.exp();
    e / (1.0 + e)
});

/// Per-lane application of the scalar reference (the slow path and the `force-scalar` route).
macro_rules! lanes {
    ($t:ident, $f:ident) => {
        |v| crate::simd::map1::<$t>(v, <$t as FloatMath>::$f)
    };
}

const FORCE: bool = cfg!(feature = "force-scalar");

macro_rules! vector_float_math {
    ($v:ident, $t:ident, $trig:ident, $pow:expr) => {
        impl FloatMath for $v {
            type Mask = $v;
            #[inline(always)]
            fn abs(self) -> Self {
                <$t as SimdElem>::vabs(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                if FORCE {
                    return lanes!($t, sqrt)(self);
                }
                $v::sqrt(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                if FORCE {
                    return lanes!($t, exp)(self);
                }
                exp::exp(self)
            }
            #[inline(always)]
            fn exp2(self) -> Self {
                if FORCE {
                    return lanes!($t, exp2)(self);
                }
                exp::exp2(self)
            }
            #[inline(always)]
            fn expm1(self) -> Self {
                if FORCE {
                    return lanes!($t, expm1)(self);
                }
                exp::expm1(self, lanes!($t, expm1))
            }
            #[inline(always)]
            fn ln(self) -> Self {
                if FORCE {
                    return lanes!($t, ln)(self);
                }
                log::ln(self, lanes!($t, ln))
            }
            #[inline(always)]
            fn log2(self) -> Self {
                if FORCE {
                    return lanes!($t, log2)(self);
                }
                log::log2(self, lanes!($t, log2))
            }
            #[inline(always)]
            fn log10(self) -> Self {
                if FORCE {
                    return lanes!($t, log10)(self);
                }
                log::log10(self, lanes!($t, log10))
            }
            #[inline(always)]
            fn log1p(self) -> Self {
                if FORCE {
                    return lanes!($t, log1p)(self);
                }
                log::log1p(self, lanes!($t, log1p))
            }
            #[inline(always)]
            fn sin(self) -> Self {
                if FORCE {
                    return lanes!($t, sin)(self);
                }
                trig::$trig(self, Trig::Sin, lanes!($t, sin))
            }
            #[inline(always)]
            fn cos(self) -> Self {
                if FORCE {
                    return lanes!($t, cos)(self);
                }
                trig::$trig(self, Trig::Cos, lanes!($t, cos))
            }
            #[inline(always)]
            fn tan(self) -> Self {
                if FORCE {
                    return lanes!($t, tan)(self);
                }
                trig::$trig(self, Trig::Tan, lanes!($t, tan))
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                if FORCE {
                    return lanes!($t, tanh)(self);
                }
                exp::tanh(self)
            }
            #[inline(always)]
            fn sinh(self) -> Self {
                if FORCE {
                    return lanes!($t, sinh)(self);
                }
                exp::sinh(self, lanes!($t, sinh))
            }
            #[inline(always)]
            fn cosh(self) -> Self {
                if FORCE {
                    return lanes!($t, cosh)(self);
                }
                exp::cosh(self, lanes!($t, cosh))
            }
            #[inline(always)]
            fn sigmoid(self) -> Self {
                if FORCE {
                    return lanes!($t, sigmoid)(self);
                }
                exp::sigmoid(self, lanes!($t, sigmoid))
            }
            #[inline(always)]
            fn pow(self, y: Self) -> Self {
                let slow = |a, b| crate::simd::map2::<$t>(a, b, <$t as FloatMath>::pow);
                if FORCE {
                    return slow(self, y);
                }
                let fast: fn($v, $v, &dyn Fn($v, $v) -> $v) -> $v = $pow;
                fast(self, y, &slow)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                if FORCE {
                    return crate::simd::map1::<$t>(self, |x| x.powi(n));
                }
                pow::powi(self, n, $v::splat(1.0))
            }
            #[inline(always)]
            fn floor(self) -> Self {
                if FORCE {
                    return lanes!($t, floor)(self);
                }
                // The result always has the sign of the input; `wide`'s SSE2 fallback loses
                // the sign of zero results (`ceil(-0.5)`), so restore it.
                $v::floor(self).copysign(self)
            }
            #[inline(always)]
            fn ceil(self) -> Self {
                if FORCE {
                    return lanes!($t, ceil)(self);
                }
                // The result always has the sign of the input; `wide`'s SSE2 fallback loses
                // the sign of zero results (`ceil(-0.5)`), so restore it.
                $v::ceil(self).copysign(self)
            }
            #[inline(always)]
            fn round(self) -> Self {
                if FORCE {
                    return lanes!($t, round)(self);
                }
                $v::round_ties_even(self).copysign(self)
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                <$t as SimdElem>::vmin(self, o)
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                <$t as SimdElem>::vmax(self, o)
            }
            #[inline(always)]
            fn clip(self, lo: Self, hi: Self) -> Self {
                <$t as SimdElem>::vmin(<$t as SimdElem>::vmax(self, lo), hi)
            }
            #[inline(always)]
            fn square(self) -> Self {
                self * self
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                if FORCE {
                    let (mut x, a, b) = (self.to_array(), a.to_array(), b.to_array());
                    for i in 0..x.len() {
                        x[i] = x[i].mul_add(a[i], b[i]);
                    }
                    return $v::new(x);
                }
                $v::mul_add(self, a, b)
            }
            #[inline(always)]
            fn select(mask: Self, a: Self, b: Self) -> Self {
                mask.select(a, b)
            }
            #[inline(always)]
            fn lt(self, o: Self) -> Self {
                <$t as SimdElem>::vlt(self, o)
            }
            #[inline(always)]
            fn le(self, o: Self) -> Self {
                <$t as SimdElem>::vle(self, o)
            }
            #[inline(always)]
            fn eq(self, o: Self) -> Self {
                <$t as SimdElem>::veq(self, o)
            }
        }
    };
}

vector_float_math!(f32x8, f32, trig32, |x, y, slow| pow::pow32(x, y, slow));
vector_float_math!(f64x4, f64, trig64, |x, y, slow| slow(x, y));

macro_rules! free_fns {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        $(#[$doc])*
        #[inline(always)]
        pub fn $name<F: FloatMath>(x: F $(, $arg: $ty)*) -> F {
            x.$name($($arg),*)
        }
    )*};
}

free_fns! {
    /// [`FloatMath::abs`].
    abs();
    /// [`FloatMath::sqrt`].
    sqrt();
    /// [`FloatMath::exp`].
    exp();
    /// [`FloatMath::exp2`].
    exp2();
    /// [`FloatMath::expm1`].
    expm1();
    /// [`FloatMath::ln`].
    ln();
    /// [`FloatMath::log2`].
    log2();
    /// [`FloatMath::log10`].
    log10();
    /// [`FloatMath::log1p`].
    log1p();
    /// [`FloatMath::sin`].
    sin();
    /// [`FloatMath::cos`].
    cos();
    /// [`FloatMath::tan`].
    tan();
    /// [`FloatMath::tanh`].
    tanh();
    /// [`FloatMath::sinh`].
    sinh();
    /// [`FloatMath::cosh`].
    cosh();
    /// [`FloatMath::sigmoid`].
    sigmoid();
    /// [`FloatMath::pow`].
    pow(y: F);
    /// [`FloatMath::powi`].
    powi(n: i32);
    /// [`FloatMath::floor`].
    floor();
    /// [`FloatMath::ceil`].
    ceil();
    /// [`FloatMath::round`] (ties to even).
    round();
    /// [`FloatMath::min`] (NaN-propagating).
    min(o: F);
    /// [`FloatMath::max`] (NaN-propagating).
    max(o: F);
    /// [`FloatMath::clip`].
    clip(lo: F, hi: F);
    /// [`FloatMath::square`].
    square();
    /// [`FloatMath::mul_add`].
    mul_add(a: F, b: F);
}

/// [`FloatMath::select`]: `mask ? a : b` per lane.
#[inline(always)]
pub fn select<F: FloatMath>(mask: F::Mask, a: F, b: F) -> F {
    F::select(mask, a, b)
}
