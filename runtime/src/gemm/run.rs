//! The GEMM engine after the checks: the parallel split over rows or columns of C, `beta`
//! scaling, the fixed-order dot product and the blocked kernel of integers and `bool`.

use super::sealed;
use crate::diagnostics::{self, PassInfo};
use crate::element::Element;
use crate::error::Result;
use crate::parallel;
use crate::view::{ArrayView, ArrayViewMut};
use std::ops::Range;

/// Number of partial sums in [`dot`]'s fixed summation order.
const LANES: usize = 8;

/// [`dot`] for views of equal length (checked by the caller; a shorter `y` is read as if cut).
pub(super) fn dot_unchecked<T: sealed::Sealed>(x: &ArrayView<'_, T, 1>, y: &ArrayView<'_, T, 1>) -> T {
    let mut acc = [T::ZERO; LANES];
    if let (Some(xs), Some(ys)) = (x.as_slice_memory_order(), y.as_slice_memory_order()) {
        let (xc, yc) = (xs.chunks_exact(LANES), ys.chunks_exact(LANES));
        let (xr, yr) = (xc.remainder(), yc.remainder());
        for (xa, ya) in xc.zip(yc) {
            for ((s, &p), &q) in acc.iter_mut().zip(xa).zip(ya) {
                *s = s.add(p.mul(q));
            }
        }
        for ((s, &p), &q) in acc.iter_mut().zip(xr).zip(yr) {
            *s = s.add(p.mul(q));
        }
    } else {
        for i in 0..x.shape()[0] {
            if let (Some(&p), Some(&q)) = (x.get_ref([i]), y.get_ref([i])) {
                acc[i % LANES] = acc[i % LANES].add(p.mul(q));
            }
        }
    }
    let [p0, p1, p2, p3, p4, p5, p6, p7] = acc;
    (p0.add(p1).add(p2.add(p3))).add(p4.add(p5).add(p6.add(p7)))
}

/// `gemm` after the shape checks: handles the empty and `alpha == 0` cases, then the kernel.
pub(super) fn gemm_checked<T: sealed::Sealed>(
    alpha: T,
    a: &ArrayView<'_, T, 2>,
    b: &ArrayView<'_, T, 2>,
    beta: T,
    c: &mut ArrayViewMut<'_, T, 2>,
) -> Result<()> {
    if c.is_empty() {
        return Ok(());
    }
    if a.shape()[1] == 0 || alpha == T::ZERO {
        scale(beta, c);
        return Ok(());
    }
    let ([m, k], n) = (a.shape(), c.shape()[1]);
    let flops = m.saturating_mul(n).saturating_mul(k).saturating_mul(2);
    let tasks = parallel::tasks_for(flops, parallel::MIN_TASK_FLOPS);
    // split the longer side of C, in blocks of whole micro-kernel tiles
    let axis = usize::from(n > m);
    let tasks = tasks.min(c.shape()[axis] / SPLIT_ALIGN).max(1);
    let size = std::mem::size_of::<T>();
    let _pass = diagnostics::pass(PassInfo {
        driver: "gemm",
        dtype: T::DTYPE,
        shape: &[m, k, n],
        contiguous: a.is_c_contiguous() && b.is_c_contiguous() && c.is_c_contiguous(),
        elements: m * n,
        read: (m * k + k * n + if beta == T::ZERO { 0 } else { m * n }) * size,
        written: m * n * size,
        threads: tasks,
    });
    if tasks <= 1 {
        return T::gemm_kernel(alpha, a, b, beta, c);
    }
    parallel::enter_region();
    split_gemm(alpha, *a, *b, beta, c.view_mut(), tasks, axis)
}

/// Rows (or columns) of C a parallel GEMM task gets a multiple of: whole micro-kernel tiles.
const SPLIT_ALIGN: usize = 32;

/// `C = alpha·A·B + beta·C` on `tasks` tasks, each a single-threaded kernel call on a block of
/// rows (`axis == 0`) or columns (`axis == 1`) of C: the first blocks as jobs on rayon's pool,
/// the last on the calling thread (see `parallel::run`). Every element of C is computed by one
/// call from the same row of A and column of B, with the same blocking over `k`, so the result
/// does not depend on the split.
pub(super) fn split_gemm<T: sealed::Sealed>(
    alpha: T,
    mut a: ArrayView<'_, T, 2>,
    mut b: ArrayView<'_, T, 2>,
    beta: T,
    mut c: ArrayViewMut<'_, T, 2>,
    tasks: usize,
    axis: usize,
) -> Result<()> {
    let step = (c.shape()[axis] / tasks.max(1)).div_ceil(SPLIT_ALIGN) * SPLIT_ALIGN;
    let failed = std::sync::Mutex::new(Ok(()));
    let keep = |r: Result<()>| {
        let mut f = failed.lock().unwrap_or_else(|p| p.into_inner());
        if f.is_ok() {
            *f = r;
        }
    };
    rayon::in_place_scope(|s| -> Result<()> {
        for _ in 1..tasks {
            if step == 0 || step >= c.shape()[axis] {
                break;
            }
            let (c1, rest) = c.split_at(axis, step)?;
            c = rest;
            let (a1, b1) = if axis == 0 {
                let (a1, rest) = a.split_at(0, step)?;
                a = rest;
                (a1, b)
            } else {
                let (b1, rest) = b.split_at(1, step)?;
                b = rest;
                (a, b1)
            };
            let keep = &keep;
            s.spawn(move |_| {
                let mut c1 = c1;
                keep(T::gemm_kernel(alpha, &a1, &b1, beta, &mut c1));
            });
        }
        keep(T::gemm_kernel(alpha, &a, &b, beta, &mut c));
        Ok(())
    })?;
    failed.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// `c = beta·c`, without reading `c` when `beta == 0` (so NaN in `c` does not survive).
pub(super) fn scale<T: sealed::Sealed, const D: usize>(beta: T, c: &mut ArrayViewMut<'_, T, D>) {
    if beta == T::ZERO {
        c.fill(T::ZERO);
    } else if beta != T::ONE {
        c.for_each_mut(|x| *x = beta.mul(*x));
    }
}

/// Rows of `A` per block of the integer kernel.
pub(super) const MB: usize = 64;
/// Inner (`k`) extent per block.
pub(super) const KB: usize = 128;
/// Columns of `B` per block.
pub(super) const NB: usize = 256;

/// `C += alpha·A·B` by blocks: a `KB × NB` panel of B and an `MB × KB` panel of A are copied
/// into row-major scratch buffers (so the inner loop runs over unit-stride slices whatever the
/// operands' strides), multiplied into an `MB × NB` tile, and the tile times `alpha` is added to
/// C. Exact for integers and bool (modular / logical arithmetic distributes over the blocks).
pub(super) fn blocked_gemm<T: sealed::Sealed>(
    alpha: T,
    a: &ArrayView<'_, T, 2>,
    b: &ArrayView<'_, T, 2>,
    c: &mut ArrayViewMut<'_, T, 2>,
) -> Result<()> {
    let ([m, k], [_, n]) = (a.shape(), b.shape());
    let (mut a_pack, mut b_pack, mut tile) = (Vec::new(), Vec::new(), Vec::new());
    for cols in blocks(n, NB) {
        for inner in blocks(k, KB) {
            pack(&mut b_pack, b.slice([inner.clone().into(), cols.clone().into()])?);
            for rows in blocks(m, MB) {
                pack(&mut a_pack, a.slice([rows.clone().into(), inner.clone().into()])?);
                tile.clear();
                tile.resize(rows.len() * cols.len(), T::ZERO);
                tile_product(&a_pack, &b_pack, &mut tile, inner.len());
                let mut t = tile.iter();
                let mut c_block = c.view_mut().slice([rows.into(), cols.clone().into()])?;
                c_block.for_each_mut(|x| {
                    if let Some(&v) = t.next() {
                        *x = x.add(alpha.mul(v));
                    }
                });
            }
        }
    }
    Ok(())
}

/// The ranges `0..size`, `size..2·size`, ... covering `0..len`, the last one shorter.
pub(super) fn blocks(len: usize, size: usize) -> impl Iterator<Item = Range<usize>> {
    (0..len).step_by(size).map(move |start| start..len.min(start + size))
}

/// Copies `v` into `buf` in row-major order.
pub(super) fn pack<T: Element>(buf: &mut Vec<T>, v: ArrayView<'_, T, 2>) {
    buf.clear();
    v.for_each_ref(|&x| buf.push(x));
}

/// `tile[i, j] += Σ_p a[i, p]·b[p, j]` for row-major `a` (`rows × inner`), `b` (`inner × cols`)
/// and `tile` (`rows × cols`).
pub(super) fn tile_product<T: sealed::Sealed>(a: &[T], b: &[T], tile: &mut [T], inner: usize) {
    let cols = b.len() / inner.max(1);
    if cols == 0 {
        return;
    }
    for (a_row, t_row) in a.chunks_exact(inner).zip(tile.chunks_exact_mut(cols)) {
        for (&aip, b_row) in a_row.iter().zip(b.chunks_exact(cols)) {
            for (t, &bpj) in t_row.iter_mut().zip(b_row) {
                *t = t.add(aip.mul(bpj));
            }
        }
    }
}
