//! Reduction drivers: `reduceN`.

use super::nest::{read_block, BlockBuf, Nest, Pairwise, Split};
use super::strip::{panel_width, PanelTree, LEVELS, PANEL, STRIP};
use super::{footprint, prefetch, Shared, SharedMut, BLOCK, GROUP, MAX_CHUNKS};
use crate::diagnostics::{self, PassInfo};
use crate::element::Element;
use crate::error::{bail, Error, Result};
use crate::parallel::{self, MIN_TASK_BYTES};
use crate::view::{ArrayView, ArrayViewMut};
use std::mem::size_of;
use std::sync::{Mutex, OnceLock};

/// Most rows a vertical accumulation prefetches ahead of the one it reads.
const AHEAD: usize = 8;

/// Bytes of rows a vertical accumulation prefetches ahead. Only row segments shorter than a
/// quarter of it that are not adjacent in memory are prefetched: longer segments, and rows
/// that follow each other, stream through the hardware prefetcher, and explicit prefetches of
/// them only compete with it (measured: 20% slower column sums of 4096 x 4096).
const AHEAD_BYTES: usize = 4096;

/// Rows of a block one vertical `accum` call folds (the emitted closure unrolls exactly this
/// many, keeping each partial in a register across them; fewer at the end of a block go one
/// row at a time). Folding row after row per partial is the order of one row per call, so
/// the bits do not depend on it; it divides the load and store traffic on the partials.
pub const VROWS: usize = 8;

const _: () = assert!(VROWS <= GROUP && STRIP <= BLOCK);

/// Bytes of short rows the `rows` path prefetches ahead of those it reduces, when the rows are
/// not adjacent in memory. Adjacent rows are one stream the hardware prefetcher follows: on
/// the first machine measured, fetching them too took row sums of 262144 x 64 f32 from 70-73%
/// of read bandwidth to 86-92%, but on its successor (1 MiB L2 per core, AVX-512, twice the
/// bandwidth) it made them 1.75x slower (5.4-5.8 ms against 3.2-3.3 ms without), the
/// prefetches waiting for fill buffers the hardware prefetcher already used.
const ROWS_AHEAD: usize = 8192;

/// Most rows the reduce drivers hand one `runs` call (rows stored one after another): 512 rows
/// of 4 f32 are 8 KiB.
///
/// # Examples
/// ```
/// assert!(array_expr_runtime::driver::RUNS >= 16);
/// ```
pub const RUNS: usize = 512;

/// Outputs per piece when a vertical pass over several blocks splits by outputs (a multiple
/// of `GROUP`): each task then reads at least 4 KiB of every row in one go.
const VSPLIT: usize = 1024;

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

/// Blocks per chunk when one reduced range of `blocks` blocks is split for `tasks` tasks: a
/// power of two (so chunks are subtrees of the pairwise tree), with at most about four chunks
/// per task and at most [`MAX_CHUNKS`] chunks.
fn chunk_blocks(blocks: usize, tasks: usize) -> usize {
    let most = (tasks * 4).clamp(1, MAX_CHUNKS);
    let mut size = 1usize;
    while blocks.div_ceil(size) > most {
        size *= 2;
    }
    size
}

/// `GROUP` rows of [`BLOCK`] elements of one input (a gathered tile of a column reduction, or
/// a broadcast value spread over rows), zeroed on first use only: most passes never use it,
/// and zeroing 32 KiB on every driver call was 17% of the instructions of a row softmax, whose
/// row blocks each make a call.
struct Tile<A>(Option<[[A; BLOCK]; GROUP]>);

impl<A: Element> Tile<A> {
    fn new() -> Self {
        Tile(None)
    }

    /// The rows, to write.
    // lazy on purpose: the eager form would build (zero) the 32 KiB value on every call
    #[allow(clippy::unnecessary_lazy_evaluations)]
    fn rows(&mut self) -> &mut [[A; BLOCK]; GROUP] {
        self.0.get_or_insert_with(|| [[A::ZERO; BLOCK]; GROUP])
    }

    /// The first `n` elements of row `r` (empty if the tile was never written).
    fn row(&self, r: usize, n: usize) -> &[A] {
        self.0.as_ref().map_or(&[], |t| &t[r][..n])
    }
}

/// Most elements of an input's rows the `runs` path writes out per call (a broadcast row, or
/// one value per row: see [`RunsKind`]); 8 KiB of f32.
const RUNS_TILE: usize = 2048;

/// Writes `count` copies of `row` one after another at the start of `t` (as many as fit),
/// doubling the copied part each step.
fn fill_rows<A: Copy>(t: &mut [A], row: &[A], count: usize) {
    let total = (row.len() * count).min(t.len() / row.len().max(1) * row.len());
    if total == 0 {
        return;
    }
    t[..row.len()].copy_from_slice(row);
    let mut done = row.len();
    while done < total {
        let c = done.min(total - done);
        t.copy_within(0..c, done);
        done += c;
    }
}

/// How the `runs` path of the reduce drivers reads an input (see [`runs_kind`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RunsKind {
    /// Rows one after another: a run of rows is one run of elements.
    Adjacent,
    /// The same row for every output (a broadcast row), written out once per row of the call.
    Row,
    /// One value per row (stride 0 along the row), written out as a row of that value.
    Value,
    /// None of these: the drivers take the `rows` path.
    No,
}

/// The kind of an input whose reduced run (one per output, `row_len` elements) has stride
/// `is` and whose outputs are `ost` apart.
fn runs_kind(is: isize, ost: isize, row_len: usize) -> RunsKind {
    match (is, ost) {
        (1, o) if o == row_len as isize => RunsKind::Adjacent,
        (1, 0) => RunsKind::Row,
        (0, _) => RunsKind::Value,
        _ => RunsKind::No,
    }
}

/// The root of every tree of a group (loops, not `std::array::from_fn`: every driver
/// instantiation carried its own copies of that, unrolled).
fn roots<P: Copy>(trees: &mut [Pairwise<P>; GROUP], combine: &dyn Fn(P, P) -> P) -> [Option<P>; GROUP] {
    let mut parts = [None; GROUP];
    for (p, tree) in parts.iter_mut().zip(trees.iter_mut()) {
        *p = tree.finish(combine);
    }
    parts
}

/// Keeps the error of the lowest chunk, so the error reported does not depend on timing.
fn keep_first(slot: &Mutex<Option<(usize, Error)>>, chunk: usize, r: Result<()>) {
    if let Err(e) = r {
        let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
        if s.as_ref().is_none_or(|(c, _)| chunk < *c) {
            *s = Some((chunk, e));
        }
    }
}

macro_rules! reduce_driver {
    ($name:ident, $count:literal; $($A:ident $a:ident $k:tt),+) => {
        #[doc = concat!("Reduces blocks of a pass with ", $count, " input(s) over the axes where `reduce[axis]` is true.")]
        ///
        /// For each element of `out` (whose shape is the pass shape with reduced axes of length 1),
        /// the input blocks along the reduced axes go through `block` to a partial, partials merge
        /// with `combine` in a fixed pairwise tree (it depends only on the number of blocks), and
        /// `finish` turns the final partial (`None` when there were no elements) into the value.
        /// `block` also receives the position of its first element among the reduced elements
        /// and a scratch buffer of [`BLOCK`] elements of its own; with `logical`, positions are
        /// row-major (C order) over the reduced axes whatever the layout, as first-occurrence
        /// reductions (`argmax`) need.
        ///
        /// Large reductions run on several threads with the same tree (see the
        /// [module docs](super)), so the result is bit-identical for every thread count. `cost`
        /// is the per-element compute of `block` beyond reading its inputs, as for the zip
        /// drivers.
        ///
        /// `vertical`, when given, is `(init, accum)` where `accum(acc, rows...)` gets, per
        /// input, the same number (1 to [`VROWS`]) of consecutive row segments as long as
        /// `acc`, and folds them into each partial row after row (`acc[j] = step(acc[j],
        /// x_j)` for the first row, then the next). When the kept axis is the contiguous one of the
        /// inputs (column sums of C-order data), the driver then walks each row of a block in
        /// memory order across a panel of up to `PANEL` (4096) outputs (whose partials stay in
        /// cache), `STRIP` (256) outputs per `accum` call; a block's partial per output is
        /// the fold from `init` of its elements in order, and the pairwise tree over blocks
        /// is the same as without it. Results then may differ in the last bits from another
        /// layout of the same values, never across thread counts.
        ///
        /// `rows`, when given, computes several outputs at once: `rows(outs, scratch, rows...)`
        /// gets one slice per output and input (each output's whole reduced range) and sets
        /// `outs[j]` to `finish(Some(p))`, `p` being what `block` returns for row `j` (with
        /// `start` 0), or returns the error of the first `j` whose `finish` fails. The driver
        /// uses it when every output's reduced elements form one run of at most [`BLOCK`]
        /// elements, unit- or zero-stride in every input (sums of short C-order rows), handing
        /// it up to `GROUP` rows per call instead of one call, one tree and one `finish` call
        /// per row; the result is the same as without it.
        ///
        /// `runs`, when given, is `rows` for rows stored one after another in every input:
        /// `runs(outs, scratch, n, data...)` gets per input one slice whose first `outs.len() * n`
        /// elements are the outputs' rows of `n` elements each, in order (more of the input's
        /// contiguous rows may follow; the kernel may read them, never count them), and sets
        /// `outs` as `rows` does. The driver uses it where it could use `rows` (whether or not
        /// there is a `rows` closure: argmax has none) and every input's rows are adjacent
        /// (C-order rows of at most [`BLOCK`] elements), handing it up to [`RUNS`] rows per
        /// call: short rows then cost no slice per row, and their kernels can read whole
        /// vectors across row ends. For rows under 64 elements, inputs whose row is the same
        /// for every output (a broadcast row) or one value (stride 0 along the row) may sit
        /// beside adjacent ones: the driver writes their rows out one after another (up to
        /// 2048 elements per call), so `runs` sees adjacent rows in every input.
        ///
        /// # Errors
        ///
        /// Shape mismatches (an internal error) and whatever `finish` returns (the error of the
        /// first output in memory order of the output's loop nest).
        #[allow(clippy::too_many_arguments)]
        pub fn $name<R: Element, P: Copy + Send + Sync, S: Element, $($A: Element,)+ const D: usize>(
            out: &mut ArrayViewMut<'_, R, D>,
            reduce: [bool; D],
            logical: bool,
            $($a: &ArrayView<'_, $A, D>,)+
            cost: usize,
            vertical: Option<(P, &(dyn Fn(&mut [P], $(&[&[$A]]),+) + Sync))>,
            rows: Option<&(dyn Fn(&mut [R], &mut [S], $(&[&[$A]]),+) -> Result<()> + Sync)>,
            runs: Option<&(dyn Fn(&mut [R], &mut [S], usize, $(&[$A]),+) -> Result<()> + Sync)>,
            block: &(dyn Fn(usize, &mut [S], $(&[$A]),+) -> P + Sync),
            combine: &(dyn Fn(P, P) -> P + Sync),
            finish: &(dyn Fn(Option<P>) -> Result<R> + Sync),
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
            let (outputs, blocks) = (outer.elements(), inner.blocks());
            let elements = outputs * inner.elements();
            let (os, is) = (outer.inner_strides(), inner.inner_strides());
            // vertical accumulation: every input is unit- or zero-stride along the kept run
            // (one of them unit-stride and not along the reduced run); depends on the layout
            // only, never on the thread count
            let vert = vertical.filter(|_| {
                !logical && outer.inner_len() >= 8 && blocks < (1 << LEVELS)
                    && true $(&& (os[$k] == 0 || os[$k] == 1))+
                    && (false $(|| (os[$k] == 1 && is[$k - 1] != 1))+)
            });
            // short rows: each output's reduced range is one run in one block, unit or zero stride
            let row_ok = blocks == 1 && inner.rows() == 1 && true $(&& (is[$k - 1] == 0 || is[$k - 1] == 1))+;
            let rowwise = rows.filter(|_| row_ok);
            // that one block's offsets in the inputs and its length, the same for every output:
            // found once here, not once per group of rows (a walk of the nest through an
            // indirect call, for every 16 rows)
            let (mut row_off, mut row_len) = ([0isize; _], 0);
            if row_ok {
                inner.for_each_block(0, 1, |o, len, _, _| (row_off, row_len) = (o, len));
            }
            let tasks = parallel::tasks_for(elements.saturating_mul(cost $(+ size_of::<$A>())+), MIN_TASK_BYTES);
            // a vertical pass over several blocks splits outputs into wide panels (rows are
            // read in memory order across a panel); with fewer outputs, the reduced range
            // splits instead (one block cannot split, so its outputs split as usual)
            let wide = Split::new(&outer, tasks, if vert.is_some() && blocks > 1 { VSPLIT } else { GROUP });
            let by_outputs = tasks > 1 && wide.pieces() >= tasks * 2;
            let split = if by_outputs { wide } else { Split::new(&outer, 1, GROUP) };
            let _pass = diagnostics::pass(PassInfo {
                driver: stringify!($name),
                dtype: R::DTYPE,
                shape: &shape,
                contiguous: inner.rows() <= 1 && inner.inner_strides().iter().all(|&s| s == 1),
                elements,
                read: 0 $(+ footprint($a))+,
                written: outputs * size_of::<R>(),
                threads: if by_outputs { tasks.min(split.chunks()) } else { tasks.min(blocks).max(1) },
            });
            let out_base = SharedMut(out.as_mut_ptr());
            $(let $a = Shared($a.as_ptr());)+
            type Bufs<$($A),+> = ($((*const $A, BlockBuf<$A>, Tile<$A>),)+);
            let new_bufs = || -> Bufs<$($A),+> { ($(($a.get(), BlockBuf::new(), Tile::new()),)+) };
            // Reduces blocks b0..b1 of outputs j0..j0 + g of the outer run at `ooff` into `trees`.
            // GROUP neighbouring outputs are reduced together, block by block: for a column
            // reduction of a C-order matrix the group shares each cache line it reads, so the
            // matrix streams through once instead of once per column. Each output still sees
            // the same blocks in the same order, so the result does not depend on the grouping.
            let process = |bufs: &mut Bufs<$($A),+>, scratch: &mut [S; BLOCK], ooff: &[isize], ost: &[isize], j0: usize, g: usize, (b0, b1): (usize, usize), trees: &mut [Pairwise<P>; GROUP]| {
                let ($($a,)+) = bufs;
                let lead_outer = ost[1];
                // Outputs farther apart than consecutive reduced elements, over several blocks
                // each (row reductions of long C-order rows): reduce output after output, each
                // over all its blocks, so the input streams through in memory order. Block by
                // block across the group, the reads hopped between g rows a row apart, which
                // ran a row max of 4096 x 4096 f32 1.5x slower than a loop over the rows. Each
                // output's tree sees the same blocks in the same order either way.
                if g > 1 && b1 - b0 > 1 && lead_outer.unsigned_abs() > is[0].unsigned_abs() {
                    for (jj, tree) in trees.iter_mut().enumerate().take(g) {
                        let j = (j0 + jj) as isize;
                        inner.for_each_block(b0, b1, |off, n, st, start| {
                            // SAFETY: as in the group loop below: `outer` and `inner` split the
                            // operand's own shape and j < olen, n <= BLOCK.
                            let p = block(start, &mut scratch[..], $(unsafe { read_block($a.0, &mut $a.1, ooff[$k] + j * ost[$k] + off[$k - 1], n, st[$k - 1]) }),+);
                            tree.push(p, combine);
                        });
                    }
                    return;
                }
                inner.for_each_block(b0, b1, |off, n, st, start| {
                    // Outputs closer in memory than consecutive reduced elements (a column
                    // reduction of C-order data): gather the group's block as a tile, row by
                    // row, so each cache line is read once, sequentially, instead of walking g
                    // columns with a large stride (which also thrashes the cache sets).
                    let tiled = g > 1 && n >= 64 && lead_outer != 0 && lead_outer.unsigned_abs() < st[0].unsigned_abs();
                    if tiled {
                        $({
                            let tile = $a.2.rows();
                            for i in 0..n {
                                let row = off[$k - 1] + i as isize * st[$k - 1];
                                for jj in 0..g {
                                    let j = (j0 + jj) as isize;
                                    // SAFETY: as below: `outer` and `inner` split the operand's
                                    // own shape, j < olen and i < n.
                                    tile[jj][i] = unsafe { *$a.0.offset(ooff[$k] + j * ost[$k] + row) };
                                }
                            }
                        })+
                        for (jj, tree) in trees.iter_mut().enumerate().take(g) {
                            let p = block(start, &mut scratch[..], $($a.2.row(jj, n)),+);
                            tree.push(p, combine);
                        }
                        return;
                    }
                    // (one output over a long unit-stride input, `sum(x)`, is not fetched ahead:
                    // a prefetch 4 KiB ahead made `sum(x)` 5-13% faster on the first machine
                    // measured and 1.2-2.5x slower on its successor, 16M f32)
                    for (jj, tree) in trees.iter_mut().enumerate().take(g) {
                        let j = (j0 + jj) as isize;
                        // SAFETY: `outer` and `inner` split the operand's own shape (kept and
                        // reduced axes) and j < olen, so ooff + j * ost + off + i * stride, i < n,
                        // is one of its elements; n <= BLOCK.
                        let p = block(start, &mut scratch[..], $(unsafe { read_block($a.0, &mut $a.1, ooff[$k] + j * ost[$k] + off[$k - 1], n, st[$k - 1]) }),+);
                        tree.push(p, combine);
                    }
                });
            };
            type Accum<'f, P, $($A),+> = (P, &'f (dyn Fn(&mut [P], $(&[&[$A]]),+) + Sync));
            // Vertical accumulation of blocks b0..b1 of outputs j0..j0 + w (a panel, see
            // `panel_width`) into `tree`: each reduced element is one row segment of w
            // consecutive elements, read in memory order, STRIP outputs and up to VROWS
            // consecutive rows of the block per `accum` call.
            let vprocess = |bufs: &mut Bufs<$($A),+>, ooff: &[isize], ost: &[isize], j0: usize, w: usize, (b0, b1): (usize, usize), tree: &mut PanelTree<P>, (init, accum): Accum<'_, P, $($A),+>| {
                let ($($a,)+) = bufs;
                tree.reset(w);
                let row_bytes = 0 $(+ w * size_of::<$A>() * ost[$k] as usize)+;
                let short = row_bytes < AHEAD_BYTES / 4;
                inner.for_each_block(b0, b1, |off, n, st, _| {
                    // adjacent short rows are prefetched too: `accum` reads VROWS of them side
                    // by side, a pattern the hardware prefetcher follows poorly
                    let adjacent = true $(&& (ost[$k] == 0 || st[$k - 1] == w as isize))+;
                    let ahead = match (short, adjacent) {
                        (false, _) => isize::MAX / 2,
                        (true, true) => (AHEAD_BYTES / row_bytes.max(1)) as isize,
                        (true, false) => (AHEAD_BYTES / row_bytes.max(1)).min(AHEAD) as isize,
                    };
                    let acc = tree.acc(init);
                    for i0 in (0..n).step_by(VROWS) {
                        let rr = (n - i0).min(VROWS);
                        for i in i0 as isize..(i0 + rr) as isize {
                            if i + ahead < n as isize {
                                $(if ost[$k] == 1 {
                                    prefetch($a.0.wrapping_offset(ooff[$k] + j0 as isize + off[$k - 1] + (i + ahead) * st[$k - 1]), (w * size_of::<$A>()).div_ceil(64));
                                })+
                            }
                        }
                        // a zero-stride operand along the panel: each row's value spread once
                        // over a strip, for all strips of the row
                        $(if ost[$k] == 0 {
                            for (r, t) in $a.2.rows().iter_mut().enumerate().take(rr) {
                                // SAFETY: `outer` and `inner` split the operand's own shape and
                                // i0 + r < n, so the row's element at ooff + off + (i0 + r) * st
                                // (the same for every output of the panel) is one of its
                                // elements.
                                t[..w.min(STRIP)].fill(unsafe { *$a.0.offset(ooff[$k] + off[$k - 1] + (i0 + r) as isize * st[$k - 1]) });
                            }
                        })+
                        for (s, acc) in acc.chunks_mut(STRIP).enumerate() {
                            let j = (j0 + s * STRIP) as isize;
                            let len = acc.len();
                            $(
                                let mut runs: [&[$A]; VROWS] = [&[][..]; VROWS];
                                for (r, run) in runs.iter_mut().enumerate().take(rr) {
                                    *run = if ost[$k] == 0 {
                                        $a.2.row(r, len)
                                    } else {
                                        // SAFETY: `outer` and `inner` split the operand's own
                                        // shape, j plus len is at most j0 + w, at most the
                                        // outer run's length, and i0 + r < n, so the len
                                        // elements at ooff + j + off + (i0 + r) * st (unit
                                        // stride along the panel, checked in `vert`) are its
                                        // elements, borrowed for this call only.
                                        unsafe { std::slice::from_raw_parts($a.0.offset(ooff[$k] + j + off[$k - 1] + (i0 + r) as isize * st[$k - 1]), len) }
                                    };
                                }
                                let $a = runs;
                            )+
                            accum(acc, $(&$a[..rr]),+);
                        }
                    }
                    tree.push(combine);
                });
            };
            // The values of outputs j0..j0 + g of the outer run at `ooff` through `rows`, each
            // output's reduced range being the one block of `inner` (checked in `rowwise`).
            let rows_of = |bufs: &mut Bufs<$($A),+>, scratch: &mut [S; BLOCK], ooff: &[isize], ost: &[isize], j0: usize, g: usize, outs: &mut [R; GROUP], rows: &(dyn Fn(&mut [R], &mut [S], $(&[&[$A]]),+) -> Result<()> + Sync)| -> Result<()> {
                let ($($a,)+) = bufs;
                let (off, n) = (row_off, row_len);
                $(
                    let at = |jj: usize| ooff[$k] + (j0 + jj) as isize * ost[$k] + off[$k - 1];
                    // short rows apart in memory: fetch the rows ROWS_AHEAD bytes ahead of these
                    let row_bytes = n * size_of::<$A>();
                    if is[$k - 1] == 1 && row_bytes <= ROWS_AHEAD / 8 && ost[$k] != n as isize {
                        let ahead = ROWS_AHEAD / row_bytes.max(1);
                        for jj in 0..g {
                            prefetch($a.0.wrapping_offset(at(jj + ahead)), row_bytes.div_ceil(64));
                        }
                    }
                    if is[$k - 1] == 0 {
                        for (jj, t) in $a.2.rows().iter_mut().enumerate().take(g) {
                            // SAFETY: `outer` and `inner` split the operand's own shape, j0 + jj
                            // is below the outer run's length and the block is not empty (one
                            // run, `rowwise`), so its first element is one of the operand's.
                            let x = unsafe { *$a.0.offset(at(jj)) };
                            t[..n].fill(x);
                        }
                    }
                    let mut runs: [&[$A]; GROUP] = [&[][..]; GROUP];
                    for (jj, run) in runs.iter_mut().enumerate().take(g) {
                        *run = if is[$k - 1] == 0 {
                            $a.2.row(jj, n)
                        } else {
                            // SAFETY: as above; the run has unit stride (`rowwise`), so its n
                            // elements from `at(jj)` on are consecutive elements of the operand,
                            // borrowed for this call only; n <= BLOCK.
                            unsafe { std::slice::from_raw_parts($a.0.offset(at(jj)), n) }
                        };
                    }
                    let $a = runs;
                )+
                rows(&mut outs[..g], &mut scratch[..], $(&$a[..g]),+)
            };
            // Finishes and writes outputs j0..j0 + g; the first error wins.
            let write = |ooff: &[isize], ost: &[isize], j0: usize, parts: &[Option<P>]| -> Result<()> {
                let mut first = Ok(());
                for (jj, p) in parts.iter().enumerate() {
                    let j = (j0 + jj) as isize;
                    match finish(*p) {
                        // SAFETY: `ooff[0] + j * ost[0]` (j < olen) is an element of `out` (the
                        // outer nest was planned over out's shape), written once, by the one
                        // task that owns this output.
                        Ok(v) => unsafe { *out_base.get().offset(ooff[0] + j * ost[0]) = v },
                        Err(e) => {
                            if first.is_ok() {
                                first = Err(e);
                            }
                        }
                    }
                }
                first
            };
            // Writes the panel roots `root` of outputs j0..j0 + w (`None`: there were no blocks).
            let vwrite = |ooff: &[isize], ost: &[isize], j0: usize, w: usize, root: Option<&[P]>| -> Result<()> {
                let mut first = Ok(());
                for s in (0..w).step_by(STRIP) {
                    let mut parts = [None; STRIP];
                    for (p, r) in parts.iter_mut().zip(root.unwrap_or(&[]).iter().skip(s)) {
                        *p = Some(*r);
                    }
                    let r = write(ooff, ost, j0 + s, &parts[..(w - s).min(STRIP)]);
                    if first.is_ok() {
                        first = r;
                    }
                }
                first
            };
            // Every output of the outer runs of chunk `c` by panels, each on this task.
            let strips_of = |c: usize, v: Accum<'_, P, $($A),+>| -> Result<()> {
                let mut bufs = new_bufs();
                let mut tree = PanelTree::new(0);
                let mut first = Ok(());
                split.visit(&outer, c, |ooff, olen, ost| {
                    let step = panel_width(olen, blocks, PANEL);
                    for j0 in (0..olen).step_by(step) {
                        let w = (olen - j0).min(step);
                        vprocess(&mut bufs, &ooff, &ost, j0, w, (0, blocks), &mut tree, v);
                        let r = vwrite(&ooff, &ost, j0, w, tree.finish(false, combine));
                        if first.is_ok() {
                            first = r;
                        }
                    }
                });
                first
            };
            // Outputs j0..j0 + g (g <= RUNS) of the outer run at `ooff` through `runs`, each input
            // of a kind `runs_kind` accepts (checked by the caller): rows adjacent, one slice from
            // the first of these rows to the end of the run; or the same row for every output
            // (a broadcast row, its tile already holding at least g copies: `fill_rows`), or one
            // value per row, written out here in the input's tile as g rows of that value
            // (g * n <= GROUP * BLOCK, also checked by the caller).
            let runs_of = |bufs: &mut Bufs<$($A),+>, scratch: &mut [S; BLOCK], (ooff, ost): (&[isize], &[isize]), olen: usize, j0: usize, g: usize, outs: &mut [R; RUNS], runs: &(dyn Fn(&mut [R], &mut [S], usize, $(&[$A]),+) -> Result<()> + Sync)| -> Result<()> {
                let n = row_len;
                let ($($a,)+) = bufs;
                $(
                    let at = |j: usize| ooff[$k] + j as isize * ost[$k] + row_off[$k - 1];
                    let $a: &[$A] = match runs_kind(is[$k - 1], ost[$k], n) {
                        // written out by the caller, once per outer run
                        RunsKind::Row => &$a.2.rows().as_flattened()[..g * n],
                        RunsKind::Value => {
                            let t = $a.2.rows().as_flattened_mut();
                            for (jj, r) in t.chunks_exact_mut(n).take(g).enumerate() {
                                // SAFETY: as above; the row's elements are all one element
                                // (stride 0 along the row, `runs_kind`), that of output j0 + jj
                                // (j0 + jj < olen) at `at(j0 + jj)`.
                                r.fill(unsafe { *$a.0.offset(at(j0 + jj)) });
                            }
                            &t[..g * n]
                        }
                        // SAFETY: as above; the rows j0..olen of this outer run start at
                        // at(j) with ost == n (`runs_kind`) and hold n unit-stride elements
                        // each (`row_ok`), so the (olen - j0) * n elements from row j0 on are
                        // consecutive elements of the operand, borrowed for this call only.
                        _ => unsafe { std::slice::from_raw_parts($a.0.offset(at(j0)), (olen - j0) * n) },
                    };
                )+
                if ost[0] == 1 {
                    // SAFETY: outputs j0..j0 + g (j0 + g <= olen) of the outer run are consecutive
                    // elements of `out` (unit stride), written by this task only, and no other
                    // reference to them exists during the call.
                    let dst = unsafe { std::slice::from_raw_parts_mut(out_base.get().offset(ooff[0] + j0 as isize), g) };
                    runs(dst, &mut scratch[..], n, $($a),+)?;
                } else {
                    runs(&mut outs[..g], &mut scratch[..], n, $($a),+)?;
                    for (jj, v) in outs.iter().enumerate().take(g) {
                        // SAFETY: as in `write`: `ooff[0] + j * ost[0]` (j < olen) is an element
                        // of `out`, written once, by this task.
                        unsafe { *out_base.get().offset(ooff[0] + (j0 + jj) as isize * ost[0]) = *v };
                    }
                }
                Ok(())
            };
            // Every output of the outer runs of chunk `c`, each on this task.
            let outputs_of = |c: usize| -> Result<()> {
                let (mut bufs, mut scratch) = (new_bufs(), [S::ZERO; BLOCK]);
                // the block trees only when the outputs are not reduced by `rows`
                let mut trees: Option<[Pairwise<P>; GROUP]> = None;
                let mut run_outs: Option<[R; RUNS]> = None;
                let mut first = Ok(());
                split.visit(&outer, c, |ooff, olen, ost| {
                    // rows one after another in every input (or the same row for every output,
                    // or one value per row, written out as such rows, at most a tile's worth per
                    // call): whole runs of rows per call
                    let kinds = [$(runs_kind(is[$k - 1], ost[$k], row_len)),+];
                    let adjacent = kinds.iter().all(|k| *k == RunsKind::Adjacent);
                    // written-out rows only for rows under 64 elements, at most RUNS_TILE
                    // elements per call: rows of 64 with a broadcast row ran 25-35% slower
                    // through `runs` (32 KiB of written-out rows per call) than through `rows`
                    let written = row_len < 64
                        && kinds.contains(&RunsKind::Adjacent)
                        && !kinds.contains(&RunsKind::No);
                    if let (Some(runs), true) = (runs.filter(|_| row_ok && row_len > 0), adjacent || written) {
                        let outs = run_outs.get_or_insert([R::ZERO; RUNS]);
                        let per = if adjacent { RUNS } else { RUNS.min(RUNS_TILE / row_len).max(1) };
                        // broadcast rows: `per` copies in the input's tile, for every call below
                        // (one copy per row and call made sums of rows of 64 slower than the
                        // `rows` path: a memcpy call per row)
                        {
                            let ($($a,)+) = &mut bufs;
                            $(
                                if kinds[$k - 1] == RunsKind::Row {
                                    // SAFETY: `outer` and `inner` split the operand's own shape;
                                    // its row is the same for every output of this outer run
                                    // (ost == 0, `runs_kind`) and holds row_len unit-stride
                                    // elements (`row_ok`), borrowed for this statement only.
                                    let row = unsafe { std::slice::from_raw_parts($a.0.offset(ooff[$k] + row_off[$k - 1]), row_len) };
                                    fill_rows($a.2.rows().as_flattened_mut(), row, per);
                                }
                            )+
                        }
                        for j0 in (0..olen).step_by(per) {
                            let r = runs_of(&mut bufs, &mut scratch, (&ooff, &ost), olen, j0, (olen - j0).min(per), outs, runs);
                            if first.is_ok() {
                                first = r;
                            }
                        }
                        return;
                    }
                    for j0 in (0..olen).step_by(GROUP) {
                        let g = (olen - j0).min(GROUP);
                        let r = match rowwise {
                            Some(rows) => {
                                let mut outs = [R::ZERO; GROUP];
                                let r = rows_of(&mut bufs, &mut scratch, &ooff, &ost, j0, g, &mut outs, rows);
                                if r.is_ok() {
                                    for (jj, v) in outs.iter().enumerate().take(g) {
                                        let j = (j0 + jj) as isize;
                                        // SAFETY: as in `write`: `ooff[0] + j * ost[0]` (j < olen)
                                        // is an element of `out`, written once, by this task.
                                        unsafe { *out_base.get().offset(ooff[0] + j * ost[0]) = *v };
                                    }
                                }
                                r
                            }
                            None => {
                                let trees = trees.get_or_insert_with(|| [Pairwise::new(); GROUP]);
                                process(&mut bufs, &mut scratch, &ooff, &ost, j0, g, (0, blocks), trees);
                                write(&ooff, &ost, j0, &roots(trees, combine)[..g])
                            }
                        };
                        if first.is_ok() {
                            first = r;
                        }
                    }
                });
                first
            };
            // Outputs j0..j0 + g with their reduced range split into chunks of 2^L blocks.
            let chunked = |ooff: &[isize], ost: &[isize], j0: usize, g: usize| -> Result<()> {
                let size = chunk_blocks(blocks, tasks);
                let chunks = blocks.div_ceil(size);
                let slots: [OnceLock<[Option<P>; GROUP]>; MAX_CHUNKS] = [const { OnceLock::new() }; MAX_CHUNKS];
                parallel::run(chunks, tasks, &|c| {
                    let (mut bufs, mut scratch) = (new_bufs(), [S::ZERO; BLOCK]);
                    let mut trees: [Pairwise<P>; GROUP] = [Pairwise::new(); GROUP];
                    process(&mut bufs, &mut scratch, ooff, ost, j0, g, (c * size, ((c + 1) * size).min(blocks)), &mut trees);
                    let _ = slots[c].set(roots(&mut trees, combine));
                });
                let mut parts = [None; GROUP];
                for (jj, part) in parts.iter_mut().enumerate() {
                    let mut roots = Pairwise::new();
                    let mut last = None;
                    for (c, slot) in slots.iter().enumerate().take(chunks) {
                        let p = slot.get().and_then(|s| s[jj]);
                        match p {
                            Some(p) if (c + 1) * size <= blocks => roots.push(p, combine),
                            _ => last = p,
                        }
                    }
                    *part = roots.finish_onto(last, combine);
                }
                write(ooff, ost, j0, &parts[..g])
            };
            // A strip of outputs j0..j0 + w (w <= STRIP) with the reduced range split as in
            // `chunked`.
            let vchunked = |ooff: &[isize], ost: &[isize], j0: usize, w: usize, v: Accum<'_, P, $($A),+>| -> Result<()> {
                let size = chunk_blocks(blocks, tasks);
                let chunks = blocks.div_ceil(size);
                let slots: [OnceLock<[P; STRIP]>; MAX_CHUNKS] = [const { OnceLock::new() }; MAX_CHUNKS];
                parallel::run(chunks, tasks, &|c| {
                    let (mut bufs, mut tree, mut root) = (new_bufs(), PanelTree::new(w), [v.0; STRIP]);
                    vprocess(&mut bufs, ooff, ost, j0, w, (c * size, ((c + 1) * size).min(blocks)), &mut tree, v);
                    if let Some(r) = tree.finish(false, combine) {
                        root[..w].copy_from_slice(r);
                    }
                    let _ = slots[c].set(root);
                });
                let mut roots = PanelTree::new(w);
                let mut has_last = false;
                for (c, slot) in slots.iter().enumerate().take(chunks) {
                    let Some(p) = slot.get() else { continue };
                    roots.acc(v.0).copy_from_slice(&p[..w]);
                    if (c + 1) * size <= blocks {
                        roots.push(combine);
                    } else {
                        has_last = true;
                    }
                }
                vwrite(ooff, ost, j0, w, roots.finish(has_last, combine))
            };
            if !by_outputs && tasks > 1 && blocks > 1 {
                let mut first = Ok(());
                if let Some(v) = vert {
                    outer.for_each_row(|ooff, olen, ost| {
                        for j0 in (0..olen).step_by(STRIP) {
                            let r = vchunked(&ooff, &ost, j0, (olen - j0).min(STRIP), v);
                            if first.is_ok() {
                                first = r;
                            }
                        }
                    });
                    return first;
                }
                outer.for_each_row(|ooff, olen, ost| {
                    for j0 in (0..olen).step_by(GROUP) {
                        let r = chunked(&ooff, &ost, j0, (olen - j0).min(GROUP));
                        if first.is_ok() {
                            first = r;
                        }
                    }
                });
                return first;
            }
            let failed = Mutex::new(None);
            let tasks = if by_outputs { tasks } else { 1 };
            parallel::run(split.chunks(), tasks, &|c| {
                keep_first(&failed, c, match vert {
                    Some(v) => strips_of(c, v),
                    None => outputs_of(c),
                })
            });
            match failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Some((_, e)) => Err(e),
                None => Ok(()),
            }
        }
    };
}

reduce_driver!(reduce1, 1; A1 a1 1);
reduce_driver!(reduce2, 2; A1 a1 1, A2 a2 2);
reduce_driver!(reduce3, 3; A1 a1 1, A2 a2 2, A3 a3 3);
reduce_driver!(reduce4, 4; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4);
reduce_driver!(reduce5, 5; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5);
reduce_driver!(reduce6, 6; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6);
reduce_driver!(reduce7, 7; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7);
reduce_driver!(reduce8, 8; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7, A8 a8 8);
