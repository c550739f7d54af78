//! [`ArrayViewMut`]: constructors, write access and conversion to a shared view.

use super::{check_in_buffer, for_each_offset, origin, ArrayView, ArrayViewMut};
use crate::element::Element;
use crate::error::{bail, Result};
use crate::layout::{self, Geometry, Order};
use std::marker::PhantomData;
use std::ptr::NonNull;

impl<'a, T, const D: usize> ArrayViewMut<'a, T, D> {
    /// A mutable view of `data` as `shape`, packed in `order`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{ArrayViewMut, Order};
    /// let mut data = [0; 6];
    /// let mut v = ArrayViewMut::from_shape([2, 3], &mut data, Order::F)?;
    /// *v.get_mut([1, 0]).unwrap() = 9;
    /// assert_eq!(data, [0, 9, 0, 0, 0, 0]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `data.len()` differs from the shape's element count.
    pub fn from_shape(shape: [usize; D], data: &'a mut [T], order: Order) -> Result<Self> {
        let n = layout::checked_len("data", &shape, std::mem::size_of::<T>())?;
        if n != data.len() {
            bail!(ShapeMismatch, "argument `data`: shape {shape:?} needs {n} elements, found {}", data.len());
        }
        let strides = layout::contiguous_strides(shape, order);
        Ok(Self::from_parts_checked(data, 0, shape, strides))
    }

    /// A mutable view with explicit shape, strides and offset.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::ArrayViewMut;
    /// let mut data = [0; 6];
    /// ArrayViewMut::from_shape_strides(&mut data, [3], [2], 1)?.fill(1);
    /// assert_eq!(data, [0, 1, 0, 1, 0, 1]);
    /// assert!(ArrayViewMut::from_shape_strides(&mut data, [3, 2], [1, 1], 0).is_err());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidLayout`](crate::ErrorKind::InvalidLayout) when an index reaches outside
    /// `data` or two indices alias.
    pub fn from_shape_strides(
        data: &'a mut [T],
        shape: [usize; D],
        strides: [isize; D],
        offset: usize,
    ) -> Result<Self> {
        layout::checked_len("data", &shape, std::mem::size_of::<T>())?;
        check_in_buffer("data", data.len(), offset, shape, strides, true)?;
        Ok(Self::from_parts_checked(data, offset, shape, strides))
    }

    fn from_parts_checked(data: &'a mut [T], offset: usize, shape: [usize; D], strides: [isize; D]) -> Self {
        let geom = Geometry { shape, strides };
        let ptr = origin(data.as_mut_ptr(), offset, geom.is_empty());
        ArrayViewMut { ptr, geom, life: PhantomData }
    }

    /// A mutable view from a raw pointer to the first element.
    ///
    /// # Safety
    ///
    /// - for every index `i` with `i[k] < shape[k]`, `ptr.offset(Σ i[k]·strides[k])` points to an
    ///   initialized `T` inside one allocation, valid for reads and writes, and accessed only
    ///   through this view for `'a`;
    /// - distinct indices give distinct elements; the byte offsets fit in `isize`;
    /// - `ptr` is non-null and aligned (it may dangle when the shape has a zero).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::ArrayViewMut;
    /// let mut data = [1, 2, 3, 4];
    /// // SAFETY: 2x2 row-major over `data`, borrowed exclusively for the view's life.
    /// let mut v = unsafe { ArrayViewMut::from_raw_parts(data.as_mut_ptr(), [2, 2], [2, 1]) };
    /// v.fill(0);
    /// assert_eq!(data, [0; 4]);
    /// ```
    pub unsafe fn from_raw_parts(ptr: *mut T, shape: [usize; D], strides: [isize; D]) -> Self {
        let ptr = NonNull::new(ptr).unwrap_or(NonNull::dangling());
        ArrayViewMut { ptr, geom: Geometry { shape, strides }, life: PhantomData }
    }

    /// A read-only view of the same elements, borrowing `self`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<f32, 1>::zeros([3]);
    /// let m = a.view_mut();
    /// assert_eq!(m.view().to_vec(), vec![0.0; 3]);
    /// ```
    pub fn view(&self) -> ArrayView<'_, T, D> {
        ArrayView { ptr: self.ptr, geom: self.geom, life: PhantomData }
    }

    /// A shorter-lived mutable view of the same elements (reborrow).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<f32, 1>::zeros([3]);
    /// let mut m = a.view_mut();
    /// m.view_mut().fill(1.0); // a reborrow; `m` is usable again afterwards
    /// m.fill(2.0);
    /// assert_eq!(a.to_vec(), vec![2.0; 3]);
    /// ```
    pub fn view_mut(&mut self) -> ArrayViewMut<'_, T, D> {
        ArrayViewMut { ptr: self.ptr, geom: self.geom, life: PhantomData }
    }

    /// Converts into a read-only view with the full lifetime.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<f32, 1>::zeros([2]);
    /// let v = a.view_mut().into_view();
    /// assert_eq!(v.len(), 2);
    /// ```
    pub fn into_view(self) -> ArrayView<'a, T, D> {
        ArrayView { ptr: self.ptr, geom: self.geom, life: PhantomData }
    }

    /// Mutable pointer to the first element (dangling for an empty view).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<f32, 1>::zeros([2]);
    /// let p = a.view_mut().as_mut_ptr();
    /// assert_eq!(p as *const f32, a.as_slice_memory_order().as_ptr());
    /// ```
    pub fn as_mut_ptr(&mut self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// The element at `index` for writing, or `None` when out of bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<i32, 2>::zeros([2, 2]);
    /// let mut t = a.view_mut().reversed_axes();
    /// if let Some(x) = t.get_mut([1, 0]) {
    ///     *x = 9; // a[0, 1]
    /// }
    /// assert_eq!(a.to_vec(), vec![0, 9, 0, 0]);
    /// ```
    pub fn get_mut(&mut self, index: [usize; D]) -> Option<&mut T> {
        let off = self.offset_of(index)?;
        // SAFETY: index checked against the shape; the view invariant gives exclusive access.
        Some(unsafe { &mut *self.ptr.as_ptr().offset(off) })
    }

    /// Calls `f` on every element, mutably, in logical row-major order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<i32, 1>::from_vec(vec![1, 2, 3]);
    /// a.view_mut().for_each_mut(|x| *x *= 10);
    /// assert_eq!(a.to_vec(), vec![10, 20, 30]);
    /// ```
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut T)) {
        let g = self.geom;
        for_each_offset(&g.shape, &g.strides, |off| {
            // SAFETY: valid index offsets (for_each_offset) under the exclusive view invariant;
            // each element is visited once, so no two `&mut` coexist.
            f(unsafe { &mut *self.ptr.as_ptr().offset(off) })
        });
    }

    /// Sets every element to `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<i32, 2>::zeros([2, 2]);
    /// a.view_mut().index_axis::<1>(0, 1)?.fill(7); // a[1, :] = 7
    /// assert_eq!(a.to_vec(), vec![0, 0, 7, 7]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn fill(&mut self, value: T)
    where
        T: Copy,
    {
        self.for_each_mut(|x| *x = value);
    }

    /// Copies `src` (same shape) into this view, in blocks, without a temporary.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let src = Array::<i32, 2>::from_fn([2, 3], |[i, j]| (i * 3 + j) as i32);
    /// let mut dst = Array::<i32, 2>::zeros([3, 2]);
    /// dst.view_mut().reversed_axes().assign(&src.view())?;
    /// assert_eq!(dst.to_vec(), vec![0, 3, 1, 4, 2, 5]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when the shapes differ.
    pub fn assign(&mut self, src: &ArrayView<'_, T, D>) -> Result<()>
    where
        T: Element,
    {
        if src.shape() != self.shape() {
            bail!(
                ShapeMismatch,
                "argument `src`: shape {:?} does not match the destination shape {:?}",
                src.shape(),
                self.shape()
            );
        }
        crate::driver::zip1(self, src, 0, &|o: &mut [T], _, a: &[T]| o.copy_from_slice(a))
    }

    /// The data as a mutable slice in memory order, when C- or F-contiguous.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Slice};
    /// let mut a = Array::<u8, 2>::zeros([2, 2]);
    /// if let Some(s) = a.view_mut().as_slice_memory_order_mut() {
    ///     s[0] = 1;
    /// }
    /// assert_eq!(a.to_vec(), vec![1, 0, 0, 0]);
    /// let mut b = Array::<u8, 2>::zeros([2, 4]);
    /// assert!(b.view_mut().slice([Slice::full(), Slice::full().step_by(2)])?.as_slice_memory_order_mut().is_none());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn as_slice_memory_order_mut(&mut self) -> Option<&mut [T]> {
        if !(self.is_c_contiguous() || self.is_f_contiguous()) {
            return None;
        }
        let len = if self.is_empty() { 0 } else { self.len() };
        // SAFETY: contiguous => exactly `len` consecutive valid elements from `ptr`, exclusive.
        Some(unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), len) })
    }
}

impl<'a, T> ArrayViewMut<'a, T, 1> {
    /// A rank-1 mutable view of a slice.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut d = [1, 2];
    /// array_expr_runtime::ArrayViewMut::from_slice(&mut d).fill(5);
    /// assert_eq!(d, [5, 5]);
    /// ```
    pub fn from_slice(data: &'a mut [T]) -> Self {
        let n = data.len();
        ArrayViewMut::from_parts_checked(data, 0, [n], [1])
    }
}
