//! Explicit layout normalization: borrow when the layout is already right, copy (and count the
//! copy) when it is not.

use crate::array::Array;
use crate::diagnostics::record_layout_copy;
use crate::element::Element;
use crate::layout::Order;
use crate::view::ArrayView;
use std::fmt;

/// Either a borrowed view (no copy was needed) or an owned copy.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{Array, CowArray};
/// let a = Array::<f32, 2>::zeros([2, 3]);
/// assert!(matches!(a.view().to_c_contiguous(), CowArray::Borrowed(_)));
/// assert!(matches!(a.t().to_c_contiguous(), CowArray::Owned(_)));
/// ```
pub enum CowArray<'a, T, const D: usize> {
    /// The input already had the requested layout.
    Borrowed(ArrayView<'a, T, D>),
    /// A copy in the requested layout (counted in [`crate::diagnostics::layout_copies`]).
    Owned(Array<T, D>),
}

impl<T: Element, const D: usize> CowArray<'_, T, D> {
    /// A view of the data, whichever variant.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// let c = a.t().to_c_contiguous(); // a copy
    /// assert_eq!(c.view().shape(), [3, 2]);
    /// assert!(c.view().is_c_contiguous());
    /// ```
    pub fn view(&self) -> ArrayView<'_, T, D> {
        match self {
            CowArray::Borrowed(v) => *v,
            CowArray::Owned(a) => a.view(),
        }
    }

    /// True when a copy was made.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// assert!(!a.view().to_c_contiguous().is_owned());
    /// assert!(a.t().to_c_contiguous().is_owned());
    /// ```
    pub fn is_owned(&self) -> bool {
        matches!(self, CowArray::Owned(_))
    }
}

impl<T: Element, const D: usize> fmt::Debug for CowArray<'_, T, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CowArray::Borrowed(v) => f.debug_tuple("Borrowed").field(v).finish(),
            CowArray::Owned(a) => f.debug_tuple("Owned").field(a).finish(),
        }
    }
}

impl<'a, T: Element, const D: usize> ArrayView<'a, T, D> {
    /// This view if it is C-contiguous, otherwise a counted C-order copy.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// use array_expr_runtime::diagnostics::layout_copies;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// let before = layout_copies().copies;
    /// let c = a.t().to_c_contiguous();
    /// assert!(c.is_owned() && c.view().is_c_contiguous());
    /// assert!(layout_copies().copies > before); // every copy is counted
    /// ```
    pub fn to_c_contiguous(self) -> CowArray<'a, T, D> {
        self.to_contiguous(Order::C)
    }

    /// This view if it is F-contiguous, otherwise a counted F-order copy.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// assert!(!a.t().to_f_contiguous().is_owned()); // already F: borrowed
    /// ```
    pub fn to_f_contiguous(self) -> CowArray<'a, T, D> {
        self.to_contiguous(Order::F)
    }

    /// This view if it is contiguous in `order`, otherwise a counted copy in that order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Order};
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// assert!(!a.view().to_contiguous(Order::C).is_owned());
    /// assert!(a.view().to_contiguous(Order::F).is_owned());
    /// ```
    pub fn to_contiguous(self, order: Order) -> CowArray<'a, T, D> {
        let ok = match order {
            Order::C => self.is_c_contiguous(),
            Order::F => self.is_f_contiguous(),
        };
        if ok {
            return CowArray::Borrowed(self);
        }
        record_layout_copy(self.len() * std::mem::size_of::<T>());
        CowArray::Owned(self.to_owned_order(order))
    }
}
