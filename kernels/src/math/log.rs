//! `ln`, `log2`, `log10`, `log1p`.
//!
//! Method: split `x = m 2^e` with `m` in `[sqrt(1/2), sqrt(2))` by integer operations on the bits
//! (no division, no table), `f = m - 1`, then
//! - f32: `ln(1 + f) = f - f^2/2 + f^3 P(f)` with a degree-8 near-minimax `P` (no division);
//! - f64: `s = f / (2 + f)`, `ln(1 + f) = f - (f^2/2 - s (f^2/2 + z R(z)))`, `z = s^2`, the
//!   fdlibm arrangement that keeps `f` exact and puts the approximation error in a small term.
//!
//! Then `ln x = e ln2_hi + (ln(1 + f) + e ln2_lo)`. `log1p` folds the rounding error of `u = 1 + x`
//! into the reduced argument: `f' = (m - 1) + c 2^-e` with `c = x - (u - 1)`, which is what keeps
//! it at 1 ulp near 0. The fast path needs positive normal inputs (one compare and mask test per
//! vector); other lanes go through `std` one by one, while the lanes in range of the same vector
//! keep the fast path (`poly::by_lane`, so a lane's value never depends on its neighbours).

use super::exp::poly;
use super::poly::{by_lane, Fv};

/// Per-type part of the logarithm: `ln(1 + f)` for the reduced `f`.
pub(crate) trait LogConsts: Fv {
    /// `ln(1 + f)` for `f` in about `[sqrt(1/2) - 1, sqrt(2) - 1]`.
    fn ln1pf(f: Self) -> Self;
    /// `ln 2 = LN2_HI + LN2_LO`, `e * LN2_HI` exact.
    const LN2_HI: f64;
    const LN2_LO: f64;
    /// Smallest positive normal and largest finite value.
    const MIN_POS: f64;
    const MAX: f64;
}

impl LogConsts for wide::f32x8 {
    #[inline(always)]
    fn ln1pf(f: Self) -> Self {
        const P: &[f64] = &[
            0.33333331180030046,
            -0.24999996957950882,
            0.200007157488921,
            -0.16667802319501254,
            0.1424905764569748,
            -0.12425687331451106,
            0.1168541992348674,
            -0.11479733846637635,
            0.06971611471451178,
        ];
        // f + f^2 (f P(f) - 1/2): two fused steps after the polynomial
        let f2 = f * f;
        f2.fma(f.fma(poly::<Self>(f, P), Self::sp(-0.5)), f)
    }
    const LN2_HI: f64 = 0.693145751953125;
    const LN2_LO: f64 = 1.4286068203094173e-06;
    const MIN_POS: f64 = f32::MIN_POSITIVE as f64;
    const MAX: f64 = f32::MAX as f64;
}

impl LogConsts for wide::f64x4 {
    #[inline(always)]
    fn ln1pf(f: Self) -> Self {
        const R: &[f64] = &[
            0.6666666666666666,
            0.4000000000000088,
            0.28571428570803614,
            0.22222222391713917,
            0.18181795640132906,
            0.15386239702814658,
            0.13268773138656886,
            0.13086626147840102,
        ];
        let s = f / (Self::sp(2.0) + f);
        let z = s * s;
        let hfsq = Self::sp(0.5) * f * f;
        let r = z * poly::<Self>(z, R);
        f - (hfsq - s * (hfsq + r))
    }
    const LN2_HI: f64 = 0.6931471805598903;
    const LN2_LO: f64 = 5.497923018708371e-14;
    const MIN_POS: f64 = f64::MIN_POSITIVE;
    const MAX: f64 = f64::MAX;
}

/// `(e, ln(m))` for positive normal lanes.
#[inline(always)]
fn ln_parts<V: LogConsts>(x: V) -> (V, V) {
    let (e, m, _) = x.split_exp();
    (e, V::ln1pf(m - V::sp(1.0)))
}

/// The lanes that are positive normal numbers (a mask).
#[inline(always)]
fn fast_range<V: LogConsts>(x: V) -> V {
    V::sp(V::MIN_POS).le(x) & x.le(V::sp(V::MAX))
}

/// Vector natural logarithm; lanes that are not positive normal numbers go through `slow`
/// (the others keep the fast path, see `by_lane`).
#[inline(always)]
pub(crate) fn ln<V: LogConsts>(x: V, slow: impl Fn(V) -> V) -> V {
    by_lane(x, fast_range(x), 1.0, ln_core, slow)
}

/// Vector base-2 logarithm: `e + ln(m) log2(e)`.
#[inline(always)]
pub(crate) fn log2<V: LogConsts>(x: V, slow: impl Fn(V) -> V) -> V {
    let fast = |x: V| {
        let (e, l) = ln_parts(x);
        l.fma(V::sp(core::f64::consts::LOG2_E), e)
    };
    by_lane(x, fast_range(x), 1.0, fast, slow)
}

/// Vector base-10 logarithm: `e log10(2) + ln(m) log10(e)`, `log10(2)` split in two parts.
#[inline(always)]
pub(crate) fn log10<V: LogConsts>(x: V, slow: impl Fn(V) -> V) -> V {
    let fast = |x: V| {
        let (e, l) = ln_parts(x);
        let lo = e.fma(V::sp(3.694239077158931e-13), l * V::sp(core::f64::consts::LOG10_E));
        e.fma(V::sp(0.30102999566361177), lo)
    };
    by_lane(x, fast_range(x), 1.0, fast, slow)
}

/// Vector `log1p`; lanes outside `(-1, MAX / 4]` go through `slow` (the others keep the fast
/// path, see `by_lane`).
#[inline(always)]
pub(crate) fn log1p<V: LogConsts>(x: V, slow: impl Fn(V) -> V) -> V {
    let one = V::sp(1.0);
    let fast = |x: V| {
        let u = one + x;
        // c = (1 + x) - u exactly: the rounding error of u (Knuth's TwoSum, no branch).
        let b = u - one;
        let c = (one - (u - b)) + (x - b);
        let (e, m, inv) = u.split_exp();
        let f = c.fma(inv, m - one);
        let l = e.fma(V::sp(V::LN2_HI), e.fma(V::sp(V::LN2_LO), V::ln1pf(f)));
        V::sel(x.eq(V::sp(0.0)), x, l)
    };
    // Below MAX / 4 the exponent of u leaves room for the 2^-e scale of the correction.
    by_lane(x, V::sp(-1.0).lt(x) & x.le(V::sp(V::MAX * 0.25)), 0.0, fast, slow)
}

/// `ln x` for positive normal lanes (no checks).
#[inline(always)]
pub(crate) fn ln_core<V: LogConsts>(x: V) -> V {
    let (e, l) = ln_parts(x);
    e.fma(V::sp(V::LN2_HI), e.fma(V::sp(V::LN2_LO), l))
}
