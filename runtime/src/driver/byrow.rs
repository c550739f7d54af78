//! Row-by-row passes: the fast path of a row-local schedule over rows that are contiguous.
//!
//! A row-local schedule (see [`row_blocks`](super::row_blocks)) runs its passes block of rows
//! by block of rows through the general drivers, which plan a loop nest per pass and block:
//! about a microsecond each, and a block of several rows (so that cost is shared) no longer
//! fits in L1 between its passes. When every array the passes read is, row by row, a run of
//! consecutive elements or one value repeated along the row (a per-row temporary, a column
//! broadcast), the generated code runs every pass of one row before the next instead: the
//! row stays in L1 from the pass that reads it from memory to the pass that writes it, and a
//! pass over a row is a direct call of the kernel body on slices. [`Rows`] and [`RowsMut`]
//! give the rows of a block's views; [`row_zip1`]..[`row_zip8`] and
//! [`row_reduce1`]..[`row_reduce8`] run one pass over one row with the same kernel closures
//! the general drivers take.
//!
//! Rows under [`GROUP_ROW_LEN`] elements go a group at a time instead ([`row_group`]): up to
//! [`ROW_GROUP`] consecutive rows of at most [`BLOCK`] elements together, every pass of the
//! group before the next group, each pass one kernel call over the group's elements (the
//! general passes' kernels: a reduction's values for the group's rows, [`spread_rows`] over
//! their rows, are one more operand) and each reduction one several-row call
//! ([`row_group_reduce1`]..[`row_group_reduce8`]). A pass over a row of ten elements costs as
//! much bookkeeping as one over thousands; a group shares it among sixteen rows. Row softmax
//! of 16M f32 in rows of 10, one thread: 130-134 ms row by row, 34-37 ms by groups.
//!
//! Views of rank 3 and more take the same paths with their leading axes merged into one row
//! axis, where each steps over the next whole (C order over them, or a broadcast along them):
//! a softmax over the last axis of a `[b, t, c]` tensor runs as over `b·t` rows of `c` (rows of
//! 10, 16M f32: 150 ms through the general passes per block, 33 ms by groups).
//!
//! Results are bit-identical to the general drivers': an elementwise kernel's value does not
//! depend on how a row is cut into calls, and a reduction over a row folds its [`BLOCK`]-sized
//! blocks through the same pairwise tree as [`reduce1`](super::reduce1) over a run of the
//! same length (each block's partial from the same `block` closure, from the same start).
//!
//! Measured (row softmax of 4096 x 4096 f32, one thread; short and medium rows): see
//! BENCHMARKS.md, "Sixth session".

use super::ahead;
use super::BLOCK;
use crate::diagnostics::{self, PassInfo};
use crate::element::Element;
use crate::error::{bail, Result};
use crate::view::{ArrayView, ArrayViewMut};
use array_expr_kernels::mem::Streamer;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

// a piece of a row pass fits the buffers of repeated values
const _: () = assert!(ahead::PIECE <= BLOCK);

/// One operand of a pass over one row: the row's run of elements, or one value that holds
/// for the whole row (a per-row temporary, a column broadcast along the row).
#[derive(Clone, Copy, Debug)]
pub enum RowIn<'a, A> {
    /// The row's elements, as many as the pass's row.
    Run(&'a [A]),
    /// One value for every element of the row.
    Same(A),
}

/// The rows of a view (of rank 2, or more with its leading axes merged) whose rows are each
/// one run of consecutive elements or one value repeated (inner stride 1 or 0, or rows of at
/// most one element).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::{RowIn, Rows};
/// use array_expr_runtime::Array;
/// let a = Array::<f32, 2>::from_shape_vec([2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
/// let v = a.view();
/// let rows = Rows::of(&v).unwrap();
/// assert!(matches!(rows.row(1), RowIn::Run(&[4.0, 5.0, 6.0])));
/// assert!(Rows::of(&v.t()).is_none()); // each row of the transpose is strided
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Rows<'a, A> {
    ptr: *const A,
    rows: usize,
    len: usize,
    row_stride: isize,
    /// The inner stride: 1 (runs) or 0 (one value per row).
    step: isize,
    life: PhantomData<&'a [A]>,
}

/// The rows of a view of any rank of at least 2 as `(rows, row_stride, len, inner stride)`:
/// a row is a run along the last axis, and the leading axes merge into one row axis when
/// each steps over the one inside it whole (C order over the leading axes, or a broadcast
/// along them); `None` when they do not (such a view goes through the general drivers).
pub(super) fn merged_rows(shape: &[usize], strides: &[isize]) -> Option<(usize, isize, usize, isize)> {
    let (&len, lead) = shape.split_last()?;
    let (&inner, lead_strides) = strides.split_last()?;
    if lead.is_empty() {
        return None;
    }
    let (mut rows, mut row_stride, mut expect) = (1usize, 0isize, None);
    for (&n, &st) in lead.iter().zip(lead_strides).rev() {
        rows = rows.checked_mul(n)?;
        if n == 1 {
            continue;
        }
        match expect {
            None => row_stride = st,
            Some(e) if e != st => return None,
            Some(_) => {}
        }
        expect = Some(st.checked_mul(n as isize)?);
    }
    Some((rows, row_stride, len, inner))
}

impl<'a, A: Element> Rows<'a, A> {
    /// The rows of `view` (of rank 2 or more: its leading axes merged into one, see
    /// [`RowsMut::of`]), or `None` when a row's elements are neither consecutive nor one value,
    /// or the leading axes do not merge (such a view goes through the general drivers).
    pub fn of<const D: usize>(view: &ArrayView<'a, A, D>) -> Option<Self> {
        let (rows, row_stride, len, inner) = merged_rows(&view.shape(), &view.strides())?;
        let step = match (len, inner) {
            (0 | 1, _) | (_, 1) => 1,
            (_, 0) => 0,
            _ => return None,
        };
        Some(Rows { ptr: view.as_ptr(), rows, len, row_stride, step, life: PhantomData })
    }

    /// Row `i` (an empty run when `i` is not a row, which the row passes reject as a length
    /// mismatch).
    #[inline]
    pub fn row(&self, i: usize) -> RowIn<'a, A> {
        if i >= self.rows {
            return RowIn::Run(&[]);
        }
        let first = self.ptr.wrapping_offset(i as isize * self.row_stride);
        if self.step == 0 {
            // SAFETY: i < rows and len >= 2 (step 0 is only chosen then), so element (i, 0)
            // of the view is valid; the view borrows its data for 'a.
            return RowIn::Same(unsafe { *first });
        }
        // SAFETY: i < rows, and the row's `len` elements are consecutive (inner stride 1, or
        // at most one element), all elements of the view, which borrows them for 'a.
        RowIn::Run(unsafe { std::slice::from_raw_parts(first, self.len) })
    }

    /// Rows `i..i + g` as one slice of `g * len` elements, for a group call (see
    /// [`row_group`]): the rows themselves when they follow each other in memory, otherwise
    /// copied into `buf` (a repeated value spread over its row). Empty when the rows do not
    /// exist or `buf` is too short, which the group drivers reject as a length mismatch.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::driver::{GroupBuf, Rows};
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::from_shape_vec([3, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    /// let v = a.view();
    /// let mut buf = GroupBuf::new();
    /// assert_eq!(Rows::of(&v).unwrap().group(1, 2, &mut buf), &[3.0, 4.0, 5.0, 6.0]);
    /// let col = v.slice([array_expr_runtime::Slice::full(), array_expr_runtime::Slice::new(Some(0), Some(1), 1)]).unwrap();
    /// let spread = col.broadcast_to([3, 2]).unwrap();
    /// assert_eq!(Rows::of(&spread).unwrap().group(0, 2, &mut buf), &[1.0, 1.0, 3.0, 3.0]);
    /// ```
    pub fn group<'b>(&self, i: usize, g: usize, buf: &'b mut GroupBuf<A>) -> &'b [A]
    where
        'a: 'b,
    {
        let (Some(end), Some(n)) = (i.checked_add(g), g.checked_mul(self.len)) else { return &[] };
        if end > self.rows || n == 0 {
            return &[];
        }
        if self.step == 1 && (g == 1 || self.row_stride == self.len as isize) {
            // SAFETY: rows i..end exist (end <= rows, checked above); each is `len`
            // consecutive elements, and each starts where the one before ends (row stride
            // len, or one row), so the n = g * len elements from row i's first are elements
            // of the view, which borrows them for 'a ('a outlives 'b).
            return unsafe {
                std::slice::from_raw_parts(self.ptr.wrapping_offset(i as isize * self.row_stride), n)
            };
        }
        let Some(dst) = buf.get().get_mut(..n) else { return &[] };
        for (r, piece) in dst.chunks_exact_mut(self.len).enumerate() {
            match self.row(i + r) {
                RowIn::Run(run) => piece.copy_from_slice(run),
                RowIn::Same(x) => piece.fill(x),
            }
        }
        dst
    }

    /// Bytes of memory the rows span (a repeated value counts once per row), for the pass
    /// counters.
    pub fn bytes(&self) -> usize {
        let per_row = if self.step == 0 { 1 } else { self.len };
        let rows = if self.row_stride == 0 { self.rows.min(1) } else { self.rows };
        rows * per_row * std::mem::size_of::<A>()
    }
}

/// The rows of a mutable view (of rank 2, or more with its leading axes merged) whose rows
/// are each one run of consecutive elements, one at a time.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::RowsMut;
/// use array_expr_runtime::Array;
/// let mut a = Array::<f32, 2>::zeros([2, 3]);
/// let mut v = a.view_mut();
/// let mut rows = RowsMut::of(&mut v).unwrap();
/// rows.row(1).copy_from_slice(&[4.0, 5.0, 6.0]);
/// assert_eq!(a.to_vec(), vec![0.0, 0.0, 0.0, 4.0, 5.0, 6.0]);
/// ```
#[derive(Debug)]
pub struct RowsMut<'a, A> {
    ptr: *mut A,
    rows: usize,
    len: usize,
    row_stride: isize,
    life: PhantomData<&'a mut [A]>,
}

impl<'a, A: Element> RowsMut<'a, A> {
    /// The rows of `view`, or `None` when a row's elements are not consecutive. A view of rank
    /// 3 or more has its leading axes merged into one row axis (row `i` of a `[b, t, c]` view
    /// is its `(i / t, i % t)` run of `c`), or `None` when they do not merge (each leading axis
    /// must step over the ones inside it whole, as in C order).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::driver::RowsMut;
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<f32, 3>::zeros([2, 3, 4]);
    /// let mut v = a.view_mut();
    /// let mut rows = RowsMut::of(&mut v).unwrap();
    /// assert_eq!(rows.rows(), 6);
    /// rows.row(4).fill(1.0); // [1, 1, :]
    /// assert_eq!(a.to_vec()[16..20], [1.0; 4]);
    /// ```
    pub fn of<'v, const D: usize>(view: &'a mut ArrayViewMut<'v, A, D>) -> Option<Self> {
        let (rows, row_stride, len, inner) = merged_rows(&view.shape(), &view.strides())?;
        if len > 1 && inner != 1 {
            return None;
        }
        Some(RowsMut { ptr: view.as_mut_ptr(), rows, len, row_stride, life: PhantomData })
    }

    /// How many rows there are.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `i`, borrowed until the next call (empty when `i` is not a row).
    #[inline]
    pub fn row(&mut self, i: usize) -> &mut [A] {
        if i >= self.rows {
            return &mut [];
        }
        // SAFETY: i < rows, the row's `len` elements are consecutive elements of the view
        // (inner stride 1, or at most one element), which `self` borrows exclusively for 'a;
        // the slice borrows `self` mutably, so no two rows handed out are alive at once.
        unsafe {
            std::slice::from_raw_parts_mut(self.ptr.wrapping_offset(i as isize * self.row_stride), self.len)
        }
    }

    /// Whether each row starts where the one before ends, so that [`group`](Self::group)
    /// hands out several rows at once.
    pub fn consecutive(&self) -> bool {
        self.rows <= 1 || self.len == 0 || self.row_stride == self.len as isize
    }

    /// Rows `i..i + g` as one slice of `g * len` elements, borrowed until the next call: empty
    /// when those rows do not exist or are not [`consecutive`](Self::consecutive) (more than
    /// one).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::driver::RowsMut;
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<f32, 2>::zeros([3, 2]);
    /// let mut v = a.view_mut();
    /// let mut rows = RowsMut::of(&mut v).unwrap();
    /// assert!(rows.consecutive());
    /// rows.group(1, 2).copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
    /// assert!(rows.group(2, 2).is_empty());
    /// assert_eq!(a.to_vec(), vec![0.0, 0.0, 1.0, 2.0, 3.0, 4.0]);
    /// ```
    pub fn group(&mut self, i: usize, g: usize) -> &mut [A] {
        let (Some(end), Some(n)) = (i.checked_add(g), g.checked_mul(self.len)) else { return &mut [] };
        if end > self.rows || n == 0 || (g > 1 && self.row_stride != self.len as isize) {
            return &mut [];
        }
        // SAFETY: rows i..end exist (end <= rows) and follow each other (row stride len, or
        // one row), each `len` consecutive elements of the view, so the n = g * len elements
        // from row i's first are elements of the view, which `self` borrows exclusively for
        // 'a; the slice borrows `self` mutably, so nothing else handed out is alive with it.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.wrapping_offset(i as isize * self.row_stride), n) }
    }

    /// Writes `value` as the first element of row `i` (a per-row temporary's value); does
    /// nothing when `i` is not a row or rows are empty.
    #[inline]
    pub fn set(&mut self, i: usize, value: A) {
        if let Some(slot) = self.row(i).first_mut() {
            *slot = value;
        }
    }
}

/// A block of up to [`BLOCK`] elements, for the scratch a reduction's `block` closure gets.
///
/// # Examples
///
/// ```
/// let s = array_expr_runtime::driver::scratch::<f32>();
/// assert_eq!(s.len(), array_expr_runtime::driver::BLOCK);
/// ```
pub fn scratch<S: Element>() -> [S; BLOCK] {
    [S::ZERO; BLOCK]
}

/// Rows shorter than this go through a row-local schedule's group path: each pass runs over
/// a group of rows at once (one kernel call over the group's elements, one several-row
/// reduction call), instead of one call per pass and row. Longer rows go one at a time.
pub const GROUP_ROW_LEN: usize = 129;

/// Most rows in a group (the reduce drivers' several-row calls take this many).
pub const ROW_GROUP: usize = super::GROUP;

static GROUPS: AtomicBool = AtomicBool::new(true);

/// Enables or disables the group path of row-local schedules over short rows (enabled by
/// default; see [`row_group`]). Results are the same bits either way; this is for measuring
/// what the path gains and for testing one path against the other.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::{row_group, set_row_groups};
/// set_row_groups(false);
/// assert_eq!(row_group(10), 0);
/// set_row_groups(true);
/// assert_eq!(row_group(10), 16);
/// ```
pub fn set_row_groups(enabled: bool) {
    GROUPS.store(enabled, Ordering::Relaxed);
}

/// Rows per group of the group path for rows of `len` elements (at most [`ROW_GROUP`] rows
/// of at most [`BLOCK`] elements together), or 0 when such rows go one at a time.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::row_group;
/// assert_eq!(row_group(10), 16);
/// assert_eq!(row_group(48), 10);
/// assert_eq!(row_group(128), 4);
/// assert_eq!(row_group(129), 0);
/// assert_eq!(row_group(0), 0);
/// ```
pub fn row_group(len: usize) -> usize {
    if len == 0 || len >= GROUP_ROW_LEN || !GROUPS.load(Ordering::Relaxed) {
        0
    } else {
        (BLOCK / len).min(ROW_GROUP)
    }
}

/// A buffer of [`BLOCK`] elements that an operand of a group call is copied or spread into
/// (see [`Rows::group`], [`spread_rows`]), zeroed on first use only: an operand whose rows are
/// read in place never pays for it.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::{spread_rows, GroupBuf};
/// let mut buf = GroupBuf::<f64>::default();
/// assert_eq!(spread_rows(&[0.5], 2, &mut buf), &[0.5, 0.5]);
/// ```
#[derive(Debug)]
pub struct GroupBuf<A>(Option<[A; BLOCK + SPREAD]>);

/// Elements [`spread_rows`] writes per store, and the slack past [`BLOCK`] a [`GroupBuf`]
/// keeps for its last one.
const SPREAD: usize = 16;

impl<A: Element> GroupBuf<A> {
    /// An unused buffer.
    pub fn new() -> Self {
        GroupBuf(None)
    }

    // lazily: the eager form would build (and copy) a zeroed block on every call
    #[allow(clippy::unnecessary_lazy_evaluations)]
    fn get(&mut self) -> &mut [A; BLOCK + SPREAD] {
        self.0.get_or_insert_with(|| [A::ZERO; BLOCK + SPREAD])
    }
}

impl<A: Element> Default for GroupBuf<A> {
    fn default() -> Self {
        Self::new()
    }
}

/// Each of `values` repeated `len` times, one after the other, in `buf`: a per-row value (a
/// reduction computed for a group of rows) as an operand of a group call. Empty when `buf` is
/// too short.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::{spread_rows, GroupBuf};
/// let mut buf = GroupBuf::new();
/// assert_eq!(spread_rows(&[1.0f32, 2.0], 3, &mut buf), &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
/// ```
pub fn spread_rows<'b, A: Element>(values: &[A], len: usize, buf: &'b mut GroupBuf<A>) -> &'b [A] {
    let Some(n) = values.len().checked_mul(len).filter(|&n| n <= BLOCK) else { return &[] };
    let all = buf.get();
    // Fixed-size stores of SPREAD copies, the last of a row running on into the next row
    // (which its own stores then overwrite) or into the buffer's slack: a few vector stores
    // per row where `fill` of a row's length ran a loop with a scalar tail (spreading was
    // 29% of a softmax over rows of ten, 4.5 instructions per element).
    for (r, &x) in values.iter().enumerate() {
        let piece = [x; SPREAD];
        let end = (r + 1) * len;
        let mut at = r * len;
        while at < end {
            // at < end <= n <= BLOCK, so the store ends within BLOCK + SPREAD
            if let Some(slot) = all.get_mut(at..at + SPREAD) {
                slot.copy_from_slice(&piece);
            }
            at += SPREAD;
        }
    }
    &all[..n]
}

/// Records a row-by-row pass over a block of `rows` rows of `len` elements in the pass
/// counters, as the general drivers record each pass they run.
///
/// # Examples
///
/// ```
/// array_expr_runtime::driver::count_row_pass::<f32>("row_zip", &[8, 512], 16384, 16384);
/// ```
pub fn count_row_pass<O: Element>(driver: &'static str, shape: &[usize; 2], read: usize, written: usize) {
    let _pass = diagnostics::pass(PassInfo {
        driver,
        dtype: O::DTYPE,
        shape,
        contiguous: true,
        elements: shape[0] * shape[1],
        read,
        written,
        threads: 1,
    });
}

/// The slice of `n` elements an operand of a row pass gives one call: its run from `at`, or
/// `buf` filled with its value.
macro_rules! piece {
    ($input:expr, $buf:expr, $at:expr, $n:expr) => {
        match $input {
            RowIn::Run(r) => &r[$at..$at + $n],
            RowIn::Same(_) => &$buf[..$n],
        }
    };
}

/// A buffer of [`BLOCK`] copies of a repeated operand's value (`None` for a run).
fn spread<A: Element>(input: &RowIn<'_, A>) -> Option<[A; BLOCK]> {
    match *input {
        RowIn::Same(x) => Some([x; BLOCK]),
        RowIn::Run(_) => None,
    }
}

/// Whether a run operand has `len` elements (a repeated value fits any row).
fn fits<A>(input: &RowIn<'_, A>, len: usize) -> bool {
    match input {
        RowIn::Run(r) => r.len() == len,
        RowIn::Same(_) => true,
    }
}

/// The pairwise tree of the partials of blocks `0..blocks` that the reduce drivers' carry chain builds when they
/// are pushed in order and the stack is finished: perfect trees over the binary digits of
/// `blocks`, largest first (`combine(left, right)` inside each), folded from the smallest
/// (`combine(larger, rest)`). Recursive, without the carry chain's 64-entry stack, which a
/// reduction per row would set up for every row.
fn pairwise<P>(blocks: usize, partial: &mut dyn FnMut(usize) -> P, combine: &dyn Fn(P, P) -> P) -> Option<P> {
    /// The perfect tree over blocks `b0..b0 + count` (`count` a power of two).
    fn perfect<P>(
        b0: usize,
        count: usize,
        partial: &mut dyn FnMut(usize) -> P,
        combine: &dyn Fn(P, P) -> P,
    ) -> P {
        if count == 1 {
            return partial(b0);
        }
        let left = perfect(b0, count / 2, partial, combine);
        let right = perfect(b0 + count / 2, count / 2, partial, combine);
        combine(left, right)
    }
    /// Blocks `b0..b0 + count`: the perfect tree of the largest power of two, combined with
    /// the rest.
    fn rest<P>(
        b0: usize,
        count: usize,
        partial: &mut dyn FnMut(usize) -> P,
        combine: &dyn Fn(P, P) -> P,
    ) -> P {
        let top = 1usize << (usize::BITS - 1 - count.leading_zeros());
        let first = perfect(b0, top, partial, combine);
        if top == count {
            return first;
        }
        let others = rest(b0 + top, count - top, partial, combine);
        combine(first, others)
    }
    (blocks > 0).then(|| rest(0, blocks, partial, combine))
}

macro_rules! row_drivers {
    ($zip:ident, $reduce:ident, $group:ident, $count:literal; $($A:ident $a:ident $b:ident $k:tt),+) => {
        #[doc = concat!("Runs an elementwise kernel over one row with ", $count, " operand(s): `kernel(out, None, inputs...)` on")]
        /// equal-length slices, the whole row at once when every operand is a run, otherwise
        /// [`BLOCK`] elements per call with each repeated value spread over a buffer. While a
        /// row-local schedule reads the next block of rows ahead, the row goes in pieces with a
        /// fetch before each. `out` holds its current values when the kernel runs (the kernel
        /// of an in-place pass reads them), and the kernel never streams here.
        ///
        /// # Errors
        ///
        /// A run operand's length differs from `out`'s (an internal error: the generated
        /// code hands rows of the pass's own shape).
        ///
        /// # Examples
        ///
        /// ```
        /// use array_expr_runtime::driver::{row_zip2, RowIn};
        /// let x = [1.0f32, 2.0, 3.0];
        /// let mut out = [0.0f32; 3];
        /// row_zip2(&mut out, RowIn::Run(&x), RowIn::Same(10.0f32), &|o, _, a, b| {
        ///     for ((o, a), b) in o.iter_mut().zip(a).zip(b) {
        ///         *o = a * b;
        ///     }
        /// })
        /// .unwrap();
        /// assert_eq!(out, [10.0, 20.0, 30.0]);
        /// ```
        #[allow(clippy::too_many_arguments)]
        pub fn $zip<O: Element, $($A: Element),+>(
            out: &mut [O],
            $($a: RowIn<'_, $A>,)+
            kernel: &(dyn Fn(&mut [O], Option<&Streamer>, $(&[$A]),+) + Sync),
        ) -> Result<()> {
            let len = out.len();
            $(
                if !fits(&$a, len) {
                    bail!(ShapeMismatch, "internal error: operand {} of a row pass does not span the row of {} elements; please report", $k, len);
                }
            )+
            let reading_ahead = ahead::pending();
            let runs = true $(&& matches!($a, RowIn::Run(_)))+;
            if runs && !reading_ahead {
                kernel(out, None, $(piece!($a, [$A::ZERO; 0], 0, len)),+);
                return Ok(());
            }
            $(let $b = spread(&$a);)+
            $(let $b = $b.as_ref().map_or(&[][..], |b| &b[..]);)+
            let most = if reading_ahead { ahead::PIECE } else { BLOCK };
            let mut at = 0;
            while at < len {
                let n = (len - at).min(most);
                if reading_ahead {
                    ahead::step(n);
                }
                kernel(&mut out[at..at + n], None, $(piece!($a, $b, at, n)),+);
                at += n;
            }
            Ok(())
        }

        #[doc = concat!("Reduces one row of a pass with ", $count, " operand(s), `len` elements long: as")]
        /// [`reduce1`](super::reduce1) computes one output whose reduced elements are one run
        /// of `len` (its [`BLOCK`]-sized blocks through `block`, from start 0, their partials
        /// combined in the same pairwise tree, the root through `finish`), so the value has
        /// the same bits. A repeated operand is spread over a buffer once per row.
        ///
        /// # Errors
        ///
        /// What `finish` returns, and a run operand whose length is not `len` (an internal
        /// error).
        ///
        /// # Examples
        ///
        /// ```
        /// use array_expr_runtime::driver::{row_reduce1, scratch, RowIn};
        /// let x: Vec<f64> = (1..=1000).map(f64::from).collect();
        /// let mut s = scratch::<f64>();
        /// let total = row_reduce1(
        ///     x.len(),
        ///     &mut s,
        ///     RowIn::Run(&x),
        ///     &|_, _, a| a.iter().sum::<f64>(),
        ///     &|p, q| p + q,
        ///     &|p: Option<f64>| Ok(p.unwrap_or(0.0)),
        /// )
        /// .unwrap();
        /// assert_eq!(total, 500500.0);
        /// ```
        #[allow(clippy::too_many_arguments)]
        pub fn $reduce<R: Element, P: Copy, S: Element, $($A: Element),+>(
            len: usize,
            scratch: &mut [S; BLOCK],
            $($a: RowIn<'_, $A>,)+
            block: &(dyn Fn(usize, &mut [S], $(&[$A]),+) -> P + Sync),
            combine: &(dyn Fn(P, P) -> P + Sync),
            finish: &(dyn Fn(Option<P>) -> Result<R> + Sync),
        ) -> Result<R> {
            $(
                if !fits(&$a, len) {
                    bail!(ShapeMismatch, "internal error: operand {} of a row reduction does not span its {} elements; please report", $k, len);
                }
                let $b = spread(&$a);
                let $b = $b.as_ref().map_or(&[][..], |b| &b[..]);
            )+
            let mut partial = |b: usize| {
                let at = b * BLOCK;
                let n = (len - at).min(BLOCK);
                block(at, &mut scratch[..], $(piece!($a, $b, at, n)),+)
            };
            finish(pairwise(len.div_ceil(BLOCK), &mut partial, combine))
        }

        #[doc = concat!("Reduces a group of rows with ", $count, " operand(s), `len` elements each: `outs.len()` rows,")]
        /// each operand one slice of their elements one row after the other (see
        #[doc = concat!("[`Rows::group`], [`spread_rows`]). Each output has the bits [`", stringify!($reduce), "`] gives its row:")]
        /// through `rows` (the reduce drivers' several-row closure, which applies `finish`
        /// itself) when there is one and rows fit one block, else row by row.
        ///
        /// # Errors
        ///
        /// What `rows` or `finish` return, and an operand whose length is not `outs.len() * len`
        /// (an internal error).
        ///
        /// # Examples
        ///
        /// ```
        /// use array_expr_runtime::driver::{row_group_reduce1, scratch};
        /// let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        /// let mut s = scratch::<f32>();
        /// let mut outs = [0.0f32; 2];
        /// row_group_reduce1(
        ///     3,
        ///     &mut s,
        ///     &mut outs,
        ///     &x,
        ///     None,
        ///     &|_, _, a| a.iter().sum::<f32>(),
        ///     &|p, q| p + q,
        ///     &|p: Option<f32>| Ok(p.unwrap_or(0.0)),
        /// )
        /// .unwrap();
        /// assert_eq!(outs, [6.0, 15.0]);
        /// ```
        #[allow(clippy::too_many_arguments)]
        pub fn $group<R: Element, P: Copy, S: Element, $($A: Element),+>(
            len: usize,
            scratch: &mut [S; BLOCK],
            outs: &mut [R],
            $($a: &[$A],)+
            rows: Option<&(dyn Fn(&mut [R], &mut [S], $(&[&[$A]]),+) -> Result<()> + Sync)>,
            block: &(dyn Fn(usize, &mut [S], $(&[$A]),+) -> P + Sync),
            combine: &(dyn Fn(P, P) -> P + Sync),
            finish: &(dyn Fn(Option<P>) -> Result<R> + Sync),
        ) -> Result<()> {
            let g = outs.len();
            $(
                if Some($a.len()) != g.checked_mul(len) {
                    bail!(ShapeMismatch, "internal error: operand {} of a group reduction does not span its {} rows of {} elements; please report", $k, g, len);
                }
            )+
            match rows {
                Some(rows) if len > 0 && len <= BLOCK && g <= super::GROUP => {
                    $(
                        let mut $b: [&[$A]; super::GROUP] = [&[]; super::GROUP];
                        for (slot, run) in $b.iter_mut().zip($a.chunks_exact(len)) {
                            *slot = run;
                        }
                    )+
                    rows(outs, &mut scratch[..], $(&$b[..g]),+)
                }
                _ => {
                    for (r, out) in outs.iter_mut().enumerate() {
                        let at = r * len;
                        *out = $reduce(len, scratch, $(RowIn::Run(&$a[at..at + len]),)+ block, combine, finish)?;
                    }
                    Ok(())
                }
            }
        }
    };
}

/// Runs an elementwise kernel whose values are all the row's own (its reduced values and
/// scalars, captured by the kernel) over one row: `kernel(out, None)`, the whole row at once,
/// or in pieces with a fetch before each while the next rows are read ahead (see
/// [`row_zip1`]).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::row_zip0;
/// let mut out = [1.0f32, 2.0, 4.0];
/// let s = 2.0f32;
/// row_zip0(&mut out, &|o, _| o.iter_mut().for_each(|v| *v /= s));
/// assert_eq!(out, [0.5, 1.0, 2.0]);
/// ```
pub fn row_zip0<O: Element>(out: &mut [O], kernel: &(dyn Fn(&mut [O], Option<&Streamer>) + Sync)) {
    if !ahead::pending() {
        kernel(out, None);
        return;
    }
    for piece in out.chunks_mut(ahead::PIECE) {
        ahead::step(piece.len());
        kernel(piece, None);
    }
}

row_drivers!(row_zip1, row_reduce1, row_group_reduce1, 1; A1 a1 b1 1);
row_drivers!(row_zip2, row_reduce2, row_group_reduce2, 2; A1 a1 b1 1, A2 a2 b2 2);
row_drivers!(row_zip3, row_reduce3, row_group_reduce3, 3; A1 a1 b1 1, A2 a2 b2 2, A3 a3 b3 3);
row_drivers!(row_zip4, row_reduce4, row_group_reduce4, 4; A1 a1 b1 1, A2 a2 b2 2, A3 a3 b3 3, A4 a4 b4 4);
row_drivers!(row_zip5, row_reduce5, row_group_reduce5, 5; A1 a1 b1 1, A2 a2 b2 2, A3 a3 b3 3, A4 a4 b4 4, A5 a5 b5 5);
row_drivers!(row_zip6, row_reduce6, row_group_reduce6, 6; A1 a1 b1 1, A2 a2 b2 2, A3 a3 b3 3, A4 a4 b4 4, A5 a5 b5 5, A6 a6 b6 6);
row_drivers!(row_zip7, row_reduce7, row_group_reduce7, 7; A1 a1 b1 1, A2 a2 b2 2, A3 a3 b3 3, A4 a4 b4 4, A5 a5 b5 5, A6 a6 b6 6, A7 a7 b7 7);
row_drivers!(row_zip8, row_reduce8, row_group_reduce8, 8; A1 a1 b1 1, A2 a2 b2 2, A3 a3 b3 3, A4 a4 b4 4, A5 a5 b5 5, A6 a6 b6 6, A7 a7 b7 7, A8 a8 b8 8);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::Array;

    #[test]
    fn a_row_reduction_has_the_general_drivers_tree() {
        // the general driver's tree over blocks of one run: check against reduce1 directly
        for len in [0usize, 1, 511, 512, 513, 1024, 1536, 4097, 5000, 16900] {
            let x: Vec<f64> = (0..len).map(|i| (i as f64 * 0.37).sin() * 1e3).collect();
            let view = crate::view::ArrayView::from_shape([1, len], &x, crate::Order::C).unwrap();
            let mut want = Array::<f64, 2>::zeros([1, 1]);
            let block = |_: usize, _: &mut [f64], a: &[f64]| a.iter().fold(0.0, |s, v| s * 0.5 + v);
            let combine = |p: f64, q: f64| p * 3.0 - q;
            let finish = |p: Option<f64>| Ok(p.unwrap_or(-1.0));
            super::super::reduce1(
                &mut want.view_mut(),
                [false, true],
                false,
                &view,
                0,
                None,
                None,
                None,
                &block,
                &combine,
                &finish,
            )
            .unwrap();
            let mut s = scratch::<f64>();
            let got = row_reduce1(len, &mut s, RowIn::Run(&x), &block, &combine, &finish).unwrap();
            assert_eq!(got.to_bits(), want.to_vec()[0].to_bits(), "row of {len}");
        }
    }

    #[test]
    fn a_row_pass_cuts_repeated_values_and_read_ahead_into_blocks_with_the_same_result() {
        let x: Vec<f32> = (0..1500).map(|i| i as f32 * 0.25).collect();
        let kernel = |o: &mut [f32], _: Option<&Streamer>, a: &[f32], b: &[f32]| {
            for ((o, a), b) in o.iter_mut().zip(a).zip(b) {
                *o = a * b + 1.0;
            }
        };
        let want: Vec<f32> = x.iter().map(|a| a * 3.0 + 1.0).collect();
        let mut out = vec![0f32; x.len()];
        row_zip2(&mut out, RowIn::Run(&x), RowIn::Same(3.0), &kernel).unwrap();
        assert_eq!(out, want);
        let three = vec![3f32; x.len()];
        let mut out2 = vec![0f32; x.len()];
        let a = Array::<f32, 2>::zeros([4, 1500]);
        ahead::queue_rows(&[ahead::RowsAhead::of(&a.view())], None, 0, 4);
        row_zip2(&mut out2, RowIn::Run(&x), RowIn::Run(&three), &kernel).unwrap();
        ahead::clear();
        assert_eq!(out2, want);
    }

    #[test]
    fn leading_axes_merge_when_each_steps_over_the_next_whole() {
        let m = |shape: &[usize], strides: &[isize]| merged_rows(shape, strides);
        assert_eq!(m(&[2, 4], &[4, 1]), Some((2, 4, 4, 1)));
        assert_eq!(m(&[2, 4], &[8, 1]), Some((2, 8, 4, 1)));
        assert_eq!(m(&[2, 3, 4], &[12, 4, 1]), Some((6, 4, 4, 1)));
        assert_eq!(m(&[2, 3, 4], &[24, 8, 1]), Some((6, 8, 4, 1)));
        // a row broadcast over both leading axes; a per-row value
        assert_eq!(m(&[2, 3, 4], &[0, 0, 1]), Some((6, 0, 4, 1)));
        assert_eq!(m(&[2, 3, 1], &[3, 1, 0]), Some((6, 1, 1, 0)));
        // unit axes step nowhere, whatever their stride
        assert_eq!(m(&[1, 3, 4], &[99, 4, 1]), Some((3, 4, 4, 1)));
        assert_eq!(m(&[2, 1, 4], &[4, 99, 1]), Some((2, 4, 4, 1)));
        assert_eq!(m(&[0, 3, 4], &[12, 4, 1]), Some((0, 4, 4, 1)));
        // a [t, m] operand broadcast over b, axes out of order, reversed: no single row stride
        assert_eq!(m(&[2, 3, 4], &[0, 4, 1]), None);
        assert_eq!(m(&[2, 3, 4], &[4, 8, 1]), None);
        assert_eq!(m(&[2, 3, 4], &[-12, 4, 1]), None);
        assert_eq!(m(&[3], &[1]), None);
        assert_eq!(m(&[usize::MAX, 3, 4], &[12, 4, 1]), None);
    }

    #[test]
    fn spread_rows_repeats_each_value_over_its_row_only() {
        for len in 0..=70usize {
            for g in 0..=16usize {
                let values: Vec<f64> = (0..g).map(|r| r as f64 + 0.5).collect();
                let mut buf = GroupBuf::new();
                let got = spread_rows(&values, len, &mut buf).to_vec();
                if g * len > BLOCK {
                    assert!(got.is_empty(), "{g} rows of {len}: more than a block");
                    continue;
                }
                let want: Vec<f64> = values.iter().flat_map(|&v| std::iter::repeat_n(v, len)).collect();
                assert_eq!(got, want, "{g} rows of {len}");
            }
        }
        // a buffer used before: stale values past the rows do not leak into them
        let mut buf = GroupBuf::new();
        spread_rows(&[9.0f32; 16], 32, &mut buf);
        assert_eq!(spread_rows(&[1.0f32, 2.0], 3, &mut buf), &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    }

    #[test]
    fn rows_of_the_wrong_length_are_an_error_not_a_panic() {
        let x = [1f32; 5];
        let mut out = [0f32; 4];
        let e = row_zip1(&mut out, RowIn::Run(&x), &|_, _, _| {}).unwrap_err();
        assert!(e.to_string().contains("operand 1 of a row pass does not span the row of 4 elements"), "{e}");
        let mut s = scratch::<f32>();
        let e = row_reduce1(4, &mut s, RowIn::Run(&x), &|_, _, _| 0f32, &|p, _| p, &|p: Option<f32>| {
            Ok(p.unwrap_or(0.0))
        })
        .unwrap_err();
        assert!(e.to_string().contains("does not span its 4 elements"), "{e}");
    }

    #[test]
    fn rows_of_views_are_runs_repeated_values_or_none() {
        let a = Array::<f32, 2>::from_shape_vec([3, 4], (0..12).map(|i| i as f32).collect()).unwrap();
        let v = a.view();
        let rows = Rows::of(&v).unwrap();
        assert!(matches!(rows.row(2), RowIn::Run(&[8.0, 9.0, 10.0, 11.0])));
        assert!(matches!(rows.row(3), RowIn::Run(&[])));
        assert_eq!(rows.bytes(), 48);
        let col = a.view().slice([crate::Slice::full(), crate::Slice::new(Some(1), Some(2), 1)]).unwrap();
        let spread = col.broadcast_to([3, 6]).unwrap();
        let rows = Rows::of(&spread).unwrap();
        assert!(matches!(rows.row(1), RowIn::Same(5.0)));
        assert_eq!(rows.bytes(), 12);
        assert!(Rows::of(&a.view().t()).is_none());
        let mut data = vec![0f32; 12];
        let mut f = ArrayViewMut::from_shape([4, 3], &mut data, crate::Order::F).unwrap();
        assert!(RowsMut::of(&mut f).is_none());
        let mut b = Array::<f32, 2>::zeros([4, 3]);
        let mut w = b.view_mut();
        let mut rows = RowsMut::of(&mut w).unwrap();
        rows.set(1, 7.0);
        rows.set(9, 7.0);
        assert!(rows.row(4).is_empty());
        assert_eq!(b.to_vec()[3], 7.0);
    }
}
