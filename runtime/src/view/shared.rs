//! [`ArrayView`]: constructors and read access.

use super::{check_in_buffer, origin, ArrayView};
use crate::error::{bail, Result};
use crate::layout::{self, Geometry, Order};
use std::marker::PhantomData;
use std::ptr::NonNull;

impl<'a, T, const D: usize> ArrayView<'a, T, D> {
    /// A view of `data` as `shape`, packed in `order`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{ArrayView, Order};
    /// let data = [1, 2, 3, 4, 5, 6];
    /// let v = ArrayView::from_shape([2, 3], &data, Order::C)?;
    /// assert_eq!(v.get([1, 0]), Some(&4));
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `data.len()` differs from the shape's element count.
    pub fn from_shape(shape: [usize; D], data: &'a [T], order: Order) -> Result<Self> {
        let n = layout::checked_len("data", &shape, std::mem::size_of::<T>())?;
        if n != data.len() {
            bail!(ShapeMismatch, "argument `data`: shape {shape:?} needs {n} elements, found {}", data.len());
        }
        let strides = layout::contiguous_strides(shape, order);
        Ok(Self::from_parts_checked(data, 0, shape, strides))
    }

    /// A view of `data` with explicit shape, signed element strides and the offset of the first
    /// element.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::ArrayView;
    /// let data = [0, 1, 2, 3, 4, 5];
    /// // every other element, backwards
    /// let v = ArrayView::from_shape_strides(&data, [3], [-2], 5)?;
    /// assert_eq!(v.to_vec(), vec![5, 3, 1]);
    /// assert!(ArrayView::from_shape_strides(&data, [4], [2], 0).is_err());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidLayout`](crate::ErrorKind::InvalidLayout) when some index would reach
    /// outside `data`.
    pub fn from_shape_strides(
        data: &'a [T],
        shape: [usize; D],
        strides: [isize; D],
        offset: usize,
    ) -> Result<Self> {
        layout::checked_len("data", &shape, std::mem::size_of::<T>())?;
        check_in_buffer("data", data.len(), offset, shape, strides, false)?;
        Ok(Self::from_parts_checked(data, offset, shape, strides))
    }

    fn from_parts_checked(data: &'a [T], offset: usize, shape: [usize; D], strides: [isize; D]) -> Self {
        let geom = Geometry { shape, strides };
        let ptr = origin(data.as_ptr(), offset, geom.is_empty());
        ArrayView { ptr, geom, life: PhantomData }
    }

    /// A view from a raw pointer to the first element.
    ///
    /// # Safety
    ///
    /// - for every index `i` with `i[k] < shape[k]`, `ptr.offset(Σ i[k]·strides[k])` points to an
    ///   initialized `T` inside one allocation, valid for reads and not written for `'a`;
    /// - the offsets of all such indices, in bytes, fit in `isize`;
    /// - `ptr` is non-null and aligned (it may dangle when the shape has a zero).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::ArrayView;
    /// let data = [1.0f64, 2.0, 3.0];
    /// // SAFETY: three elements starting at data[0], stride 1, borrowed for the view's life.
    /// let v = unsafe { ArrayView::from_raw_parts(data.as_ptr(), [3], [1]) };
    /// assert_eq!(v.to_vec(), vec![1.0, 2.0, 3.0]);
    /// ```
    pub unsafe fn from_raw_parts(ptr: *const T, shape: [usize; D], strides: [isize; D]) -> Self {
        let ptr = NonNull::new(ptr as *mut T).unwrap_or(NonNull::dangling());
        ArrayView { ptr, geom: Geometry { shape, strides }, life: PhantomData }
    }

    /// Broadcasts to `shape` with NumPy's rules (new leading axes, length-1 axes stretched with
    /// stride 0). The result is read-only: its elements alias.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let row = Array::<i32, 1>::from_vec(vec![1, 2, 3]);
    /// let b = row.view().broadcast_to([2, 3])?;
    /// assert_eq!(b.strides(), [0, 1]);
    /// assert_eq!(b.to_vec(), vec![1, 2, 3, 1, 2, 3]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Broadcast`](crate::ErrorKind::Broadcast) when an axis is neither equal nor 1,
    /// or `E < D`.
    pub fn broadcast_to<const E: usize>(self, shape: [usize; E]) -> Result<ArrayView<'a, T, E>> {
        let g = self.geom.broadcast_to(shape)?;
        Ok(self.moved((g, 0)))
    }

    /// The transpose (axes reversed); for rank 2, rows become columns.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// assert_eq!(a.view().t().shape(), [3, 2]);
    /// ```
    pub fn t(self) -> Self {
        self.reversed_axes()
    }

    /// The element at `index` with the view's lifetime, or `None` when out of bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<i32, 1>::from_vec(vec![4, 5]);
    /// let r: &i32 = a.view().get_ref([1]).unwrap_or(&0); // outlives the temporary view
    /// assert_eq!(*r, 5);
    /// ```
    pub fn get_ref(self, index: [usize; D]) -> Option<&'a T> {
        let off = self.offset_of(index)?;
        // SAFETY: index checked against the shape; the view invariant makes the element valid for 'a.
        Some(unsafe { &*self.ptr.as_ptr().offset(off) })
    }

    /// The data as a slice in memory order, when the view is C- or F-contiguous.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<u8, 2>::zeros([2, 2]);
    /// assert_eq!(a.view().as_slice_memory_order().map(|s| s.len()), Some(4));
    /// assert!(a.view().t().as_slice_memory_order().is_some());
    /// ```
    pub fn as_slice_memory_order(self) -> Option<&'a [T]> {
        if !(self.is_c_contiguous() || self.is_f_contiguous()) {
            return None;
        }
        let len = if self.is_empty() { 0 } else { self.len() };
        // SAFETY: a contiguous non-empty view covers exactly `len` consecutive valid elements
        // starting at `ptr` (positive unit-stride packing); an empty one yields an empty slice.
        Some(unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), len) })
    }
}

impl<'a, T> ArrayView<'a, T, 1> {
    /// A rank-1 view of a slice.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = array_expr_runtime::ArrayView::from_slice(&[1u8, 2, 3]);
    /// assert_eq!(v.shape(), [3]);
    /// ```
    pub fn from_slice(data: &'a [T]) -> Self {
        ArrayView::from_parts_checked(data, 0, [data.len()], [1])
    }
}
