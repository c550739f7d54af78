//! GEMM for generated kernels whose scalar factors were folded into `alpha`.
//!
//! `matmul(a, b * c) + d` runs as one GEMM call with `alpha = c` and `beta = 1` over an output
//! pre-filled with `d`. That equals the expression up to rounding only while the factors are
//! ordinary numbers: a factor of 0 would let GEMM skip reading A and B (so `0 · inf` would not
//! become NaN), and an infinite, NaN or extreme factor changes which products overflow or become
//! NaN. [`gemm_folded`] therefore folds only factors it can prove harmless and otherwise evaluates
//! the product term by term in the expression's own order of operations.

use super::{check_operands, gemm_checked, sealed, GemmElement};
use crate::error::Result;
use crate::view::{ArrayView, ArrayViewMut};

/// `C = fo·((fa·A) @ (fb·B)) + beta·C`: through GEMM with `alpha = fo·fa·fb` when every factor
/// and their product are foldable (finite, with a magnitude in
/// [2⁻⁶⁴, 2⁶⁴], for floats; always for integers and `bool`), else term by term as the unfolded
/// expression computes it (each product `(a·fa)·(b·fb)`, summed in order, times `fo`), so zeros,
/// infinities and NaN give what the expression gives. Used by the code `array_expr!` emits.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{gemm::gemm_folded, Array};
/// let a = Array::<f32, 2>::from_shape_vec([1, 2], vec![f32::INFINITY, 1.0])?;
/// let b = Array::<f32, 2>::from_shape_vec([2, 1], vec![1.0, 1.0])?;
/// let mut c = Array::<f32, 2>::full([1, 1], 5.0);
/// // a @ (b * 0) + c: inf · 0 is NaN, as in the expression
/// gemm_folded(1.0, &a.view(), 0.0, &b.view(), 1.0, 1.0, &mut c.view_mut())?;
/// assert!(c[[0, 0]].is_nan());
/// let mut c = Array::<f32, 2>::full([1, 1], 5.0);
/// gemm_folded(1.0, &a.view(), 2.0, &b.view(), 1.0, 0.0, &mut c.view_mut())?;
/// assert_eq!(c[[0, 0]], f32::INFINITY);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// The shape errors of [`gemm`](super::gemm), with the same messages.
#[allow(clippy::too_many_arguments)]
pub fn gemm_folded<T: GemmElement>(
    fa: T,
    a: &ArrayView<'_, T, 2>,
    fb: T,
    b: &ArrayView<'_, T, 2>,
    fo: T,
    beta: T,
    c: &mut ArrayViewMut<'_, T, 2>,
) -> Result<()> {
    check_operands("gemm", "c", a, b, c.shape())?;
    let alpha = fo.mul(fa).mul(fb);
    if [fa, fb, fo, alpha].into_iter().all(sealed::Sealed::foldable) {
        return gemm_checked(alpha, a, b, beta, c);
    }
    term_by_term(fa, a, fb, b, fo, beta, c);
    Ok(())
}

/// The unfolded product, one output element at a time (only for exceptional factors, where the
/// result is made of zeros, infinities and NaN and speed does not matter).
fn term_by_term<T: sealed::Sealed>(
    fa: T,
    a: &ArrayView<'_, T, 2>,
    fb: T,
    b: &ArrayView<'_, T, 2>,
    fo: T,
    beta: T,
    c: &mut ArrayViewMut<'_, T, 2>,
) {
    let ([m, k], [_, n]) = (a.shape(), c.shape());
    for i in 0..m {
        for j in 0..n {
            let mut acc = T::ZERO;
            for p in 0..k {
                if let (Some(&x), Some(&y)) = (a.get_ref([i, p]), b.get_ref([p, j])) {
                    acc = acc.add(x.mul(fa).mul(y.mul(fb)));
                }
            }
            let r = fo.mul(acc);
            if let Some(out) = c.get_mut([i, j]) {
                *out = if beta == T::ZERO { r } else { r.add(beta.mul(*out)) };
            }
        }
    }
}
