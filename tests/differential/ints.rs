//! Integer operations and every cast, on reference values: exact, with the Numerics Contract's
//! integer policy (wrapping arithmetic, division and remainder by zero give 0, `as` casts).

use super::values::{bad_f, f1, lf, F, I, P};

/// The integer dtypes, with the operations the reference needs.
pub(crate) trait Int: Copy + PartialOrd + Ord + std::fmt::Debug {
    /// The dtype's name, for messages.
    const NAME: &'static str;
    /// Wrapping `+`.
    fn add(self, b: Self) -> Self;
    /// Wrapping `-`.
    fn sub(self, b: Self) -> Self;
    /// Wrapping `*`.
    fn mul(self, b: Self) -> Self;
    /// Truncating, wrapping `/`; by zero gives 0.
    fn div(self, b: Self) -> Self;
    /// Remainder with the dividend's sign; by zero gives 0.
    fn rem(self, b: Self) -> Self;
    /// Wrapping negation.
    fn neg(self) -> Self;
    /// The value, exactly.
    fn to_i128(self) -> i128;
    /// `v as Self` (keeps the low bits).
    fn wrap_from(v: i128) -> Self;
    /// `x as Self` for a float: truncation toward zero, saturating, NaN to 0.
    fn from_float(x: f64) -> Self;
    /// `self as f32` / `self as f64`, as an f64.
    fn to_float(self, p: P) -> f64;
    /// Whether the value is negative.
    fn is_neg(self) -> bool;
}

macro_rules! int_impl {
    ($($t:ident),*) => {$(
        impl Int for $t {
            const NAME: &'static str = stringify!($t);
            fn add(self, b: Self) -> Self { self.wrapping_add(b) }
            fn sub(self, b: Self) -> Self { self.wrapping_sub(b) }
            fn mul(self, b: Self) -> Self { self.wrapping_mul(b) }
            fn div(self, b: Self) -> Self { if b == 0 { 0 } else { self.wrapping_div(b) } }
            fn rem(self, b: Self) -> Self { if b == 0 { 0 } else { self.wrapping_rem(b) } }
            fn neg(self) -> Self { self.wrapping_neg() }
            fn to_i128(self) -> i128 { self as i128 }
            fn wrap_from(v: i128) -> Self { v as $t }
            fn from_float(x: f64) -> Self { x as $t }
            fn to_float(self, p: P) -> f64 {
                match p {
                    P::S => self as f32 as f64,
                    P::D => self as f64,
                }
            }
            #[allow(unused_comparisons)]
            fn is_neg(self) -> bool { self < 0 }
        }
    )*};
}
int_impl!(i8, i16, i32, i64, u8, u16, u32, u64);

fn i2<T>(a: I<T>, b: I<T>, f: impl Fn(T, T) -> T) -> I<T> {
    I { v: f(a.v, b.v), bad: a.bad || b.bad }
}

/// `a + b`
pub(crate) fn iadd<T: Int>(a: I<T>, b: I<T>) -> I<T> {
    i2(a, b, T::add)
}
/// `a - b`
pub(crate) fn isub<T: Int>(a: I<T>, b: I<T>) -> I<T> {
    i2(a, b, T::sub)
}
/// `a * b`
pub(crate) fn imul<T: Int>(a: I<T>, b: I<T>) -> I<T> {
    i2(a, b, T::mul)
}
/// `a / b`
pub(crate) fn idiv<T: Int>(a: I<T>, b: I<T>) -> I<T> {
    i2(a, b, T::div)
}
/// `a % b`
pub(crate) fn irem<T: Int>(a: I<T>, b: I<T>) -> I<T> {
    i2(a, b, T::rem)
}
/// `-a`
pub(crate) fn ineg<T: Int>(a: I<T>) -> I<T> {
    I { v: a.v.neg(), bad: a.bad }
}
/// `|a|` (wrapping: `abs(MIN) == MIN`)
pub(crate) fn iabs<T: Int>(a: I<T>) -> I<T> {
    I { v: if a.v.is_neg() { a.v.neg() } else { a.v }, bad: a.bad }
}
/// `a * a`
pub(crate) fn isq<T: Int>(a: I<T>) -> I<T> {
    imul(a, a)
}
/// `min(a, b)`
pub(crate) fn imin<T: Int>(a: I<T>, b: I<T>) -> I<T> {
    i2(a, b, Ord::min)
}
/// `max(a, b)`
pub(crate) fn imax<T: Int>(a: I<T>, b: I<T>) -> I<T> {
    i2(a, b, Ord::max)
}
/// `clip(a, lo, hi) = min(max(a, lo), hi)`
pub(crate) fn iclip<T: Int>(a: I<T>, lo: I<T>, hi: I<T>) -> I<T> {
    imin(imax(a, lo), hi)
}

/// Float to float (`as f32` rounds; `as f64` is exact).
pub(crate) fn cff(to: P, a: F) -> F {
    f1(to, a, 0.0, &[], |x| x)
}
/// Float to integer: undecidable when the interval truncates to different integers.
pub(crate) fn cfi<T: Int>(a: F) -> I<T> {
    let v = T::from_float(a.v);
    let jump = a.e > 0.0 && T::from_float(a.v - a.e) != T::from_float(a.v + a.e);
    I { v, bad: a.bad || jump || (a.e > 0.0 && a.v.is_nan()) }
}
/// Float to mask (`x != 0`): undecidable when the interval contains 0.
pub(crate) fn cfb(a: F) -> I<bool> {
    let bad = a.bad || (a.e > 0.0 && !a.v.abs().gt(&a.e));
    I { v: a.v != 0.0, bad }
}
/// Integer to float (rounded to the precision in one step, as `as` does).
pub(crate) fn cif<T: Int>(p: P, a: I<T>) -> F {
    if a.bad {
        return bad_f();
    }
    lf(p, a.v.to_float(p))
}
/// Integer to integer (`as`: keeps the low bits, sign-extends).
pub(crate) fn cii<S: Int, T: Int>(a: I<S>) -> I<T> {
    I { v: T::wrap_from(a.v.to_i128()), bad: a.bad }
}
/// Integer to mask (`x != 0`).
pub(crate) fn cib<T: Int>(a: I<T>) -> I<bool> {
    I { v: a.v.to_i128() != 0, bad: a.bad }
}
/// Mask to integer (0 or 1).
pub(crate) fn cbi<T: Int>(a: I<bool>) -> I<T> {
    I { v: T::wrap_from(a.v as i128), bad: a.bad }
}
/// Mask to float (0.0 or 1.0).
pub(crate) fn cbf(p: P, a: I<bool>) -> F {
    if a.bad {
        return bad_f();
    }
    lf(p, if a.v { 1.0 } else { 0.0 })
}
