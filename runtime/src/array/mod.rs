//! [`Array`]: an owned, strided, `D`-dimensional array.

mod construct;
mod random;
mod traits;

pub use random::RandomElement;

use crate::element::Element;
use crate::error::Result;
use crate::layout::{Geometry, Order};
use crate::view::{ArrayView, ArrayViewMut};

/// An owned `D`-dimensional array of `T` (C order unless made otherwise).
///
/// Owns a `Vec<T>`; [`view`](Array::view) and [`view_mut`](Array::view_mut) borrow it as
/// strided views, where slicing, transposing and broadcasting happen.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::Array;
/// let a = Array::<f64, 2>::from_shape_vec([2, 2], vec![1.0, 2.0, 3.0, 4.0])?;
/// assert_eq!(a[[1, 0]], 3.0);
/// assert_eq!(a.t().to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct Array<T, const D: usize> {
    // Every constructor requires `T: Element`: the output pool relies on it (see `Drop`).
    data: Vec<T>,
    geom: Geometry<D>,
}

/// A large buffer goes to the output pool (see [`crate::alloc`]), where the next kernel output
/// of its size takes it without new page faults; anything else is freed.
impl<T, const D: usize> Drop for Array<T, D> {
    fn drop(&mut self) {
        let data = std::mem::take(&mut self.data);
        // SAFETY: `T` is an `Element`: the fields are private to this module and its children,
        // and the only struct literals (`from_vec_unchecked` and `from_vec` in construct.rs,
        // `into_shape` here) are in `impl<T: Element ..>` blocks, so no `Array` of another
        // element type can exist.
        unsafe { crate::alloc::recycle(data) }
    }
}

impl<T: Element, const D: usize> Array<T, D> {
    /// Moves the buffer out, leaving the array empty (for [`crate::alloc::Temporary`]'s drop).
    pub(crate) fn take_data(&mut self) -> Vec<T> {
        std::mem::take(&mut self.data)
    }

    /// A read-only view of the whole array.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// let v = a.view();
    /// assert_eq!(v.shape(), [2, 3]);
    /// ```
    pub fn view(&self) -> ArrayView<'_, T, D> {
        // SAFETY: the array invariant: the geometry addresses elements of `self.data` only
        // (established by every constructor and kept by the consuming geometry operations).
        unsafe { ArrayView::from_raw_parts(self.origin_ptr(), self.geom.shape, self.geom.strides) }
    }

    /// A mutable view of the whole array.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<f32, 1>::zeros([3]);
    /// a.view_mut().fill(2.0);
    /// assert_eq!(a.to_vec(), vec![2.0; 3]);
    /// ```
    pub fn view_mut(&mut self) -> ArrayViewMut<'_, T, D> {
        let (shape, strides) = (self.geom.shape, self.geom.strides);
        let off = self.origin_offset();
        let ptr = self.data.as_mut_ptr().wrapping_add(off);
        // SAFETY: as in `view`; the array's geometry never aliases (only C/F layouts, permuted or
        // reversed), and `&mut self` gives exclusive access.
        unsafe { ArrayViewMut::from_raw_parts(ptr, shape, strides) }
    }

    /// Offset in `data` of the first element: the sum of (n-1)*|s| over negative-stride axes.
    pub(super) fn origin_offset(&self) -> usize {
        if self.geom.is_empty() {
            return 0;
        }
        let g = &self.geom;
        g.shape
            .iter()
            .zip(&g.strides)
            .filter(|(_, &s)| s < 0)
            .map(|(&n, &s)| (n - 1) * s.unsigned_abs())
            .sum()
    }

    pub(super) fn origin_ptr(&self) -> *const T {
        self.data.as_ptr().wrapping_add(self.origin_offset())
    }

    /// The length of every axis.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// assert_eq!(Array::<u8, 3>::zeros([2, 3, 4]).shape(), [2, 3, 4]);
    /// ```
    pub fn shape(&self) -> [usize; D] {
        self.geom.shape
    }

    /// The element strides.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// assert_eq!(a.strides(), [3, 1]);
    /// assert_eq!(a.into_reversed_axes().strides(), [1, 3]);
    /// ```
    pub fn strides(&self) -> [isize; D] {
        self.geom.strides
    }

    /// Number of elements.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// assert_eq!(Array::<i32, 2>::zeros([2, 3]).len(), 6);
    /// ```
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when some axis has length 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// assert!(Array::<i32, 2>::zeros([2, 0]).is_empty());
    /// assert!(!Array::<i32, 0>::zeros([]).is_empty()); // a scalar has one element
    /// ```
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// True when the data is in C order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// assert!(a.is_c_contiguous());
    /// assert!(!a.into_reversed_axes().is_c_contiguous());
    /// ```
    pub fn is_c_contiguous(&self) -> bool {
        self.view().is_c_contiguous()
    }

    /// True when the data is in F order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Order};
    /// let a = Array::<f32, 2>::from_shape_vec_order([2, 3], vec![0.0; 6], Order::F)?;
    /// assert!(a.is_f_contiguous());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn is_f_contiguous(&self) -> bool {
        self.view().is_f_contiguous()
    }

    /// The element at `index`, or `None` when out of bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<i32, 2>::from_fn([2, 2], |[i, j]| (10 * i + j) as i32);
    /// assert_eq!(a.get([1, 0]), Some(&10));
    /// assert_eq!(a.get([2, 0]), None);
    /// ```
    pub fn get(&self, index: [usize; D]) -> Option<&T> {
        self.view().get_ref(index)
    }

    /// The element at `index` for writing, or `None` when out of bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<i32, 2>::zeros([2, 2]);
    /// if let Some(x) = a.get_mut([0, 1]) {
    ///     *x = 7;
    /// }
    /// assert_eq!(a.to_vec(), vec![0, 7, 0, 0]);
    /// ```
    pub fn get_mut(&mut self, index: [usize; D]) -> Option<&mut T> {
        let g = self.geom;
        let mut off = self.origin_offset() as isize;
        for ((&i, &n), &st) in index.iter().zip(&g.shape).zip(&g.strides) {
            if i >= n {
                return None;
            }
            off += i as isize * st;
        }
        self.data.get_mut(usize::try_from(off).ok()?)
    }

    /// The elements in logical C order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<i32, 2>::from_shape_vec([2, 2], vec![1, 2, 3, 4])?;
    /// assert_eq!(a.t().to_vec(), vec![1, 3, 2, 4]); // logical order of the view, not memory order
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn to_vec(&self) -> Vec<T> {
        self.view().to_vec()
    }

    /// The underlying storage in memory order, with the order it is packed in.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<i32, 2>::from_shape_vec([2, 2], vec![1, 2, 3, 4])?.into_reversed_axes();
    /// assert_eq!(a.as_slice_memory_order(), &[1, 2, 3, 4]); // storage order is unchanged
    /// assert_eq!(a.to_vec(), vec![1, 3, 2, 4]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn as_slice_memory_order(&self) -> &[T] {
        &self.data
    }

    /// Mutable storage in memory order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<f32, 2>::zeros([2, 2]);
    /// a.as_slice_memory_order_mut().iter_mut().for_each(|x| *x += 1.0);
    /// assert_eq!(a.to_vec(), vec![1.0; 4]);
    /// ```
    pub fn as_slice_memory_order_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The storage vector and the order it is laid out in (`None` when the axes were permuted
    /// into a layout that is neither C nor F).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Order};
    /// let a = Array::<u8, 2>::from_shape_vec([2, 2], vec![1, 2, 3, 4])?;
    /// assert_eq!(a.into_reversed_axes().into_raw_vec(), (vec![1, 2, 3, 4], Some(Order::F)));
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn into_raw_vec(mut self) -> (Vec<T>, Option<Order>) {
        let order = if self.is_c_contiguous() {
            Some(Order::C)
        } else if self.is_f_contiguous() {
            Some(Order::F)
        } else {
            None
        };
        (std::mem::take(&mut self.data), order)
    }

    /// The transpose as a view (axes reversed).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// assert_eq!(a.t().shape(), [3, 2]);
    /// assert!(a.t().is_f_contiguous()); // a view: nothing was copied
    /// ```
    pub fn t(&self) -> ArrayView<'_, T, D> {
        self.view().reversed_axes()
    }

    /// Reverses the axes in place (no copy): an F-order array becomes C order and vice versa.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]).into_reversed_axes();
    /// assert_eq!(a.shape(), [3, 2]);
    /// assert!(a.is_f_contiguous());
    /// ```
    pub fn into_reversed_axes(mut self) -> Self {
        self.geom = self.geom.reversed();
        self
    }

    /// Reorders the axes without copying.
    ///
    /// # Errors
    ///
    /// `perm` is not a permutation.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 3>::zeros([2, 3, 4]).into_permuted_axes([2, 0, 1])?;
    /// assert_eq!(a.shape(), [4, 2, 3]);
    /// assert!(Array::<f32, 2>::zeros([2, 2]).into_permuted_axes([0, 0]).is_err());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn into_permuted_axes(mut self, perm: [usize; D]) -> Result<Self> {
        self.geom = self.geom.permute(perm)?;
        Ok(self)
    }

    /// Reshapes without copying when the layout allows (always for C order on a C array).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Reshape`](crate::ErrorKind::Reshape) when the element counts differ or the
    /// layout cannot express the shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Order};
    /// let a = Array::<i32, 1>::from_vec((0..6).collect());
    /// let m = a.into_shape([2, 3], Order::C)?;
    /// assert_eq!(m.get([1, 0]), Some(&3));
    /// assert!(m.into_shape([4, 2], Order::C).is_err()); // 6 elements do not make 4 x 2
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn into_shape<const E: usize>(mut self, shape: [usize; E], order: Order) -> Result<Array<T, E>> {
        let g = self.geom.reshape(shape, order)?;
        Ok(Array { data: std::mem::take(&mut self.data), geom: g })
    }

    /// A report of shape, strides and flags (this array owns its data).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let r = Array::<f32, 2>::zeros([2, 3]).layout_report();
    /// assert!(r.to_string().contains("C_CONTIGUOUS   : True"));
    /// ```
    pub fn layout_report(&self) -> crate::LayoutReport {
        crate::LayoutReport::new(&self.geom.shape, &self.geom.strides, std::mem::size_of::<T>(), true)
    }

    /// Sets every element to `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<i64, 1>::zeros([3]);
    /// a.fill(-1);
    /// assert_eq!(a.to_vec(), vec![-1, -1, -1]);
    /// ```
    pub fn fill(&mut self, value: T) {
        self.data.fill(value);
    }
}

/// Calls `f` with every index of `shape` in C order.
pub(crate) fn for_each_index<const D: usize>(shape: [usize; D], mut f: impl FnMut([usize; D])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = [0usize; D];
    loop {
        f(idx);
        // odometer: the last axis fastest; done when every axis wrapped
        let mut carry = true;
        for (i, &n) in idx.iter_mut().zip(&shape).rev() {
            *i += 1;
            if *i < n {
                carry = false;
                break;
            }
            *i = 0;
        }
        if carry {
            return;
        }
    }
}
