//! Matrix products: [`gemm`] (`C = α·A·B + β·C`), [`matmul`] / [`matmul_into`], [`gemv`] /
//! [`matvec`] and [`dot`].
//!
//! # Layouts: nothing is copied
//!
//! Every operand may have any signed element strides: C or F order, transposed
//! ([`ArrayView::t`]), sliced with steps, reversed (negative strides), and for the inputs also
//! broadcast (zero strides). `f32` and `f64` go straight to `matrixmultiply`'s `sgemm` / `dgemm`
//! with the views' row and column strides. Those functions take a signed stride per axis and
//! only ever form the address `ptr + i·row_stride + j·col_stride` for in-range `i`, `j` (their
//! packing step reads any layout into its own buffers, and C is updated through the same
//! formula), so no stride is unusable: the wrapper never copies an operand and never records a
//! layout copy in [`crate::diagnostics::layout_copies`]. The wrapper itself allocates nothing
//! for `f32` / `f64` (matrixmultiply allocates its packing buffers on every call).
//!
//! # Aliasing
//!
//! The output is taken as `&mut ArrayViewMut` and the inputs as `&ArrayView`: while the output
//! is borrowed exclusively, safe code cannot hold a view of the same elements, so C never
//! aliases A or B (BLAS leaves that to the caller; here the borrow checker rejects it):
//!
//! ```compile_fail,E0502
//! use array_expr_runtime::{gemm::gemm, Array};
//! let mut c = Array::<f64, 2>::zeros([2, 2]);
//! let a = c.view();
//! gemm(1.0, &a, &a, 0.0, &mut c.view_mut())?; // error[E0502]: `c` is already borrowed
//! # Ok::<(), array_expr_runtime::Error>(())
//! ```
//!
//! # Numerics
//!
//! - `f32`, `f64`: matrixmultiply's blocked kernels, single-threaded per call (its `threading`
//!   feature stays off). Large products (at least two tasks of
//!   [`MIN_TASK_FLOPS`](crate::parallel::MIN_TASK_FLOPS)) split the longer side of C into
//!   blocks of rows or columns, one matrixmultiply call per block, on the crate's thread budget
//!   (see [`crate::parallel`]). Each element of C is computed the same way whatever the split,
//!   so results do not depend on the thread count. It picks its micro-kernel at run
//!   time (AVX2 + FMA, AVX, SSE2 or portable), so results are bit-identical from run to run on
//!   one machine but may differ in the last bits between CPUs. The blocking depends on `m`, `k`,
//!   `n` only, so the same logical operands give the same bits whatever their layouts.
//! - `beta == 0`: C is not read, so NaN or infinity already in C does not leak into the result
//!   (as in BLAS). `alpha == 0` or `k == 0`: A and B are not read and C becomes `beta·C`
//!   (zeros when `beta == 0`), as in the reference BLAS.
//! - Integers: wrapping (modular) arithmetic, like NumPy: the result is the exact product
//!   modulo 2^bits, independent of evaluation order. They run through a plain cache-blocked
//!   loop (panels copied into scratch buffers, which are algorithm workspace, not layout copies).
//! - `bool`: the product is logical `and` and the sum logical `or` (NumPy's boolean matmul);
//!   `alpha` and `beta` act as masks.
//! - [`dot`] and [`gemv`] / [`matvec`] sum in a fixed order documented at [`dot`], in the element
//!   type, so their results are bit-identical on every machine and build.

mod element;
mod folded;
mod run;

use element::sealed;
pub use element::GemmElement;
pub use folded::gemm_folded;
use run::{dot_unchecked, gemm_checked, scale};

use crate::array::Array;
use crate::error::{err, Error, Result};
use crate::view::{ArrayView, ArrayViewMut};

/// General matrix multiply: `C = alpha·A·B + beta·C`, with `A` of shape `[m, k]`, `B` of shape
/// `[k, n]` and `C` of shape `[m, n]`, written in place.
///
/// Any strides on all three operands (transposed, stepped, reversed; zero strides on `a` and
/// `b`), without copying. `f32` / `f64` run matrixmultiply's kernels with only the shape checks
/// added; integers wrap and `bool` uses `and` / `or` (see the [module docs](self)).
/// With `beta == 0`, C is not read (NaN in C does not leak); with `alpha == 0` or `k == 0`, A
/// and B are not read and C becomes `beta·C`.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{gemm::gemm, Array};
/// let a = Array::<f64, 2>::from_shape_vec([2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])?;
/// let b = Array::<f64, 2>::from_shape_vec([2, 3], vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0])?;
/// let mut c = Array::<f64, 2>::full([2, 2], 1.0);
/// // C = 2·A·Bᵀ + 10·C, with Bᵀ as a transposed view (no copy)
/// gemm(2.0, &a.view(), &b.t(), 10.0, &mut c.view_mut())?;
/// assert_eq!(c.to_vec(), vec![18.0, 14.0, 30.0, 20.0]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when `b` does not have `k`
/// rows or `c` is not `[m, n]`, e.g. ``gemm: argument `b` axis 0: expected 4 (the columns of
/// `a`), found 5``. Nothing is written then.
pub fn gemm<T: GemmElement>(
    alpha: T,
    a: &ArrayView<'_, T, 2>,
    b: &ArrayView<'_, T, 2>,
    beta: T,
    c: &mut ArrayViewMut<'_, T, 2>,
) -> Result<()> {
    check_operands("gemm", "c", a, b, c.shape())?;
    gemm_checked(alpha, a, b, beta, c)
}

/// The matrix product `A·B` as a new C-order array of shape `[m, n]`.
///
/// `A` is `[m, k]`, `B` is `[k, n]`, with any strides. Same arithmetic as [`gemm`] with
/// `alpha = 1`, `beta = 0`.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{gemm::matmul, Array};
/// let a = Array::<f32, 2>::from_shape_vec([2, 2], vec![1.0, 2.0, 3.0, 4.0])?;
/// let p = matmul(&a.view(), &a.t())?; // A·Aᵀ
/// assert_eq!(p.to_vec(), vec![5.0, 11.0, 11.0, 25.0]);
/// assert!(p.is_c_contiguous());
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when the inner dimensions
/// differ: ``matmul: argument `b` axis 0: expected 2 (the columns of `a`), found 3``;
/// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when `m·n` elements do not fit in memory.
pub fn matmul<T: GemmElement>(a: &ArrayView<'_, T, 2>, b: &ArrayView<'_, T, 2>) -> Result<Array<T, 2>> {
    let [m, _] = a.shape();
    let [_, n] = b.shape();
    check_inner("matmul", a, b)?;
    // beta = 0: the output is written, never read, so a pooled buffer's stale values do not
    // matter (see crate::alloc)
    let (mut out, _) = Array::try_output([m, n])?;
    gemm_checked(T::ONE, a, b, T::ZERO, &mut out.view_mut())?;
    Ok(out)
}

/// The matrix product `A·B` written into `out` (shape `[m, n]`, any strides); `out` is not
/// read, so its previous contents do not matter.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{gemm::matmul_into, Array, Order};
/// let a = Array::<i32, 2>::from_shape_vec([1, 2], vec![1, 2])?;
/// let b = Array::<i32, 2>::from_shape_vec([2, 2], vec![3, 4, 5, 6])?;
/// let mut out = Array::<i32, 2>::zeros([1, 2]);
/// matmul_into(&a.view(), &b.view(), &mut out.view_mut())?;
/// assert_eq!(out.to_vec(), vec![13, 16]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) for mismatched inner
/// dimensions or an `out` that is not `[m, n]`, e.g. ``matmul_into: argument `out` axis 1:
/// expected 2 (the columns of `b`), found 3``.
pub fn matmul_into<T: GemmElement>(
    a: &ArrayView<'_, T, 2>,
    b: &ArrayView<'_, T, 2>,
    out: &mut ArrayViewMut<'_, T, 2>,
) -> Result<()> {
    check_operands("matmul_into", "out", a, b, out.shape())?;
    gemm_checked(T::ONE, a, b, T::ZERO, out)
}

/// Matrix-vector multiply: `y = alpha·A·x + beta·y`, with `A` of shape `[m, k]`, `x` of length
/// `k` and `y` of length `m`, any strides.
///
/// Each `y[i]` is `alpha·dot(A[i, ..], x) + beta·y[i]`, with [`dot`]'s fixed summation order,
/// so the result is bit-identical on every machine (two roundings: the products by `alpha` and
/// `beta` are not fused). With `beta == 0`, `y` is not read; with `alpha == 0` or `k == 0`, `A`
/// and `x` are not read. Rows are read along their stride: an F-order `A` is slower than a
/// C-order one.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{gemm::gemv, Array};
/// let a = Array::<f64, 2>::from_shape_vec([2, 2], vec![1.0, 2.0, 3.0, 4.0])?;
/// let x = Array::from_vec(vec![1.0, 1.0]);
/// let mut y = Array::from_vec(vec![1.0, -1.0]);
/// gemv(2.0, &a.view(), &x.view(), 1.0, &mut y.view_mut())?;
/// assert_eq!(y.to_vec(), vec![7.0, 13.0]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when `x` does not have `k`
/// elements or `y` does not have `m`: ``gemv: argument `y` axis 0: expected 2 (the rows of
/// `a`), found 3``.
pub fn gemv<T: GemmElement>(
    alpha: T,
    a: &ArrayView<'_, T, 2>,
    x: &ArrayView<'_, T, 1>,
    beta: T,
    y: &mut ArrayViewMut<'_, T, 1>,
) -> Result<()> {
    let [m, k] = a.shape();
    check_axis("gemv", "x", 0, k, "the columns of `a`", x.shape()[0])?;
    check_axis("gemv", "y", 0, m, "the rows of `a`", y.shape()[0])?;
    if k == 0 || alpha == T::ZERO {
        scale(beta, y);
        return Ok(());
    }
    for i in 0..m {
        let d = alpha.mul(dot_unchecked(&a.index_axis::<1>(0, i)?, x));
        if let Some(yi) = y.get_mut([i]) {
            *yi = if beta == T::ZERO { d } else { d.add(beta.mul(*yi)) };
        }
    }
    Ok(())
}

/// The matrix-vector product `A·x` as a new array of length `m`; see [`gemv`].
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{gemm::matvec, Array};
/// let a = Array::<i64, 2>::from_shape_vec([2, 3], vec![1, 2, 3, 4, 5, 6])?;
/// let x = Array::from_vec(vec![1, 0, -1]);
/// assert_eq!(matvec(&a.view(), &x.view())?.to_vec(), vec![-2, -2]);
/// // xᵀ·A through the transposed view
/// assert_eq!(matvec(&a.t(), &Array::from_vec(vec![1, 1]).view())?.to_vec(), vec![5, 7, 9]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when `x` does not have `k`
/// elements: ``matvec: argument `x` axis 0: expected 3 (the columns of `a`), found 2``.
pub fn matvec<T: GemmElement>(a: &ArrayView<'_, T, 2>, x: &ArrayView<'_, T, 1>) -> Result<Array<T, 1>> {
    let [m, k] = a.shape();
    check_axis("matvec", "x", 0, k, "the columns of `a`", x.shape()[0])?;
    let mut y = Array::try_full([m], T::ZERO)?;
    gemv(T::ONE, a, x, T::ZERO, &mut y.view_mut())?;
    Ok(y)
}

/// The inner product `Σ x[i]·y[i]` of two 1-D views of equal length (any strides).
///
/// The summation order is fixed, so the result is bit-identical for any strides, machine,
/// build flags and thread count: product `i` is added to partial sum `i mod 8` in increasing
/// `i` (a separate multiply and add, never fused), and the partial sums `p0..p7` are combined
/// as `((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))`. Sums are in the element type (like
/// BLAS `sdot`); the float error is at most about `(n/8 + 3)·ε·Σ|x[i]·y[i]|`. Integers wrap;
/// for `bool` the result is `any(x & y)`. Empty inputs give 0.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{gemm::dot, Array, Slice};
/// let x = Array::<f32, 1>::from_vec(vec![1.0, 2.0, 3.0, 4.0]);
/// let y = Array::<f32, 1>::from_vec(vec![1.0, 1.0, 2.0, 2.0]);
/// assert_eq!(dot(&x.view(), &y.view())?, 17.0);
/// let rev = y.view().slice([Slice::full().step_by(-1)])?;
/// assert_eq!(dot(&x.view(), &rev)?, 13.0);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when the lengths differ:
/// ``dot: argument `y` axis 0: expected 4 (the length of `x`), found 3``.
pub fn dot<T: GemmElement>(x: &ArrayView<'_, T, 1>, y: &ArrayView<'_, T, 1>) -> Result<T> {
    check_axis("dot", "y", 0, x.shape()[0], "the length of `x`", y.shape()[0])?;
    Ok(dot_unchecked(x, y))
}

/// Checks `a: [m, k]`, `b: [k, n]` and an output of shape `[m, n]` named `out`.
fn check_operands<T>(
    op: &str,
    out: &str,
    a: &ArrayView<'_, T, 2>,
    b: &ArrayView<'_, T, 2>,
    c_shape: [usize; 2],
) -> Result<()> {
    check_inner(op, a, b)?;
    check_axis(op, out, 0, a.shape()[0], "the rows of `a`", c_shape[0])?;
    check_axis(op, out, 1, b.shape()[1], "the columns of `b`", c_shape[1])
}

/// Checks that `b` has as many rows as `a` has columns.
fn check_inner<T>(op: &str, a: &ArrayView<'_, T, 2>, b: &ArrayView<'_, T, 2>) -> Result<()> {
    check_axis(op, "b", 0, a.shape()[1], "the columns of `a`", b.shape()[0])
}

/// Checks one axis against the size it must have; inlined so the happy path is a compare.
#[inline]
fn check_axis(op: &str, arg: &str, axis: usize, expected: usize, what: &str, found: usize) -> Result<()> {
    if expected != found {
        return Err(shape_error(op, arg, axis, expected, what, found));
    }
    Ok(())
}

/// The crate's shape message: ``op: argument `arg` axis 0: expected 4 (the columns of `a`), found 5``.
#[cold]
#[inline(never)]
fn shape_error(op: &str, arg: &str, axis: usize, expected: usize, what: &str, found: usize) -> Error {
    err!(ShapeMismatch, "{op}: argument `{arg}` axis {axis}: expected {expected} ({what}), found {found}")
}

#[cfg(test)]
mod tests {
    use super::run::{KB, MB, NB};
    use super::*;

    /// The reference: a naive triple loop in the element's own arithmetic.
    fn naive<T: GemmElement>(a: &Array<T, 2>, b: &Array<T, 2>) -> Vec<T> {
        let ([m, k], [_, n]) = (a.shape(), b.shape());
        let mut out = vec![T::ZERO; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    out[i * n + j] = out[i * n + j].add(a[[i, p]].mul(b[[p, j]]));
                }
            }
        }
        out
    }

    #[test]
    fn blocked_kernel_crosses_block_edges() {
        let (m, k, n) = (MB + 3, KB + 5, NB + 7);
        let a = Array::<i32, 2>::random_uniform([m, k], 1, -1000, 1000);
        let b = Array::<i32, 2>::random_uniform([k, n], 2, -1000, 1000);
        let c = matmul(&a.view(), &b.t().t()).unwrap();
        assert_eq!(c.to_vec(), naive(&a, &b));
    }

    #[test]
    fn bool_is_or_of_ands() {
        let a = Array::<bool, 2>::from_fn([3, 4], |[i, j]| (i + j) % 3 == 0);
        let b = Array::<bool, 2>::from_fn([4, 2], |[i, j]| i == j + 1);
        assert_eq!(matmul(&a.view(), &b.view()).unwrap().to_vec(), naive(&a, &b));
    }

    #[test]
    fn dot_order_is_the_documented_tree() {
        let x: Vec<f32> = (0..19).map(|i| 1.0 + i as f32 * 1e-3).collect();
        let y: Vec<f32> = (0..19).map(|i| 1e7 * (-1.0f32).powi(i)).collect();
        let mut p = [0.0f32; 8];
        for i in 0..19 {
            p[i % 8] += x[i] * y[i];
        }
        let want = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
        let got = dot(&ArrayView::from_slice(&x), &ArrayView::from_slice(&y)).unwrap();
        assert_eq!(got.to_bits(), want.to_bits());
    }
}
