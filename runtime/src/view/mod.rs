//! Borrowed views: [`ArrayView`] (shared) and [`ArrayViewMut`] (exclusive).
//!
//! A view is a pointer to its first element plus a shape and signed element strides.
//! Invariant of both types, established by every constructor and kept by every operation
//! (see [`crate::layout`]): for each index `i` with `i[k] < shape[k]`, the element at
//! `ptr + Σ i[k]·strides[k]` is initialized, inside one allocation, and valid for the view's
//! lifetime (for reading; for [`ArrayViewMut`] also for writing, with no other access, and
//! distinct indices address distinct elements). An empty view never dereferences its pointer.

mod common;
mod exclusive;
#[cfg(feature = "ndarray")]
mod ndarray_interop;
mod shared;

use crate::element::Element;
use crate::error::{bail, Result};
use crate::layout::{self, Geometry};
use std::marker::PhantomData;
use std::ptr::NonNull;

/// A read-only view of `D`-dimensional strided data.
///
/// Cheap to copy. Strides are in elements and may be negative (reversed axes) or zero
/// (broadcast axes).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{Array, Slice};
/// let a = Array::<f32, 2>::from_fn([3, 4], |[i, j]| (10 * i + j) as f32);
/// let v = a.view().slice([Slice::full().step_by(-1), Slice::from(1..3)])?;
/// assert_eq!(v.shape(), [3, 2]);
/// assert_eq!(v.to_vec(), vec![21.0, 22.0, 11.0, 12.0, 1.0, 2.0]);
/// assert_eq!(v.t().shape(), [2, 3]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub struct ArrayView<'a, T, const D: usize> {
    ptr: NonNull<T>,
    geom: Geometry<D>,
    life: PhantomData<&'a T>,
}

/// A mutable view of `D`-dimensional strided data: distinct indices never alias.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{Array, Slice};
/// let mut a = Array::<i32, 2>::zeros([2, 3]);
/// let mut col = a.view_mut().slice([Slice::full(), Slice::from(1..2)])?;
/// col.fill(7);
/// assert_eq!(a.to_vec(), vec![0, 7, 0, 0, 7, 0]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub struct ArrayViewMut<'a, T, const D: usize> {
    ptr: NonNull<T>,
    geom: Geometry<D>,
    life: PhantomData<&'a mut T>,
}

// SAFETY: an ArrayView is a shared borrow of `T`s; sharing it across threads is sound exactly
// when `&T` is Send/Sync, i.e. when `T: Sync`.
unsafe impl<T: Sync, const D: usize> Send for ArrayView<'_, T, D> {}
// SAFETY: as above.
unsafe impl<T: Sync, const D: usize> Sync for ArrayView<'_, T, D> {}
// SAFETY: an ArrayViewMut is an exclusive borrow of distinct `T`s, like `&mut [T]`.
unsafe impl<T: Send, const D: usize> Send for ArrayViewMut<'_, T, D> {}
// SAFETY: as above; `&ArrayViewMut` only hands out `&T`.
unsafe impl<T: Sync, const D: usize> Sync for ArrayViewMut<'_, T, D> {}

impl<T, const D: usize> Clone for ArrayView<'_, T, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, const D: usize> Copy for ArrayView<'_, T, D> {}

/// Checks that `shape`/`strides` starting at element `offset` stay inside a buffer of `len`
/// elements; with `exclusive`, also that no two indices alias.
fn check_in_buffer<const D: usize>(
    arg: &str,
    len: usize,
    offset: usize,
    shape: [usize; D],
    strides: [isize; D],
    exclusive: bool,
) -> Result<()> {
    let Some((lo, hi)) = layout::offset_span(&shape, &strides)? else {
        return Ok(());
    };
    let first = isize::try_from(offset).ok();
    let (lo, hi) = match first.map(|o| (o.checked_add(lo), o.checked_add(hi))) {
        Some((Some(l), Some(h))) => (l, h),
        _ => bail!(InvalidLayout, "argument `{arg}`: offset {offset} overflows isize"),
    };
    if lo < 0 || hi as usize >= len {
        bail!(
            InvalidLayout,
            "argument `{arg}`: shape {shape:?} with strides {strides:?} at offset {offset} reaches \
             elements {lo}..={hi}, outside the buffer of {len} elements"
        );
    }
    if exclusive && !layout::is_non_overlapping(&shape, &strides) {
        bail!(
            InvalidLayout,
            "argument `{arg}`: shape {shape:?} with strides {strides:?} makes indices alias; a \
             mutable view needs distinct elements"
        );
    }
    Ok(())
}

/// Pointer to element `offset` of `data`, or the slice start for an empty layout.
fn origin<T>(data: *const T, offset: usize, empty: bool) -> NonNull<T> {
    let start = data as *mut T;
    let p = if empty {
        start
    } else {
        // SAFETY: callers checked (check_in_buffer) that `offset` indexes an element of the
        // buffer that starts at `data`, so the result is in bounds of the same allocation.
        unsafe { start.add(offset) }
    };
    NonNull::new(p).unwrap_or(NonNull::dangling())
}

/// Calls `f` with the element offset of every index of a layout, in row-major order. The
/// steps wrap: the one past an axis's last element may leave `isize` (a large stride) and is
/// never handed to `f`.
pub(crate) fn for_each_offset(shape: &[usize], strides: &[isize], mut f: impl FnMut(isize)) {
    if shape.contains(&0) {
        return;
    }
    let (Some((&inner_n, outer_shape)), Some((&inner_s, outer_strides))) =
        (shape.split_last(), strides.split_last())
    else {
        f(0); // rank 0: one element
        return;
    };
    let mut idx = vec![0usize; outer_shape.len()];
    let mut base = 0isize;
    loop {
        let mut off = base;
        for _ in 0..inner_n {
            f(off);
            off = off.wrapping_add(inner_s);
        }
        // advance the outer index like an odometer, last outer axis fastest
        let mut carry = true;
        for ((i, &n), &st) in idx.iter_mut().zip(outer_shape).zip(outer_strides).rev() {
            *i += 1;
            base = base.wrapping_add(st);
            if *i < n {
                carry = false;
                break;
            }
            base = base.wrapping_sub(st.wrapping_mul(n as isize));
            *i = 0;
        }
        if carry {
            return;
        }
    }
}

impl<'a, T, const D: usize> From<ArrayViewMut<'a, T, D>> for ArrayView<'a, T, D> {
    fn from(v: ArrayViewMut<'a, T, D>) -> Self {
        v.into_view()
    }
}

impl<'a, T> From<&'a [T]> for ArrayView<'a, T, 1> {
    fn from(s: &'a [T]) -> Self {
        ArrayView::from_slice(s)
    }
}

impl<'a, T> From<&'a Vec<T>> for ArrayView<'a, T, 1> {
    fn from(s: &'a Vec<T>) -> Self {
        ArrayView::from_slice(s)
    }
}

impl<'a, T> From<&'a mut [T]> for ArrayViewMut<'a, T, 1> {
    fn from(s: &'a mut [T]) -> Self {
        ArrayViewMut::from_slice(s)
    }
}

impl<T: Element, const D: usize> PartialEq for ArrayView<'_, T, D> {
    fn eq(&self, other: &Self) -> bool {
        self.shape() == other.shape() && self.to_vec() == other.to_vec()
    }
}
