//! Loop drivers the generated kernels call: they walk any strided layout and hand the kernel
//! contiguous blocks.
//!
//! A pass iterates over one shape. The driver orders the loops by the output's strides (the
//! smallest stride innermost, so an F-order output iterates F-order), drops length-1 axes,
//! merges axes that are contiguous across every operand into one long run, and cuts the
//! innermost run into blocks of at most [`BLOCK`] elements. For each block every operand
//! arrives as a slice: borrowed directly when its stride is 1, otherwise gathered into a small
//! stack buffer (a zero stride fills the buffer with one value). Strided outputs are computed
//! into a buffer and scattered. So the kernel body is always a loop over equal-length slices,
//! which is what SIMD code wants, and the generated code needs no `unsafe`.
//!
//! Kernel bodies arrive as `dyn` closures called once per block (at most [`BLOCK`] elements),
//! so a driver is compiled once per element-type signature and shared by every kernel of a
//! crate, instead of once per kernel: that keeps build times proportional to the kernels' own
//! code. The indirect call costs a few nanoseconds per block.

use crate::element::Element;
use crate::error::{bail, Result};
use crate::view::{ArrayView, ArrayViewMut};

/// Longest run handed to a kernel body at once.
pub const BLOCK: usize = 512;

/// Most axes a pass may have.
pub const MAX_RANK: usize = 8;

/// Outputs a reduction driver computes side by side (one cache line of f32).
const GROUP: usize = 16;

/// A loop nest over `ndim` axes, outermost first, with the strides of `N` operands.
#[derive(Debug, Clone, Copy)]
struct Nest<const N: usize> {
    ndim: usize,
    shape: [usize; MAX_RANK],
    strides: [[isize; MAX_RANK]; N],
}

impl<const N: usize> Nest<N> {
    /// Orders axes by the strides of operand `lead` (largest |stride| outermost), drops axes of
    /// length 1 and merges axes that are contiguous for every operand.
    fn plan(shape: &[usize], strides: [&[isize]; N], lead: usize) -> Result<Self> {
        Self::plan_ordered(shape, strides, Some(lead))
    }

    /// Like [`plan`](Self::plan); with `lead = None` the axes stay in logical (C) order, so
    /// runs visit elements in row-major order of `shape` (needed for first-occurrence indices).
    fn plan_ordered(shape: &[usize], strides: [&[isize]; N], lead: Option<usize>) -> Result<Self> {
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

    /// Calls `row(offsets, len, inner_strides)` for every innermost run, with each operand's
    /// element offset of the run's first element.
    fn for_each_row(&self, mut row: impl FnMut([isize; N], usize, [isize; N])) {
        if self.shape[..self.ndim].contains(&0) {
            return;
        }
        if self.ndim == 0 {
            row([0; N], 1, [0; N]);
            return;
        }
        let inner = self.ndim - 1;
        let inner_strides: [isize; N] = std::array::from_fn(|k| self.strides[k][inner]);
        let mut idx = [0usize; MAX_RANK];
        let mut off = [0isize; N];
        loop {
            row(off, self.shape[inner], inner_strides);
            let mut a = inner;
            loop {
                if a == 0 {
                    return;
                }
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
}

/// Hands out the block of `len` elements at `off` with stride `stride` as a slice.
///
/// # Safety
///
/// `base.offset(off + i * stride)` must be a valid, initialized element for every `i < len`
/// (the caller derives `off`, `len`, `stride` from a [`Nest`] planned over a view of `base`),
/// and `len <= BLOCK`.
unsafe fn read_block<T: Element>(
    base: *const T,
    buf: &mut [T; BLOCK],
    off: isize,
    len: usize,
    stride: isize,
) -> &[T] {
    if stride == 1 {
        // SAFETY: by the contract, `len` consecutive valid elements start at `base + off`; the
        // returned borrow ends before the view's lifetime (it lives for one kernel call).
        return unsafe { std::slice::from_raw_parts(base.offset(off), len) };
    }
    for (i, slot) in buf.iter_mut().take(len).enumerate() {
        // SAFETY: element `i < len` of the run is valid by the contract.
        *slot = unsafe { *base.offset(off + i as isize * stride) };
    }
    &buf[..len]
}

macro_rules! zip_driver {
    ($(#[$doc:meta])* $name:ident, $rw:literal; $($A:ident $a:ident $k:tt),+) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name<O: Element, $($A: Element,)+ const D: usize>(
            out: &mut ArrayViewMut<'_, O, D>,
            $($a: &ArrayView<'_, $A, D>,)+
            kernel: &mut dyn FnMut(&mut [O], $(&[$A]),+),
        ) -> Result<()> {
            let shape = out.shape();
            $(
                if $a.shape() != shape {
                    bail!(
                        ShapeMismatch,
                        "internal error: operand {} has shape {:?}, the pass {:?}; please report",
                        $k, $a.shape(), shape
                    );
                }
            )+
            let out_strides = out.strides();
            let strides = [&out_strides[..], $(&$a.strides()[..]),+];
            let nest = Nest::plan(&shape, strides, 0)?;
            let out_base = out.as_mut_ptr();
            $(let $a = ($a.as_ptr(), [<$A as Element>::ZERO; BLOCK]);)+
            let mut obuf = [O::ZERO; BLOCK];
            $(let mut $a = $a;)+
            nest.for_each_row(|off, len, st| {
                let mut done = 0usize;
                while done < len {
                    let n = (len - done).min(BLOCK);
                    let step = done as isize;
                    // SAFETY: the nest was planned over the views' own shape and strides, so
                    // every element of this run (offset off[k] + (done + i) * st[k], i < n) is an
                    // element of operand k; n <= BLOCK.
                    let ins = ($(unsafe { read_block($a.0, &mut $a.1, off[$k] + step * st[$k], n, st[$k]) },)+);
                    let o_off = off[0] + step * st[0];
                    if st[0] == 1 {
                        // SAFETY: the output run is n consecutive elements of `out` (stride 1),
                        // exclusive (ArrayViewMut never aliases) and disjoint from the inputs,
                        // which are shared borrows of other memory (`&mut` excludes aliasing).
                        let o = unsafe { std::slice::from_raw_parts_mut(out_base.offset(o_off), n) };
                        let ($($a,)+) = ins;
                        kernel(o, $($a),+);
                    } else {
                        let ($($a,)+) = ins;
                        if $rw {
                            for (i, slot) in obuf[..n].iter_mut().enumerate() {
                                // SAFETY: element i < n of the output run is a valid element.
                                *slot = unsafe { *out_base.offset(o_off + i as isize * st[0]) };
                            }
                        }
                        kernel(&mut obuf[..n], $($a),+);
                        for (i, v) in obuf[..n].iter().enumerate() {
                            // SAFETY: element i < n of the output run is a valid, exclusive element.
                            unsafe { *out_base.offset(o_off + i as isize * st[0]) = *v };
                        }
                    }
                    done += n;
                }
            });
            Ok(())
        }
    };
}

/// Pairwise combination of block partials: a carry chain that merges two partials of equal
/// level, so the tree depends only on how many partials arrive. Fixed storage: 64 levels hold
/// 2^64 blocks, so it never allocates.
struct Pairwise<P> {
    stack: [Option<(P, u32)>; 64],
    len: usize,
}

impl<P: Copy> Pairwise<P> {
    fn new() -> Self {
        Pairwise { stack: [None; 64], len: 0 }
    }

    fn push(&mut self, mut p: P, combine: &dyn Fn(P, P) -> P) {
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

    fn finish(&mut self, combine: &dyn Fn(P, P) -> P) -> Option<P> {
        let mut acc: Option<P> = None;
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

/// Splits a pass shape into kept and reduced axes for a reduction driver.
fn split_axes<const D: usize>(shape: [usize; D], reduce: [bool; D]) -> ([usize; D], [usize; D]) {
    let mut kept = shape;
    let mut red = shape;
    for a in 0..D {
        if reduce[a] {
            kept[a] = 1;
        } else {
            red[a] = 1;
        }
    }
    (kept, red)
}

macro_rules! reduce_driver {
    ($(#[$doc:meta])* $name:ident; $($A:ident $a:ident $k:tt),+) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name<R: Element, P: Copy, $($A: Element,)+ const D: usize>(
            out: &mut ArrayViewMut<'_, R, D>,
            reduce: [bool; D],
            logical: bool,
            $($a: &ArrayView<'_, $A, D>,)+
            block: &mut dyn FnMut(usize, $(&[$A]),+) -> P,
            combine: &dyn Fn(P, P) -> P,
            finish: &mut dyn FnMut(Option<P>) -> Result<R>,
        ) -> Result<()> {
            let shape = [$($a.shape()),+][0];
            let (kept, red) = split_axes(shape, reduce);
            if out.shape() != kept {
                bail!(ShapeMismatch, "internal error: reduction output {:?}, expected {:?}; please report", out.shape(), kept);
            }
            $(
                if $a.shape() != shape {
                    bail!(ShapeMismatch, "internal error: operand {} has shape {:?}, the pass {:?}; please report", $k, $a.shape(), shape);
                }
            )+
            let out_strides = out.strides();
            let outer = Nest::plan(&kept, [&out_strides[..], $(&$a.strides()[..]),+], 0)?;
            let inner = Nest::plan_ordered(&red, [$(&$a.strides()[..]),+], if logical { None } else { Some(0) })?;
            let out_base = out.as_mut_ptr();
            $(let mut $a = ($a.as_ptr(), [<$A as Element>::ZERO; BLOCK], [[<$A as Element>::ZERO; BLOCK]; GROUP]);)+
            // GROUP neighbouring outputs are reduced together, block by block: for a column
            // reduction of a C-order matrix the group shares each cache line it reads, so the
            // matrix streams through once instead of once per column. Each output still sees
            // the same blocks in the same order, so the result does not depend on the grouping.
            let mut trees: [Pairwise<P>; GROUP] = std::array::from_fn(|_| Pairwise::new());
            let mut failed: Result<()> = Ok(());
            outer.for_each_row(|ooff, olen, ost| {
                let lead_outer = ost[1];
                let mut j0 = 0usize;
                while j0 < olen {
                    let g = (olen - j0).min(GROUP);
                    let mut start = 0usize;
                    inner.for_each_row(|off, len, st| {
                        let mut done = 0usize;
                        while done < len {
                            let n = (len - done).min(BLOCK);
                            let step = done as isize;
                            // Outputs closer in memory than consecutive reduced elements (a
                            // column reduction of C-order data): gather the group's block as a
                            // tile, row by row, so each cache line is read once, sequentially,
                            // instead of walking g columns with a large stride (which also
                            // thrashes the cache sets).
                            let tiled = g > 1 && n >= 64 && lead_outer != 0 && lead_outer.unsigned_abs() < st[0].unsigned_abs();
                            if tiled {
                                $(
                                    for i in 0..n {
                                        let row = off[$k - 1] + (done + i) as isize * st[$k - 1];
                                        for jj in 0..g {
                                            let j = (j0 + jj) as isize;
                                            // SAFETY: as below: `outer` and `inner` split the
                                            // operand's own shape, j < olen and done + i < len.
                                            $a.2[jj][i] = unsafe { *$a.0.offset(ooff[$k] + j * ost[$k] + row) };
                                        }
                                    }
                                )+
                                for (jj, tree) in trees.iter_mut().enumerate().take(g) {
                                    let p = block(start + done, $(&$a.2[jj][..n]),+);
                                    tree.push(p, combine);
                                }
                                done += n;
                                continue;
                            }
                            for (jj, tree) in trees.iter_mut().enumerate().take(g) {
                                let j = (j0 + jj) as isize;
                                let base = [$(ooff[$k] + j * ost[$k]),+];
                                // SAFETY: `outer` and `inner` split the operand's own shape (kept
                                // and reduced axes) and j < olen, so base + off + (done + i) *
                                // stride, i < n, is one of its elements; n <= BLOCK.
                                let p = block(start + done, $(unsafe { read_block($a.0, &mut $a.1, base[$k - 1] + off[$k - 1] + step * st[$k - 1], n, st[$k - 1]) }),+);
                                tree.push(p, combine);
                            }
                            done += n;
                        }
                        start += len;
                    });
                    for (jj, tree) in trees.iter_mut().enumerate().take(g) {
                        let j = (j0 + jj) as isize;
                        match finish(tree.finish(combine)) {
                            // SAFETY: `ooff[0] + j * ost[0]` (j < olen) is an element of `out`
                            // (the outer nest was planned over out's shape), written once.
                            Ok(v) => unsafe { *out_base.offset(ooff[0] + j * ost[0]) = v },
                            Err(e) => {
                                if failed.is_ok() {
                                    failed = Err(e);
                                }
                            }
                        }
                    }
                    j0 += g;
                }
            });
            failed
        }
    };
}

zip_driver!(
    /// Runs `kernel(out_block, input_blocks...)` over every block of a pass with 1 input(s).
    ///
    /// # Errors
    ///
    /// An operand's shape differs from `out`'s (the generated code broadcasts first).
    zip1, false; A1 a1 1);
zip_driver!(
    /// Like [`zip1`], but the output block holds the output's current values when the
    /// kernel runs (in-place updates such as `x += y`).
    ///
    /// # Errors
    ///
    /// As [`zip1`].
    zip1_rw, true; A1 a1 1);
zip_driver!(
    /// Runs `kernel(out_block, input_blocks...)` over every block of a pass with 2 input(s).
    ///
    /// # Errors
    ///
    /// An operand's shape differs from `out`'s (the generated code broadcasts first).
    zip2, false; A1 a1 1, A2 a2 2);
zip_driver!(
    /// Like [`zip2`], but the output block holds the output's current values when the
    /// kernel runs (in-place updates such as `x += y`).
    ///
    /// # Errors
    ///
    /// As [`zip2`].
    zip2_rw, true; A1 a1 1, A2 a2 2);
zip_driver!(
    /// Runs `kernel(out_block, input_blocks...)` over every block of a pass with 3 input(s).
    ///
    /// # Errors
    ///
    /// An operand's shape differs from `out`'s (the generated code broadcasts first).
    zip3, false; A1 a1 1, A2 a2 2, A3 a3 3);
zip_driver!(
    /// Like [`zip3`], but the output block holds the output's current values when the
    /// kernel runs (in-place updates such as `x += y`).
    ///
    /// # Errors
    ///
    /// As [`zip3`].
    zip3_rw, true; A1 a1 1, A2 a2 2, A3 a3 3);
zip_driver!(
    /// Runs `kernel(out_block, input_blocks...)` over every block of a pass with 4 input(s).
    ///
    /// # Errors
    ///
    /// An operand's shape differs from `out`'s (the generated code broadcasts first).
    zip4, false; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4);
zip_driver!(
    /// Like [`zip4`], but the output block holds the output's current values when the
    /// kernel runs (in-place updates such as `x += y`).
    ///
    /// # Errors
    ///
    /// As [`zip4`].
    zip4_rw, true; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4);
zip_driver!(
    /// Runs `kernel(out_block, input_blocks...)` over every block of a pass with 5 input(s).
    ///
    /// # Errors
    ///
    /// An operand's shape differs from `out`'s (the generated code broadcasts first).
    zip5, false; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5);
zip_driver!(
    /// Like [`zip5`], but the output block holds the output's current values when the
    /// kernel runs (in-place updates such as `x += y`).
    ///
    /// # Errors
    ///
    /// As [`zip5`].
    zip5_rw, true; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5);
zip_driver!(
    /// Runs `kernel(out_block, input_blocks...)` over every block of a pass with 6 input(s).
    ///
    /// # Errors
    ///
    /// An operand's shape differs from `out`'s (the generated code broadcasts first).
    zip6, false; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6);
zip_driver!(
    /// Like [`zip6`], but the output block holds the output's current values when the
    /// kernel runs (in-place updates such as `x += y`).
    ///
    /// # Errors
    ///
    /// As [`zip6`].
    zip6_rw, true; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6);
zip_driver!(
    /// Runs `kernel(out_block, input_blocks...)` over every block of a pass with 7 input(s).
    ///
    /// # Errors
    ///
    /// An operand's shape differs from `out`'s (the generated code broadcasts first).
    zip7, false; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7);
zip_driver!(
    /// Like [`zip7`], but the output block holds the output's current values when the
    /// kernel runs (in-place updates such as `x += y`).
    ///
    /// # Errors
    ///
    /// As [`zip7`].
    zip7_rw, true; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7);
zip_driver!(
    /// Runs `kernel(out_block, input_blocks...)` over every block of a pass with 8 input(s).
    ///
    /// # Errors
    ///
    /// An operand's shape differs from `out`'s (the generated code broadcasts first).
    zip8, false; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7, A8 a8 8);
zip_driver!(
    /// Like [`zip8`], but the output block holds the output's current values when the
    /// kernel runs (in-place updates such as `x += y`).
    ///
    /// # Errors
    ///
    /// As [`zip8`].
    zip8_rw, true; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7, A8 a8 8);
reduce_driver!(
    /// Reduces blocks of a pass with 1 input(s) over the axes where `reduce[axis]` is true.
    ///
    /// For each element of `out` (whose shape is the pass shape with reduced axes of length 1),
    /// the input blocks along the reduced axes go through `block` to a partial, partials merge
    /// with `combine` in a fixed pairwise tree (it depends only on the number of blocks), and
    /// `finish` turns the final partial (`None` when there were no elements) into the value.
    /// `block` also receives the position of its first element among the reduced elements;
    /// with `logical`, positions are row-major (C order) over the reduced axes whatever the
    /// layout, as first-occurrence reductions (`argmax`) need.
    ///
    /// # Errors
    ///
    /// Shape mismatches (an internal error) and whatever `finish` returns.
    reduce1; A1 a1 1);
reduce_driver!(
    /// Reduces blocks of a pass with 2 input(s) over the axes where `reduce[axis]` is true.
    ///
    /// For each element of `out` (whose shape is the pass shape with reduced axes of length 1),
    /// the input blocks along the reduced axes go through `block` to a partial, partials merge
    /// with `combine` in a fixed pairwise tree (it depends only on the number of blocks), and
    /// `finish` turns the final partial (`None` when there were no elements) into the value.
    /// `block` also receives the position of its first element among the reduced elements;
    /// with `logical`, positions are row-major (C order) over the reduced axes whatever the
    /// layout, as first-occurrence reductions (`argmax`) need.
    ///
    /// # Errors
    ///
    /// Shape mismatches (an internal error) and whatever `finish` returns.
    reduce2; A1 a1 1, A2 a2 2);
reduce_driver!(
    /// Reduces blocks of a pass with 3 input(s) over the axes where `reduce[axis]` is true.
    ///
    /// For each element of `out` (whose shape is the pass shape with reduced axes of length 1),
    /// the input blocks along the reduced axes go through `block` to a partial, partials merge
    /// with `combine` in a fixed pairwise tree (it depends only on the number of blocks), and
    /// `finish` turns the final partial (`None` when there were no elements) into the value.
    /// `block` also receives the position of its first element among the reduced elements;
    /// with `logical`, positions are row-major (C order) over the reduced axes whatever the
    /// layout, as first-occurrence reductions (`argmax`) need.
    ///
    /// # Errors
    ///
    /// Shape mismatches (an internal error) and whatever `finish` returns.
    reduce3; A1 a1 1, A2 a2 2, A3 a3 3);
reduce_driver!(
    /// Reduces blocks of a pass with 4 input(s) over the axes where `reduce[axis]` is true.
    ///
    /// For each element of `out` (whose shape is the pass shape with reduced axes of length 1),
    /// the input blocks along the reduced axes go through `block` to a partial, partials merge
    /// with `combine` in a fixed pairwise tree (it depends only on the number of blocks), and
    /// `finish` turns the final partial (`None` when there were no elements) into the value.
    /// `block` also receives the position of its first element among the reduced elements;
    /// with `logical`, positions are row-major (C order) over the reduced axes whatever the
    /// layout, as first-occurrence reductions (`argmax`) need.
    ///
    /// # Errors
    ///
    /// Shape mismatches (an internal error) and whatever `finish` returns.
    reduce4; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4);
reduce_driver!(
    /// Reduces blocks of a pass with 5 input(s) over the axes where `reduce[axis]` is true.
    ///
    /// For each element of `out` (whose shape is the pass shape with reduced axes of length 1),
    /// the input blocks along the reduced axes go through `block` to a partial, partials merge
    /// with `combine` in a fixed pairwise tree (it depends only on the number of blocks), and
    /// `finish` turns the final partial (`None` when there were no elements) into the value.
    /// `block` also receives the position of its first element among the reduced elements;
    /// with `logical`, positions are row-major (C order) over the reduced axes whatever the
    /// layout, as first-occurrence reductions (`argmax`) need.
    ///
    /// # Errors
    ///
    /// Shape mismatches (an internal error) and whatever `finish` returns.
    reduce5; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5);
reduce_driver!(
    /// Reduces blocks of a pass with 6 input(s) over the axes where `reduce[axis]` is true.
    ///
    /// For each element of `out` (whose shape is the pass shape with reduced axes of length 1),
    /// the input blocks along the reduced axes go through `block` to a partial, partials merge
    /// with `combine` in a fixed pairwise tree (it depends only on the number of blocks), and
    /// `finish` turns the final partial (`None` when there were no elements) into the value.
    /// `block` also receives the position of its first element among the reduced elements;
    /// with `logical`, positions are row-major (C order) over the reduced axes whatever the
    /// layout, as first-occurrence reductions (`argmax`) need.
    ///
    /// # Errors
    ///
    /// Shape mismatches (an internal error) and whatever `finish` returns.
    reduce6; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6);
reduce_driver!(
    /// Reduces blocks of a pass with 7 input(s) over the axes where `reduce[axis]` is true.
    ///
    /// For each element of `out` (whose shape is the pass shape with reduced axes of length 1),
    /// the input blocks along the reduced axes go through `block` to a partial, partials merge
    /// with `combine` in a fixed pairwise tree (it depends only on the number of blocks), and
    /// `finish` turns the final partial (`None` when there were no elements) into the value.
    /// `block` also receives the position of its first element among the reduced elements;
    /// with `logical`, positions are row-major (C order) over the reduced axes whatever the
    /// layout, as first-occurrence reductions (`argmax`) need.
    ///
    /// # Errors
    ///
    /// Shape mismatches (an internal error) and whatever `finish` returns.
    reduce7; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7);
reduce_driver!(
    /// Reduces blocks of a pass with 8 input(s) over the axes where `reduce[axis]` is true.
    ///
    /// For each element of `out` (whose shape is the pass shape with reduced axes of length 1),
    /// the input blocks along the reduced axes go through `block` to a partial, partials merge
    /// with `combine` in a fixed pairwise tree (it depends only on the number of blocks), and
    /// `finish` turns the final partial (`None` when there were no elements) into the value.
    /// `block` also receives the position of its first element among the reduced elements;
    /// with `logical`, positions are row-major (C order) over the reduced axes whatever the
    /// layout, as first-occurrence reductions (`argmax`) need.
    ///
    /// # Errors
    ///
    /// Shape mismatches (an internal error) and whatever `finish` returns.
    reduce8; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7, A8 a8 8);
