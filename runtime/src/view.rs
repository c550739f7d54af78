//! Borrowed views: [`ArrayView`] (shared) and [`ArrayViewMut`] (exclusive).
//!
//! A view is a pointer to its first element plus a shape and signed element strides.
//! Invariant of both types, established by every constructor and kept by every operation
//! (see [`crate::layout`]): for each index `i` with `i[k] < shape[k]`, the element at
//! `ptr + Σ i[k]·strides[k]` is initialized, inside one allocation, and valid for the view's
//! lifetime (for reading; for [`ArrayViewMut`] also for writing, with no other access, and
//! distinct indices address distinct elements). An empty view never dereferences its pointer.

use crate::element::Element;
use crate::error::{bail, Result};
use crate::layout::{self, Geometry, Order, Slice};
use std::fmt;
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
            fn offset_of(&self, index: [usize; D]) -> Option<isize> {
                let mut off = 0isize;
                for k in 0..D {
                    if index[k] >= self.geom.shape[k] {
                        return None;
                    }
                    off += index[k] as isize * self.geom.strides[k];
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
            fn moved<const E: usize>(self, (geom, delta): layout::Moved<E>) -> $View<'a, T, E> {
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

/// Calls `f` with the element offset of every index of a layout, in row-major order.
pub(crate) fn for_each_offset(shape: &[usize], strides: &[isize], mut f: impl FnMut(isize)) {
    if shape.contains(&0) {
        return;
    }
    let d = shape.len();
    if d == 0 {
        f(0);
        return;
    }
    let (inner_n, inner_s) = (shape[d - 1], strides[d - 1]);
    let mut idx = vec![0usize; d];
    let mut base = 0isize;
    loop {
        let mut off = base;
        for _ in 0..inner_n {
            f(off);
            off += inner_s;
        }
        // advance the outer index (axes 0..d-1) like an odometer
        let mut k = d - 1;
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            idx[k] += 1;
            base += strides[k];
            if idx[k] < shape[k] {
                break;
            }
            base -= strides[k] * shape[k] as isize;
            idx[k] = 0;
        }
    }
}

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
        crate::driver::zip1(self, src, 0, &|o: &mut [T], a: &[T]| o.copy_from_slice(a))
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

// Zero-copy conversion to and from `ndarray` views (feature `ndarray`), for ranks 0 to 6
// (`From` impls both ways and `to_ndarray`; the example is on `to_ndarray`).
#[cfg(feature = "ndarray")]
mod ndarray_interop {
    use super::{ArrayView, ArrayViewMut};

    /// The `ndarray` shape with strides for the lowest-addressed element, which is what
    /// `ndarray`'s `from_shape_ptr` takes; the caller then inverts the negative-stride axes.
    fn low_address_parts<const D: usize>(shape: [usize; D], strides: [isize; D]) -> (isize, [usize; D]) {
        let mut low = 0isize;
        let mut abs = [0usize; D];
        for k in 0..D {
            if strides[k] < 0 && shape[k] > 0 {
                low += (shape[k] as isize - 1) * strides[k];
            }
            abs[k] = strides[k].unsigned_abs();
        }
        (low, abs)
    }

    macro_rules! interop {
        ($($d:literal => $ix:ident),*) => {$(
            impl<'a, T> From<ndarray::ArrayView<'a, T, ndarray::$ix>> for ArrayView<'a, T, $d> {
                fn from(v: ndarray::ArrayView<'a, T, ndarray::$ix>) -> Self {
                    let shape: [usize; $d] = std::array::from_fn(|k| v.shape()[k]);
                    let strides: [isize; $d] = std::array::from_fn(|k| v.strides()[k]);
                    // SAFETY: an ndarray view guarantees that every in-bounds index, offset by its
                    // (element) strides from `as_ptr()`, is a valid element borrowed for 'a.
                    unsafe { ArrayView::from_raw_parts(v.as_ptr(), shape, strides) }
                }
            }

            impl<'a, T> From<ndarray::ArrayViewMut<'a, T, ndarray::$ix>> for ArrayViewMut<'a, T, $d> {
                fn from(mut v: ndarray::ArrayViewMut<'a, T, ndarray::$ix>) -> Self {
                    let shape: [usize; $d] = std::array::from_fn(|k| v.shape()[k]);
                    let strides: [isize; $d] = std::array::from_fn(|k| v.strides()[k]);
                    // SAFETY: as above; ndarray's mutable views never alias and are exclusive for 'a.
                    unsafe { ArrayViewMut::from_raw_parts(v.as_mut_ptr(), shape, strides) }
                }
            }

            impl<'a, T> ArrayView<'a, T, $d> {
                /// The same elements as an `ndarray` view, without copying (feature `ndarray`);
                /// `From` converts the other way, also without copying.
                ///
                /// # Examples
                ///
                /// ```
                /// use array_expr_runtime::ArrayView;
                /// let nd = ndarray::Array2::<f32>::from_shape_fn((2, 3), |(i, j)| (i * 3 + j) as f32);
                /// let v: ArrayView<'_, f32, 2> = nd.t().into();
                /// assert_eq!(v.shape(), [3, 2]);
                /// assert_eq!(v.as_ptr(), nd.as_ptr());
                /// let back = v.to_ndarray();
                /// assert_eq!(back, nd.t());
                /// ```
                pub fn to_ndarray(self) -> ndarray::ArrayView<'a, T, ndarray::$ix> {
                    let (shape, strides) = (self.shape(), self.strides());
                    let (low, abs) = low_address_parts(shape, strides);
                    let base = if self.is_empty() { self.as_ptr() } else { self.as_ptr().wrapping_offset(low) };
                    let sh = ndarray::ShapeBuilder::strides(ndarray::Dim(shape), ndarray::Dim(abs));
                    // SAFETY: `base` is the lowest-addressed element of this view (or the origin of an
                    // empty one) and the view invariant makes every element valid for 'a; with
                    // absolute strides from there, ndarray addresses the same elements.
                    let mut v = unsafe { ndarray::ArrayView::from_shape_ptr(sh, base) };
                    for (k, s) in strides.iter().enumerate() {
                        if *s < 0 {
                            v.invert_axis(ndarray::Axis(k));
                        }
                    }
                    v
                }
            }
        )*};
    }
    interop!(0 => Ix0, 1 => Ix1, 2 => Ix2, 3 => Ix3, 4 => Ix4, 5 => Ix5, 6 => Ix6);
}
