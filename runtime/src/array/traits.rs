//! Owned copies of views, indexing, `Debug` and equality.

use super::Array;
use crate::element::Element;
use crate::layout::Order;
use crate::view::ArrayView;
use std::fmt;

impl<T: Element, const D: usize> ArrayView<'_, T, D> {
    /// Copies into a new C-order array.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = array_expr_runtime::Array::<i32, 2>::from_fn([2, 3], |[i, j]| (i * 3 + j) as i32);
    /// let t = a.t().to_owned();
    /// assert!(t.is_c_contiguous());
    /// assert_eq!(t.to_vec(), vec![0, 3, 1, 4, 2, 5]);
    /// ```
    pub fn to_owned(&self) -> Array<T, D> {
        self.to_owned_order(Order::C)
    }

    /// Copies into a new array laid out in `order` (block copies, one pass).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Order};
    /// let a = Array::<i32, 2>::from_fn([2, 3], |[i, j]| (i * 3 + j) as i32);
    /// let f = a.view().to_owned_order(Order::F);
    /// assert!(f.is_f_contiguous());
    /// assert_eq!(f.to_vec(), a.to_vec());
    /// ```
    pub fn to_owned_order(&self, order: Order) -> Array<T, D> {
        let shape = self.shape();
        // the view exists, so its element count and byte size fit
        let n = shape.iter().product();
        let mut out = Array::from_vec_unchecked(vec![T::ZERO; n], shape, order);
        let copied = crate::driver::zip1(&mut out.view_mut(), self, 0, &|o: &mut [T], _, a: &[T]| {
            o.copy_from_slice(a)
        });
        debug_assert!(copied.is_ok(), "same shape by construction");
        out
    }
}

impl<T, const D: usize> std::ops::Index<[usize; D]> for Array<T, D>
where
    T: Element,
{
    type Output = T;

    /// # Panics
    ///
    /// When an index is out of bounds (use [`Array::get`] for a checked access).
    // `Index` has no way to fail but to panic, as slices do; `get` is the checked form.
    #[allow(clippy::panic)]
    fn index(&self, index: [usize; D]) -> &T {
        match self.get(index) {
            Some(x) => x,
            None => panic!("index {index:?} is out of bounds for shape {:?}", self.shape()),
        }
    }
}

impl<T: Element, const D: usize> std::ops::IndexMut<[usize; D]> for Array<T, D> {
    /// # Panics
    ///
    /// When an index is out of bounds (use [`Array::get_mut`] for a checked access).
    // As `index`: `get_mut` is the checked form.
    #[allow(clippy::panic)]
    fn index_mut(&mut self, index: [usize; D]) -> &mut T {
        let shape = self.shape();
        match self.get_mut(index) {
            Some(x) => x,
            None => panic!("index {index:?} is out of bounds for shape {shape:?}"),
        }
    }
}

impl<T: Element, const D: usize> fmt::Debug for Array<T, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Array")
            .field("dtype", &T::DTYPE)
            .field("shape", &self.geom.shape)
            .field("strides", &self.geom.strides)
            .field("data", &self.to_vec())
            .finish()
    }
}

impl<T: Element, const D: usize> PartialEq for Array<T, D> {
    fn eq(&self, other: &Self) -> bool {
        self.shape() == other.shape() && self.to_vec() == other.to_vec()
    }
}
