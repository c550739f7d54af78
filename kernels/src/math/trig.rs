//! `sin`, `cos`, `tan`.
//!
//! Method: quadrant `q = round(|x| 2/pi)` through the magic-number trick, Cody-Waite reduction
//! `r = |x| - q pi/2` with `pi/2` in three parts of 33, 33 and 53 bits (so `q * part` is exact
//! for `q < 2^20` even without FMA, and the reduced argument is good to about 2^-99 absolute),
//! near-minimax odd/even polynomials for `sin` and `cos` on `|r| <= pi/4`, quadrant selection and
//! sign by bit operations. The reduction always runs in f64: f32 inputs are widened, reduced,
//! evaluated with f32-accuracy polynomials and rounded once at the end. Lanes with `|x| > 2^20`,
//! infinities and NaN go through `std` one by one; the other lanes of their vector keep the
//! fast path (`poly::by_lane`).

use super::exp::poly;
use super::poly::by_lane;
use wide::{f32x8, f64x4, u64x4};

const P1: f64 = 1.5707963267341256;
const P2: f64 = 6.077100506303966e-11;
const P3: f64 = 2.0222662487959506e-21;
/// Largest `|x|` of the fast path.
pub(crate) const TRIG_FAST: f64 = 1048576.0;

/// Polynomials for f64 results: `sin r = r + r^3 S(r^2)`, `cos r = 1 - r^2/2 + r^4 C(r^2)`.
const S64: &[f64] = &[
    -0.16666666666666666,
    0.008333333333333331,
    -0.00019841269841265065,
    2.7557319219339167e-06,
    -2.5052106232447578e-08,
    1.6058531618986147e-10,
    -7.586697117706918e-13,
];
const C64: &[f64] = &[
    0.041666666666666664,
    -0.0013888888888888887,
    2.4801587301584645e-05,
    -2.7557319221402824e-07,
    2.087675579108042e-09,
    -1.1470460887609959e-11,
    4.7458719020432915e-14,
];
/// The same for results rounded to f32 (fit error about 3e-11).
const S32: &[f64] =
    &[-0.1666666666385529, 0.008333331874710208, -0.00019840086735384846, 2.724992580305979e-06];
const C32: &[f64] =
    &[0.0416666666643212, -0.001388888767201679, 2.480060037715673e-05, -2.730095920390147e-07];

/// Which function the shared reduction feeds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trig {
    Sin,
    Cos,
    Tan,
}

/// sin, cos or tan of f64 lanes with `|x| <= TRIG_FAST` (no checks).
#[inline(always)]
fn trig_core(x: f64x4, which: Trig, s_c: &'static [f64], c_c: &'static [f64]) -> f64x4 {
    let a = x.abs();
    let magic = f64x4::splat(1.5 * 4503599627370496.0);
    let t = a.mul_add(f64x4::splat(core::f64::consts::FRAC_2_PI), magic);
    let q = t - magic;
    let r = (-q).mul_add(f64x4::splat(P1), a);
    let r = (-q).mul_add(f64x4::splat(P2), r);
    let r = (-q).mul_add(f64x4::splat(P3), r);
    let z = r * r;
    let s = (r * z).mul_add(poly::<f64x4>(z, s_c), r);
    let c = (z * z).mul_add(poly::<f64x4>(z, c_c), f64x4::splat(1.0) - f64x4::splat(0.5) * z);
    let qb = t.to_bits();
    let odd = f64x4::from_bits((qb & u64x4::splat(1)).simd_eq(u64x4::splat(1)));
    let sign = |bits: u64x4| f64x4::from_bits((bits & u64x4::splat(2)) << 62);
    match which {
        // sin(a) by quadrant: s, c, -s, -c; sin is odd.
        Trig::Sin => odd.select(c, s) ^ sign(qb) ^ (x & f64x4::splat(-0.0)),
        // cos(a) by quadrant: c, -s, -c, s; cos is even.
        Trig::Cos => odd.select(s, c) ^ sign(qb + u64x4::splat(1)),
        // tan(a): s / c in even quadrants, -c / s in odd ones; tan is odd.
        Trig::Tan => {
            let v = odd.select(-c / s, s / c);
            v ^ (x & f64x4::splat(-0.0))
        }
    }
}

/// f64 lanes: fast path, lanes beyond it through `slow` (see `by_lane`).
#[inline(always)]
pub(crate) fn trig64(x: f64x4, which: Trig, slow: impl Fn(f64x4) -> f64x4) -> f64x4 {
    let inside = x.abs().simd_le(f64x4::splat(TRIG_FAST));
    by_lane(x, inside, 0.0, |x| trig_core(x, which, S64, C64), slow)
}

/// f32 lanes, widened to f64 for the reduction and the polynomial, rounded once.
#[inline(always)]
pub(crate) fn trig32(x: f32x8, which: Trig, slow: impl Fn(f32x8) -> f32x8) -> f32x8 {
    let fast = |x| {
        let (lo, hi) = widen(x);
        narrow(trig_core(lo, which, S32, C32), trig_core(hi, which, S32, C32))
    };
    by_lane(x, x.abs().simd_le(f32x8::splat(TRIG_FAST as f32)), 0.0, fast, slow)
}

/// The two f64x4 halves of an f32x8.
#[inline(always)]
pub(crate) fn widen(x: f32x8) -> (f64x4, f64x4) {
    let a = x.to_array();
    (
        f64x4::new([a[0] as f64, a[1] as f64, a[2] as f64, a[3] as f64]),
        f64x4::new([a[4] as f64, a[5] as f64, a[6] as f64, a[7] as f64]),
    )
}

/// Rounds two f64x4 to one f32x8.
#[inline(always)]
pub(crate) fn narrow(lo: f64x4, hi: f64x4) -> f32x8 {
    let (l, h) = (lo.to_array(), hi.to_array());
    f32x8::new([
        l[0] as f32,
        l[1] as f32,
        l[2] as f32,
        l[3] as f32,
        h[0] as f32,
        h[1] as f32,
        h[2] as f32,
        h[3] as f32,
    ])
}
