//! The element types GEMM accepts: the sealed arithmetic and the matrixmultiply calls.

use crate::element::Element;
use crate::error::Result;
use crate::view::{ArrayView, ArrayViewMut};

pub(super) mod sealed {
    use crate::error::Result;
    use crate::view::{ArrayView, ArrayViewMut};

    /// The arithmetic a GEMM element needs; sealed so the set of types stays the crate's.
    pub trait Sealed: crate::element::Element {
        /// The product used by matmul: IEEE, wrapping for integers, `and` for bool.
        fn mul(self, rhs: Self) -> Self;
        /// The sum used by matmul: IEEE, wrapping for integers, `or` for bool.
        fn add(self, rhs: Self) -> Self;
        /// Whether a scalar factor may be folded into GEMM's `alpha` without changing which
        /// products are zero, infinite or NaN: always for integers and `bool`; for floats when
        /// finite with a magnitude in [2⁻⁶⁴, 2⁶⁴] (see `gemm_folded`).
        fn foldable(self) -> bool {
            true
        }
        /// `C = alpha·A·B + beta·C` for non-empty operands with `k > 0` whose shapes the caller
        /// checked. The default is the blocked loop; `f32` and `f64` call matrixmultiply.
        fn gemm_kernel(
            alpha: Self,
            a: &ArrayView<'_, Self, 2>,
            b: &ArrayView<'_, Self, 2>,
            beta: Self,
            c: &mut ArrayViewMut<'_, Self, 2>,
        ) -> Result<()> {
            crate::gemm::run::scale(beta, c);
            crate::gemm::run::blocked_gemm(alpha, a, b, c)
        }
    }
}

/// An element type the matrix products accept: `f32`, `f64`, every integer type and `bool`.
///
/// Sealed. Floats use IEEE arithmetic through matrixmultiply, integers wrap on overflow, and
/// `bool` uses `and` / `or` (see the [module docs](crate::gemm)).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{gemm::{matmul, GemmElement}, Array};
/// fn square<T: GemmElement>(a: &Array<T, 2>) -> array_expr_runtime::Result<Array<T, 2>> {
///     matmul(&a.view(), &a.view())
/// }
/// let a = Array::<u8, 2>::from_shape_vec([2, 2], vec![16, 0, 0, 1])?;
/// assert_eq!(square(&a)?.to_vec(), vec![0, 0, 0, 1]); // 16·16 = 256 wraps to 0
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub trait GemmElement: Element + sealed::Sealed {}

/// Calls matrixmultiply's `$mm` (`sgemm` or `dgemm`) on the views.
macro_rules! float_element {
    ($t:ty, $mm:path) => {
        impl sealed::Sealed for $t {
            fn mul(self, rhs: Self) -> Self {
                self * rhs
            }
            fn add(self, rhs: Self) -> Self {
                self + rhs
            }
            fn foldable(self) -> bool {
                let m = self.abs();
                m.is_finite() && m >= (2.0 as $t).powi(-64) && m <= (2.0 as $t).powi(64)
            }
            fn gemm_kernel(
                alpha: Self,
                a: &ArrayView<'_, Self, 2>,
                b: &ArrayView<'_, Self, 2>,
                beta: Self,
                c: &mut ArrayViewMut<'_, Self, 2>,
            ) -> Result<()> {
                let ([m, k], [kb, n]) = (a.shape(), b.shape());
                // `gemm` checked these shapes already; this method can also be reached through
                // the `GemmElement` supertrait, so the bound the call relies on is asserted here.
                assert!(k == kb && c.shape() == [m, n], "gemm kernel called with unchecked shapes");
                let ([rsa, csa], [rsb, csb], [rsc, csc]) = (a.strides(), b.strides(), c.strides());
                let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
                // SAFETY: matrixmultiply reads `pa + i·rsa + p·csa` (i < m, p < k) and
                // `pb + p·rsb + j·csb` (p < k, j < n), and writes (with beta != 0 also reads)
                // `pc + i·rsc + j·csc` (i < m, j < n); it forms no other offsets from these
                // pointers. The assert just above makes those exactly the indices of `a`, `b` and
                // `c`, and the view invariant (crate::view) makes each one a valid, initialized
                // element inside one allocation, with offsets that fit in isize. `c` is borrowed
                // `&mut`: its elements are accessed only here and distinct indices are distinct
                // elements (ArrayViewMut invariant), so C does not alias itself; `a` and `b` are
                // shared borrows alive at the same time, so none of their elements is one of
                // `c`'s. matrixmultiply writes nothing through `pa` or `pb`.
                unsafe { $mm(m, k, n, alpha, pa, rsa, csa, pb, rsb, csb, beta, pc, rsc, csc) };
                Ok(())
            }
        }
        impl GemmElement for $t {}
    };
}

float_element!(f32, matrixmultiply::sgemm);
float_element!(f64, matrixmultiply::dgemm);

/// Integers: wrapping arithmetic and the default (blocked loop) kernel.
macro_rules! int_element {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {
            fn mul(self, rhs: Self) -> Self {
                self.wrapping_mul(rhs)
            }
            fn add(self, rhs: Self) -> Self {
                self.wrapping_add(rhs)
            }
        }
        impl GemmElement for $t {}
    )*};
}

int_element!(i8, i16, i32, i64, u8, u16, u32, u64);

impl sealed::Sealed for bool {
    fn mul(self, rhs: Self) -> Self {
        self & rhs
    }
    fn add(self, rhs: Self) -> Self {
        self | rhs
    }
}
impl GemmElement for bool {}
