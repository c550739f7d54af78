//! Loop nests over strided operands, how they split into chunks, and the fixed pairwise tree
//! of reduction partials.

use super::{BLOCK, MAX_RANK};
use crate::element::Element;
use crate::error::{bail, Result};

/// A loop nest over `ndim` axes, outermost first, with the strides of `N` operands.
#[derive(Debug, Clone, Copy)]
pub(super) struct Nest<const N: usize> {
    ndim: usize,
    shape: [usize; MAX_RANK],
    strides: [[isize; MAX_RANK]; N],
}

impl<const N: usize> Nest<N> {
    /// Orders axes by the strides of operand `lead` (largest |stride| outermost), drops axes of
    /// length 1 and merges axes that are contiguous for every operand.
    pub(super) fn plan(shape: &[usize], strides: [&[isize]; N], lead: usize) -> Result<Self> {
        Self::plan_ordered(shape, strides, Some(lead))
    }

    /// Like [`plan`](Self::plan); with `lead = None` the axes stay in logical (C) order, so
    /// runs visit elements in row-major order of `shape` (needed for first-occurrence indices).
    pub(super) fn plan_ordered(shape: &[usize], strides: [&[isize]; N], lead: Option<usize>) -> Result<Self> {
        if shape.len() > MAX_RANK {
            bail!(InvalidArgument, "a pass has {} axes; at most {MAX_RANK} are supported", shape.len());
        }
        // a fixed array, not a Vec: drivers never allocate
        let mut axes = [0usize; MAX_RANK];
        let mut count = 0;
        for a in (0..shape.len()).filter(|&a| shape[a] != 1) {
            axes[count] = a;
            count += 1;
        }
        let axes = &mut axes[..count];
        if let Some(lead) = lead {
            let key = |a: usize| strides.get(lead).and_then(|s| s.get(a)).map_or(0, |s| s.unsigned_abs());
            // stable sort: equal strides keep logical order (C order among ties)
            axes.sort_by_key(|&a| std::cmp::Reverse(key(a)));
        }
        let mut nest = Nest { ndim: 0, shape: [1; MAX_RANK], strides: [[0; MAX_RANK]; N] };
        for &mut a in axes {
            let n = shape[a];
            let merge = nest.ndim > 0
                && (0..N)
                    .all(|k| strides[k][a].checked_mul(n as isize) == Some(nest.strides[k][nest.ndim - 1]));
            if merge {
                let last = nest.ndim - 1;
                nest.shape[last] *= n;
                for k in 0..N {
                    nest.strides[k][last] = strides[k][a];
                }
            } else {
                nest.shape[nest.ndim] = n;
                for k in 0..N {
                    nest.strides[k][nest.ndim] = strides[k][a];
                }
                nest.ndim += 1;
            }
        }
        Ok(nest)
    }

    fn is_empty(&self) -> bool {
        self.shape[..self.ndim].contains(&0)
    }

    /// Number of innermost runs (0 when the nest is empty).
    pub(super) fn rows(&self) -> usize {
        if self.is_empty() {
            return 0;
        }
        self.shape[..self.ndim.saturating_sub(1)].iter().product()
    }

    /// Length of each innermost run.
    pub(super) fn inner_len(&self) -> usize {
        if self.ndim == 0 {
            1
        } else {
            self.shape[self.ndim - 1]
        }
    }

    /// Elements the nest visits.
    pub(super) fn elements(&self) -> usize {
        self.rows() * self.inner_len()
    }

    /// Each operand's stride along the innermost run.
    pub(super) fn inner_strides(&self) -> [isize; N] {
        match self.ndim {
            0 => [0; N],
            d => std::array::from_fn(|k| self.strides[k][d - 1]),
        }
    }

    /// Length of the second-innermost axis and each operand's stride along it (`(1, [0; N])`
    /// for a nest of fewer than two axes).
    pub(super) fn second(&self) -> (usize, [isize; N]) {
        match self.ndim {
            0 | 1 => (1, [0; N]),
            d => (self.shape[d - 2], std::array::from_fn(|k| self.strides[k][d - 2])),
        }
    }

    /// Index of row `r` along the outer axes, and each operand's offset of its first element.
    pub(super) fn row_start(&self, mut r: usize) -> ([usize; MAX_RANK], [isize; N]) {
        let mut idx = [0usize; MAX_RANK];
        let mut off = [0isize; N];
        for a in (0..self.ndim.saturating_sub(1)).rev() {
            idx[a] = r % self.shape[a];
            r /= self.shape[a];
            for k in 0..N {
                off[k] += idx[a] as isize * self.strides[k][a];
            }
        }
        (idx, off)
    }

    /// Calls `row(offsets, len, inner_strides)` for every innermost run, with each operand's
    /// element offset of the run's first element.
    pub(super) fn for_each_row(&self, row: impl FnMut([isize; N], usize, [isize; N])) {
        self.for_each_row_range(0, self.rows(), row);
    }

    /// [`for_each_row`](Self::for_each_row) for the runs `r0..r1` (in row-major order of the
    /// outer axes).
    pub(super) fn for_each_row_range(
        &self,
        r0: usize,
        r1: usize,
        mut row: impl FnMut([isize; N], usize, [isize; N]),
    ) {
        self.rows_dyn(r0, r1, &mut row);
    }

    /// The walk of [`for_each_row_range`](Self::for_each_row_range), compiled once per operand
    /// count: with the callback generic, every driver instantiation carried its own copy
    /// (hundreds in a crate of kernels), for one indirect call per run.
    fn rows_dyn(&self, r0: usize, r1: usize, row: &mut dyn FnMut([isize; N], usize, [isize; N])) {
        if r0 >= r1.min(self.rows()) {
            return;
        }
        let (inner, st) = (self.inner_len(), self.inner_strides());
        let outer = self.ndim.saturating_sub(1);
        let (mut idx, mut off) = self.row_start(r0);
        for _ in r0..r1.min(self.rows()) {
            row(off, inner, st);
            let mut a = outer;
            while a > 0 {
                a -= 1;
                idx[a] += 1;
                for k in 0..N {
                    off[k] += self.strides[k][a];
                }
                if idx[a] < self.shape[a] {
                    break;
                }
                for k in 0..N {
                    off[k] -= self.strides[k][a] * self.shape[a] as isize;
                }
                idx[a] = 0;
            }
        }
    }

    /// Blocks of at most [`BLOCK`] elements per run; block `b` is block `b % per_row` of run
    /// `b / per_row`.
    pub(super) fn blocks(&self) -> usize {
        self.rows() * self.inner_len().div_ceil(BLOCK)
    }

    /// Calls `f(offsets, len, strides, start)` for blocks `b0..b1` (see [`blocks`](Self::blocks)),
    /// where `start` is the position of the block's first element in the nest's order.
    pub(super) fn for_each_block(
        &self,
        b0: usize,
        b1: usize,
        mut f: impl FnMut([isize; N], usize, [isize; N], usize),
    ) {
        self.blocks_dyn(b0, b1, &mut f);
    }

    /// The walk of [`for_each_block`](Self::for_each_block), compiled once per operand count
    /// (one indirect call per block of up to [`BLOCK`] elements).
    fn blocks_dyn(&self, b0: usize, b1: usize, f: &mut dyn FnMut([isize; N], usize, [isize; N], usize)) {
        let len = self.inner_len();
        let per_row = len.div_ceil(BLOCK);
        if per_row == 0 || b0 >= b1 {
            return;
        }
        let (r0, r1) = (b0 / per_row, b1.div_ceil(per_row));
        let mut r = r0;
        self.for_each_row_range(r0, r1, |off, len, st| {
            let first = r * per_row;
            for s in b0.max(first) - first..b1.min(first + per_row) - first {
                let done = s * BLOCK;
                let at: [isize; N] = std::array::from_fn(|k| off[k] + done as isize * st[k]);
                f(at, (len - done).min(BLOCK), st, r * len + done);
            }
            r += 1;
        });
    }
}

/// How a nest's runs are cut into pieces (runs, or aligned segments of runs when there are
/// few) and the pieces into chunks of consecutive pieces.
#[derive(Debug, Clone, Copy)]
pub(super) struct Split {
    segs: usize,
    seg_len: usize,
    pieces: usize,
    per_chunk: usize,
}

impl Split {
    /// Aims at about four chunks per task (so a slow core delays one chunk, not a quarter of
    /// the pass); segments are multiples of `align` elements.
    pub(super) fn new<const N: usize>(nest: &Nest<N>, tasks: usize, align: usize) -> Self {
        let (rows, inner) = (nest.rows(), nest.inner_len());
        let target = if tasks <= 1 { 1 } else { tasks * 4 };
        let (segs, seg_len) = if rows >= target || inner <= align {
            (1, inner.max(1))
        } else {
            let want = (rows * inner).div_ceil(target).div_ceil(align) * align;
            let seg_len = want.clamp(align, inner);
            (inner.div_ceil(seg_len), seg_len)
        };
        let pieces = rows * segs;
        Split { segs, seg_len, pieces, per_chunk: pieces.div_ceil(target).max(1) }
    }

    /// Number of pieces (runs or run segments).
    pub(super) fn pieces(&self) -> usize {
        self.pieces
    }

    /// Number of chunks.
    pub(super) fn chunks(&self) -> usize {
        self.pieces.div_ceil(self.per_chunk)
    }

    /// Calls `row(offsets, len, strides)` for every run piece of chunk `c`.
    pub(super) fn visit<const N: usize>(
        &self,
        nest: &Nest<N>,
        c: usize,
        mut row: impl FnMut([isize; N], usize, [isize; N]),
    ) {
        self.visit_dyn(nest, c, &mut row);
    }

    /// The walk of [`visit`](Self::visit), compiled once per operand count.
    fn visit_dyn<const N: usize>(
        &self,
        nest: &Nest<N>,
        c: usize,
        row: &mut dyn FnMut([isize; N], usize, [isize; N]),
    ) {
        let (p0, p1) = (c * self.per_chunk, ((c + 1) * self.per_chunk).min(self.pieces));
        if self.segs == 1 {
            nest.rows_dyn(p0, p1, row);
            return;
        }
        let st = nest.inner_strides();
        for p in p0..p1 {
            let (r, s) = (p / self.segs, p % self.segs);
            let (_, off) = nest.row_start(r);
            let start = s * self.seg_len;
            let at: [isize; N] = std::array::from_fn(|k| off[k] + start as isize * st[k]);
            row(at, self.seg_len.min(nest.inner_len() - start), st);
        }
    }
}

/// The staging buffer of one strided operand, and which broadcast element (offset, count) it
/// holds, if any: a zero-stride operand is filled once per run, not once per block.
pub(super) struct BlockBuf<T> {
    buf: [T; BLOCK],
    filled: (isize, usize),
}

impl<T: Element> BlockBuf<T> {
    pub(super) fn new() -> Self {
        BlockBuf { buf: [T::ZERO; BLOCK], filled: (0, 0) }
    }
}

/// Hands out the block of `len` elements at `off` with stride `stride` as a slice.
///
/// # Safety
///
/// `base.offset(off + i * stride)` must be a valid, initialized element for every `i < len`
/// (the caller derives `off`, `len`, `stride` from a [`Nest`] planned over a view of `base`),
/// and `len <= BLOCK`.
pub(super) unsafe fn read_block<T: Element>(
    base: *const T,
    b: &mut BlockBuf<T>,
    off: isize,
    len: usize,
    stride: isize,
) -> &[T] {
    if stride == 1 {
        // SAFETY: by the contract, `len` consecutive valid elements start at `base + off`; the
        // returned borrow ends before the view's lifetime (it lives for one kernel call).
        return unsafe { std::slice::from_raw_parts(base.offset(off), len) };
    }
    if stride == 0 {
        if b.filled.0 != off || b.filled.1 < len {
            // SAFETY: element 0 of the run is valid by the contract.
            b.buf[..len].fill(unsafe { *base.offset(off) });
            b.filled = (off, len);
        }
        return &b.buf[..len];
    }
    b.filled = (0, 0);
    // SAFETY: as this function's contract.
    unsafe { fill_strided(base, &mut b.buf, off, len, stride) };
    &b.buf[..len]
}

/// The strided case of [`read_block`], out of line so that the unit-stride path stays small
/// enough to inline into the drivers' block loops.
///
/// # Safety
///
/// As [`read_block`].
#[inline(never)]
unsafe fn fill_strided<T: Element>(
    base: *const T,
    buf: &mut [T; BLOCK],
    off: isize,
    len: usize,
    stride: isize,
) {
    match stride {
        // every other element (`x[::2]`, the real parts of interleaved pairs): a constant
        // stride LLVM turns into vector loads and shuffles, where the general loop gathers
        // element by element (a 16M f32 triad over `b[::2]` ran 1.5x a hand-written loop)
        // SAFETY: elements `i < len` of the run (stride 2) are valid by the contract.
        2 => unsafe { gather_run::<T, 2>(base, buf, off, len) },
        // SAFETY: elements `i < len` of the run (stride -1) are valid by the contract.
        -1 => unsafe { gather_run::<T, -1>(base, buf, off, len) },
        _ => {
            for (i, slot) in buf.iter_mut().take(len).enumerate() {
                // SAFETY: element `i < len` of the run is valid by the contract.
                *slot = unsafe { *base.offset(off + i as isize * stride) };
            }
        }
    }
}

/// Copies elements `off + i * S`, `i < len`, of `base` into `buf[..len]` (a compile-time stride).
///
/// # Safety
///
/// As [`read_block`] with `stride == S`: every one of those elements is valid, `len <= BLOCK`.
#[inline(always)]
unsafe fn gather_run<T: Element, const S: isize>(
    base: *const T,
    buf: &mut [T; BLOCK],
    off: isize,
    len: usize,
) {
    for (i, slot) in buf.iter_mut().take(len).enumerate() {
        // SAFETY: element `i < len` of the run is valid by the caller's contract.
        *slot = unsafe { *base.offset(off + i as isize * S) };
    }
}

/// Pairwise combination of block partials: a carry chain that merges two partials of equal
/// level, so the tree depends only on how many partials arrive. Fixed storage: 64 levels hold
/// 2^64 blocks, so it never allocates.
///
/// Splitting is exact: when `2^L` consecutive blocks starting at a multiple of `2^L` are
/// combined on their own, their root is the node the chain builds for them at level `L`; and
/// a shorter last run of blocks ends as entries below level `L` on top of the stack. So
/// pushing the roots of full chunks into a fresh chain and finishing it onto the last chunk's
/// result ([`finish_onto`](Self::finish_onto)) gives the single-pass tree exactly.
#[derive(Clone, Copy)]
pub(super) struct Pairwise<P> {
    stack: [Option<(P, u32)>; 64],
    len: usize,
}

impl<P: Copy> Pairwise<P> {
    pub(super) fn new() -> Self {
        Pairwise { stack: [None; 64], len: 0 }
    }

    pub(super) fn push(&mut self, mut p: P, combine: &dyn Fn(P, P) -> P) {
        let mut level = 0u32;
        while self.len > 0 {
            let Some((q, l)) = self.stack[self.len - 1] else { break };
            if l != level {
                break;
            }
            self.len -= 1;
            p = combine(q, p);
            level += 1;
        }
        if let Some(slot) = self.stack.get_mut(self.len) {
            *slot = Some((p, level));
            self.len += 1;
        }
    }

    /// The root: the stack folded from the top (newest) down.
    pub(super) fn finish(&mut self, combine: &dyn Fn(P, P) -> P) -> Option<P> {
        self.finish_onto(None, combine)
    }

    /// Folds the stack from the top down onto `acc`, a partial of blocks that follow them.
    pub(super) fn finish_onto(&mut self, mut acc: Option<P>, combine: &dyn Fn(P, P) -> P) -> Option<P> {
        while self.len > 0 {
            self.len -= 1;
            let Some((p, _)) = self.stack[self.len] else { continue };
            acc = Some(match acc {
                None => p,
                Some(a) => combine(p, a),
            });
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fingerprint of the combine tree (non-associative, non-commutative), to compare
    /// tree shapes exactly.
    fn join(a: u64, b: u64) -> u64 {
        (a.wrapping_mul(31).wrapping_add(7)).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.rotate_left(17)
    }

    fn tree(blocks: std::ops::Range<usize>) -> Option<u64> {
        let mut all = Pairwise::new();
        for b in blocks {
            all.push(b as u64 + 1, &join);
        }
        all.finish(&join)
    }

    #[test]
    fn split_trees_equal_the_single_pass_tree() {
        for n in [1usize, 2, 3, 7, 8, 9, 31, 64, 100] {
            for l in 0..5 {
                let size = 1 << l;
                let mut outer = Pairwise::new();
                let mut last = None;
                for c0 in (0..n).step_by(size) {
                    let c1 = (c0 + size).min(n);
                    let r = tree(c0..c1);
                    if c1 - c0 == size {
                        outer.push(r.unwrap(), &join);
                    } else {
                        last = r;
                    }
                }
                assert_eq!(outer.finish_onto(last, &join), tree(0..n), "n {n} chunk {size}");
            }
        }
    }

    #[test]
    fn blocks_and_pieces_cover_the_nest() {
        let shape = [3usize, 5, 1300];
        let strides: [isize; 3] = [1300 * 5, 1300, 1];
        let nest = Nest::<1>::plan_ordered(&shape, [&strides], None).unwrap();
        let mut seen = vec![0u8; 3 * 5 * 1300];
        for (b0, b1) in [(0, 7), (7, 8), (8, nest.blocks())] {
            nest.for_each_block(b0, b1, |off, n, st, start| {
                assert_eq!(off[0], start as isize);
                for i in 0..n {
                    seen[(off[0] + i as isize * st[0]) as usize] += 1;
                }
            });
        }
        assert!(seen.iter().all(|&s| s == 1));
        for tasks in [1, 2, 3, 8, 40] {
            let nest = Nest::<1>::plan(&[3, 5, 1300], [&[1, 3, 15]], 0).unwrap();
            let split = Split::new(&nest, tasks, BLOCK);
            let mut seen = vec![0u8; 3 * 5 * 1300];
            for c in 0..split.chunks() {
                split.visit(&nest, c, |off, n, st| {
                    for i in 0..n {
                        seen[(off[0] + i as isize * st[0]) as usize] += 1;
                    }
                });
            }
            assert!(seen.iter().all(|&s| s == 1), "tasks {tasks}");
        }
    }
}
