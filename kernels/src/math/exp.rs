//! `exp`, `exp2`, `expm1` and the functions built on them (`sinh`, `cosh`, `tanh`, `sigmoid`).
//!
//! Method (the classic Cody-Waite scheme, as in Cephes and fdlibm): `n = round(x / ln 2)` through
//! the "magic number" `1.5 * 2^MANT` (whose low mantissa bits then hold `n`), `r = x - n ln2` with
//! `ln 2` split in a short high part (so `n * hi` is exact even without FMA) and a low part, a
//! near-minimax polynomial on `|r| <= ln2 / 2` (coefficients from `kernels/tools/coeffs.py`,
//! evaluated in Estrin's scheme), and `2^n` built directly in the exponent bits. The fast path
//! assumes every lane is in the normal range; one compare and mask test per vector sends other
//! vectors to a careful path (two-step scaling, so overflow, gradual underflow, `±inf` and NaN
//! come out as in `std`).

use super::poly::{by_lane, estrin, Fv};

/// Per-type constants of this module.
pub(crate) trait ExpConsts: Fv {
    /// `exp(r) = 1 + r + r^2 P(r)`.
    const EXP_P: &'static [f64];
    /// `2^r = 1 + r Q(r)`.
    const EXP2_Q: &'static [f64];
    /// `expm1(r) = r + r^2/2 + r^3 P(r)`.
    const EXPM1_P: &'static [f64];
    /// `ln 2 = LN2_HI + LN2_LO`, `LN2_HI` short enough that `n * LN2_HI` is exact.
    const LN2_HI: f64;
    const LN2_LO: f64;
    /// Largest `|x|` for which `exp(x)` and `exp(-x)` are normal: the fast-path bound.
    const EXP_FAST: f64;
    /// Inputs are clamped to `[-EXP_CLAMP_LO, EXP_CLAMP_HI]` in the careful path (beyond them
    /// the result is 0 or inf anyway).
    const EXP_CLAMP: (f64, f64);
    /// `tanh(x) = x + x^3 T(x^2)` for `|x| < TANH_SMALL`.
    const TANH_T: &'static [f64];
}

const LOG2E: f64 = core::f64::consts::LOG2_E;
const TANH_SMALL: f64 = 0.625;

/// `1 + r + r^2 P(r)` for the reduced argument.
#[inline(always)]
fn exp_poly<V: ExpConsts>(r: V) -> V {
    let p = poly::<V>(r, V::EXP_P);
    (r * r).fma(p, r) + V::sp(1.0)
}

/// Evaluates a constant coefficient slice (ascending degree) in Estrin's scheme.
#[inline(always)]
pub(crate) fn poly<V: Fv>(x: V, c: &'static [f64]) -> V {
    estrin(x, c)
}

/// Splits `x` into `n` (as `n + 1.5 * 2^MANT`) and the reduced `r = x - n ln2`.
#[inline(always)]
fn reduce_ln2<V: ExpConsts>(x: V) -> (V, V, V) {
    let magic = V::sp(1.5 * V::TWO_MANT);
    let t = x.fma(V::sp(LOG2E), magic);
    let n = t - magic;
    let r = (-n).fma(V::sp(V::LN2_HI), x);
    let r = (-n).fma(V::sp(V::LN2_LO), r);
    (t, n, r)
}

/// `exp(x)` for lanes with `|x| <= EXP_FAST` (no checks).
#[inline(always)]
pub(crate) fn exp_core<V: ExpConsts>(x: V) -> V {
    let (t, _, r) = reduce_ln2(x);
    exp_poly(r) * V::pow2_magic(t)
}

/// `p * 2^n` for any integral `n` in about `[-1100, 1100]`, in two exact steps so that gradual
/// underflow rounds once and overflow gives inf.
#[inline(always)]
fn scale_careful<V: ExpConsts>(p: V, n: V) -> V {
    let magic = V::sp(1.5 * V::TWO_MANT);
    let half = (n * V::sp(0.5)).fma(V::sp(1.0), magic) - magic;
    // `half` is n/2 rounded to an integer; the rest is at most one larger.
    let rest = n - half;
    p * V::pow2_magic(half + magic) * V::pow2_magic(rest + magic)
}

/// `exp` with every edge case: clamped input, two-step scaling, NaN passed through.
///
/// Inlined behind the fast path's branch rather than called: a call in the loop, even one that
/// never runs, makes every vector register caller-saved across it, so the loop reloads its
/// constants and spills its values on every iteration (exp over an L1-resident row ran 1.5-2x
/// slower that way).
#[inline(always)]
fn exp_careful<V: ExpConsts>(x: V) -> V {
    let (lo, hi) = V::EXP_CLAMP;
    let xc = V::sp(hi).fast_min(V::sp(lo).fast_max(x));
    let (_, n, r) = reduce_ln2(xc);
    let y = scale_careful(exp_poly(r), n);
    V::sel(x.eq(x), y, x + x)
}

/// Vector `exp`: fast path when every lane has `|x| <= EXP_FAST`, else the careful path.
#[inline(always)]
pub(crate) fn exp<V: ExpConsts>(x: V) -> V {
    if V::all(x.abs().le(V::sp(V::EXP_FAST))) {
        exp_core(x)
    } else {
        exp_careful(x)
    }
}

#[inline(always)]
fn exp2_parts<V: ExpConsts>(x: V) -> (V, V, V) {
    let magic = V::sp(1.5 * V::TWO_MANT);
    let t = x + magic;
    let n = t - magic;
    let r = x - n;
    (t, n, (r * poly::<V>(r, V::EXP2_Q)) + V::sp(1.0))
}

/// Inlined behind the fast path's branch, as [`exp_careful`].
#[inline(always)]
fn exp2_careful<V: ExpConsts>(x: V) -> V {
    let (lo, hi) = V::EXP_CLAMP;
    let xc = V::sp(hi * LOG2E).fast_min(V::sp(lo * LOG2E).fast_max(x));
    let (_, n, p) = exp2_parts(xc);
    V::sel(x.eq(x), scale_careful(p, n), x + x)
}

/// Vector `exp2`.
#[inline(always)]
pub(crate) fn exp2<V: ExpConsts>(x: V) -> V {
    if V::all(x.abs().le(V::sp(V::EXP_FAST * LOG2E))) {
        let (t, _, p) = exp2_parts(x);
        p * V::pow2_magic(t)
    } else {
        exp2_careful(x)
    }
}

/// `expm1(x)` for lanes with `|x| <= EXP_FAST` (no checks; `-0.0` comes out as `+0.0`).
#[inline(always)]
pub(crate) fn expm1_core<V: ExpConsts>(x: V) -> V {
    let (t, _, r) = reduce_ln2(x);
    let q = r.fma(poly::<V>(r, V::EXPM1_P), V::sp(0.5));
    let e = (r * r).fma(q, r);
    let s = V::pow2_magic(t);
    // expm1(x) = 2^n expm1(r) + (2^n - 1); `s - 1` is exact for |n| <= MANT + 1, and beyond
    // that its rounding is far below the rounding of the result.
    s.fma(e, s - V::sp(1.0))
}

/// Vector `expm1`.
#[inline(always)]
pub(crate) fn expm1<V: ExpConsts>(x: V, slow: impl Fn(V) -> V) -> V {
    let inside = x.abs().le(V::sp(V::EXP_FAST));
    by_lane(x, inside, 0.0, |x| V::sel(x.eq(V::sp(0.0)), x, expm1_core(x)), slow)
}

/// Vector `tanh`: `x + x^3 T(x^2)` below 0.625, `1 - 2 / (exp(2|x|) + 1)` above, sign restored
/// last. No fast/slow split: large lanes saturate through a clamped `exp`, NaN flows through.
#[inline(always)]
pub(crate) fn tanh<V: ExpConsts>(x: V) -> V {
    let a = x.abs();
    let z = a * a;
    let small = (a * z).fma(poly::<V>(z, V::TANH_T), a);
    // `fast_min(c, v)` returns `v` when `v` is NaN, so NaN reaches the result.
    let e = exp_core(V::sp(V::EXP_FAST).fast_min(a + a));
    let big = V::sp(1.0) - V::sp(2.0) / (e + V::sp(1.0));
    V::sel(a.lt(V::sp(TANH_SMALL)), small, big).copysign(x)
}

/// Vector `sigmoid` `1 / (1 + exp(-x))`; lanes beyond the fast range through `slow` (see
/// `by_lane`).
#[inline(always)]
pub(crate) fn sigmoid<V: ExpConsts>(x: V, slow: impl Fn(V) -> V) -> V {
    let inside = x.abs().le(V::sp(V::EXP_FAST));
    by_lane(x, inside, 0.0, |x| V::sp(1.0) / (V::sp(1.0) + exp_core(-x)), slow)
}

/// Vector `sinh` `(e + e / (e + 1)) / 2` with `e = expm1(|x|)`, sign restored; `slow` for lanes
/// beyond the fast range.
#[inline(always)]
pub(crate) fn sinh<V: ExpConsts>(x: V, slow: impl Fn(V) -> V) -> V {
    let fast = |x: V| {
        let e = expm1_core(x.abs());
        (V::sp(0.5) * (e + e / (e + V::sp(1.0)))).copysign(x)
    };
    by_lane(x, x.abs().le(V::sp(V::EXP_FAST)), 0.0, fast, slow)
}

/// Vector `cosh` `(E + 1 / E) / 2` with `E = exp(|x|)`; `slow` for lanes beyond the fast range.
#[inline(always)]
pub(crate) fn cosh<V: ExpConsts>(x: V, slow: impl Fn(V) -> V) -> V {
    let fast = |x: V| {
        let e = exp_core(x.abs());
        V::sp(0.5) * e + V::sp(0.5) / e
    };
    by_lane(x, x.abs().le(V::sp(V::EXP_FAST)), 0.0, fast, slow)
}

impl ExpConsts for wide::f32x8 {
    const EXP_P: &'static [f64] =
        &[0.5, 0.1666657702559799, 0.041666554662050534, 0.008363173074513711, 0.001392617611993558];
    const EXP2_Q: &'static [f64] = &[
        0.6931471880262288,
        0.24022650760568126,
        0.05550357114219078,
        0.009618082557277852,
        0.0013390863364671234,
        0.0001545316294512069,
    ];
    const EXPM1_P: &'static [f64] = &[
        0.16666666666666666,
        0.041666554662050534,
        0.008333320892150258,
        0.001392617611993558,
        0.00019882690043715679,
    ];
    const LN2_HI: f64 = 0.693145751953125;
    const LN2_LO: f64 = 1.4286068203094173e-06;
    const EXP_FAST: f64 = 87.0;
    const EXP_CLAMP: (f64, f64) = (-104.0, 89.0);
    const TANH_T: &'static [f64] = &[
        -0.3333333317214036,
        0.1333330355691574,
        -0.053959259577204544,
        0.02176891865102821,
        -0.008343945515839153,
        0.002292744816178142,
    ];
}

impl ExpConsts for wide::f64x4 {
    const EXP_P: &'static [f64] = &[
        0.5,
        0.1666666666666667,
        0.04166666666666667,
        0.008333333333326141,
        0.0013888888888883752,
        0.00019841269874800493,
        2.4801587325533363e-05,
        2.7557255425746435e-06,
        2.7557273661348637e-07,
        2.510520637395701e-08,
        2.0914679376583935e-09,
    ];
    const EXP2_Q: &'static [f64] = &[
        core::f64::consts::LN_2,
        0.24022650695910072,
        0.055504108664821625,
        0.00961812910762848,
        0.001333355814640647,
        0.00015403530393370734,
        1.5252733841556773e-05,
        1.3215486808705563e-06,
        1.0178057087733941e-07,
        7.0548973041554995e-09,
        4.4558179083360645e-10,
        2.5729324177362305e-11,
    ];
    const EXPM1_P: &'static [f64] = &[
        0.16666666666666669,
        0.041666666666666664,
        0.008333333333330065,
        0.0013888888888886554,
        0.00019841269863040545,
        2.4801587317135164e-05,
        2.7557268480310024e-06,
        2.755728298405588e-07,
        2.5100375832561234e-08,
        2.091122972975856e-09,
    ];
    const LN2_HI: f64 = 0.6931471805598903;
    const LN2_LO: f64 = 5.497923018708371e-14;
    const EXP_FAST: f64 = 708.0;
    const EXP_CLAMP: (f64, f64) = (-746.0, 710.0);
    const TANH_T: &'static [f64] = &[
        -0.3333333333333333,
        0.13333333333333042,
        -0.05396825396789699,
        0.021869488519008305,
        -0.008863235103240878,
        0.0035921217511549622,
        -0.0014557754120478055,
        0.0005896606577757043,
        -0.0002375906496055562,
        9.257116129556769e-05,
        -3.12011014257974e-05,
        6.485163482793113e-06,
    ];
}
