//! The row-block driver: runs every pass of a row-local schedule block of rows by block of
//! rows, the blocks spread over the thread budget.

use super::ahead::{self, RowsAhead};
use super::SharedMut;
use crate::element::Element;
use crate::error::{bail, Error, Result};
use crate::parallel::{self, MIN_TASK_BYTES};
use crate::view::ArrayViewMut;
use std::marker::PhantomData;
use std::sync::Mutex;

/// Bytes of one row block of the output: with the block of a same-shaped input and the small
/// temporaries, a block stays in a 512 KiB L2 cache between passes, leaving room for the
/// hardware prefetcher's lines.
pub const ROW_BLOCK_BYTES: usize = 64 << 10;

/// Fewest rows in a block; the last block takes the remainder when fewer would be left. The
/// reduce drivers choose the vertical path for at least 8 kept outputs, so a block must not be
/// shorter than that where the whole array is not, or its rows would be summed in another order.
pub const MIN_BLOCK_ROWS: usize = 8;

/// One array split by rows: its base pointer and geometry, borrowed exclusively for `'a`.
pub struct RowsOf<'a, T, const D: usize> {
    ptr: SharedMut<T>,
    shape: [usize; D],
    strides: [isize; D],
    life: PhantomData<&'a mut T>,
}

impl<'a, T: Element, const D: usize> RowsOf<'a, T, D> {
    fn new(mut v: ArrayViewMut<'a, T, D>) -> Self {
        RowsOf { ptr: SharedMut(v.as_mut_ptr()), shape: v.shape(), strides: v.strides(), life: PhantomData }
    }

    /// Its rows, for the read-ahead.
    fn ahead(&self) -> Option<RowsAhead> {
        RowsAhead::raw(self.ptr.get() as usize, &self.shape, &self.strides, std::mem::size_of::<T>())
    }

    fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }

    /// Rows `r0..r1` as a view of their own.
    ///
    /// # Safety
    ///
    /// `r0 <= r1 <= self.rows()`, and no other live view returned by this method covers any of
    /// these rows.
    unsafe fn block(&self, r0: usize, r1: usize) -> ArrayViewMut<'a, T, D> {
        let mut shape = self.shape;
        let mut offset = 0isize;
        if let (Some(n), Some(s)) = (shape.first_mut(), self.strides.first()) {
            *n = r1 - r0;
            offset = r0 as isize * s;
        }
        // SAFETY: rows r0..r1 of the view the pointer came from (r1 <= rows, the caller's
        // contract), so the offset stays inside it (`wrapping_offset` when the block is empty);
        // the view was borrowed exclusively for 'a and no other live block shares these rows
        // (the caller's contract), so the new view is the only access to its elements.
        unsafe {
            let base = if r1 > r0 { self.ptr.get().offset(offset) } else { self.ptr.get() };
            ArrayViewMut::from_raw_parts(base, shape, self.strides)
        }
    }
}

/// The mutable arrays a row-block schedule writes (its output and temporaries), each split by
/// rows: a tuple of one to eight [`ArrayViewMut`] of the same rank.
pub trait RowParts<'a>: Sized {
    /// The split arrays, shared by the tasks.
    type Split: Sync;
    /// One block of rows of each array.
    type Block;
    /// The rows of the first array (the schedule's output), for the read-ahead.
    fn output_ahead(split: &Self::Split) -> Option<RowsAhead>;
    /// Splits the arrays; an error if their numbers of rows differ.
    fn split(self) -> Result<(usize, Self::Split)>;
    /// Rows `r0..r1` of every array.
    ///
    /// # Safety
    ///
    /// `r0 <= r1 <=` the row count, and the rows are in no other live block.
    unsafe fn block(split: &Self::Split, r0: usize, r1: usize) -> Self::Block;
}

macro_rules! row_parts {
    ($($T:ident $k:tt),+) => {
        impl<'a, $($T: Element,)+ const D: usize> RowParts<'a> for ($(ArrayViewMut<'a, $T, D>,)+) {
            type Split = ($(RowsOf<'a, $T, D>,)+);
            type Block = ($(ArrayViewMut<'a, $T, D>,)+);
            fn output_ahead(split: &Self::Split) -> Option<RowsAhead> {
                split.0.ahead()
            }
            fn split(self) -> Result<(usize, Self::Split)> {
                let split = ($(RowsOf::new(self.$k),)+);
                let rows = [$(split.$k.rows()),+];
                if rows.iter().any(|&r| r != rows[0]) {
                    bail!(ShapeMismatch, "internal error: row blocks of arrays with {:?} rows; please report", rows);
                }
                Ok((rows[0], split))
            }
            unsafe fn block(split: &Self::Split, r0: usize, r1: usize) -> Self::Block {
                // SAFETY: the caller's contract, for every array of the tuple.
                unsafe { ($(split.$k.block(r0, r1),)+) }
            }
        }
    };
}

row_parts!(A 0);
row_parts!(A 0, B 1);
row_parts!(A 0, B 1, C 2);
row_parts!(A 0, B 1, C 2, E 3);
row_parts!(A 0, B 1, C 2, E 3, F 4);
row_parts!(A 0, B 1, C 2, E 3, F 4, G 5);
row_parts!(A 0, B 1, C 2, E 3, F 4, G 5, H 6);
row_parts!(A 0, B 1, C 2, E 3, F 4, G 5, H 6, I 7);

/// Where row block `r0..` ends when blocks have `rb` rows out of `n`: never leaving fewer than
/// [`MIN_BLOCK_ROWS`] rows for the last block.
fn block_end(r0: usize, rb: usize, n: usize) -> usize {
    match r0 + rb {
        e if e + MIN_BLOCK_ROWS > n => n,
        e => e,
    }
}

/// Runs `body(r0, r1, blocks)` for consecutive blocks of rows `r0..r1` covering axis 0 of the
/// arrays in `parts` (the schedule's output and temporaries; `blocks` are their rows `r0..r1`).
///
/// A block has about [`ROW_BLOCK_BYTES`] of output (`row_bytes` per row, at least
/// [`MIN_BLOCK_ROWS`] rows); where the blocks fall depends on the shape only. When the pass
/// pays for threads (`row_traffic` bytes of memory traffic per row) and there are at least as
/// many blocks as tasks, the blocks spread over the thread budget, each task running all the
/// passes of its blocks single-threaded; otherwise they run in order on the calling thread
/// (whose passes may then split themselves). Each block computes the same values either way,
/// so results are bit-identical for every thread count.
///
/// `ahead` lists the schedule's inputs split by the same rows (`None` for one whose rows are
/// not contiguous, see [`RowsAhead::of`]): on the calling thread, while a block runs, its
/// elementwise passes fetch the next block of these into the cache a few KiB at a time (see
/// the `ahead` module), so memory works while the block computes.
///
/// # Errors
///
/// An internal error if the arrays' row counts differ; otherwise the error `body` returns
/// for the lowest block that failed.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{driver::row_blocks, Array};
/// let mut a = Array::<f32, 2>::zeros([20, 3]);
/// row_blocks((a.view_mut(),), 12, 24, &[], &|r0, _r1, (mut rows,)| {
///     rows.fill(r0 as f32);
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(a.view().get([19, 2]), Some(&0.0)); // one block: 20 rows of 12 bytes
/// ```
pub fn row_blocks<'a, P: RowParts<'a>>(
    parts: P,
    row_bytes: usize,
    row_traffic: usize,
    ahead: &[Option<RowsAhead>],
    body: &(dyn Fn(usize, usize, P::Block) -> Result<()> + Sync),
) -> Result<()> {
    let (n, split) = parts.split()?;
    let rb = (ROW_BLOCK_BYTES / row_bytes.max(1)).max(MIN_BLOCK_ROWS);
    let mut starts = 0usize;
    let mut r = 0;
    while r < n {
        r = block_end(r, rb, n);
        starts += 1;
    }
    let tasks = parallel::tasks_for(n.saturating_mul(row_traffic), MIN_TASK_BYTES);
    if tasks <= 1 || starts < tasks {
        let _clear = ahead::ClearOnDrop;
        let mut r0 = 0;
        while r0 < n {
            let r1 = block_end(r0, rb, n);
            let r2 = if r1 < n { block_end(r1, rb, n) } else { r1 };
            ahead::queue_rows(ahead, P::output_ahead(&split), r1, r2);
            // SAFETY: r0 < r1 <= n, and the blocks of this loop are disjoint and used one
            // after the other (each is dropped when `body` returns).
            body(r0, r1, unsafe { P::block(&split, r0, r1) })?;
            r0 = r1;
        }
        return Ok(());
    }
    let failed: Mutex<Option<(usize, Error)>> = Mutex::new(None);
    parallel::run(starts, tasks, &|c| {
        // the row-by-row path queues rows on this worker's queue: none outlives the block
        let _clear = ahead::ClearOnDrop;
        let r0 = c * rb;
        let r1 = block_end(r0, rb, n);
        // SAFETY: block c is rows c·rb..block_end (r1 <= n); `run` hands each chunk to
        // exactly one task once, and blocks of distinct chunks are disjoint row ranges.
        let block = unsafe { P::block(&split, r0, r1) };
        if let Err(e) = parallel::with_threads(1, || body(r0, r1, block)) {
            let mut slot = failed.lock().unwrap_or_else(|p| p.into_inner());
            if slot.as_ref().is_none_or(|(k, _)| c < *k) {
                *slot = Some((c, e));
            }
        }
    });
    match failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::Array;

    /// Every row gets the start of its block, on any thread count; the last block is never
    /// shorter than the minimum.
    #[test]
    fn blocks_cover_every_row_once() {
        for n in [0, 1, 7, 8, 9, 40, 47, 48, 1000] {
            for t in [1, 2, 3, 8] {
                let mut a = Array::<u32, 2>::zeros([n, 2048]);
                let mut b = Array::<u8, 2>::zeros([n, 1]);
                let r = parallel::with_threads(t, || {
                    row_blocks((a.view_mut(), b.view_mut()), 8192, 1 << 20, &[], &|r0, r1, (mut x, mut y)| {
                        assert_eq!(x.shape(), [r1 - r0, 2048]);
                        x.for_each_mut(|v| *v += r0 as u32 + 1);
                        y.for_each_mut(|v| *v += 1);
                        Ok(())
                    })
                });
                assert!(r.is_ok());
                // 8-row blocks; the last one starts 8 to 15 rows before the end
                let last = if n < 16 { 0 } else { (n - 16) / 8 * 8 + 8 };
                let want: Vec<u32> = (0..n).map(|i| (i / 8 * 8).min(last) as u32 + 1).collect();
                let firsts: Vec<u32> = (0..n).map(|i| *a.view().get([i, 2047]).unwrap_or(&0)).collect();
                assert_eq!(firsts, want, "n {n}, {t} threads");
                assert!(b.view().to_vec().iter().all(|&v| v == 1));
            }
        }
    }

    #[test]
    fn the_lowest_failing_block_reports() {
        let mut a = Array::<f64, 2>::zeros([64, 1024]);
        let r = parallel::with_threads(4, || {
            row_blocks((a.view_mut(),), 8192, 1 << 20, &[], &|r0, _, _| match r0 {
                16 | 40 => Err(Error::new(crate::error::ErrorKind::InvalidArgument, format!("block {r0}"))),
                _ => Ok(()),
            })
        });
        assert_eq!(r.map_err(|e| e.to_string()), Err("block 16".to_string()));
    }

    #[test]
    fn row_counts_must_agree() {
        let (mut a, mut b) = (Array::<f32, 2>::zeros([4, 2]), Array::<f32, 2>::zeros([5, 1]));
        let r = row_blocks((a.view_mut(), b.view_mut()), 8, 16, &[], &|_, _, _| Ok(()));
        let msg = r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("row blocks of arrays with [4, 5] rows"), "{msg}");
    }
}
