//! Polynomial evaluation in Estrin's scheme, and the float-vector abstraction the math kernels
//! are written against once for `f32x8` and `f64x4`.

use core::ops::{Add, BitAnd, BitOr, Div, Mul, Neg, Sub};
use wide::{f32x8, f64x4, u32x8, u64x4};

/// What the vector math needs from a float vector. Private to the crate: the public surface is
/// [`FloatMath`](crate::FloatMath).
pub(crate) trait Fv:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + BitAnd<Output = Self>
    + BitOr<Output = Self>
{
    /// `2^MANT`: adding it to a value in `[0, 2^MANT)` puts that value's integer in the low bits.
    const TWO_MANT: f64;
    /// Every lane `c`, rounded to the lane type.
    fn sp(c: f64) -> Self;
    /// `self * b + c`, fused where the build has FMA.
    fn fma(self, b: Self, c: Self) -> Self;
    /// Lane-wise masks.
    fn lt(self, o: Self) -> Self;
    fn le(self, o: Self) -> Self;
    fn eq(self, o: Self) -> Self;
    /// `mask ? a : b` per lane.
    fn sel(mask: Self, a: Self, b: Self) -> Self;
    /// Whether every lane of a mask is set.
    fn all(mask: Self) -> bool;
    fn abs(self) -> Self;
    /// `|self|` with the sign bit of `s`.
    fn copysign(self, s: Self) -> Self;
    /// `minps(self, o)`: returns `o` when either is NaN.
    fn fast_min(self, o: Self) -> Self;
    fn fast_max(self, o: Self) -> Self;
    /// `2^n` for lanes holding `t = n + 1.5 * 2^MANT` (`|n|` below the exponent range).
    fn pow2_magic(t: Self) -> Self;
    /// For positive normal lanes: `(e, m, 2^-e)` with `self = m * 2^e`, `m` in `[sqrt(1/2), sqrt(2))`.
    fn split_exp(self) -> (Self, Self, Self);
}

macro_rules! fv_impl {
    ($v:ty, $s:ty, $u:ty, $mant:expr, $bias:expr, $sqrt_half_bits:expr) => {
        impl Fv for $v {
            const TWO_MANT: f64 = (1u64 << $mant) as f64;
            #[inline(always)]
            fn sp(c: f64) -> Self {
                <$v>::splat(c as $s)
            }
            #[inline(always)]
            fn fma(self, b: Self, c: Self) -> Self {
                self.mul_add(b, c)
            }
            #[inline(always)]
            fn lt(self, o: Self) -> Self {
                self.simd_lt(o)
            }
            #[inline(always)]
            fn le(self, o: Self) -> Self {
                self.simd_le(o)
            }
            #[inline(always)]
            fn eq(self, o: Self) -> Self {
                self.simd_eq(o)
            }
            #[inline(always)]
            fn sel(mask: Self, a: Self, b: Self) -> Self {
                mask.select(a, b)
            }
            #[inline(always)]
            fn all(mask: Self) -> bool {
                mask.all()
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$v>::abs(self)
            }
            #[inline(always)]
            fn copysign(self, s: Self) -> Self {
                <$v>::copysign(self, s)
            }
            #[inline(always)]
            fn fast_min(self, o: Self) -> Self {
                <$v>::fast_min(self, o)
            }
            #[inline(always)]
            fn fast_max(self, o: Self) -> Self {
                <$v>::fast_max(self, o)
            }
            #[inline(always)]
            fn pow2_magic(t: Self) -> Self {
                // The low bits of `t` hold `n` (two's complement, modulo the field width);
                // shifting them into the exponent field and adding the bias builds `2^n`.
                let b = (t.to_bits() << $mant) + <$u>::splat(($bias as <$u as HasLane>::L) << $mant);
                <$v>::from_bits(b)
            }
            #[inline(always)]
            fn split_exp(self) -> (Self, Self, Self) {
                type L = <$u as HasLane>::L;
                let one: L = ($bias as L) << $mant;
                // Offsetting by `one - bits(sqrt(1/2))` makes the exponent field step up exactly
                // where the mantissa crosses sqrt(2).
                let ix = self.to_bits() + <$u>::splat(one - $sqrt_half_bits);
                let k = ix >> $mant;
                let m = (ix & <$u>::splat((1 << $mant) - 1)) + <$u>::splat($sqrt_half_bits);
                // `k` is small: OR it into the mantissa of 2^MANT and subtract to convert.
                let kf = <$v>::from_bits(k | <$u>::splat(one + (($mant as L) << $mant)));
                let e = kf - <$v>::splat((Self::TWO_MANT + $bias as f64) as $s);
                // 2^-e has biased exponent 2*BIAS - k; for k = 2*BIAS it is 0 (lane is ~MAX).
                let inv = <$u>::splat(2 * $bias as L) - k;
                (e, <$v>::from_bits(m), <$v>::from_bits(inv << $mant))
            }
        }
    };
}

/// The lane type of an unsigned bits vector.
pub(crate) trait HasLane {
    type L;
}
impl HasLane for u32x8 {
    type L = u32;
}
impl HasLane for u64x4 {
    type L = u64;
}

fv_impl!(f32x8, f32, u32x8, 23, 127, 0x3f35_04f3);
fv_impl!(f64x4, f64, u64x4, 52, 1023, 0x3fe6_a09e_667f_3bcd);

/// Evaluates `c[0] + c[1] x + c[2] x^2 + ...` in Estrin's scheme: pairs `c[2i] + c[2i+1] x`, then
/// pairs of those with `x^2`, then with `x^4`, `x^8`. Shorter dependency chains than Horner's
/// rule, so the lanes of several polynomials overlap in the pipeline. At most 16 coefficients.
///
/// Written as four fixed levels of fixed-size arrays (no data-dependent loops) so that, with a
/// constant `c`, the optimizer unrolls it into straight-line FMAs.
#[inline(always)]
pub(crate) fn estrin<V: Fv>(x: V, c: &[f64]) -> V {
    let n = c.len().min(16);
    let k = |i: usize| V::sp(c.get(i).copied().unwrap_or(0.0));
    let pair = |i: usize| {
        if 2 * i + 1 < n {
            k(2 * i + 1).fma(x, k(2 * i))
        } else {
            k(2 * i)
        }
    };
    let l1 = eight(pair);
    let x2 = x * x;
    let (l2, m2) = level(&l1, n.div_ceil(2), x2);
    let x4 = x2 * x2;
    let (l3, m3) = level(&l2, m2, x4);
    let x8 = x4 * x4;
    let (l4, _) = level(&l3, m3, x8);
    l4[0]
}

/// One Estrin level: `out[i] = t[2i] + t[2i+1] p` over the first `m` entries of `t`.
#[inline(always)]
fn level<V: Fv>(t: &[V; 8], m: usize, p: V) -> ([V; 8], usize) {
    let out = eight(|i| {
        if 2 * i + 1 < m {
            t[2 * i + 1].fma(p, t[2 * i])
        } else if 2 * i < m {
            t[2 * i]
        } else {
            t[0]
        }
    });
    (out, m.div_ceil(2))
}

/// `[f(0), ..., f(7)]`, spelled out so that it is always inlined (unlike `array::from_fn`).
#[inline(always)]
fn eight<V>(f: impl Fn(usize) -> V) -> [V; 8] {
    [f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7)]
}

/// `fast(x)` when every lane of the mask `inside` is set; otherwise each lane on its own: the
/// lanes of `inside` from `fast` (the other lanes replaced by `safe` first, an input `fast`
/// handles), the rest from `slow(x)`. So a lane's value never depends on the other lanes of
/// its vector, and an input gives the same bits wherever it falls in a row. (Before, a vector
/// with one lane outside the fast range went through `slow` whole: 3% of f32 `log1p` values
/// in `[0.001, 10]` came out one ulp apart beside a NaN lane, `ln` likewise beside a zero.)
#[inline(always)]
pub(crate) fn by_lane<V: Fv>(x: V, inside: V, safe: f64, fast: impl Fn(V) -> V, slow: impl Fn(V) -> V) -> V {
    let all = V::all(inside);
    let f = fast(if all { x } else { V::sel(inside, x, V::sp(safe)) });
    if all {
        f
    } else {
        V::sel(inside, f, slow(x))
    }
}
