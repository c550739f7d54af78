//! Read-ahead across the passes of a row-local schedule.
//!
//! A row-local schedule runs all its passes over one block of rows before the next (see
//! [`row_blocks`](super::row_blocks)): its first pass reads the block from memory, the later
//! ones compute on it in cache. Left alone, memory idles while the block computes, and the next
//! block's first pass stalls on it: the hardware prefetcher does not run ahead across the
//! compute. So while block `b` runs on the calling thread, the row-block driver queues the rows
//! of block `b + 1` here (its inputs' and its output's), and the elementwise drivers, which run
//! the compute-heavy passes, fetch [`BYTES_PER_ELEMENT`] of them per element before each piece
//! of [`PIECE`] elements they compute: the next block arrives while this one computes.
//!
//! The row-by-row path of such a schedule (see the `byrow` module), which runs every pass of
//! one row before the next, queues the next row of its inputs instead ([`queue_next_row`]).
//!
//! Measured on the development VM (row softmax of 4096 x 4096 f32, one thread, paired runs in
//! one process): the hand-written row loop over the kernels ran 18-22 ms with 4 KiB fetched
//! per 1024 elements of its exp pass against 21-28 ms without (one 16 KiB burst per row: 25-26
//! ms); the kernel's row-local schedule ran 7-10% faster with the read-ahead than without.
//!
//! The queue is per thread and only ever holds addresses of the views the current schedule
//! borrows; a prefetch is a hint that never faults, so a stale or empty queue is harmless.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Enables or disables the read-ahead of row-local schedules (enabled by default); useful to
/// measure what it gains.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::{read_ahead, set_read_ahead};
/// set_read_ahead(false);
/// assert!(!read_ahead());
/// set_read_ahead(true);
/// ```
pub fn set_read_ahead(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// Whether row-local schedules read the next block of rows ahead (see [`set_read_ahead`]).
///
/// # Examples
///
/// ```
/// let _on: bool = array_expr_runtime::driver::read_ahead();
/// ```
pub fn read_ahead() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Most byte ranges queued at once (the inputs of a schedule whose rows are contiguous give
/// one range each; rows apart in memory give one per row, as many as fit).
const RANGES: usize = 16;

/// Bytes fetched per element an elementwise pass computes while the queue holds a row-local
/// schedule's next block: its input and output rows (8 bytes per element for an f32 softmax)
/// are then fetched during the first compute pass of this one.
pub(crate) const BYTES_PER_ELEMENT: usize = 8;

/// Bytes fetched per element while the queue holds the next row of the row-by-row path (see
/// [`queue_next_row`]): an f32 row is fetched over the whole of the current row's exp pass, as
/// the hand-written loop spreads it. At 8 bytes per element in pieces of 512 the row-by-row
/// softmax ran 1.2-1.35x the hand-written loop, at 4 in pieces of 256 1.05-1.17x (paired,
/// 4096 x 4096 f32, one thread).
pub(crate) const ROW_BYTES_PER_ELEMENT: usize = 4;

/// Elements of an elementwise pass computed between two [`step`]s while the queue is not
/// empty (the drivers cut longer runs into pieces of this length): at most 2 KiB per fetch,
/// a burst the machine absorbs without stalling the loop that issues it (pieces of 128 were
/// no faster).
pub(crate) const PIECE: usize = 256;

#[derive(Clone, Copy)]
struct Queue {
    /// `(start, end)` addresses; `ranges[head..end]` are still to fetch, in order.
    ranges: [(usize, usize); RANGES],
    head: usize,
    end: usize,
    /// Bytes fetched per element computed.
    rate: usize,
}

const EMPTY: Queue = Queue { ranges: [(0, 0); RANGES], head: 0, end: 0, rate: BYTES_PER_ELEMENT };

thread_local! {
    static QUEUE: RefCell<Queue> = const { RefCell::new(EMPTY) };
}

/// Rows of one input a row-local schedule reads, for its read-ahead: where row 0 starts, the
/// distance between rows and the contiguous bytes of one row, all in bytes.
#[derive(Clone, Copy, Debug)]
pub struct RowsAhead {
    base: usize,
    stride: isize,
    row_bytes: usize,
}

impl RowsAhead {
    /// The rows of `view` (a view with the schedule's row axis first), when each row's
    /// elements are contiguous in memory; `None` otherwise (such an input is not read ahead).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{driver::RowsAhead, Array};
    /// let a = Array::<f32, 2>::zeros([4, 8]);
    /// assert!(RowsAhead::of(&a.view()).is_some());
    /// assert!(RowsAhead::of(&a.view().t()).is_none()); // columns apart in memory
    /// ```
    pub fn of<T, const D: usize>(view: &crate::view::ArrayView<'_, T, D>) -> Option<Self> {
        Self::raw(view.as_ptr() as usize, &view.shape(), &view.strides(), std::mem::size_of::<T>())
    }

    /// The rows of `view` as the row-by-row path of a row-local schedule takes them: runs
    /// along the last axis, the leading axes merged into one (see
    /// [`RowsMut::of`](super::RowsMut::of)); for a rank-2 view, what [`of`](Self::of) gives
    /// when its rows are contiguous. `None` when the leading axes do not merge or a row is not
    /// contiguous.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{driver::RowsAhead, Array};
    /// let a = Array::<f32, 3>::zeros([4, 8, 10]);
    /// assert!(RowsAhead::of_rows(&a.view()).is_some()); // 32 rows of 10
    /// assert!(RowsAhead::of_rows(&a.view().permute_axes([1, 0, 2]).unwrap()).is_none());
    /// ```
    pub fn of_rows<T, const D: usize>(view: &crate::view::ArrayView<'_, T, D>) -> Option<Self> {
        let (_, row_stride, len, inner) = super::byrow::merged_rows(&view.shape(), &view.strides())?;
        let elem = std::mem::size_of::<T>();
        if len > 1 && inner != 1 {
            return None;
        }
        Some(RowsAhead {
            base: view.as_ptr() as usize,
            stride: row_stride.checked_mul(elem as isize)?,
            row_bytes: len.checked_mul(elem)?,
        })
    }

    /// As [`of`](Self::of), from an array's base address, shape, element strides and element
    /// size.
    pub(crate) fn raw(base: usize, shape: &[usize], strides: &[isize], elem: usize) -> Option<Self> {
        let mut want = 1isize;
        for a in (1..shape.len()).rev() {
            if shape[a] > 1 && strides[a] != want {
                return None;
            }
            want = want.checked_mul(shape[a] as isize)?;
        }
        let row_bytes = (want as usize).checked_mul(elem)?;
        let stride = strides.first().map_or(0, |&s| s * elem as isize);
        Some(RowsAhead { base, stride, row_bytes })
    }
}

/// Replaces this thread's queue with rows `r0..r1` of every array in `inputs` and of `output`
/// (an empty queue when the read-ahead is off).
pub(crate) fn queue_rows(inputs: &[Option<RowsAhead>], output: Option<RowsAhead>, r0: usize, r1: usize) {
    if !read_ahead() {
        clear();
        return;
    }
    let mut q = EMPTY;
    for a in inputs.iter().flatten().chain(output.as_ref()) {
        if a.stride == a.row_bytes as isize {
            // consecutive rows: one range
            let start = a.base.wrapping_add_signed(a.stride.wrapping_mul(r0 as isize));
            push(&mut q, start, (r1 - r0).saturating_mul(a.row_bytes));
        } else {
            for r in r0..r1 {
                push(&mut q, a.base.wrapping_add_signed(a.stride.wrapping_mul(r as isize)), a.row_bytes);
            }
        }
    }
    QUEUE.with(|c| {
        if let Ok(mut slot) = c.try_borrow_mut() {
            *slot = q;
        }
    });
}

/// Replaces this thread's queue with row `row` of every array in `inputs`, when it is one of
/// their `rows` rows: the row-by-row path of a row-local schedule (see the `byrow` module)
/// fetches the next row of its inputs while a row computes, as the hand-written row loop
/// does; the next block's rows fetched into L1 over a block's rows evicted the rows in use.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{driver::{queue_next_row, RowsAhead}, Array};
/// let a = Array::<f32, 2>::zeros([4, 8]);
/// queue_next_row(&[RowsAhead::of(&a.view())], 1, 4);
/// queue_next_row(&[], 0, 0); // an empty queue
/// ```
pub fn queue_next_row(inputs: &[Option<RowsAhead>], row: usize, rows: usize) {
    queue_next_rows(inputs, row, 1, rows);
}

/// Replaces this thread's queue with rows `row..row + count` of every array in `inputs` (those
/// of their `rows` rows that exist): the group path of a row-local schedule over short rows
/// (see the `byrow` module) fetches its next group of rows while a group computes.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{driver::{queue_next_rows, RowsAhead}, Array};
/// let a = Array::<f32, 2>::zeros([64, 10]);
/// queue_next_rows(&[RowsAhead::of(&a.view())], 16, 16, 64);
/// queue_next_rows(&[], 0, 0, 0); // an empty queue
/// ```
pub fn queue_next_rows(inputs: &[Option<RowsAhead>], row: usize, count: usize, rows: usize) {
    let count = count.min(rows.saturating_sub(row));
    let on = count > 0 && read_ahead();
    QUEUE.with(|c| {
        let Ok(mut q) = c.try_borrow_mut() else { return };
        // in place: this runs once per row or group
        (q.head, q.end, q.rate) = (0, 0, ROW_BYTES_PER_ELEMENT);
        for a in inputs.iter().flatten().filter(|_| on) {
            let start = a.base.wrapping_add_signed(a.stride.wrapping_mul(row as isize));
            if count == 1 || a.stride == a.row_bytes as isize {
                push(&mut q, start, count.saturating_mul(a.row_bytes));
            } else {
                for k in 0..count {
                    push(&mut q, start.wrapping_add_signed(a.stride.wrapping_mul(k as isize)), a.row_bytes);
                }
            }
        }
    });
}

fn push(q: &mut Queue, start: usize, bytes: usize) {
    if let (Some(slot), true) = (q.ranges.get_mut(q.end), bytes > 0) {
        *slot = (start, start.saturating_add(bytes));
        q.end += 1;
    }
}

/// Empties this thread's queue.
pub(crate) fn clear() {
    QUEUE.with(|c| {
        if let Ok(mut q) = c.try_borrow_mut() {
            q.head = 0;
            q.end = 0;
        }
    });
}

/// Empties this thread's queue when dropped: the row-block driver holds one, so no pass that
/// runs after a schedule returns (normally or with an error) fetches for it.
pub(crate) struct ClearOnDrop;

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        clear();
    }
}

/// Whether this thread has bytes queued.
#[inline]
pub(crate) fn pending() -> bool {
    QUEUE.with(|c| c.try_borrow().is_ok_and(|q| q.head < q.end))
}

/// Fetches the next bytes of this thread's queue for a piece of `elements` elements
/// ([`BYTES_PER_ELEMENT`] or [`ROW_BYTES_PER_ELEMENT`] each, as queued; fewer at the queue's
/// end).
pub(crate) fn step(elements: usize) {
    QUEUE.with(|c| {
        let Ok(mut guard) = c.try_borrow_mut() else { return };
        let q = &mut *guard;
        let mut left = elements.saturating_mul(q.rate);
        while left > 0 && q.head < q.end {
            let Some(r) = q.ranges.get_mut(q.head) else { break };
            let n = (r.1 - r.0).min(left);
            super::prefetch(r.0 as *const u8, n.div_ceil(64));
            left -= n;
            r.0 += n;
            if r.0 >= r.1 {
                q.head += 1;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::Array;

    fn queued() -> Vec<(usize, usize)> {
        QUEUE.with(|c| {
            let q = c.borrow();
            q.ranges[q.head..q.end].to_vec()
        })
    }

    #[test]
    fn contiguous_rows_queue_one_range_and_steps_drain_it_in_order() {
        let a = Array::<f32, 2>::zeros([10, 64]);
        let rows = RowsAhead::of(&a.view());
        let base = a.view().as_ptr() as usize;
        queue_rows(&[rows], None, 2, 5);
        assert_eq!(queued(), vec![(base + 2 * 256, base + 5 * 256)]);
        assert!(pending());
        step(64); // 512 bytes
        assert_eq!(queued(), vec![(base + 2 * 256 + 512, base + 5 * 256)]);
        step(1 << 20);
        assert!(!pending());
        clear();
    }

    #[test]
    fn the_next_row_is_queued_alone_at_its_own_rate_and_past_the_end_nothing() {
        let a = Array::<f32, 2>::zeros([4, 100]);
        let rows = RowsAhead::of(&a.view());
        let base = a.view().as_ptr() as usize;
        queue_next_row(&[rows, None], 2, 4);
        assert_eq!(queued(), vec![(base + 800, base + 1200)]);
        step(25); // 100 bytes at ROW_BYTES_PER_ELEMENT
        assert_eq!(queued(), vec![(base + 800 + 25 * ROW_BYTES_PER_ELEMENT, base + 1200)]);
        queue_next_row(&[rows], 4, 4);
        assert!(!pending());
        queue_rows(&[rows], None, 0, 1);
        step(25); // a block's queue fetches at BYTES_PER_ELEMENT again
        assert_eq!(queued(), vec![(base + 25 * BYTES_PER_ELEMENT, base + 400)]);
        clear();
    }

    #[test]
    fn strided_rows_queue_a_range_per_row_up_to_the_capacity() {
        let a = Array::<f64, 2>::zeros([40, 8]);
        let v = a.view();
        let every_other = v.slice([crate::Slice::new(None, None, 2), crate::Slice::full()]).unwrap();
        let rows = RowsAhead::of(&every_other).unwrap();
        let base = every_other.as_ptr() as usize;
        queue_rows(&[Some(rows)], None, 0, 3);
        assert_eq!(queued(), vec![(base, base + 64), (base + 128, base + 192), (base + 256, base + 320)]);
        queue_rows(&[Some(rows)], None, 0, 20);
        assert_eq!(queued().len(), RANGES);
        clear();
        assert!(!pending());
    }

    #[test]
    fn columns_apart_are_not_read_ahead_and_disabling_empties_the_queue() {
        let a = Array::<f32, 3>::zeros([4, 3, 5]);
        assert!(RowsAhead::of(&a.view()).is_some());
        let swapped = a.view().remap_axes([Some(0), Some(2), Some(1)]).unwrap();
        assert!(RowsAhead::of(&swapped).is_none());
        let rows = RowsAhead::of(&a.view());
        queue_rows(&[rows], rows, 0, 2);
        assert_eq!(queued().len(), 2);
        set_read_ahead(false);
        queue_rows(&[rows], None, 0, 2);
        set_read_ahead(true);
        assert!(!pending());
    }
}
