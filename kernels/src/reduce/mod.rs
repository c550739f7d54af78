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

mod minmax;
mod rows;
mod sum;

pub use minmax::{All, Any, ArgMax, ArgMin, Max, Min};
pub use rows::{
    arg_extreme_seq_runs, extreme_seq_partials, extreme_seq_runs, sum_cols, sum_f32_seq_runs,
    sum_f64_partials, sum_f64_seq_partials, sum_f64_seq_runs, sum_f64_seq_runs_f32, sum_partials, sum_rows,
    sum_seq_partials, sum_seq_runs_f64, SeqSum,
};
pub use sum::{Mean, Prod, Sum, SumF64, SumKbn};

use crate::simd::SimdElem;
use core::fmt::Debug;

/// Elements per block: the unit of parallel work and of the combine tree.
pub const BLOCK: usize = 4096;
/// Elements per sub-block inside a block (see the module docs).
pub const SUB: usize = 256;
pub(crate) const SUBS: usize = BLOCK / SUB;

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
    /// Reduces elements `0..len` of a block that starts at global index `start`, read through
    /// `load` (see [`Load`]). `len` is at most [`BLOCK`] (elements past it are not read);
    /// [`block_partial`] splits longer inputs.
    fn fold<L: Load<T>>(self, len: usize, start: usize, load: L) -> Self::Acc;
    /// Merges the partials of two consecutive ranges (left first).
    fn merge(self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// The result for the whole input of `len` elements.
    fn finish(self, acc: Self::Acc, len: usize) -> Self::Output;
}

/// How [`Reduction::fold`] reads the vectors of a block of `len` elements (contiguous, strided
/// or broadcast).
pub trait Load<T: SimdElem>: Copy {
    /// The four vectors of elements `k..k + 4 LANES`, for `k + 4 LANES <= len` (whole vectors:
    /// the hot path, with one bounds check and no partial-vector branch). Elements outside the
    /// data (a strided input that leaves its slice) read as `fill`; called with
    /// `k + 4 LANES > len`, the lanes past `len` are unspecified (but nothing is read out of
    /// bounds).
    fn full4(self, k: usize, fill: T) -> [T::V; 4];
    /// The vector of elements `k..k + LANES`, lanes at or past `len` set to `fill`.
    fn part(self, k: usize, fill: T) -> T::V;
}

/// A contiguous block.
#[derive(Clone, Copy)]
struct Slice<'a, T>(&'a [T]);

impl<T: SimdElem> Load<T> for Slice<'_, T> {
    #[inline(always)]
    fn full4(self, k: usize, fill: T) -> [T::V; 4] {
        let l = T::LANES;
        // `get` of exactly 4 LANES elements: the loads need no partial-vector path.
        match self.0.get(k..k + 4 * l) {
            Some(s) => {
                [T::load(&s[..l]), T::load(&s[l..2 * l]), T::load(&s[2 * l..3 * l]), T::load(&s[3 * l..])]
            }
            None => [T::splat(fill); 4],
        }
    }
    #[inline(always)]
    fn part(self, k: usize, fill: T) -> T::V {
        // a vector wholly past the end is all `fill`, without the out-of-line partial load
        // (up to three of the last group's four vectors)
        match self.0.get(k..) {
            Some(s) if !s.is_empty() => T::load_or(s, fill),
            _ => T::splat(fill),
        }
    }
}

/// A block whose vectors are computed, not loaded: `full(k)` is the vector of elements
/// `k..k + LANES` (called only while `k + LANES <= len`), `part(k)` the last, partial one (its
/// lanes at or past `len` are ignored). See [`block_partial_map`].
#[derive(Clone, Copy)]
struct Mapped<F, G> {
    len: usize,
    full: F,
    part: G,
}

impl<T: SimdElem, F: Fn(usize) -> T::V + Copy, G: Fn(usize) -> T::V + Copy> Load<T> for Mapped<F, G> {
    #[inline(always)]
    fn full4(self, k: usize, fill: T) -> [T::V; 4] {
        let l = T::LANES;
        if k + 4 * l <= self.len {
            [(self.full)(k), (self.full)(k + l), (self.full)(k + 2 * l), (self.full)(k + 3 * l)]
        } else {
            [T::splat(fill); 4]
        }
    }
    #[inline(always)]
    fn part(self, k: usize, fill: T) -> T::V {
        let n = self.len.saturating_sub(k);
        if n >= T::LANES {
            (self.full)(k)
        } else if n == 0 {
            T::splat(fill)
        } else {
            // the lanes past the block become `fill`, as a partial load would give them
            let lanes = T::to_array((self.part)(k));
            T::load_or(lanes.as_ref().get(..n).unwrap_or_default(), fill)
        }
    }
}

/// The partial of a block of `len <= BLOCK` elements whose vectors are computed by `full` and
/// `part` (see `Mapped`) instead of read from memory: the same partial, bit for bit, as
/// [`block_partial`] of a slice holding those values, without storing them first. A fused
/// kernel reduces `sum((x - y) * (x - y))` this way in one loop over `x` and `y`.
///
/// # Examples
///
/// ```
/// use array_expr_kernels::reduce::{block_partial, block_partial_map, SumF64};
/// use array_expr_kernels::SimdElem;
/// let x: Vec<f32> = (0..100).map(|i| i as f32).collect();
/// let y: Vec<f32> = (0..100).map(|i| 0.5 * i as f32).collect();
/// let d = |k: usize| {
///     let v = f32::load(&x[k..]) - f32::load(&y[k..]);
///     v * v
/// };
/// let staged: Vec<f32> = x.iter().zip(&y).map(|(a, b)| (a - b) * (a - b)).collect();
/// assert_eq!(block_partial_map(SumF64, 100, d, d), block_partial(SumF64, &staged, 0));
/// ```
#[inline(always)]
pub fn block_partial_map<T: SimdElem, R: Reduction<T>>(
    r: R,
    len: usize,
    full: impl Fn(usize) -> T::V + Copy,
    part: impl Fn(usize) -> T::V + Copy,
) -> R::Acc {
    r.fold(len.min(BLOCK), 0, Mapped { len: len.min(BLOCK), full, part })
}

/// `len` elements `data[base + k * stride]`.
#[derive(Clone, Copy)]
struct Strided<'a, T> {
    data: &'a [T],
    base: usize,
    stride: isize,
    len: usize,
}

impl<T: SimdElem> Load<T> for Strided<'_, T> {
    #[inline(always)]
    fn full4(self, k: usize, fill: T) -> [T::V; 4] {
        let l = T::LANES;
        [self.part(k, fill), self.part(k + l, fill), self.part(k + 2 * l, fill), self.part(k + 3 * l, fill)]
    }
    #[inline(always)]
    fn part(self, k: usize, fill: T) -> T::V {
        let b = self.base.wrapping_add_signed((k as isize).wrapping_mul(self.stride));
        T::gather_or(self.data, b, self.stride, self.len.saturating_sub(k), fill)
    }
}

/// The whole-group and the partial loader of `load` with `fill`, as [`vec_block`] takes them.
#[inline(always)]
pub(crate) fn loaders<T: SimdElem>(
    load: impl Load<T>,
    fill: T,
) -> (impl Fn(usize) -> [T::V; 4], impl Fn(usize) -> T::V) {
    (move |k| load.full4(k, fill), move |k| load.part(k, fill))
}

/// The pairwise tree of the contract over `p` (identity when empty).
pub(crate) fn tree<A: Copy>(p: &[A], ident: A, merge: &impl Fn(A, A) -> A) -> A {
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
        return r.fold(block.len(), start, Slice(block));
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
    r.fold(len, start, Strided { data, base, stride, len })
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

/// [`reduce`] of a block of `len <= BLOCK` values that `full` and `part` compute (see
/// [`block_partial_map`]): the same result, bit for bit, without staging the values.
///
/// # Examples
///
/// ```
/// use array_expr_kernels::reduce::{reduce, reduce_map, Max};
/// use array_expr_kernels::SimdElem;
/// let (x, y) = (vec![1.0f32, -4.0, 2.5, 0.0, 3.0], vec![0.5f32, 1.0, -1.0, 2.0, 3.0]);
/// let d = |k: usize| (f32::load(&x[k..]) - f32::load(&y[k..])).abs();
/// let staged: Vec<f32> = x.iter().zip(&y).map(|(a, b)| (a - b).abs()).collect();
/// assert_eq!(reduce_map::<f32, _>(Max, 5, d, d), reduce(Max, &staged)); // Some(5.0)
/// ```
#[inline(always)]
pub fn reduce_map<T: SimdElem, R: Reduction<T>>(
    r: R,
    len: usize,
    full: impl Fn(usize) -> T::V + Copy,
    part: impl Fn(usize) -> T::V + Copy,
) -> R::Output {
    r.finish(block_partial_map(r, len, full, part), len.min(BLOCK))
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

/// One block with four vector accumulators per sub-block and the tree above them. `full(k)`
/// loads four whole vectors (`k + 4 lanes <= len`), `part(k)` one vector that may reach past
/// `len` (filled with the identity).
#[inline(always)]
pub(crate) fn vec_block<V: Copy>(
    len: usize,
    lanes: usize,
    ident: V,
    load: (impl Fn(usize) -> [V; 4], impl Fn(usize) -> V),
    op: impl Fn(V, V) -> V,
) -> V {
    let (full, part) = load;
    let mut subs = [ident; SUBS];
    let nsub = len.div_ceil(SUB).min(SUBS);
    for (s, slot) in subs.iter_mut().enumerate().take(nsub) {
        let end = ((s + 1) * SUB).min(len);
        let (mut a0, mut a1, mut a2, mut a3) = (ident, ident, ident, ident);
        let mut k = s * SUB;
        // Whole groups of four vectors, then (last sub-block only) one group that loads past
        // `len` as the identity: element i always goes to accumulator (i / lanes) % 4.
        while k + 4 * lanes <= end {
            let [v0, v1, v2, v3] = full(k);
            (a0, a1, a2, a3) = (op(a0, v0), op(a1, v1), op(a2, v2), op(a3, v3));
            k += 4 * lanes;
        }
        if k < end {
            (a0, a1) = (op(a0, part(k)), op(a1, part(k + lanes)));
            (a2, a3) = (op(a2, part(k + 2 * lanes)), op(a3, part(k + 3 * lanes)));
        }
        *slot = op(op(a0, a1), op(a2, a3));
    }
    pairwise(&mut subs[..nsub], ident, &op)
}

/// [`tree`] computed in place by levels (adjacent pairs, an odd last entry carried up), which
/// gives the same tree without recursion.
#[inline(always)]
fn pairwise<V: Copy>(p: &mut [V], ident: V, op: &impl Fn(V, V) -> V) -> V {
    let mut n = p.len();
    while n > 1 {
        for i in 0..n / 2 {
            p[i] = op(p[2 * i], p[2 * i + 1]);
        }
        if n % 2 == 1 {
            p[n / 2] = p[n - 1];
        }
        n = n.div_ceil(2);
    }
    p.first().copied().unwrap_or(ident)
}

/// The lanes of a vector combined by halving: lane `i` with lane `i + LANES/2`, then the same on
/// the first half, down to one lane (`LANES` is a power of two, at most 32).
#[inline(always)]
pub(crate) fn lanes<T: SimdElem>(v: T::V, ident: T, op: impl Fn(T, T) -> T) -> T {
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
