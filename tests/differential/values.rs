//! Reference values with a rigorous error bound, and the elementwise operations on them.
//!
//! A float reference value `F` holds the value the kernel must produce when every input it
//! depends on was computed exactly (`v`, already rounded to the node's dtype), and `e`, a bound
//! on how far the kernel's result may lie from `v` because an operand was itself computed only
//! within its bound (a math function within its documented ulps, a reduction in another order).
//! Bounds are propagated by evaluating each operation at the corners of its operands' intervals
//! (every operation here is monotone in each argument between the critical points we add), so
//! `e == 0` means the kernel must match `v` bit for bit. A value is `bad` when the bound cannot
//! decide it (a comparison inside the error band, a `floor` at a jump, a pole inside the
//! interval); such elements are skipped and counted, never compared loosely.

/// The precision of a float node: `f32` or `f64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum P {
    /// `f32`
    S,
    /// `f64`
    D,
}

impl P {
    /// Rounds an f64 to this precision (as the kernel's `as f32` does).
    pub(crate) fn round(self, x: f64) -> f64 {
        match self {
            P::S => x as f32 as f64,
            P::D => x,
        }
    }

    /// The spacing of this precision's numbers at `|x|` (the smallest subnormal near 0).
    pub(crate) fn ulp(self, x: f64) -> f64 {
        let a = x.abs();
        match self {
            P::S => {
                let r = a as f32;
                if !r.is_finite() {
                    return f64::INFINITY;
                }
                (f32::from_bits(r.to_bits() + 1) - r) as f64
            }
            P::D => {
                if !a.is_finite() {
                    return f64::INFINITY;
                }
                f64::from_bits(a.to_bits() + 1) - a
            }
        }
    }

    /// The largest finite value.
    pub(crate) fn max(self) -> f64 {
        match self {
            P::S => f32::MAX as f64,
            P::D => f64::MAX,
        }
    }
}

/// A float reference value (see the module docs).
#[derive(Clone, Copy, Debug)]
pub(crate) struct F {
    /// The value for exactly computed operands, rounded to the node's precision.
    pub(crate) v: f64,
    /// Bound on |kernel result - v|.
    pub(crate) e: f64,
    /// The bound cannot decide this element: skip it.
    pub(crate) bad: bool,
}

/// An integer or mask reference value: exact, or `bad` when it depends on an undecidable float.
#[derive(Clone, Copy, Debug)]
pub(crate) struct I<T> {
    /// The exact value.
    pub(crate) v: T,
    /// Depends on an element the bound cannot decide.
    pub(crate) bad: bool,
}

/// A float leaf (an input element, scalar or literal), exact.
pub(crate) fn lf(p: P, x: f64) -> F {
    F { v: p.round(x), e: 0.0, bad: false }
}

/// An integer or mask leaf, exact.
pub(crate) fn li<T>(v: T) -> I<T> {
    I { v, bad: false }
}

/// A value that the bound cannot decide.
pub(crate) fn bad_f() -> F {
    F { v: f64::NAN, e: 0.0, bad: true }
}

/// Builds the result of an operation whose exact value at the operands is `exact` (unrounded)
/// and whose values at the interval corners are `corners` (unrounded); `ulps` is the
/// kernel's documented accuracy for the operation (0 for correctly rounded ones).
pub(crate) fn finish(p: P, exact: f64, corners: &[f64], ulps: f64, bad: bool) -> F {
    if bad {
        return bad_f();
    }
    let v = p.round(exact);
    let perturbed = corners.iter().any(|c| c.to_bits() != exact.to_bits());
    if !v.is_finite() {
        return nonfinite(p, exact, corners, ulps, perturbed);
    }
    if ulps > 0.0 && exact.abs() > p.max() * (1.0 - 1e-6) {
        return bad_f(); // at the overflow threshold an approximation may round either way
    }
    let mut e = 0.0f64;
    for &c in corners {
        let rc = p.round(c);
        if !rc.is_finite() {
            return bad_f();
        }
        e = e.max((rc - v).abs());
    }
    if perturbed {
        e += match p {
            P::S => p.ulp(v),
            P::D => 2.0 * p.ulp(v), // the corners themselves were rounded in f64
        };
    }
    e += ulps * p.ulp(v);
    if !e.is_finite() {
        return bad_f();
    }
    F { v, e, bad: false }
}

/// A NaN or infinite result is certain only when every corner gives the same one (and, for an
/// approximated function, the exact value is far beyond the overflow threshold).
fn nonfinite(p: P, exact: f64, corners: &[f64], ulps: f64, perturbed: bool) -> F {
    let v = p.round(exact);
    let same = |c: f64| {
        let rc = p.round(c);
        (rc.is_nan() && v.is_nan()) || rc == v
    };
    if perturbed && !corners.iter().all(|&c| same(c)) {
        return bad_f();
    }
    if ulps > 0.0 && v.is_infinite() && exact.is_finite() && exact.abs() < p.max() * 1.001 {
        return bad_f();
    }
    F { v, e: 0.0, bad: false }
}

/// The two ends of a value's interval (just the value when exact).
fn ends(a: F) -> Vec<f64> {
    if a.e == 0.0 || a.v.is_nan() {
        vec![a.v]
    } else {
        vec![a.v - a.e, a.v + a.e]
    }
}

/// Applies a one-argument function; `crit` are the points where it turns (extremes inside the
/// interval), `ulps` its accuracy.
pub(crate) fn f1(p: P, a: F, ulps: f64, crit: &[f64], f: impl Fn(f64) -> f64) -> F {
    let mut cs: Vec<f64> = ends(a).into_iter().map(&f).collect();
    for &c in crit {
        if a.e > 0.0 && (c - a.v).abs() <= a.e {
            cs.push(f(c));
        }
    }
    finish(p, f(a.v), &cs, ulps, a.bad)
}

/// Applies a two-argument function monotone in each argument.
pub(crate) fn f2(p: P, a: F, b: F, ulps: f64, f: impl Fn(f64, f64) -> f64) -> F {
    let mut cs = Vec::new();
    for x in ends(a) {
        for y in ends(b) {
            cs.push(f(x, y));
        }
    }
    finish(p, f(a.v, b.v), &cs, ulps, a.bad || b.bad)
}

/// Applies a three-argument function monotone in each argument.
pub(crate) fn f3(p: P, a: F, b: F, c: F, f: impl Fn(f64, f64, f64) -> f64) -> F {
    let mut cs = Vec::new();
    for x in ends(a) {
        for y in ends(b) {
            for z in ends(c) {
                cs.push(f(x, y, z));
            }
        }
    }
    finish(p, f(a.v, b.v, c.v), &cs, 0.0, a.bad || b.bad || c.bad)
}

/// Whether the interval of `a` contains `x`.
fn spans(a: F, x: f64) -> bool {
    a.e > 0.0 && (a.v - x).abs() <= a.e
}

/// `a + b`
pub(crate) fn fadd(p: P, a: F, b: F) -> F {
    f2(p, a, b, 0.0, |x, y| x + y)
}
/// `a - b`
pub(crate) fn fsub(p: P, a: F, b: F) -> F {
    f2(p, a, b, 0.0, |x, y| x - y)
}
/// `a * b`
pub(crate) fn fmul(p: P, a: F, b: F) -> F {
    f2(p, a, b, 0.0, |x, y| x * y)
}
/// `a / b`; undecidable when the divisor's interval contains 0.
pub(crate) fn fdiv(p: P, a: F, b: F) -> F {
    if spans(b, 0.0) {
        return bad_f();
    }
    f2(p, a, b, 0.0, |x, y| x / y)
}
/// `a % b` (fmod, exact); undecidable when `a / b` may cross an integer.
pub(crate) fn frem(p: P, a: F, b: F) -> F {
    if a.e > 0.0 || b.e > 0.0 {
        if spans(b, 0.0) || a.bad || b.bad {
            return bad_f();
        }
        let qs: Vec<f64> =
            ends(a).iter().flat_map(|&x| ends(b).into_iter().map(move |y| (x / y).trunc())).collect();
        if qs.iter().any(|q| *q != qs[0]) || !qs[0].is_finite() {
            return bad_f();
        }
    }
    f2(p, a, b, 0.0, |x, y| x % y)
}
/// `-a`
pub(crate) fn fneg(a: F) -> F {
    F { v: -a.v, ..a }
}
/// `|a|`
pub(crate) fn fabs(p: P, a: F) -> F {
    f1(p, a, 0.0, &[0.0], f64::abs)
}
/// `a * a`
pub(crate) fn fsq(p: P, a: F) -> F {
    f1(p, a, 0.0, &[0.0], |x| x * x)
}
/// NaN-propagating minimum; between equal values (signed zeros) the second operand.
pub(crate) fn fmin(p: P, a: F, b: F) -> F {
    f2(p, a, b, 0.0, |x, y| if x.is_nan() || x < y { x } else { y })
}
/// NaN-propagating maximum; between equal values (signed zeros) the second operand.
pub(crate) fn fmax(p: P, a: F, b: F) -> F {
    f2(p, a, b, 0.0, |x, y| if x.is_nan() || x > y { x } else { y })
}
/// `min(max(a, lo), hi)` with the NaN-propagating min/max.
pub(crate) fn fclip(p: P, a: F, lo: F, hi: F) -> F {
    let mx = |x: f64, y: f64| if x.is_nan() || x > y { x } else { y };
    let mn = |x: f64, y: f64| if x.is_nan() || x < y { x } else { y };
    f3(p, a, lo, hi, |x, l, h| mn(mx(x, l), h))
}
/// `powi(a, k)`, computed in the node's precision with `std`'s multiplication order.
pub(crate) fn fpowi(p: P, a: F, k: i32) -> F {
    let f = move |x: f64| match p {
        P::S => (x as f32).powi(k) as f64,
        P::D => x.powi(k),
    };
    f1(p, a, 0.0, &[0.0], f)
}
/// `pow(a, b)`: monotone in each argument for a positive base.
pub(crate) fn fpow(p: P, a: F, b: F) -> F {
    if spans(a, 0.0) || (a.v <= 0.0 && (a.e > 0.0 || b.e > 0.0)) {
        return bad_f();
    }
    f2(p, a, b, 1.0, f64::powf)
}

/// The float functions of the DSL, with the accuracy bound the kernels crate asserts (in ulps
/// of f32 / f64, from its accuracy table).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fun {
    Sqrt,
    Exp,
    Exp2,
    Expm1,
    Ln,
    Log2,
    Log10,
    Log1p,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sinh,
    Cosh,
    Sigmoid,
    Floor,
    Ceil,
    Round,
}

impl Fun {
    /// (f32 bound, f64 bound) in ulps.
    fn ulps(self) -> (f64, f64) {
        use Fun::*;
        match self {
            Sqrt | Floor | Ceil | Round => (0.0, 0.0),
            Exp | Exp2 => (1.0, 2.0),
            Expm1 | Ln | Log2 | Log10 | Log1p | Sin | Cos => (2.0, 2.0),
            Tan | Tanh | Sinh | Cosh | Sigmoid => (4.0, 4.0),
        }
    }

    fn eval(self, x: f64) -> f64 {
        use Fun::*;
        match self {
            Sqrt => x.sqrt(),
            Exp => x.exp(),
            Exp2 => x.exp2(),
            Expm1 => x.exp_m1(),
            Ln => x.ln(),
            Log2 => x.log2(),
            Log10 => x.log10(),
            Log1p => x.ln_1p(),
            Sin => x.sin(),
            Cos => x.cos(),
            Tan => x.tan(),
            Tanh => x.tanh(),
            Sinh => x.sinh(),
            Cosh => x.cosh(),
            Sigmoid if x >= 0.0 => 1.0 / (1.0 + (-x).exp()),
            Sigmoid => x.exp() / (1.0 + x.exp()),
            Floor => x.floor(),
            Ceil => x.ceil(),
            Round => x.round_ties_even(),
        }
    }
}

/// Applies a float function. Jumps (floor, ceil, round) and poles (tan) inside the interval
/// make the element undecidable; sin/cos/cosh turn inside it, so their extremes are added.
pub(crate) fn fmath(p: P, f: Fun, a: F) -> F {
    use std::f64::consts::{FRAC_PI_2, PI};
    let (u32_, u64_) = f.ulps();
    let ulps = if p == P::S { u32_ } else { u64_ };
    if a.e > 0.0 {
        let (lo, hi) = (a.v - a.e, a.v + a.e);
        let jumps = match f {
            Fun::Floor | Fun::Ceil => lo.floor() != hi.floor() || lo.ceil() != hi.ceil(),
            Fun::Round => (lo - 0.5).floor() != (hi - 0.5).floor(),
            Fun::Tan => ((lo - FRAC_PI_2) / PI).floor() != ((hi - FRAC_PI_2) / PI).floor(),
            _ => false,
        };
        if jumps {
            return bad_f();
        }
    }
    let crit: Vec<f64> = match f {
        Fun::Sin | Fun::Cos if a.e > 0.0 => {
            let k0 = ((a.v - a.e) / FRAC_PI_2).floor() as i64;
            let k1 = ((a.v + a.e) / FRAC_PI_2).ceil() as i64;
            if k1 - k0 > 8 {
                return bad_f();
            }
            (k0..=k1).map(|k| k as f64 * FRAC_PI_2).collect()
        }
        Fun::Cosh => vec![0.0],
        _ => vec![],
    };
    f1(p, a, ulps, &crit, |x| f.eval(x))
}

/// A comparison operator.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Cmp {
    fn eval<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
}

/// Compares floats; undecidable when the values' intervals touch (or a NaN is uncertain).
pub(crate) fn fcmp(c: Cmp, a: F, b: F) -> I<bool> {
    // not strictly apart (NaN distances included) means undecidable
    let bad = a.bad || b.bad || ((a.e > 0.0 || b.e > 0.0) && !(a.v - b.v).abs().gt(&(a.e + b.e)));
    I { v: c.eval(a.v, b.v), bad }
}

/// Compares integers.
pub(crate) fn icmp<T: PartialOrd>(c: Cmp, a: I<T>, b: I<T>) -> I<bool> {
    I { v: c.eval(a.v, b.v), bad: a.bad || b.bad }
}

/// `a & b` on masks.
pub(crate) fn band(a: I<bool>, b: I<bool>) -> I<bool> {
    I { v: a.v & b.v, bad: a.bad || b.bad }
}
/// `a | b` on masks.
pub(crate) fn bor(a: I<bool>, b: I<bool>) -> I<bool> {
    I { v: a.v | b.v, bad: a.bad || b.bad }
}
/// `!a` on a mask.
pub(crate) fn bnot(a: I<bool>) -> I<bool> {
    I { v: !a.v, bad: a.bad }
}

/// `where(m, a, b)` on floats.
pub(crate) fn wf(m: I<bool>, a: F, b: F) -> F {
    match (m.bad, m.v) {
        (true, _) => bad_f(),
        (false, true) => a,
        (false, false) => b,
    }
}
/// `where(m, a, b)` on integers or masks.
pub(crate) fn wi<T>(m: I<bool>, a: I<T>, b: I<T>) -> I<T> {
    let pick = if m.v { a } else { b };
    I { v: pick.v, bad: m.bad || pick.bad }
}
