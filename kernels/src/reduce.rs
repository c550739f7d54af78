//! Deterministic reductions: the order of every operation depends only on the input length.
//!
//! # The determinism contract
//! 1. The input (contiguous, strided or broadcast) is cut into blocks of [`BLOCK`] elements;
//!    the last block may be shorter. Block `b` starts at element `b * BLOCK`.
//! 2. Each block is reduced to one partial by [`block_partial`] (or [`block_partial_strided`]):
//!    sub-blocks of [`SUB`] elements run four vector accumulators over consecutive vectors
//!    (element `i` of a sub-block goes to accumulator `(i / LANES) % 4`, lane `i % LANES`), the
//!    four are combined as `(a0 + a1) + (a2 + a3)`, the sub-block vectors by the pairwise tree
//!    below, and the lanes of the result by halving (lane `i` with lane `i + LANES/2`, repeated).
//! 3. Partials are combined by [`combine`]: `combine(p) = merge(combine(p[..h]), combine(p[h..]))`
//!    where `h` is the largest power of two below `p.len()` (a left-complete binary tree).
//!
//! So a caller that computes block partials on any number of threads, in any order, and then
//! calls [`combine`] on them in block order gets the bit-identical result of [`reduce`]; the
//! one-call functions below stream the same tree with `O(log n)` stack space and allocate
//! nothing. A strided input gives the same result as the contiguous copy of its elements; a
//! broadcast input (stride 0) the same as the materialized copy.
//!
//! # Summation accuracy
//! - [`Sum`] (default): blocked pairwise summation. Error bound about `(k + log2(n)) * eps * sum|x|`
//!   with `k = SUB / (4 LANES)` (8 for f32, 16 for f64): each lane adds at most `k` elements
//!   sequentially, everything above is a tree.
//! - [`SumKbn`]: Kahan-Babuska-Neumaier compensation in every lane and in every merge; error
//!   about `2 eps |sum| + O(n eps^2) sum|x|`, essentially the correctly rounded sum.
//! - [`SumF64`]: f32 input accumulated in f64 with the pairwise scheme, rounded once at the end.
//!
//! # Empty input and NaN
//! Sum is 0, product 1, [`Min`]/[`Max`]/[`ArgMin`]/[`ArgMax`] give `None`, [`Mean`] gives NaN.
//! [`Min`] and [`Max`] propagate NaN (NumPy's `min`/`max`); [`ArgMin`]/[`ArgMax`] return the
//! index of the first NaN if there is one (as NumPy), else the first index of the extreme value
//! (`-0.0` and `+0.0` are equal). A sum of only `-0.0` values is `+0.0`.
//!
//! # Examples
//! ```
//! use array_expr_kernels::reduce::{self, block_partial, combine, Sum, BLOCK};
//! let x: Vec<f32> = (0..10_000).map(|i| (i as f32).sin()).collect();
//! let one_call = reduce::sum(&x);
//! // Any split into blocks, computed anywhere, combined in block order:
//! let partials: Vec<f32> = x.chunks(BLOCK).enumerate()
//!     .map(|(b, blk)| block_partial(Sum, blk, b * BLOCK)).collect();
//! assert_eq!(combine(Sum, &partials).to_bits(), one_call.to_bits());
//! assert_eq!(reduce::min(&[3, 1, 2]), Some(1));
//! assert_eq!(reduce::argmax(&[1.0, f64::NAN, 3.0]), Some(1));
//! assert_eq!(reduce::max::<i8>(&[]), None);
//! ```

use crate::math::widen as trig_widen;
use crate::scalar::ScalarElem;
use crate::simd::SimdElem;
use core::fmt::Debug;
use wide::f64x4;

/// Elements per block: the unit of parallel work and of the combine tree.
pub const BLOCK: usize = 4096;
/// Elements per sub-block inside a block (see the module docs).
pub const SUB: usize = 256;
const SUBS: usize = BLOCK / SUB;

/// A reduction: how a block of elements becomes a partial, how partials merge, how the final
/// partial becomes the result.
///
/// Implemented by the unit structs of this module ([`Sum`], [`Min`], ...); the free functions
/// ([`reduce`], [`block_partial`], [`combine`], ...) drive it.
pub trait Reduction<T: SimdElem>: Copy + Send + Sync {
    /// The partial result of a block.
    type Acc: Copy + Send + Sync + Debug + PartialEq;
    /// The final result.
    type Output;
    /// The partial of no elements.
    fn identity(self) -> Self::Acc;
    /// Reduces elements `0..len` of a block that starts at global index `start`; `load(k, fill)`
    /// returns the vector of elements `k..k + LANES` with lanes at or past `len` set to `fill`.
    /// `len` is at most [`BLOCK`] (elements past it are not read); [`block_partial`] splits
    /// longer inputs.
    fn fold<L: Fn(usize, T) -> T::V>(self, len: usize, start: usize, load: L) -> Self::Acc;
    /// Merges the partials of two consecutive ranges (left first).
    fn merge(self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// The result for the whole input of `len` elements.
    fn finish(self, acc: Self::Acc, len: usize) -> Self::Output;
}

/// The pairwise tree of the contract over `p` (identity when empty).
fn tree<A: Copy>(p: &[A], ident: A, merge: &impl Fn(A, A) -> A) -> A {
    match p {
        [] => ident,
        [a] => *a,
        _ => {
            // The largest power of two strictly below the length.
            let h = 1usize << (usize::BITS - 1 - (p.len() - 1).leading_zeros());
            let (l, r) = p.split_at(h);
            merge(tree(l, ident, merge), tree(r, ident, merge))
        }
    }
}

/// Combines block partials (in block order) with the fixed pairwise tree.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::{combine, Sum};
/// assert_eq!(combine::<i32, _>(Sum, &[1, 2, 3]), 6);
/// assert_eq!(combine::<i32, _>(Sum, &[]), 0);
/// ```
pub fn combine<T: SimdElem, R: Reduction<T>>(r: R, partials: &[R::Acc]) -> R::Acc {
    tree(partials, r.identity(), &|a, b| r.merge(a, b))
}

/// The partial of one contiguous block; `start` is the global index of `block[0]` (used by the
/// arg-reductions). Blocks are [`BLOCK`] long except the last. A longer slice gives the
/// [`combine`] of its own `BLOCK`-sized blocks, which is what [`reduce`] returns for that slice
/// alone (and equals the partial of the same range of a longer input when the slice covers an
/// aligned power-of-two number of blocks).
pub fn block_partial<T: SimdElem, R: Reduction<T>>(r: R, block: &[T], start: usize) -> R::Acc {
    if block.len() <= BLOCK {
        return r.fold(block.len(), start, |k, fill| T::load_or(block.get(k..).unwrap_or(&[]), fill));
    }
    let merge = |a, b| r.merge(a, b);
    let mut s = Stream::new(r.identity());
    for (b, blk) in block.chunks(BLOCK).enumerate() {
        s.push(block_partial(r, blk, start + b * BLOCK), &merge);
    }
    s.finish(r.identity(), &merge)
}

/// The partial of the `len` elements `data[base + k * stride]` (a block of a strided or, with
/// `stride == 0`, broadcast input); `start` is the global index of element 0. Indices outside
/// `data` read as the reduction's neutral fill, never out of bounds. Longer than [`BLOCK`]: as
/// for [`block_partial`].
pub fn block_partial_strided<T: SimdElem, R: Reduction<T>>(
    r: R,
    data: &[T],
    base: usize,
    stride: isize,
    len: usize,
    start: usize,
) -> R::Acc {
    if len > BLOCK {
        let merge = |a, b| r.merge(a, b);
        let mut s = Stream::new(r.identity());
        let mut k = 0;
        while k < len {
            let n = (len - k).min(BLOCK);
            let b = base.wrapping_add_signed((k as isize).wrapping_mul(stride));
            s.push(block_partial_strided(r, data, b, stride, n, start + k), &merge);
            k += n;
        }
        return s.finish(r.identity(), &merge);
    }
    r.fold(len, start, |k, fill| {
        let b = base.wrapping_add_signed((k as isize).wrapping_mul(stride));
        T::gather_or(data, b, stride, len.saturating_sub(k), fill)
    })
}

/// Streams partials into the combine tree: a binary counter of complete power-of-two subtrees.
struct Stream<A> {
    vals: [A; 64],
    sizes: [u64; 64],
    n: usize,
}

impl<A: Copy> Stream<A> {
    fn new(ident: A) -> Self {
        Stream { vals: [ident; 64], sizes: [0; 64], n: 0 }
    }
    fn push(&mut self, mut a: A, merge: &impl Fn(A, A) -> A) {
        let mut size = 1;
        while self.n > 0 && self.sizes[self.n - 1] == size {
            self.n -= 1;
            a = merge(self.vals[self.n], a);
            size *= 2;
        }
        if let (Some(v), Some(s)) = (self.vals.get_mut(self.n), self.sizes.get_mut(self.n)) {
            (*v, *s) = (a, size);
            self.n += 1;
        }
    }
    fn finish(&self, ident: A, merge: &impl Fn(A, A) -> A) -> A {
        let live = &self.vals[..self.n];
        match live.split_last() {
            None => ident,
            Some((last, rest)) => rest.iter().rev().fold(*last, |acc, v| merge(*v, acc)),
        }
    }
}

/// Reduces a contiguous slice (the one-call version of the contract).
pub fn reduce<T: SimdElem, R: Reduction<T>>(r: R, data: &[T]) -> R::Output {
    r.finish(block_partial(r, data, 0), data.len())
}

/// Reduces `data[base + k * stride]` for `k < len` (strided, negative or zero stride).
pub fn reduce_strided<T: SimdElem, R: Reduction<T>>(
    r: R,
    data: &[T],
    base: usize,
    stride: isize,
    len: usize,
) -> R::Output {
    r.finish(block_partial_strided(r, data, base, stride, len, 0), len)
}

/// One block with `UNROLL = 4` vector accumulators per sub-block and the tree above them.
#[inline(always)]
fn vec_block<V: Copy>(
    len: usize,
    lanes: usize,
    ident: V,
    load: impl Fn(usize) -> V,
    op: impl Fn(V, V) -> V,
) -> V {
    let mut subs = [ident; SUBS];
    let nsub = len.div_ceil(SUB).min(SUBS);
    for (s, slot) in subs.iter_mut().enumerate().take(nsub) {
        let end = ((s + 1) * SUB).min(len);
        let mut a = [ident; 4];
        let mut k = s * SUB;
        while k < end {
            for (j, acc) in a.iter_mut().enumerate() {
                *acc = op(*acc, load(k + j * lanes));
            }
            k += 4 * lanes;
        }
        *slot = op(op(a[0], a[1]), op(a[2], a[3]));
    }
    tree(&subs[..nsub], ident, &op)
}

/// The lanes of a vector combined by halving: lane `i` with lane `i + LANES/2`, then the same on
/// the first half, down to one lane (`LANES` is a power of two, at most 32).
#[inline(always)]
fn lanes<T: SimdElem>(v: T::V, ident: T, op: impl Fn(T, T) -> T) -> T {
    let mut b = [ident; 32];
    let a = T::to_array(v);
    let n = a.as_ref().len().min(32);
    b[..n].copy_from_slice(&a.as_ref()[..n]);
    for half in [16, 8, 4, 2, 1] {
        if n > half {
            for i in 0..half {
                b[i] = op(b[i], b[i + half]);
            }
        }
    }
    b[0]
}

/// Blocked pairwise sum (the default summation class). Wrapping for integers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sum;

impl<T: SimdElem> Reduction<T> for Sum {
    type Acc = T;
    type Output = T;
    fn identity(self) -> T {
        T::ZERO
    }
    #[inline]
    fn fold<L: Fn(usize, T) -> T::V>(self, len: usize, _: usize, load: L) -> T {
        let v = vec_block(len, T::LANES, T::splat(T::ZERO), |k| load(k, T::ZERO), T::vadd);
        lanes::<T>(v, T::ZERO, T::add)
    }
    fn merge(self, a: T, b: T) -> T {
        T::add(a, b)
    }
    fn finish(self, acc: T, _: usize) -> T {
        acc
    }
}

/// Blocked pairwise product (identity 1). Wrapping for integers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Prod;

impl<T: SimdElem> Reduction<T> for Prod {
    type Acc = T;
    type Output = T;
    fn identity(self) -> T {
        T::ONE
    }
    #[inline]
    fn fold<L: Fn(usize, T) -> T::V>(self, len: usize, _: usize, load: L) -> T {
        let v = vec_block(len, T::LANES, T::splat(T::ONE), |k| load(k, T::ONE), T::vmul);
        lanes::<T>(v, T::ONE, T::mul)
    }
    fn merge(self, a: T, b: T) -> T {
        T::mul(a, b)
    }
    fn finish(self, acc: T, _: usize) -> T {
        acc
    }
}

/// Mean of a float input: the pairwise [`Sum`] divided by the length (NaN when empty).
#[derive(Clone, Copy, Debug, Default)]
pub struct Mean;

macro_rules! mean_impl {
    ($($t:ty),*) => {$(
        impl Reduction<$t> for Mean {
            type Acc = $t;
            type Output = $t;
            fn identity(self) -> $t {
                0.0
            }
            #[inline]
            fn fold<L: Fn(usize, $t) -> <$t as SimdElem>::V>(self, len: usize, s: usize, load: L) -> $t {
                Sum.fold(len, s, load)
            }
            fn merge(self, a: $t, b: $t) -> $t {
                a + b
            }
            fn finish(self, acc: $t, len: usize) -> $t {
                acc / len as $t
            }
        }
    )*};
}
mean_impl!(f32, f64);

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
            fn fold<L: Fn(usize, T) -> T::V>(self, len: usize, _: usize, load: L) -> T {
                let v = vec_block(len, T::LANES, T::splat(T::$fill), |k| load(k, T::$fill), T::$v);
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
    load: impl Fn(usize, T) -> T::V,
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
        let v = vec_block(n, T::LANES, T::splat(fill), |k| load(base + k, fill), &vop);
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
        let x = load(k, fill);
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
            fn fold<L: Fn(usize, T) -> T::V>(self, len: usize, start: usize, load: L) -> (T, usize) {
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
            fn fold<L: Fn(usize, bool) -> <bool as SimdElem>::V>(self, len: usize, _: usize, load: L) -> bool {
                let v = vec_block(len, 32, bool::splat($ident), |k| load(k, $ident), |a, b| a $op b);
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

/// Kahan-Babuska-Neumaier compensated sum (floats).
#[derive(Clone, Copy, Debug, Default)]
pub struct SumKbn;

/// One KBN step on `(s, c)`, the running sum and its accumulated rounding error: `t = s + x`, and
/// the rounding error of that addition, computed from whichever operand is larger in magnitude,
/// goes into `c`.
#[inline(always)]
fn kbn_add<V: Copy + core::ops::Add<Output = V> + core::ops::Sub<Output = V>>(
    acc: (V, V),
    x: V,
    s_bigger: impl Fn(V, V) -> V,
    sel: impl Fn(V, V, V) -> V,
) -> (V, V) {
    let (s, c) = acc;
    let t = s + x;
    let m = s_bigger(s, x);
    let (big, small) = (sel(m, s, x), sel(m, x, s));
    (t, c + ((big - t) + small))
}

macro_rules! kbn_impl {
    ($t:ty, $n:literal) => {
        impl Reduction<$t> for SumKbn {
            type Acc = ($t, $t);
            type Output = $t;
            fn identity(self) -> ($t, $t) {
                (0.0, 0.0)
            }
            #[inline]
            fn fold<L: Fn(usize, $t) -> <$t as SimdElem>::V>(
                self,
                len: usize,
                _: usize,
                load: L,
            ) -> ($t, $t) {
                type V = <$t as SimdElem>::V;
                let bigger = |a: V, b: V| a.abs().simd_ge(b.abs());
                let sel = |m: V, a: V, b: V| m.select(a, b);
                let z = <$t>::splat(0.0);
                let v = vec_block(
                    len,
                    <$t>::LANES,
                    (z, z),
                    |k| (load(k, 0.0), z),
                    |a, b| {
                        let (s, c) = kbn_add(a, b.0, bigger, sel);
                        (s, c + b.1)
                    },
                );
                let (s, c) = (<$t>::to_array(v.0), <$t>::to_array(v.1));
                let pairs: [($t, $t); $n] = core::array::from_fn(|i| (s[i], c[i]));
                tree(&pairs, (0.0, 0.0), &|a, b| <Self as Reduction<$t>>::merge(self, a, b))
            }
            fn merge(self, a: ($t, $t), b: ($t, $t)) -> ($t, $t) {
                let (t, e) = two_sum(a.0, b.0);
                (t, a.1 + b.1 + e)
            }
            fn finish(self, acc: ($t, $t), _: usize) -> $t {
                acc.0 + acc.1
            }
        }
    };
}

kbn_impl!(f32, 8);
kbn_impl!(f64, 4);

/// `a + b = s + e` exactly (Knuth's branch-free two-sum).
#[inline(always)]
fn two_sum<F: Copy + core::ops::Add<Output = F> + core::ops::Sub<Output = F>>(a: F, b: F) -> (F, F) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// f32 input summed in f64 (pairwise), result f64.
#[derive(Clone, Copy, Debug, Default)]
pub struct SumF64;

impl Reduction<f32> for SumF64 {
    type Acc = f64;
    type Output = f64;
    fn identity(self) -> f64 {
        0.0
    }
    #[inline]
    fn fold<L: Fn(usize, f32) -> <f32 as SimdElem>::V>(self, len: usize, _: usize, load: L) -> f64 {
        // Each f32x8 feeds two f64x4 accumulator slots: element i goes to half (i / 4) % 2.
        let z = f64x4::splat(0.0);
        let v = vec_block(len, 8, (z, z), |k| trig_widen(load(k, 0.0)), |a, b| (a.0 + b.0, a.1 + b.1));
        let h = v.0 + v.1;
        lanes::<f64>(h, 0.0, |a, b| a + b)
    }
    fn merge(self, a: f64, b: f64) -> f64 {
        a + b
    }
    fn finish(self, acc: f64, _: usize) -> f64 {
        acc
    }
}

/// Pairwise sum ([`Sum`]); 0 when empty.
pub fn sum<T: SimdElem>(x: &[T]) -> T {
    reduce(Sum, x)
}
/// Compensated sum ([`SumKbn`]).
pub fn sum_kbn<T: SimdElem>(x: &[T]) -> T
where
    SumKbn: Reduction<T, Output = T>,
{
    reduce(SumKbn, x)
}
/// f32 input summed in f64 ([`SumF64`]).
pub fn sum_f64(x: &[f32]) -> f64 {
    reduce(SumF64, x)
}
/// Pairwise product ([`Prod`]); 1 when empty.
pub fn prod<T: SimdElem>(x: &[T]) -> T {
    reduce(Prod, x)
}
/// Mean ([`Mean`]); NaN when empty.
pub fn mean<T: SimdElem>(x: &[T]) -> T
where
    Mean: Reduction<T, Output = T>,
{
    reduce(Mean, x)
}
/// NaN-propagating minimum ([`Min`]); `None` when empty.
pub fn min<T: SimdElem>(x: &[T]) -> Option<T> {
    reduce(Min, x)
}
/// NaN-propagating maximum ([`Max`]); `None` when empty.
pub fn max<T: SimdElem>(x: &[T]) -> Option<T> {
    reduce(Max, x)
}
/// Index of the first minimum, or of the first NaN ([`ArgMin`]); `None` when empty.
pub fn argmin<T: SimdElem>(x: &[T]) -> Option<usize> {
    reduce(ArgMin, x)
}
/// Index of the first maximum, or of the first NaN ([`ArgMax`]); `None` when empty.
pub fn argmax<T: SimdElem>(x: &[T]) -> Option<usize> {
    reduce(ArgMax, x)
}
/// Whether any element is true ([`Any`]); false when empty.
pub fn any(x: &[bool]) -> bool {
    reduce(Any, x)
}
/// Whether all elements are true ([`All`]); true when empty.
pub fn all(x: &[bool]) -> bool {
    reduce(All, x)
}

/// Rows interleaved by [`sum_rows`].
const ROWS: usize = 8;

/// Sums each of `nrows` rows of `ncols` elements, row `r` starting at `data[r * row_stride]`, into
/// `out[r]` (rows beyond `out.len()` are skipped; elements outside `data` count as 0).
///
/// Short rows are where a per-row reduction is slow (a horizontal combine per few elements), so
/// eight rows are accumulated together, one vector accumulator per row: lane `l` of row `r`
/// adds the row's elements `j = l (mod LANES)` in column order, then the lanes are combined by
/// halving (as in [`block_partial`]). Rows longer than [`BLOCK`] are cut into blocks whose sums
/// are added in order. The order depends only on `ncols`: deterministic, but not bit-identical
/// to [`sum`] of the row.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::sum_rows;
/// let m: Vec<f32> = (0..6).map(|i| i as f32).collect(); // [[0, 1, 2], [3, 4, 5]]
/// let mut out = [0.0; 2];
/// sum_rows(&m, 2, 3, 3, &mut out);
/// assert_eq!(out, [3.0, 12.0]);
/// ```
pub fn sum_rows<T: SimdElem>(data: &[T], nrows: usize, ncols: usize, row_stride: usize, out: &mut [T]) {
    let nrows = nrows.min(out.len());
    let mut r = 0;
    while r < nrows {
        let group = (nrows - r).min(ROWS);
        let mut acc = [T::ZERO; ROWS];
        let mut c = 0;
        while c < ncols {
            let w = (ncols - c).min(BLOCK);
            let rows: [&[T]; ROWS] = core::array::from_fn(|i| {
                let s = (r + i.min(group - 1)).wrapping_mul(row_stride).wrapping_add(c);
                data.get(s..).map_or(&[][..], |d| &d[..w.min(d.len())])
            });
            let part = rows_block::<T>(&rows, w);
            for (a, p) in acc.iter_mut().zip(part) {
                *a = if c == 0 { p } else { T::add(*a, p) };
            }
            c += w;
        }
        if let Some(dst) = out.get_mut(r..r + group) {
            dst.copy_from_slice(&acc[..group]);
        }
        r += group;
    }
}

/// Sums of the first `w` elements of eight rows (short rows read as zero-padded).
#[inline(always)]
fn rows_block<T: SimdElem>(rows: &[&[T]; ROWS], w: usize) -> [T; ROWS] {
    let mut a = [T::splat(T::ZERO); ROWS];
    let mut j = 0;
    while j < w {
        for (acc, rw) in a.iter_mut().zip(rows) {
            *acc = T::vadd(*acc, T::load(rw.get(j..).unwrap_or(&[])));
        }
        j += T::LANES;
    }
    let mut out = [T::ZERO; ROWS];
    for (o, v) in out.iter_mut().zip(a) {
        *o = lanes::<T>(v, T::ZERO, T::add);
    }
    out
}

/// Sums each of `ncols` columns over `nrows` rows (row `r` starts at `data[r * row_stride]`) into
/// `out[j]`; columns beyond `out.len()` are skipped, elements outside `data` count as 0.
///
/// Rows are taken in runs of `clamp(32768 / ncols, 8, 256)` rows (a run of the matrix stays in
/// L2), and inside a run eight vectors of adjacent columns are accumulated at once (eight
/// independent add chains in registers), row after row. The runs' partial sums are added to `out`
/// in row order. The order depends only on `nrows` and `ncols`: deterministic.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::sum_cols;
/// let m: Vec<i32> = (0..6).collect(); // [[0, 1, 2], [3, 4, 5]]
/// let mut out = [0; 3];
/// sum_cols(&m, 2, 3, 3, &mut out);
/// assert_eq!(out, [3, 5, 7]);
/// ```
pub fn sum_cols<T: SimdElem>(data: &[T], nrows: usize, ncols: usize, row_stride: usize, out: &mut [T]) {
    let ncols = ncols.min(out.len());
    let out = &mut out[..ncols];
    out.fill(T::ZERO);
    let run = (32768 / ncols.max(1)).clamp(8, 256);
    let width = 8 * T::LANES;
    let mut r = 0;
    while r < nrows {
        let n = (nrows - r).min(run);
        for (ci, dst) in out.chunks_mut(width).enumerate() {
            let acc = cols_run::<T>(data, r, n, ci * width, dst.len(), row_stride);
            for (k, chunk) in dst.chunks_mut(T::LANES).enumerate() {
                let v = T::vadd(T::load(chunk), acc[k]);
                T::store(v, chunk);
            }
        }
        r += n;
    }
}

/// Rows `r..r + n` of columns `c..c + w` (`w <= 8 LANES`), summed sequentially per column.
#[inline(always)]
fn cols_run<T: SimdElem>(data: &[T], r: usize, n: usize, c: usize, w: usize, rs: usize) -> [T::V; 8] {
    let mut a = [T::splat(T::ZERO); 8];
    let nv = w.div_ceil(T::LANES).min(8);
    for i in r..r + n {
        let s = i.wrapping_mul(rs).wrapping_add(c);
        let row = data.get(s..).map_or(&[][..], |d| &d[..w.min(d.len())]);
        for (k, acc) in a.iter_mut().enumerate().take(nv) {
            *acc = T::vadd(*acc, T::load(row.get(k * T::LANES..).unwrap_or(&[])));
        }
    }
    a
}
