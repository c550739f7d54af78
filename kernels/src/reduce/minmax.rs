//! Extremes ([`Min`], [`Max`], NaN-propagating), arg-extremes ([`ArgMin`], [`ArgMax`], first
//! occurrence) and the logical reductions ([`Any`], [`All`]).

use super::{lanes, loaders, vec_block, Load, Reduction, SUB, SUBS};
use crate::scalar::ScalarElem;
use crate::simd::SimdElem;

/// Minimum; NaN-propagating for floats; `None` when empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct Min;
/// Maximum; NaN-propagating for floats; `None` when empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct Max;

macro_rules! extreme {
    ($name:ident, $fill:ident, $v:ident, $s:ident) => {
        impl<T: SimdElem> Reduction<T> for $name {
            type Acc = T;
            type Output = Option<T>;
            fn identity(self) -> T {
                T::$fill
            }
            #[inline]
            fn fold<L: Load<T>>(self, len: usize, _: usize, load: L) -> T {
                let ld = loaders(load, T::$fill);
                let v = vec_block(len, T::LANES, T::splat(T::$fill), ld, T::$v);
                lanes::<T>(v, T::$fill, T::$s)
            }
            fn merge(self, a: T, b: T) -> T {
                T::$s(a, b)
            }
            fn finish(self, acc: T, len: usize) -> Option<T> {
                (len > 0).then_some(acc)
            }
        }
    };
}
extreme!(Min, HIGHEST, vmin, min);
extreme!(Max, LOWEST, vmax, max);

/// Index of the first minimum (first NaN if any); `None` when empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArgMin;
/// Index of the first maximum (first NaN if any); `None` when empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArgMax;

/// Which of two `(value, index)` candidates an arg-reduction keeps: NaN first, then the better
/// value, then the smaller index.
#[inline]
fn arg_pick<T: ScalarElem>(a: (T, usize), b: (T, usize), better: impl Fn(T, T) -> bool) -> (T, usize) {
    let first = if a.1 <= b.1 { a } else { b };
    match (T::is_nan(a.0), T::is_nan(b.0)) {
        (true, true) => first,
        (true, false) => a,
        (false, true) => b,
        _ if better(b.0, a.0) => b,
        _ if better(a.0, b.0) => a,
        _ => first,
    }
}

/// Arg-reduction of one block: the extreme value by the vector pass, then the first lane equal
/// to it (or the first NaN) by a second pass over the (cache-resident) block.
#[inline]
fn arg_fold<T: SimdElem>(
    len: usize,
    start: usize,
    load: impl Load<T>,
    ext: (T, impl Fn(T::V, T::V) -> T::V, impl Fn(T, T) -> T),
) -> (T, usize) {
    let (fill, vop, sop) = ext;
    if len == 0 {
        return (fill, usize::MAX);
    }
    // Pass 1: the extreme of each sub-block (vector accumulators, as in `vec_block`).
    let mut subs = [fill; SUBS];
    let nsub = len.div_ceil(SUB).min(SUBS);
    for (si, slot) in subs.iter_mut().enumerate().take(nsub) {
        let base = si * SUB;
        let n = (len - base).min(SUB);
        let ld = (|k| load.full4(base + k, fill), |k| load.part(base + k, fill));
        let v = vec_block(n, T::LANES, T::splat(fill), ld, &vop);
        *slot = lanes::<T>(v, fill, &sop);
    }
    let best = subs[..nsub].iter().copied().fold(fill, &sop);
    let matches = |x: T| if T::is_nan(best) { T::is_nan(x) } else { x == best };
    // Pass 2: only inside the first sub-block that holds the extreme.
    let Some(si) = subs[..nsub].iter().position(|&x| matches(x)) else {
        return (fill, usize::MAX);
    };
    let end = ((si + 1) * SUB).min(len);
    let mut k = si * SUB;
    while k < end {
        let x = load.part(k, fill);
        let hit = if T::is_nan(best) { T::vne(x, x) } else { T::veq(x, T::splat(best)) };
        if T::mask_any(hit) {
            let mut m = [false; 64];
            T::store_mask(hit, &mut m);
            if let Some(i) = m.iter().take(end - k).position(|&b| b) {
                return (best, start + k + i);
            }
        }
        k += T::LANES;
    }
    (fill, usize::MAX)
}

macro_rules! arg_impl {
    ($name:ident, $fill:ident, $v:ident, $s:ident, $better:expr) => {
        impl<T: SimdElem> Reduction<T> for $name {
            type Acc = (T, usize);
            type Output = Option<usize>;
            fn identity(self) -> (T, usize) {
                (T::$fill, usize::MAX)
            }
            #[inline]
            fn fold<L: Load<T>>(self, len: usize, start: usize, load: L) -> (T, usize) {
                arg_fold(len, start, load, (T::$fill, T::$v, T::$s))
            }
            fn merge(self, a: (T, usize), b: (T, usize)) -> (T, usize) {
                arg_pick(a, b, $better)
            }
            fn finish(self, acc: (T, usize), _: usize) -> Option<usize> {
                (acc.1 != usize::MAX).then_some(acc.1)
            }
        }
    };
}
arg_impl!(ArgMin, HIGHEST, vmin, min, |x: T, y: T| x < y);
arg_impl!(ArgMax, LOWEST, vmax, max, |x: T, y: T| x > y);

/// Whether any element is true (bool input).
#[derive(Clone, Copy, Debug, Default)]
pub struct Any;
/// Whether every element is true (bool input; true when empty).
#[derive(Clone, Copy, Debug, Default)]
pub struct All;

macro_rules! logical {
    ($name:ident, $ident:expr, $op:tt) => {
        impl Reduction<bool> for $name {
            type Acc = bool;
            type Output = bool;
            fn identity(self) -> bool {
                $ident
            }
            #[inline]
            fn fold<L: Load<bool>>(self, len: usize, _: usize, load: L) -> bool {
                let ld = loaders(load, $ident);
                let v = vec_block(len, 32, bool::splat($ident), ld, |a, b| a $op b);
                lanes::<bool>(v, $ident, |a, b| a $op b)
            }
            fn merge(self, a: bool, b: bool) -> bool {
                a $op b
            }
            fn finish(self, acc: bool, _: usize) -> bool {
                acc
            }
        }
    };
}
logical!(Any, false, |);
logical!(All, true, &);
