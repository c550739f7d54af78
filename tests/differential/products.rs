//! Reference matrix products (`matmul` of two matrices, which runs through GEMM): one
//! accumulator per element of the result. Products with a vector (`matmul(a, v)`, `dot`) are a
//! multiply and a `sum` in the macro and use the reduction references of `reduce.rs`.

use super::ints::Int;
use super::values::{bad_f, F, I, P};

/// One element of a float matrix product in the element precision `p` (GEMM: any summation
/// order, blocking and fused multiply-adds). The reference sums the products in f64; the bound
/// is the operands' bounds carried through each product, plus `(2n + 2)·ε_p·Σ|a·b|` for the
/// kernel's order and roundings (and the f64 sum's own), plus subnormal spacing per term and 2
/// ulp of the result. NaN and infinities are decided exactly when every scheme agrees (a NaN
/// factor, `inf · 0`, infinite factors of both signs); a product that overflows `p` on its own,
/// or a sum near the top of the range, is undecidable (FMA keeps an overflowing product exact,
/// a separate multiply turns it into an infinity).
pub(crate) struct DotF {
    p: P,
    s: f64,
    abs: f64,
    e: f64,
    n: usize,
    bad: bool,
    nan: bool,
    inf: [bool; 2],
    soft: bool,
}

impl DotF {
    /// An empty product sum in precision `p`.
    pub(crate) fn new(p: P) -> Self {
        DotF { p, s: 0.0, abs: 0.0, e: 0.0, n: 0, bad: false, nan: false, inf: [false; 2], soft: false }
    }

    /// Adds `a · b`.
    pub(crate) fn push(&mut self, a: F, b: F) {
        self.bad |= a.bad || b.bad;
        let t = a.v * b.v;
        if t.is_nan() {
            self.nan = true;
        } else if a.v.is_infinite() || b.v.is_infinite() {
            self.bad |= a.e > 0.0 || b.e > 0.0;
            self.inf[(t < 0.0) as usize] = true;
        } else if t.abs() > self.p.max() {
            self.soft = true;
        } else {
            self.s += t;
            self.abs += t.abs();
            self.e += a.v.abs() * b.e + b.v.abs() * a.e + a.e * b.e;
            self.n += 1;
        }
    }

    /// The element, rounded to `p`, with its bound.
    pub(crate) fn finish(&self) -> F {
        if self.bad {
            return bad_f();
        }
        if self.nan || self.inf == [true, true] {
            return F { v: f64::NAN, e: 0.0, bad: false };
        }
        if self.soft || self.abs > self.p.max() / 4.0 {
            return bad_f();
        }
        if self.inf[0] || self.inf[1] {
            let v = if self.inf[0] { f64::INFINITY } else { f64::NEG_INFINITY };
            return F { v, e: 0.0, bad: false };
        }
        let v = self.p.round(self.s);
        if self.abs == 0.0 && self.e == 0.0 {
            return F { v, e: 0.0, bad: false };
        }
        let (eps, tiny) = match self.p {
            P::S => (f32::EPSILON as f64, f32::from_bits(1) as f64),
            P::D => (f64::EPSILON, f64::from_bits(1)),
        };
        let terms = (2 * self.n + 2) as f64;
        let e = self.e + terms * (eps + f64::EPSILON) * self.abs + terms * tiny + 2.0 * self.p.ulp(v);
        F { v, e, bad: false }
    }
}

/// One element of an integer matrix product: wrapping (modular) arithmetic, like NumPy, so the
/// result is exact whatever the order.
#[derive(Default)]
pub(crate) struct DotI {
    s: i128,
    bad: bool,
}

impl DotI {
    /// Adds `a · b` (modulo 2^128, which keeps every dtype's low bits).
    pub(crate) fn push<T: Int>(&mut self, a: I<T>, b: I<T>) {
        self.s = self.s.wrapping_add(a.v.to_i128().wrapping_mul(b.v.to_i128()));
        self.bad |= a.bad || b.bad;
    }

    /// The element in `O`, wrapped.
    pub(crate) fn finish<O: Int>(&self) -> I<O> {
        I { v: O::wrap_from(self.s), bad: self.bad }
    }
}
