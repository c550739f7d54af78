//! Shard-stable reductions: reduce the shards of an array (files, record batches, processes)
//! separately, merge their partials anywhere, and get the bit-identical result of the
//! whole-array kernel.
//!
//! # Why it can be exact
//!
//! A full reduction in `array_expr!` (`sum(x)`, `mean(x)`, `min(x)`, `max(x)`, `prod(x)` over a
//! contiguous array) cuts the elements into blocks of [`BLOCK`] = 512, reduces each block in a
//! fixed order and combines the block partials in a pairwise tree fixed by the number of blocks:
//! node `(level L, index i)` covers blocks `i·2^L .. (i+1)·2^L` and is the merge of its two
//! children; the root merges the complete subtrees of the block count's binary digits from the
//! right. A shard that starts at a multiple of 512 elements owns whole blocks, so its partial
//! holds exactly the tree nodes that lie inside its range (the canonical cover by aligned
//! power-of-two runs, at most two per level). Merging two adjacent partials joins sibling nodes
//! as the whole-array tree does, so after any grouping of merges the partial of elements
//! `0..n` finishes to the same bits as the kernel, on any machine with the same build.
//!
//! Shards are ranges of the array's elements in C order, and the kernel must walk the array
//! as one run of blocks: any C-contiguous array (rank 1, or a matrix whose axes the driver
//! collapses; tests/shards.rs checks rank 2). A strided view is cut into blocks per row, so
//! reduce its contiguous copy. Partials assume the same build (SIMD level, `fma`) everywhere.
//!
//! # Exact and bounded
//!
//! - **Exact** ([`Align::Exact`], the default to use): every shard starts at a multiple of
//!   [`BLOCK`], and every shard but the last holds a multiple of [`BLOCK`] elements. The result
//!   is bit-identical to the whole-array kernel. A shard that breaks this is an error.
//! - **Bounded** ([`Align::Bounded`]): shards may start anywhere. An unaligned shard is reduced
//!   with its own blocks (from its first element) and merged with its neighbour as one value.
//!   For `sum` and `mean` the accumulated value then differs from the exact sum by at most
//!   [`Partial::error_bound`]: with `D` the most additions on any element's path (at most 64
//!   within a block: 63 for blocks under 64 elements folded in order, 21 in the SIMD scheme;
//!   plus the tree depth over the blocks and the merges of shards, which the partial tracks),
//!   `|ŝ − s| ≤ γ_D · Σ|x_i|` with `γ_D = D·u / (1 − D·u)` and `u` the accumulator's unit
//!   roundoff (`2^-53` for `f64`) (Higham, *Accuracy and Stability of Numerical Algorithms*,
//!   §4.2: the bound holds for any summation tree of depth `D`). The kernel's own result obeys
//!   the same bound, so the two differ by at most twice it, plus the final rounding to `f32`.
//! - **Always exact**: integer `sum` (an `i128` accumulator; integer addition is associative,
//!   so any split gives the same bits and `Align::Exact` accepts unaligned shards);
//!   `min`/`max` give the same value under any split (only which of `-0.0`/`+0.0`, or which NaN
//!   payload, is returned can change), so bit-identical when aligned.
//!
//! # Shards on other machines
//!
//! [`Partial::to_bytes`] encodes a partial (little-endian, version-tagged, with a checksum);
//! [`Partial::from_bytes`] checks everything (format, version, operation, dtype, block size,
//! that the nodes are those of the range, the checksum) and returns an error naming what is
//! wrong. Merge partials of adjacent ranges, left first, in any grouping: `((a b) (c d))`,
//! `(a (b (c d)))`, ...
//!
//! # Examples
//!
//! ```
//! use array_expr_runtime::shard::{Align, Partial, Sum};
//! let x: Vec<f32> = (0..5000).map(|i| (i as f32 * 0.37).sin()).collect();
//! // three shards of 1024, 2048 and 1928 elements, reduced separately (on three machines)
//! let a = Partial::of_shard(Sum, 0, &x[..1024], Align::Exact)?;
//! let b = Partial::of_shard(Sum, 1024, &x[1024..3072], Align::Exact)?;
//! let c = Partial::of_shard(Sum, 3072, &x[3072..], Align::Exact)?;
//! let c = Partial::from_bytes(Sum, &c.to_bytes())?; // sent over the network
//! let right_first = a.clone().merge(b.clone().merge(c.clone(), Align::Exact)?, Align::Exact)?;
//! let left_first = a.merge(b, Align::Exact)?.merge(c, Align::Exact)?;
//! let mut whole = Partial::new(Sum, 0);
//! whole.push(0, &x, Align::Exact)?;
//! assert_eq!(right_first.finish()?.to_bits(), whole.finish()?.to_bits());
//! assert_eq!(left_first.finish()?.to_bits(), whole.finish()?.to_bits());
//! # Ok::<(), array_expr_runtime::Error>(())
//! ```

mod bytes;
mod ops;

pub use ops::{Accumulator, Max, Mean, Min, Prod, ShardOp, Sum};

use crate::driver::BLOCK;
use crate::element::Element;
use crate::error::{bail, err, Error, Result};
use std::marker::PhantomData;

/// [`BLOCK`] as a `u64`.
const B: u64 = BLOCK as u64;

/// Most additions on an element's path inside one block (see the module docs).
const BLOCK_DEPTH: u32 = 64;

/// How strictly [`Partial::push`] and [`Partial::merge`] check block alignment.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::shard::{Align, Partial, Sum};
/// let x = vec![1.0f64; 1000];
/// assert!(Partial::of_shard(Sum, 700, &x, Align::Exact).is_err());
/// assert!(!Partial::of_shard(Sum, 700, &x, Align::Bounded)?.is_exact());
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Shards must sit on block boundaries (except the end of the last); the result is
    /// bit-identical to the whole-array kernel. Misaligned shards are an error (except for
    /// operations that are exact under any split, integer sums).
    Exact,
    /// Any shard boundaries; unaligned pieces are merged as single values, within
    /// [`Partial::error_bound`].
    Bounded,
}

/// A node of the block tree: blocks `index·2^level .. (index+1)·2^level` (clipped at the end of
/// the array), or, in an unaligned partial, its single value.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Node<A> {
    level: u32,
    index: u64,
    acc: A,
}

/// The partial reduction of a range of elements `start..start + len` of a flat array.
///
/// Build it from shards with [`of_shard`](Self::of_shard) / [`push`](Self::push), combine
/// partials of adjacent ranges with [`merge`](Self::merge), move it between machines with
/// [`to_bytes`](Self::to_bytes) / [`from_bytes`](Self::from_bytes), and [`finish`](Self::finish)
/// the one that covers the whole array. See the [module docs](self) for when the result is
/// bit-identical to the whole-array kernel.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::shard::{Align, Max, Partial};
/// let x: Vec<i32> = (0..3000).map(|i| (i * 7919) % 4001).collect();
/// let mut p = Partial::new(Max, 0);
/// for (k, shard) in x.chunks(1024).enumerate() {
///     p.push(k as u64 * 1024, shard, Align::Exact)?;
/// }
/// assert_eq!(p.finish()?, *x.iter().max().unwrap());
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Partial<T: Element, R: ShardOp<T>> {
    op: R,
    start: u64,
    len: u64,
    /// The nodes are the block-tree nodes inside the range (start on a block boundary); when
    /// false, one node holds the value of a range merged off block boundaries.
    aligned: bool,
    /// Unaligned partials: the most merges on any block partial's path to the value.
    depth: u32,
    nodes: Vec<Node<R::Acc>>,
    elem: PhantomData<fn() -> T>,
}

impl<T: Element, R: ShardOp<T>> Partial<T, R> {
    /// The partial of no elements, starting at element `start`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Partial, Sum};
    /// let p = Partial::<f32, Sum>::new(Sum, 0);
    /// assert!(p.is_empty());
    /// assert_eq!(p.finish()?, 0.0);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn new(op: R, start: u64) -> Self {
        let aligned = start % B == 0;
        Partial { op, start, len: 0, aligned, depth: 0, nodes: Vec::new(), elem: PhantomData }
    }

    /// The partial of one shard: `data` holds elements `offset..offset + data.len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Align, Partial, Sum};
    /// let p = Partial::of_shard(Sum, 512, &[1i32, 2, 3], Align::Exact)?;
    /// assert_eq!((p.start(), p.end()), (512, 515));
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`push`](Self::push).
    pub fn of_shard(op: R, offset: u64, data: &[T], align: Align) -> Result<Self> {
        let mut p = Self::new(op, offset);
        p.push(offset, data, align)?;
        Ok(p)
    }

    /// Appends the next shard, `data` = elements `offset..offset + data.len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Align, Mean, Partial};
    /// let mut p = Partial::new(Mean, 0);
    /// p.push(0, &[1.0f64; 512], Align::Exact)?;
    /// p.push(512, &[4.0f64; 512], Align::Exact)?;
    /// assert_eq!(p.finish()?, 2.5);
    /// let err = p.push(0, &[1.0], Align::Exact).unwrap_err();
    /// assert!(err.to_string().starts_with("argument `offset`: the shard starts at element 0"));
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) when `offset` is not where the
    /// partial ends, or (with [`Align::Exact`], for operations that need it) when the shard
    /// does not start on a block boundary; [`Overflow`](crate::ErrorKind::Overflow) when the
    /// end passes `u64::MAX`.
    pub fn push(&mut self, offset: u64, data: &[T], align: Align) -> Result<()> {
        if offset != self.end() {
            bail!(
                InvalidArgument,
                "argument `offset`: the shard starts at element {offset}, but the partial covers elements {}..{}; push shards in order, each starting where the last ended",
                self.start,
                self.end()
            );
        }
        let end = end_of(offset, data.len() as u64, "data")?;
        if data.is_empty() {
            return Ok(());
        }
        if self.aligned && offset % B == 0 {
            for (k, block) in data.chunks(BLOCK).enumerate() {
                let node = Node { level: 0, index: offset / B + k as u64, acc: self.op.block(block) };
                self.push_node(node);
            }
            self.len = end - self.start;
            return Ok(());
        }
        if align == Align::Exact && !R::ASSOCIATIVE {
            return Err(misaligned("offset", "the shard", offset, data.len() as u64));
        }
        let local = Self::unaligned(self.op, offset, data);
        self.join(local)
    }

    /// Merges the partial of the range that follows this one (`next.start() == self.end()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Align, Partial, Sum};
    /// let a = Partial::of_shard(Sum, 0, &[1u8; 512], Align::Exact)?;
    /// let b = Partial::of_shard(Sum, 512, &[2u8; 100], Align::Exact)?;
    /// assert_eq!(a.merge(b, Align::Exact)?.finish()?, 712);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) when `next` does not start where
    /// this partial ends, or (with [`Align::Exact`], for operations that need it) when the two
    /// do not meet on a block boundary or either was merged off block boundaries.
    pub fn merge(mut self, next: Self, align: Align) -> Result<Self> {
        if next.start != self.end() {
            bail!(
                InvalidArgument,
                "argument `next`: the partial covers elements {}..{}, but `self` ends at element {}; merge partials of adjacent ranges, left first",
                next.start,
                next.end(),
                self.end()
            );
        }
        // both aligned: `next` starts at a multiple of BLOCK, so `self` ends on a block boundary
        let dyadic = self.aligned && next.aligned;
        if align == Align::Exact && !R::ASSOCIATIVE && !dyadic && !self.is_empty() && !next.is_empty() {
            return Err(match next.start % B {
                0 => unaligned_input(&self, &next),
                _ => misaligned("next", "the partial", next.start, next.len),
            });
        }
        self.join(next)?;
        Ok(self)
    }

    /// The result for the whole array: the partial must start at element 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Align, Min, Partial};
    /// let p = Partial::of_shard(Min, 512, &[3.0f32, -1.0], Align::Exact)?;
    /// let err = p.finish().unwrap_err();
    /// assert_eq!(err.to_string(), "argument `self`: the partial covers elements 512..514, not the array from element 0; merge the partials of the shards before it first");
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) when the partial does not start
    /// at element 0; the operation's own errors ([`ShardOp::finish`]).
    pub fn finish(&self) -> Result<R::Output> {
        if self.start != 0 {
            bail!(
                InvalidArgument,
                "argument `self`: the partial covers elements {}..{}, not the array from element 0; merge the partials of the shards before it first",
                self.start,
                self.end()
            );
        }
        self.op.finish(self.fold().map(|(acc, _)| acc), self.len)
    }

    /// A bound on `|ŝ − s|`, the error of the accumulated sum against the exact sum of the
    /// elements, given `sum_abs` = `Σ|x_i|` (see the [module docs](self)): 0 for exact
    /// accumulators (integers, `min`/`max`). It holds for aligned partials too, and so for the
    /// whole-array kernel; it does not include the final rounding to an `f32` result (at most
    /// half an `f32` ulp of the result) or, for `mean`, the division by the count. `prod` has
    /// no bound of this form.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Align, Partial, Sum};
    /// let x = vec![0.1f64; 3000];
    /// let p = Partial::of_shard(Sum, 0, &x[..1000], Align::Bounded)?
    ///     .merge(Partial::of_shard(Sum, 1000, &x[1000..], Align::Bounded)?, Align::Bounded)?;
    /// let exact = 300.0; // to well below the bound
    /// assert!((p.finish()? - exact).abs() <= p.error_bound(300.0) + 1e-13);
    /// assert!(p.error_bound(300.0) < 300.0 * 1e-14);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn error_bound(&self, sum_abs: f64) -> f64 {
        let d = f64::from(BLOCK_DEPTH + self.fold().map_or(0, |(_, depth)| depth));
        let du = d * R::UNIT_ROUNDOFF;
        du / (1.0 - du) * sum_abs
    }

    /// Whether [`finish`](Self::finish) will be bit-identical to the whole-array kernel (when
    /// the partial covers the array): every piece was block-aligned, or the operation is exact
    /// under any split.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Align, Partial, Sum};
    /// assert!(Partial::of_shard(Sum, 3, &[1i64, 2], Align::Exact)?.is_exact());
    /// assert!(!Partial::of_shard(Sum, 3, &[1.0f64, 2.0], Align::Bounded)?.is_exact());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn is_exact(&self) -> bool {
        self.aligned || R::ASSOCIATIVE
    }

    /// The first element of the range.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Partial, Sum};
    /// assert_eq!(Partial::<f64, Sum>::new(Sum, 1024).start(), 1024);
    /// ```
    pub fn start(&self) -> u64 {
        self.start
    }

    /// One past the last element of the range.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Align, Partial, Sum};
    /// assert_eq!(Partial::of_shard(Sum, 1024, &[1.0f32; 10], Align::Exact)?.end(), 1034);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn end(&self) -> u64 {
        self.start + self.len
    }

    /// The number of elements reduced.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Align, Partial, Sum};
    /// assert_eq!(Partial::of_shard(Sum, 0, &[1.0f32; 10], Align::Exact)?.len(), 10);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no element was reduced.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::shard::{Partial, Sum};
    /// assert!(Partial::<u8, Sum>::new(Sum, 0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pushes a tree node, joining it with its left sibling (and so on up) as the whole-array
    /// tree does.
    fn push_node(&mut self, mut node: Node<R::Acc>) {
        while let Some(top) = self.nodes.last().copied() {
            if top.level != node.level || top.index % 2 != 0 || top.index + 1 != node.index {
                break;
            }
            self.nodes.pop();
            node =
                Node { level: node.level + 1, index: top.index / 2, acc: self.op.merge(top.acc, node.acc) };
        }
        self.nodes.push(node);
    }

    /// The value of the range (nodes folded from the right, as the whole-array tree's root is)
    /// and the most merges on a block partial's path to it; `None` when empty.
    fn fold(&self) -> Option<(R::Acc, u32)> {
        let (last, rest) = self.nodes.split_last()?;
        if !self.aligned {
            return Some((last.acc, self.depth));
        }
        let mut depth = last.level + rest.len() as u32;
        let mut acc = last.acc;
        for (i, n) in rest.iter().enumerate().rev() {
            acc = self.op.merge(n.acc, acc);
            depth = depth.max(n.level + i as u32 + 1);
        }
        Some((acc, depth))
    }

    /// The partial of an unaligned shard: its own blocks from its first element, as one value.
    fn unaligned(op: R, offset: u64, data: &[T]) -> Self {
        let mut local = Self::new(op, 0);
        for (k, block) in data.chunks(BLOCK).enumerate() {
            local.push_node(Node { level: 0, index: k as u64, acc: op.block(block) });
        }
        let (acc, depth) = local.fold().map_or((None, 0), |(a, d)| (Some(a), d));
        let nodes = acc.map(|acc| Node { level: 0, index: 0, acc }).into_iter().collect();
        Partial { op, start: offset, len: data.len() as u64, aligned: false, depth, nodes, elem: PhantomData }
    }

    /// Appends `next` (adjacent, alignment already checked): tree nodes when both are aligned
    /// and meet on a block boundary, else one merged value.
    fn join(&mut self, next: Self) -> Result<()> {
        let end = next.end();
        if next.is_empty() {
            return Ok(());
        }
        if self.is_empty() {
            *self = next;
            return Ok(());
        }
        if self.aligned && next.aligned {
            for node in next.nodes {
                self.push_node(node);
            }
        } else {
            let (Some((a, da)), Some((b, db))) = (self.fold(), next.fold()) else {
                bail!(InvalidArgument, "internal error: a non-empty partial without nodes; please report");
            };
            self.nodes = vec![Node { level: 0, index: 0, acc: self.op.merge(a, b) }];
            (self.depth, self.aligned) = (da.max(db) + 1, false);
        }
        self.len = end - self.start;
        Ok(())
    }
}

/// `offset + len`, or an overflow error naming `arg`.
fn end_of(offset: u64, len: u64, arg: &str) -> Result<u64> {
    offset.checked_add(len).ok_or_else(|| {
        err!(Overflow, "argument `{arg}`: {len} elements from element {offset} end past element {}", u64::MAX)
    })
}

/// The error for a piece that does not start on a block boundary under [`Align::Exact`].
fn misaligned(arg: &str, what: &str, start: u64, len: u64) -> Error {
    err!(
        InvalidArgument,
        "argument `{arg}`: {what} of {len} elements at element {start} does not start on a block boundary ({start} is not a multiple of the block size {BLOCK}); for a bit-identical result every shard must start at a multiple of {BLOCK} (all but the last holding a multiple of {BLOCK} elements), or pass `Align::Bounded` to accept a bounded error"
    )
}

/// The error for merging, under [`Align::Exact`], a partial that was itself merged off block
/// boundaries with [`Align::Bounded`].
fn unaligned_input<T: Element, R: ShardOp<T>>(a: &Partial<T, R>, b: &Partial<T, R>) -> Error {
    let (arg, p) = if a.aligned { ("next", b) } else { ("self", a) };
    err!(
        InvalidArgument,
        "argument `{arg}`: the partial of elements {}..{} was merged off block boundaries (with `Align::Bounded`), so it is no longer a node of the whole array's tree; merge it with `Align::Bounded`",
        p.start,
        p.end()
    )
}

#[cfg(test)]
mod tests;
