//! Elementwise drivers: `zipN` (write-only outputs) and `zipN_rw` (read-modify-write).

use super::ahead;
use super::nest::{read_block, BlockBuf, Nest, Split};
use super::tile::{self, TILE_COLS, TILE_ROWS};
use super::{footprint, prefetch_l2, stream_output, Shared, SharedMut, BLOCK};
use crate::diagnostics::{self, PassInfo};
use crate::element::Element;
use crate::error::{bail, Result};
use crate::parallel::{self, MIN_TASK_BYTES};
use crate::view::{ArrayView, ArrayViewMut};
use array_expr_kernels::mem::{self, Streamer};
use std::mem::size_of;

/// How many tiles ahead a tiled pass over memory fetches its rows and columns (into L2): two
/// tiles on, 4096² `a + b.T` ran 12.0-12.6 ms against 13.2-13.9 one tile on, and 12.4-12.7 three
/// tiles on (one thread, alternating in one process).
const FETCH_TILES: usize = 2;

/// Bytes of the widest vector a kernel stores (`f32x8`, `f64x4`, `i32x8`, ...): a block whose
/// output starts on this boundary streams every whole vector (see [`Streamer::store`]).
const VECTOR_BYTES: usize = 32;

/// The second sentence of a zip driver's docs.
macro_rules! rw_doc {
    (true) => {
        ", the output block holding the output's current values when the kernel runs (in-place updates such as `x += y`)."
    };
    (false) => {
        "; the output block's previous contents are unspecified (the kernel overwrites it)."
    };
}

/// Elements `from..from + count` of one operand's run at `off` with stride `stride`, as the
/// kernel reads them: borrowed in place when `direct` (the run is unit-stride, or stride 0 for
/// the splat kernel, which then gets its one element), otherwise staged in `buf`.
///
/// # Safety
///
/// Every element `off + (from + i) * stride`, `i < count`, of `base` is valid for the borrow;
/// `direct` implies a stride of 0 or 1; otherwise `count <= BLOCK` (as [`read_block`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn run_part<A: Element>(
    base: *const A,
    buf: &mut BlockBuf<A>,
    off: isize,
    stride: isize,
    from: usize,
    count: usize,
    direct: bool,
) -> &[A] {
    let at = off + from as isize * stride;
    if direct {
        // SAFETY: stride 1: count consecutive valid elements from `at`; stride 0: the one
        // element at `at` (valid as element 0 of the run), by the caller's contract.
        unsafe { std::slice::from_raw_parts(base.offset(at), if stride == 0 { 1 } else { count }) }
    } else {
        // SAFETY: the caller's contract is `read_block`'s.
        unsafe { read_block(base, buf, at, count, stride) }
    }
}

macro_rules! zip_driver {
    ($name:ident, $splat:ident, $inner:ident, $rw:tt, $count:literal; $($A:ident $a:ident $k:tt),+) => {
        #[doc = concat!("Runs `kernel(out_block, streamer, input_blocks...)` over every block of a pass with ", $count, " input(s)")]
        #[doc = rw_doc!($rw)]
        ///
        /// `streamer` is `Some` when the kernel should write `out_block` with
        /// [`Streamer::store`] (non-temporal stores, see the [module docs](super)): a large
        /// write-mostly pass over unit-stride output runs. The block then starts on a vector
        /// boundary of memory (the driver hands the few elements before it over with `None`), so
        /// every whole vector of the block streams. A kernel may ignore it and store normally.
        ///
        /// Large passes run on several threads (see the [module docs](super)); the kernel may
        /// then be called from several threads at once, on disjoint blocks. `cost` is the
        /// kernel's compute per element beyond its memory traffic, in bytes-equivalent (0 for a
        /// plain copy, 32 per transcendental function): it lets compute-heavy passes split at
        /// sizes where a memory-bound one would not pay for threads.
        ///
        /// # Errors
        ///
        /// An operand's shape differs from `out`'s (the generated code broadcasts first).
        #[allow(clippy::too_many_arguments)]
        pub fn $name<O: Element, $($A: Element,)+ const D: usize>(
            out: &mut ArrayViewMut<'_, O, D>,
            $($a: &ArrayView<'_, $A, D>,)+
            cost: usize,
            kernel: &(dyn Fn(&mut [O], Option<&Streamer>, $(&[$A]),+) + Sync),
        ) -> Result<()> {
            $inner(out, $($a,)+ cost, kernel, None)
        }

        #[doc = concat!("Like [`", stringify!($name), "`], with a second kernel for runs along which the inputs of `splat` (bit k - 1 for input k) each hold one value")]
        /// (broadcast along the runs, such as `x[:, newaxis]` in a C-order pass) and every
        /// other input and the output are unit-stride: `splat_kernel` then gets whole runs,
        /// those inputs as one-element slices (their value), where `kernel` would get blocks
        /// of at most [`BLOCK`](super::BLOCK) with the value repeated in a buffer. Both
        /// kernels must compute the same values; which one runs depends on the layouts only.
        ///
        /// # Errors
        ///
        #[doc = concat!("As [`", stringify!($name), "`].")]
        #[allow(clippy::too_many_arguments)]
        pub fn $splat<O: Element, $($A: Element,)+ const D: usize>(
            out: &mut ArrayViewMut<'_, O, D>,
            $($a: &ArrayView<'_, $A, D>,)+
            cost: usize,
            kernel: &(dyn Fn(&mut [O], Option<&Streamer>, $(&[$A]),+) + Sync),
            splat: u32,
            splat_kernel: &(dyn Fn(&mut [O], Option<&Streamer>, $(&[$A]),+) + Sync),
        ) -> Result<()> {
            $inner(out, $($a,)+ cost, kernel, Some((splat, splat_kernel)))
        }

        #[allow(clippy::too_many_arguments, clippy::type_complexity)]
        fn $inner<O: Element, $($A: Element,)+ const D: usize>(
            out: &mut ArrayViewMut<'_, O, D>,
            $($a: &ArrayView<'_, $A, D>,)+
            cost: usize,
            kernel: &(dyn Fn(&mut [O], Option<&Streamer>, $(&[$A]),+) + Sync),
            splat: Option<(u32, &(dyn Fn(&mut [O], Option<&Streamer>, $(&[$A]),+) + Sync))>,
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
            let elements = nest.elements();
            let traffic = elements.saturating_mul(cost + size_of::<O>() $(+ size_of::<$A>())+);
            let tasks = parallel::tasks_for(traffic, MIN_TASK_BYTES);
            let split = Split::new(&nest, tasks, BLOCK);
            let st = nest.inner_strides();
            // the splat kernel runs when exactly its inputs are constant along the runs and
            // everything else (the output too) is unit-stride
            let splat = splat.filter(|(mask, _)| {
                st[0] == 1 && (1..st.len()).all(|k| st[k] == if mask >> (k - 1) & 1 == 1 { 0 } else { 1 })
            });
            let kernel = splat.map_or(kernel, |(_, k)| k);
            let written = elements * size_of::<O>();
            let read_in = 0 $(+ footprint($a))+;
            // write-mostly passes stream from STREAM_MIN_BYTES of output, passes that read as
            // much as they write from STREAM_RW_MIN_BYTES (see the module docs)
            let stream = !$rw
                && (read_in <= written / 2 || written >= super::STREAM_RW_MIN_BYTES)
                && stream_output::<O>(elements, nest.inner_len(), st[0]);
            let _pass = diagnostics::pass(PassInfo {
                driver: stringify!($name),
                dtype: O::DTYPE,
                shape: &shape,
                contiguous: nest.rows() <= 1 && st.iter().all(|&s| s == 1),
                elements,
                read: read_in + if $rw { written } else { 0 },
                written,
                threads: tasks.min(split.chunks()),
            });
            let out_base = SharedMut(out.as_mut_ptr());
            $(let $a = Shared($a.as_ptr());)+
            // Writes the kernel's result for `n` elements of the output run at `o_off`.
            let run_kernel = |obuf: &mut [O; BLOCK], o_off: isize, n: usize, ins: ($(&[$A],)+)| {
                let ($($a,)+) = ins;
                if st[0] == 1 {
                    // SAFETY: the output run is n consecutive elements of `out` (stride 1),
                    // exclusive (ArrayViewMut never aliases, and the chunks partition the
                    // nest, so no other task touches them) and disjoint from the inputs,
                    // which are shared borrows of other memory (`&mut` excludes aliasing).
                    let o = unsafe { std::slice::from_raw_parts_mut(out_base.get().offset(o_off), n) };
                    kernel(o, None, $($a),+);
                    return;
                }
                if $rw {
                    for (i, slot) in obuf[..n].iter_mut().enumerate() {
                        // SAFETY: element i < n of the output run is a valid element, touched
                        // by this task only (as above).
                        *slot = unsafe { *out_base.get().offset(o_off + i as isize * st[0]) };
                    }
                }
                kernel(&mut obuf[..n], None, $($a),+);
                for (i, v) in obuf[..n].iter().enumerate() {
                    // SAFETY: element i < n of the output run is a valid, exclusive element,
                    // touched by this task only (as above).
                    unsafe { *out_base.get().offset(o_off + i as isize * st[0]) = *v };
                }
            };
            // Tiled: an input that walks a new page per element along the runs but is
            // unit-stride across them (a transposed operand) is gathered TILE_ROWS runs at a
            // time, reading up to TILE_ROWS consecutive elements per column, `tw` columns into
            // an L1 tile; the kernel then runs row by row over the tile. The result does not
            // depend on the path.
            let (rlen, s2) = nest.second();
            let tmask = [false $(, st[$k].unsigned_abs() >= 16 && s2[$k] == 1)+];
            if tmask.contains(&true) && nest.inner_len() >= 16 && rlen >= 16 {
                // Panels of TILE_ROWS runs, the first of each group shortened so that the later
                // ones start on a cache line of the (first) gathered operand's columns when
                // all its columns are whole lines apart: each column segment then reads
                // whole lines only, where one line in five was read twice, by two panels
                // far apart in time.
                let first = {
                    let (_, off0) = nest.row_start(0);
                    let mut first = TILE_ROWS;
                    let mut seen = false;
                    $(if tmask[$k] && !seen {
                        seen = true;
                        let size = size_of::<$A>().max(1);
                        let line = 64 / size;
                        if line * size == 64 && line < TILE_ROWS && st[$k].unsigned_abs() % line == 0 {
                            let h = $a.get().wrapping_offset(off0[$k]).align_offset(64);
                            if h > 0 && h < line {
                                first = h + TILE_ROWS - line;
                            }
                        }
                    })+
                    let _ = seen;
                    first
                };
                let tiles = 1 + rlen.saturating_sub(first).div_ceil(TILE_ROWS);
                // A pass over memory (not cache) gets longer tiles and fetches the next
                // tile's rows and columns ahead; in cache, that bookkeeping (about 100
                // instructions per run of 64 elements) only cost time: 256² `a + b.T` 12%.
                let far = written >= super::STREAM_MIN_BYTES;
                // columns per tile, the same for every operand
                let tw = tile::tile_cols(size_of::<O>() $(.max(size_of::<$A>()))+, far);
                // lines to fetch ahead per run, for the output and each operand read along
                // the runs (unit stride)
                let lines = |s: isize, size: usize| if s == 1 { (tw * size).div_ceil(64) } else { 0 };
                let ahead = [lines(st[0], size_of::<O>()) $(, lines(st[$k], size_of::<$A>()))+];
                // the first run (within its group) and the number of runs of panel q; a last
                // panel of fewer than 8 runs (too few for the gather's transposed blocks)
                // shares the runs of the two last panels evenly with the one before it
                let start = |q: usize| if q == 0 { 0 } else { (first + (q - 1) * TILE_ROWS).min(rlen) };
                let split_last = tiles >= 2 && rlen - start(tiles - 1) < 8;
                let panel = |q: usize| {
                    // start(tiles) is rlen: the last panel ends the group
                    let (mut s, mut e) = (start(q), start(q + 1));
                    if split_last && q + 2 >= tiles {
                        let mid = start(tiles - 2) + (rlen - start(tiles - 2)) / 2;
                        (s, e) = if q + 1 == tiles { (mid, rlen) } else { (s, mid) };
                    }
                    (s, e - s)
                };
                let panels = nest.rows() / rlen * tiles;
                let per = panels.div_ceil(if tasks <= 1 { 1 } else { tasks * 4 }).max(1);
                let len = nest.inner_len();
                // Streaming: every output row of a panel starts the same distance `h` before
                // a cache-line boundary when the rows are whole lines apart, and the tile's
                // column ranges then start at h + k tw, so each segment but the row's first
                // and last covers whole lines and streams them (no read for ownership of the
                // output). A transposed `a + b.T`, 4096², alternating: see BENCHMARKS.md.
                let line_elems = 64 / size_of::<O>().max(1);
                let tile_stream =
                    stream && line_elems * size_of::<O>() == 64 && s2[0].unsigned_abs() % line_elems == 0;
                parallel::run(panels.div_ceil(per), tasks, &|c| {
                    $(let mut $a = ($a.get(), BlockBuf::<$A>::new(), [<$A as Element>::ZERO; TILE_COLS * TILE_ROWS]);)+
                    let mut obuf = [O::ZERO; BLOCK];
                    let mut panel_work = |s: Option<&Streamer>| for p in c * per..((c + 1) * per).min(panels) {
                        let (r0, rows) = panel(p % tiles);
                        let (_, off) = nest.row_start(p / tiles * rlen + r0);
                        // the columns before the first line boundary of the panel's rows (all
                        // rows alike, see `tile_stream`), then tw at a time
                        let h = if s.is_some() { out_base.get().wrapping_offset(off[0]).align_offset(64).min(len) } else { 0 };
                        // next-tile columns to prefetch per row, so that the rows cover them
                        let share = tw.div_ceil(rows.max(1));
                        let mut c0 = 0usize;
                        while c0 < len {
                            let n = if c0 < h { h - c0 } else { (len - c0).min(tw) };
                            $(if tmask[$k] {
                                // SAFETY: rows r0 + r < rlen (r < rows) of the
                                // nest's second axis (stride s2 = 1) and columns c0 + c < len
                                // (c < n) of its innermost one, within the run group that
                                // starts at `off`, are elements of operand k (the nest was
                                // planned over it); n <= tw <= TILE_COLS, rows <= TILE_ROWS.
                                unsafe { tile::gather(&mut $a.2, $a.0, off[$k], st[$k], c0..c0 + n, rows, tw) };
                            })+
                            // the elements of row 0 of this tile (the rows follow s2 apart)
                            let mut at = off;
                            for (k, a) in at.iter_mut().enumerate() {
                                *a += c0 as isize * st[k];
                            }
                            for ri in 0..rows {
                                if far {
                                    // this run's segment FETCH_TILES tiles on, for the
                                    // operands read along it and the output (unless
                                    // streamed): 64 runs apart, each on its own page, they
                                    // get no help from the hardware prefetcher. Into L2: into
                                    // L1, the fetches held its miss buffers and the loads
                                    // waited for them (4096² `a + b.T` 15.1-15.3 ms against
                                    // 12.1-12.5 into L2, one tile ahead).
                                    if s.is_none() {
                                        prefetch_l2(out_base.get().wrapping_offset(at[0] + (FETCH_TILES * tw) as isize), ahead[0]);
                                    }
                                    $(if !tmask[$k] { prefetch_l2($a.0.wrapping_offset(at[$k] + (FETCH_TILES * tw) as isize), ahead[$k]); })+
                                    // and this row's share of that tile's columns of each
                                    // gathered operand (each column on a page of its own; a
                                    // fetch 8 columns ahead inside the gather came too late
                                    // for most of them)
                                    let from = c0 + n + (FETCH_TILES - 1) * tw;
                                    let (lo, hi) = (from + ri * share, (from + (ri + 1) * share).min(from + tw).min(len));
                                    $(if tmask[$k] {
                                        for j in lo..hi {
                                            prefetch_l2($a.0.wrapping_offset(off[$k] + j as isize * st[$k]), (rows * size_of::<$A>()).div_ceil(64));
                                        }
                                    })+
                                }
                                // SAFETY: row ri of the tile is a run of the nest (as above);
                                // its elements c0..c0 + n are elements of operand k; n <= BLOCK.
                                let ins = ($(if tmask[$k] { &$a.2[ri * tw..][..n] } else { unsafe { read_block($a.0, &mut $a.1, at[$k], n, st[$k]) } },)+);
                                match s {
                                    Some(s) if c0 >= h => {
                                        // SAFETY: streaming implies a unit output stride
                                        // (`stream_output`), so the segment is n consecutive
                                        // elements of `out`, exclusive to this task (as in
                                        // `run_kernel`).
                                        let o = unsafe { std::slice::from_raw_parts_mut(out_base.get().offset(at[0]), n) };
                                        let ($($a,)+) = ins;
                                        kernel(o, Some(s), $($a),+);
                                    }
                                    _ => run_kernel(&mut obuf, at[0], n, ins),
                                }
                                for (k, a) in at.iter_mut().enumerate() {
                                    *a += s2[k];
                                }
                            }
                            c0 += n;
                        }
                    };
                    if tile_stream {
                        // one store fence per task, when the streamer's scope ends
                        mem::streaming(|s| panel_work(Some(s)));
                    } else {
                        panel_work(None);
                    }
                });
                return Ok(());
            }
            // every operand (the output too) unit-stride along the runs, or read as one value
            // per run by the splat kernel: slices of the run (one element for those)
            let unit = splat.is_some() || st.iter().all(|&s| s == 1);
            parallel::run(split.chunks(), tasks, &|c| {
                $(let mut $a = ($a.get(), BlockBuf::<$A>::new());)+
                let mut obuf = [O::ZERO; BLOCK];
                // inside a row-local schedule: fetch the next block's rows (inputs and output)
                // piece by piece while this pass computes (see the `ahead` module)
                let reading_ahead = ahead::pending();
                // Streaming, the vector where one output run ends and the next begins (rows
                // of a C-order output whose start is off a vector boundary): the end of the
                // first run is computed into `join[..t]` (`pending` = its end offset and t),
                // the start of the next into the rest, and the vector streams whole. Stored
                // normally, it cost a row-broadcast map (4096-column rows) 10-15%: that line
                // was read for ownership and then also written by the streaming stores beside
                // it, once per row.
                let (mut join, mut whole) = ([O::ZERO; VECTOR_BYTES], [O::ZERO; VECTOR_BYTES]);
                let lanes = VECTOR_BYTES / size_of::<O>().max(1);
                let mut pending: Option<(isize, usize)> = None;
                // Visits this task's runs, block by block; with `s`, each block's output is
                // written by the kernel through the streamer, straight from its registers.
                let mut visit = |s: Option<&Streamer>| split.visit(&nest, c, |off, len, st| {
                    // when every operand is unit-stride along the run, the kernel gets the
                    // whole rest of it in one call (no buffers to fill, and a call per 512
                    // elements cost a memory-bound map 10-25% on one thread)
                    let most = match (unit, reading_ahead) {
                        (true, false) => len,
                        (true, true) => ahead::PIECE,
                        (false, _) => BLOCK,
                    };
                    let Some(s) = s else {
                        // ordinary stores: the run in pieces of `most`, with no streaming
                        // bookkeeping (short rows pay for every instruction per run)
                        let mut done = 0usize;
                        while done < len {
                            let n = (len - done).min(most);
                            if reading_ahead {
                                ahead::step(n);
                            }
                            // SAFETY: as for the streaming pieces below (from = done, count = n).
                            let ins = ($(unsafe { run_part($a.0, &mut $a.1, off[$k], st[$k], done, n, unit) },)+);
                            run_kernel(&mut obuf, off[0] + done as isize * st[0], n, ins);
                            done += n;
                        }
                        return;
                    };
                    // streaming: the elements before the output's first vector boundary
                    // first, stored normally (or joined to the previous run's end), so every
                    // later block starts on a boundary and streams whole vectors, and the
                    // elements after the last whole vector last, kept for the next run (an
                    // elementwise kernel's result does not depend on where a block starts)
                    // SAFETY: the output run's first element, an element of `out`.
                    let head = unsafe { out_base.get().offset(off[0]) }.align_offset(VECTOR_BYTES).min(len);
                    let body_end = if len > head { len - (len - head) % lanes } else { len };
                    // whether this run's head completes the previous run's last vector
                    let joined = match pending.take() {
                        Some((end, t)) if end == off[0] && head > 0 && t + head == lanes => Some(t),
                        Some((end, t)) => {
                            // SAFETY: elements end - t .. end of `out` are the previous run's
                            // last t elements (unit stride), exclusive to this task.
                            unsafe { std::slice::from_raw_parts_mut(out_base.get().offset(end - t as isize), t) }
                                .copy_from_slice(&join[..t]);
                            None
                        }
                        None => None,
                    };
                    let mut done = 0usize;
                    while done < len {
                        let n = if done < head {
                            head
                        } else if done >= body_end {
                            len - done
                        } else {
                            (body_end - done).min(most)
                        };
                        if reading_ahead {
                            ahead::step(n);
                        }
                        // the pieces kept in `join` are computed as one whole vector of the
                        // run (its first or its last) when the run holds one, and the part
                        // needed taken from it: a partial vector's loads cost more than the
                        // lanes computed twice (a non-read-modify-write pass: the output is
                        // not an input, so computing an element twice is harmless)
                        let stash = (done < head && joined.is_some()) || done >= body_end;
                        let (from, count) = match (stash, len >= lanes) {
                            (true, true) if done < head => (0, lanes),
                            (true, true) => (len - lanes, lanes),
                            _ => (done, n),
                        };
                        // SAFETY: the nest was planned over the views' own shape and strides,
                        // so every element of this run (offset off[k] + (from + i) * st[k],
                        // i < count, from + count <= len) is an element of operand k, and in
                        // `unit` mode every stride is 0 or 1; count <= BLOCK otherwise.
                        let ins = ($(unsafe { run_part($a.0, &mut $a.1, off[$k], st[$k], from, count, unit) },)+);
                        let o_off = off[0] + from as isize * st[0];
                        match joined {
                            Some(t) if done < head => {
                                let ($($a,)+) = ins;
                                // elements 0 .. count (count >= n = head) of the run
                                kernel(&mut whole[..count], None, $($a),+);
                                join[t..t + n].copy_from_slice(&whole[..n]);
                                // SAFETY: the previous run ended at off[0] (unit stride), so
                                // elements off[0] - t .. off[0] + n of `out` are its last t
                                // and this run's first n = lanes - t, exclusive to this task.
                                let o = unsafe { std::slice::from_raw_parts_mut(out_base.get().offset(off[0] - t as isize), lanes) };
                                s.copy(o, &join[..lanes]);
                            }
                            _ if done >= body_end => {
                                let ($($a,)+) = ins;
                                // elements len - count .. len (count >= n) of the run
                                kernel(&mut whole[..count], None, $($a),+);
                                join[..n].copy_from_slice(&whole[count - n..count]);
                                pending = Some((off[0] + len as isize, n));
                            }
                            _ if done >= head => {
                                // SAFETY: streaming implies a unit output stride
                                // (`stream_output`), so the block is n consecutive elements
                                // of `out`, exclusive to this task (as in `run_kernel`).
                                let o = unsafe { std::slice::from_raw_parts_mut(out_base.get().offset(o_off), n) };
                                let ($($a,)+) = ins;
                                kernel(o, Some(s), $($a),+);
                            }
                            _ => run_kernel(&mut obuf, o_off, n, ins),
                        }
                        done += n;
                    }
                });
                if stream {
                    // one store fence per task, when the streamer's scope ends
                    mem::streaming(|s| visit(Some(s)));
                } else {
                    visit(None);
                }
                if let Some((end, t)) = pending {
                    // SAFETY: as for the flush in `visit`: the last run's last t elements.
                    unsafe { std::slice::from_raw_parts_mut(out_base.get().offset(end - t as isize), t) }
                        .copy_from_slice(&join[..t]);
                }
            });
            Ok(())
        }
    };
}

zip_driver!(zip1, zip1_splat, zip1_impl, false, 1; A1 a1 1);
zip_driver!(zip1_rw, zip1_rw_splat, zip1_rw_impl, true, 1; A1 a1 1);
zip_driver!(zip2, zip2_splat, zip2_impl, false, 2; A1 a1 1, A2 a2 2);
zip_driver!(zip2_rw, zip2_rw_splat, zip2_rw_impl, true, 2; A1 a1 1, A2 a2 2);
zip_driver!(zip3, zip3_splat, zip3_impl, false, 3; A1 a1 1, A2 a2 2, A3 a3 3);
zip_driver!(zip3_rw, zip3_rw_splat, zip3_rw_impl, true, 3; A1 a1 1, A2 a2 2, A3 a3 3);
zip_driver!(zip4, zip4_splat, zip4_impl, false, 4; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4);
zip_driver!(zip4_rw, zip4_rw_splat, zip4_rw_impl, true, 4; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4);
zip_driver!(zip5, zip5_splat, zip5_impl, false, 5; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5);
zip_driver!(zip5_rw, zip5_rw_splat, zip5_rw_impl, true, 5; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5);
zip_driver!(zip6, zip6_splat, zip6_impl, false, 6; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6);
zip_driver!(zip6_rw, zip6_rw_splat, zip6_rw_impl, true, 6; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6);
zip_driver!(zip7, zip7_splat, zip7_impl, false, 7; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7);
zip_driver!(zip7_rw, zip7_rw_splat, zip7_rw_impl, true, 7; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7);
zip_driver!(zip8, zip8_splat, zip8_impl, false, 8; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7, A8 a8 8);
zip_driver!(zip8_rw, zip8_rw_splat, zip8_rw_impl, true, 8; A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7, A8 a8 8);
