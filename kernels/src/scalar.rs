//! Scalar reference semantics for every element operation: the test oracle, and the code the
//! `force-scalar` feature routes vector operations through.
//!
//! The vector operations of [`SimdElem`](crate::SimdElem) are defined as "this function applied to
//! each lane"; the differential tests check exactly that, lane by lane.
//!
//! - Integers wrap on overflow (`i32::MAX + 1 == i32::MIN`), in every build profile. Division
//!   truncates toward zero and the remainder takes the sign of the dividend (Rust's `/` and `%`,
//!   not NumPy's floor division); a zero divisor gives 0 for both, and `MIN / -1` gives `MIN`
//!   (`MIN % -1` gives 0). Nothing panics.
//! - Floats follow IEEE 754 for `+ - * /`; `%` is the truncated remainder (`fmod`, Rust's `%`).
//!   `min`/`max` propagate NaN (NumPy's `minimum`/`maximum`); between `+0.0` and `-0.0` they
//!   return the second operand, as `x86`'s `minps` does.
//! - `bool` arithmetic is arithmetic on one bit where that is defined: `+` is OR (as NumPy), `*`
//!   and `/` are AND, `-` is XOR, `%` is `false`, negation and `abs` are the identity; `min` is
//!   AND and `max` is OR; `false < true`.

/// Per-element reference semantics of the operations [`SimdElem`](crate::SimdElem) provides on
/// vectors.
///
/// # Examples
/// ```
/// use array_expr_kernels::ScalarElem;
/// assert_eq!(<i32 as ScalarElem>::div(7, 0), 0);
/// assert_eq!(<i32 as ScalarElem>::add(i32::MAX, 1), i32::MIN);
/// assert!(<f32 as ScalarElem>::min(f32::NAN, 1.0).is_nan());
/// ```
pub trait ScalarElem: Copy + PartialEq + PartialOrd + core::fmt::Debug + Default {
    /// The additive identity (`0`, `0.0`, `false`).
    const ZERO: Self;
    /// The multiplicative identity (`1`, `1.0`, `true`).
    const ONE: Self;
    /// The smallest value (`-inf` for floats).
    const LOWEST: Self;
    /// The largest value (`+inf` for floats).
    const HIGHEST: Self;
    /// Addition (wrapping for integers, OR for bool).
    fn add(a: Self, b: Self) -> Self;
    /// Subtraction (wrapping for integers, XOR for bool).
    fn sub(a: Self, b: Self) -> Self;
    /// Multiplication (wrapping for integers, AND for bool).
    fn mul(a: Self, b: Self) -> Self;
    /// Division: IEEE for floats; truncating, wrapping and `x / 0 == 0` for integers.
    fn div(a: Self, b: Self) -> Self;
    /// Remainder: `fmod` for floats; sign of the dividend and `x % 0 == 0` for integers.
    fn rem(a: Self, b: Self) -> Self;
    /// Negation (wrapping for integers, the identity for bool).
    fn neg(a: Self) -> Self;
    /// Absolute value (wrapping: `abs(MIN) == MIN`; the identity for unsigned and bool).
    fn abs(a: Self) -> Self;
    /// Minimum; NaN-propagating for floats.
    fn min(a: Self, b: Self) -> Self;
    /// Maximum; NaN-propagating for floats.
    fn max(a: Self, b: Self) -> Self;
    /// Whether the value is NaN (always false for integers and bool).
    fn is_nan(a: Self) -> bool;
}

macro_rules! int_scalar {
    ($($t:ty),*) => {$(
        impl ScalarElem for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self { a.wrapping_add(b) }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self { a.wrapping_sub(b) }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self { a.wrapping_mul(b) }
            #[inline(always)]
            fn div(a: Self, b: Self) -> Self { if b == 0 { 0 } else { a.wrapping_div(b) } }
            #[inline(always)]
            fn rem(a: Self, b: Self) -> Self { if b == 0 { 0 } else { a.wrapping_rem(b) } }
            #[inline(always)]
            fn neg(a: Self) -> Self { a.wrapping_neg() }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn abs(a: Self) -> Self { if a < 0 { a.wrapping_neg() } else { a } }
            #[inline(always)]
            fn min(a: Self, b: Self) -> Self { Ord::min(a, b) }
            #[inline(always)]
            fn max(a: Self, b: Self) -> Self { Ord::max(a, b) }
            #[inline(always)]
            fn is_nan(_: Self) -> bool { false }
        }
    )*};
}
int_scalar!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! float_scalar {
    ($($t:ty),*) => {$(
        impl ScalarElem for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const LOWEST: Self = <$t>::NEG_INFINITY;
            const HIGHEST: Self = <$t>::INFINITY;
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self { a + b }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self { a - b }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self { a * b }
            #[inline(always)]
            fn div(a: Self, b: Self) -> Self { a / b }
            #[inline(always)]
            fn rem(a: Self, b: Self) -> Self { a % b }
            #[inline(always)]
            fn neg(a: Self) -> Self { -a }
            #[inline(always)]
            fn abs(a: Self) -> Self { a.abs() }
            #[inline(always)]
            fn min(a: Self, b: Self) -> Self { if a.is_nan() || a < b { a } else { b } }
            #[inline(always)]
            fn max(a: Self, b: Self) -> Self { if a.is_nan() || a > b { a } else { b } }
            #[inline(always)]
            fn is_nan(a: Self) -> bool { a.is_nan() }
        }
    )*};
}
float_scalar!(f32, f64);

impl ScalarElem for bool {
    const ZERO: Self = false;
    const ONE: Self = true;
    const LOWEST: Self = false;
    const HIGHEST: Self = true;
    #[inline(always)]
    fn add(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline(always)]
    fn sub(a: Self, b: Self) -> Self {
        a ^ b
    }
    #[inline(always)]
    fn mul(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn div(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn rem(_: Self, _: Self) -> Self {
        false
    }
    #[inline(always)]
    fn neg(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn abs(a: Self) -> Self {
        a
    }
    #[inline(always)]
    fn min(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn max(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline(always)]
    fn is_nan(_: Self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::ScalarElem;

    #[test]
    fn integer_policy() {
        assert_eq!(<i8 as ScalarElem>::div(i8::MIN, -1), i8::MIN);
        assert_eq!(<i8 as ScalarElem>::rem(i8::MIN, -1), 0);
        assert_eq!(<u16 as ScalarElem>::rem(5, 0), 0);
        assert_eq!(<i32 as ScalarElem>::div(-7, 2), -3);
        assert_eq!(<i32 as ScalarElem>::rem(-7, 2), -1);
        assert_eq!(<i64 as ScalarElem>::abs(i64::MIN), i64::MIN);
        assert_eq!(<u8 as ScalarElem>::neg(1), 255);
    }

    #[test]
    fn float_min_max() {
        assert!(<f64 as ScalarElem>::max(1.0, f64::NAN).is_nan());
        assert!(<f64 as ScalarElem>::max(f64::NAN, 1.0).is_nan());
        assert_eq!(<f32 as ScalarElem>::min(-1.0, 2.0), -1.0);
        assert!(<f32 as ScalarElem>::min(0.0, -0.0).is_sign_negative());
        assert!(<f32 as ScalarElem>::min(-0.0, 0.0).is_sign_positive());
    }
}
