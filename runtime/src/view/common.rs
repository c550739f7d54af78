//! Methods both view types share (shape, strides, slicing, axes, splitting), written once as a macro.

use super::{for_each_offset, ArrayView, ArrayViewMut};
use crate::error::Result;
use crate::layout::{self, Order, Slice};
use std::fmt;
use std::marker::PhantomData;

macro_rules! common_view_methods {
    ($View:ident) => {
        impl<'a, T, const D: usize> $View<'a, T, D> {
            /// The length of every axis.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<f32, 2>::zeros([2, 3]);
            /// assert_eq!(a.view().shape(), [2, 3]);
            /// assert_eq!(a.t().shape(), [3, 2]);
            /// ```
            pub fn shape(&self) -> [usize; D] {
                self.geom.shape
            }

            /// The element stride of every axis (signed, zero for broadcast axes).
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<f32, 2>::zeros([2, 3]);
            /// assert_eq!(a.view().strides(), [3, 1]);
            /// let col = Array::<f32, 1>::zeros([3]);
            /// assert_eq!(col.view().broadcast_to([2, 3])?.strides(), [0, 1]); // broadcast: stride 0
            /// # Ok::<(), array_expr_runtime::Error>(())
            /// ```
            pub fn strides(&self) -> [isize; D] {
                self.geom.strides
            }

            /// The number of axes, `D`.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// assert_eq!(Array::<u8, 3>::zeros([1, 2, 3]).view().ndim(), 3);
            /// ```
            pub const fn ndim(&self) -> usize {
                D
            }

            /// The number of elements (the product of the shape).
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// assert_eq!(Array::<u8, 2>::zeros([4, 5]).view().len(), 20);
            /// ```
            pub fn len(&self) -> usize {
                self.geom.shape.iter().product()
            }

            /// True when some axis has length 0.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// assert!(Array::<u8, 2>::zeros([4, 0]).view().is_empty());
            /// ```
            pub fn is_empty(&self) -> bool {
                self.geom.is_empty()
            }

            /// True when the elements are packed in row-major order (positive unit-stride last axis).
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::{Array, Slice};
            /// let a = Array::<f32, 2>::zeros([3, 4]);
            /// assert!(a.view().is_c_contiguous());
            /// assert!(!a.t().is_c_contiguous());
            /// let every_other = a.view().slice([Slice::full(), Slice::full().step_by(2)])?;
            /// assert!(!every_other.is_c_contiguous());
            /// # Ok::<(), array_expr_runtime::Error>(())
            /// ```
            pub fn is_c_contiguous(&self) -> bool {
                layout::is_c_contiguous(&self.geom.shape, &self.geom.strides)
            }

            /// True when the elements are packed in column-major order.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<f32, 2>::zeros([3, 4]);
            /// assert!(a.t().is_f_contiguous());
            /// ```
            pub fn is_f_contiguous(&self) -> bool {
                layout::is_f_contiguous(&self.geom.shape, &self.geom.strides)
            }

            /// Pointer to the first element (dangling-but-aligned for an empty view).
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<f32, 2>::zeros([3, 4]);
            /// assert_eq!(a.view().as_ptr(), a.as_slice_memory_order().as_ptr());
            /// ```
            pub fn as_ptr(&self) -> *const T {
                self.ptr.as_ptr()
            }

            /// Element offset of `index`, or `None` when out of bounds.
            pub(super) fn offset_of(&self, index: [usize; D]) -> Option<isize> {
                let mut off = 0isize;
                for ((&i, &n), &st) in index.iter().zip(&self.geom.shape).zip(&self.geom.strides) {
                    if i >= n {
                        return None;
                    }
                    off += i as isize * st;
                }
                Some(off)
            }

            /// The element at `index`, or `None` when an index is out of bounds.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<i32, 2>::from_fn([2, 3], |[i, j]| (i * 3 + j) as i32);
            /// assert_eq!(a.t().get([2, 1]), Some(&5));
            /// assert_eq!(a.t().get([2, 2]), None);
            /// ```
            pub fn get(&self, index: [usize; D]) -> Option<&T> {
                let off = self.offset_of(index)?;
                // SAFETY: `offset_of` checked every index against the shape, so by the view
                // invariant `ptr + off` is a valid, initialized element for the borrow of self.
                Some(unsafe { &*self.ptr.as_ptr().offset(off) })
            }

            /// Copies the elements into a `Vec` in logical row-major (C) order.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<i32, 2>::from_fn([2, 2], |[i, j]| (i * 2 + j) as i32);
            /// assert_eq!(a.t().to_vec(), vec![0, 2, 1, 3]);
            /// ```
            pub fn to_vec(&self) -> Vec<T>
            where
                T: Copy,
            {
                let mut out = Vec::with_capacity(self.len());
                self.for_each_ref(|x| out.push(*x));
                out
            }

            /// Calls `f` on every element in logical row-major order.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<i32, 2>::from_fn([2, 2], |[i, j]| (i * 2 + j) as i32);
            /// let mut seen = Vec::new();
            /// a.t().for_each_ref(|x| seen.push(*x));
            /// assert_eq!(seen, vec![0, 2, 1, 3]);
            /// ```
            pub fn for_each_ref(&self, mut f: impl FnMut(&T)) {
                let g = self.geom;
                for_each_offset(&g.shape, &g.strides, |off| {
                    // SAFETY: `for_each_offset` yields exactly the offsets of valid indices, which
                    // the view invariant makes valid elements.
                    f(unsafe { &*self.ptr.as_ptr().offset(off) })
                });
            }

            /// A report of shape, strides and contiguity, in the spirit of NumPy's `flags`.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<f32, 2>::zeros([3, 4]);
            /// let text = a.t().layout_report().to_string();
            /// assert!(text.contains("F_CONTIGUOUS   : True"));
            /// assert!(text.contains("C copy needed  : True"));
            /// ```
            pub fn layout_report(&self) -> crate::LayoutReport {
                crate::LayoutReport::new(
                    &self.geom.shape,
                    &self.geom.strides,
                    std::mem::size_of::<T>(),
                    false,
                )
            }
        }

        impl<T: fmt::Debug, const D: usize> fmt::Debug for $View<'_, T, D> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut items = Vec::new();
                self.for_each_ref(|x| items.push(format!("{x:?}")));
                f.debug_struct(stringify!($View))
                    .field("shape", &self.geom.shape)
                    .field("strides", &self.geom.strides)
                    .field("data", &format_args!("[{}]", items.join(", ")))
                    .finish()
            }
        }

        impl<'a, T, const D: usize> $View<'a, T, D> {
            pub(super) fn moved<const E: usize>(self, (geom, delta): layout::Moved<E>) -> $View<'a, T, E> {
                // SAFETY: the layout functions guarantee `delta` is the offset of an element the
                // old view addresses when the new geometry is non-empty, and 0 otherwise; so the
                // pointer stays inside the same allocation.
                let ptr = unsafe { self.ptr.offset(delta) };
                $View { ptr, geom, life: PhantomData }
            }

            /// Slices every axis with [`Slice`] (ranges with steps, negative steps reverse).
            ///
            /// # Errors
            ///
            /// A step of 0.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::{Array, Slice};
            /// let a = Array::<i32, 2>::from_fn([3, 4], |[i, j]| (i * 4 + j) as i32);
            /// // a[1:, ::-2] in NumPy
            /// let v = a.view().slice([Slice::from(1..), Slice::full().step_by(-2)])?;
            /// assert_eq!(v.to_vec(), vec![7, 5, 11, 9]);
            /// assert!(a.view().slice([Slice::full(), Slice::full().step_by(0)]).is_err());
            /// # Ok::<(), array_expr_runtime::Error>(())
            /// ```
            pub fn slice(self, spec: [Slice; D]) -> Result<Self> {
                let m = self.geom.slice(&spec)?;
                Ok(self.moved(m))
            }

            /// Selects one position along `axis`, removing it (`E` must be `D - 1`, checked at compile time).
            ///
            /// # Errors
            ///
            /// `axis >= D` or `index` past the end of the axis.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<i32, 2>::from_fn([3, 4], |[i, j]| (i * 4 + j) as i32);
            /// let row = a.view().index_axis::<1>(0, 2)?; // a[2, :]
            /// assert_eq!(row.to_vec(), vec![8, 9, 10, 11]);
            /// assert!(a.view().index_axis::<1>(1, 4).is_err());
            /// # Ok::<(), array_expr_runtime::Error>(())
            /// ```
            pub fn index_axis<const E: usize>(self, axis: usize, index: usize) -> Result<$View<'a, T, E>> {
                let m = self.geom.index_axis::<E>(axis, index)?;
                Ok(self.moved(m))
            }

            /// Inserts a new axis of length 1 at `axis` (`E` must be `D + 1`, checked at compile time).
            ///
            /// # Errors
            ///
            /// `axis > D`.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let v = Array::<f32, 1>::zeros([3]);
            /// assert_eq!(v.view().insert_axis::<2>(1)?.shape(), [3, 1]); // v[:, newaxis]
            /// # Ok::<(), array_expr_runtime::Error>(())
            /// ```
            pub fn insert_axis<const E: usize>(self, axis: usize) -> Result<$View<'a, T, E>> {
                let g = self.geom.insert_axis::<E>(axis)?;
                Ok(self.moved((g, 0)))
            }

            /// Reorders the axes: axis `k` of the result is axis `perm[k]` of `self`.
            ///
            /// # Errors
            ///
            /// `perm` is not a permutation of `0..D`.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<f32, 3>::zeros([2, 3, 4]);
            /// assert_eq!(a.view().permute_axes([2, 0, 1])?.shape(), [4, 2, 3]);
            /// # Ok::<(), array_expr_runtime::Error>(())
            /// ```
            pub fn permute_axes(self, perm: [usize; D]) -> Result<Self> {
                let g = self.geom.permute(perm)?;
                Ok(self.moved((g, 0)))
            }

            /// Axis `k` of the result is axis `map[k]` of `self`, or a new axis of length 1 for
            /// `None` (transposes and new axes in one step). Used by generated kernels.
            ///
            /// # Errors
            ///
            /// An axis of length > 1 is dropped or used twice.
            #[doc(hidden)]
            pub fn remap_axes<const E: usize>(self, map: [Option<usize>; E]) -> Result<$View<'a, T, E>> {
                let g = self.geom.remap(map)?;
                Ok(self.moved((g, 0)))
            }

            /// Reverses the order of the axes (the transpose for rank 2).
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<f32, 3>::zeros([2, 3, 4]);
            /// assert_eq!(a.view().reversed_axes().shape(), [4, 3, 2]);
            /// ```
            pub fn reversed_axes(self) -> Self {
                let g = self.geom.reversed();
                self.moved((g, 0))
            }

            /// Reverses the direction of `axis` (negative stride).
            ///
            /// # Errors
            ///
            /// `axis >= D`.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<i32, 1>::from_vec(vec![1, 2, 3]);
            /// let r = a.view().invert_axis(0)?;
            /// assert_eq!((r.to_vec(), r.strides()), (vec![3, 2, 1], [-1]));
            /// # Ok::<(), array_expr_runtime::Error>(())
            /// ```
            pub fn invert_axis(self, axis: usize) -> Result<Self> {
                let m = self.geom.invert_axis(axis)?;
                Ok(self.moved(m))
            }

            /// Reinterprets the elements, read in `order`, as `shape`, without copying.
            ///
            /// # Errors
            ///
            /// [`ErrorKind::Reshape`](crate::ErrorKind::Reshape) when the element counts differ or the
            /// strides cannot express the new shape (normalize the layout first).
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::{Array, Order};
            /// let a = Array::<i32, 1>::from_vec((0..6).collect());
            /// let m = a.view().reshape([2, 3], Order::C)?;
            /// assert_eq!(m.get([1, 0]), Some(&3));
            /// // the transpose of that matrix cannot be read as 6 consecutive C-order elements
            /// assert!(m.t().reshape([6], Order::C).is_err());
            /// # Ok::<(), array_expr_runtime::Error>(())
            /// ```
            pub fn reshape<const E: usize>(self, shape: [usize; E], order: Order) -> Result<$View<'a, T, E>> {
                let g = self.geom.reshape(shape, order)?;
                Ok(self.moved((g, 0)))
            }

            /// Splits into `[..index]` and `[index..]` along `axis`.
            ///
            /// # Errors
            ///
            /// `axis >= D` or `index` greater than the axis length.
            ///
            /// # Examples
            ///
            /// ```
            /// use array_expr_runtime::Array;
            /// let a = Array::<i32, 2>::from_fn([2, 3], |[i, j]| (i * 3 + j) as i32);
            /// let (left, right) = a.view().split_at(1, 1)?;
            /// assert_eq!((left.to_vec(), right.to_vec()), (vec![0, 3], vec![1, 2, 4, 5]));
            /// # Ok::<(), array_expr_runtime::Error>(())
            /// ```
            pub fn split_at(self, axis: usize, index: usize) -> Result<(Self, Self)> {
                let (a, b) = self.geom.split_at(axis, index)?;
                let ptr = self.ptr;
                let first = $View { ptr, geom: a, life: PhantomData };
                let second = self.moved(b);
                Ok((first, second))
            }
        }
    };
}

common_view_methods!(ArrayView);
common_view_methods!(ArrayViewMut);
