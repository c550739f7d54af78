//! Zero-copy conversion to and from `ndarray` views (feature `ndarray`), for ranks 0 to 6
//! (`From` impls both ways and `to_ndarray`; the example is on `to_ndarray`).

use super::{ArrayView, ArrayViewMut};

/// The `ndarray` shape with strides for the lowest-addressed element, which is what
/// `ndarray`'s `from_shape_ptr` takes; the caller then inverts the negative-stride axes.
fn low_address_parts<const D: usize>(shape: [usize; D], strides: [isize; D]) -> (isize, [usize; D]) {
    let mut low = 0isize;
    for (&n, &st) in shape.iter().zip(&strides) {
        if st < 0 && n > 0 {
            low += (n as isize - 1) * st;
        }
    }
    (low, strides.map(isize::unsigned_abs))
}

macro_rules! interop {
    ($($d:literal => $ix:ident),*) => {$(
        impl<'a, T> From<ndarray::ArrayView<'a, T, ndarray::$ix>> for ArrayView<'a, T, $d> {
            // ndarray's `$ix` has exactly $d axes, so `k < $d` indexes its shape and strides
            #[allow(clippy::indexing_slicing)]
            fn from(v: ndarray::ArrayView<'a, T, ndarray::$ix>) -> Self {
                let shape: [usize; $d] = std::array::from_fn(|k| v.shape()[k]);
                let strides: [isize; $d] = std::array::from_fn(|k| v.strides()[k]);
                // SAFETY: an ndarray view guarantees that every in-bounds index, offset by its
                // (element) strides from `as_ptr()`, is a valid element borrowed for 'a.
                unsafe { ArrayView::from_raw_parts(v.as_ptr(), shape, strides) }
            }
        }

        impl<'a, T> From<ndarray::ArrayViewMut<'a, T, ndarray::$ix>> for ArrayViewMut<'a, T, $d> {
            // ndarray's `$ix` has exactly $d axes, so `k < $d` indexes its shape and strides
            #[allow(clippy::indexing_slicing)]
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
