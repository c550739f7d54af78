//! [`Slice`]: a NumPy-style `start:stop:step` along one axis, resolved against a length.

use crate::error::{bail, err, Result};
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

/// One axis of a slicing request, with Python semantics: `start..end` by `step`, negative
/// `start`/`end` count from the end, and a negative `step` walks backwards.
///
/// `None` bounds mean "from the beginning" / "to the end" in the direction of `step`.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{Array, Slice};
/// let a = Array::<i32, 1>::arange(0, 10, 1)?;
/// assert_eq!(a.view().slice([Slice::from(1..8).step_by(3)])?.to_vec(), vec![1, 4, 7]);
/// assert_eq!(a.view().slice([Slice::full().step_by(-4)])?.to_vec(), vec![9, 5, 1]);
/// assert_eq!(a.view().slice([Slice::from(-3..)])?.to_vec(), vec![7, 8, 9]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// First index (inclusive); negative counts from the end.
    pub start: Option<isize>,
    /// Last index (exclusive); negative counts from the end.
    pub end: Option<isize>,
    /// Step; must not be 0.
    pub step: isize,
}

impl Slice {
    /// The whole axis, `..`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(array_expr_runtime::Slice::full().step, 1);
    /// ```
    pub const fn full() -> Slice {
        Slice { start: None, end: None, step: 1 }
    }

    /// A slice with explicit parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Slice;
    /// assert_eq!(Slice::new(Some(1), None, 2), Slice::from(1..).step_by(2));
    /// ```
    pub const fn new(start: Option<isize>, end: Option<isize>, step: isize) -> Slice {
        Slice { start, end, step }
    }

    /// The same range with another step.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(array_expr_runtime::Slice::from(..4).step_by(2).step, 2);
    /// ```
    pub const fn step_by(self, step: isize) -> Slice {
        Slice { step, ..self }
    }

    /// Resolves against an axis of length `len`: (first index, count). Python's `slice.indices`.
    pub(crate) fn resolve(&self, axis: usize, len: usize) -> Result<(usize, usize)> {
        if self.step == 0 {
            bail!(InvalidArgument, "axis {axis}: slice step must not be 0");
        }
        let n =
            isize::try_from(len).map_err(|_| err!(Overflow, "axis {axis}: length {len} exceeds isize"))?;
        let clamp = |v: isize, lo: isize, hi: isize| v.clamp(lo, hi);
        let norm = |v: isize| if v < 0 { v.saturating_add(n) } else { v };
        let (start, end) = if self.step > 0 {
            (self.start.map_or(0, |s| clamp(norm(s), 0, n)), self.end.map_or(n, |e| clamp(norm(e), 0, n)))
        } else {
            (
                self.start.map_or(n - 1, |s| clamp(norm(s), -1, n - 1)),
                self.end.map_or(-1, |e| clamp(norm(e), -1, n - 1)),
            )
        };
        let step = self.step;
        let count = if step > 0 && end > start {
            (end - start - 1) / step + 1
        } else if step < 0 && start > end {
            (start - end - 1) / step.saturating_neg().max(1) + 1
        } else {
            0
        };
        Ok((start.max(0) as usize, count as usize))
    }
}

macro_rules! slice_from_ranges {
    ($($t:ty),*) => {$(
        impl From<Range<$t>> for Slice {
            fn from(r: Range<$t>) -> Slice { Slice::new(Some(r.start as isize), Some(r.end as isize), 1) }
        }
        impl From<RangeFrom<$t>> for Slice {
            fn from(r: RangeFrom<$t>) -> Slice { Slice::new(Some(r.start as isize), None, 1) }
        }
        impl From<RangeTo<$t>> for Slice {
            fn from(r: RangeTo<$t>) -> Slice { Slice::new(None, Some(r.end as isize), 1) }
        }
        impl From<RangeInclusive<$t>> for Slice {
            fn from(r: RangeInclusive<$t>) -> Slice {
                let end = (*r.end() as isize).checked_add(1);
                Slice::new(Some(*r.start() as isize), if end == Some(0) { None } else { end }, 1)
            }
        }
        impl From<RangeToInclusive<$t>> for Slice {
            fn from(r: RangeToInclusive<$t>) -> Slice {
                let end = (r.end as isize).checked_add(1);
                Slice::new(None, if end == Some(0) { None } else { end }, 1)
            }
        }
    )*};
}
slice_from_ranges!(i32, i64, isize, usize);

impl From<RangeFull> for Slice {
    fn from(_: RangeFull) -> Slice {
        Slice::full()
    }
}
