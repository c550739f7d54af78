//! Row and column sums of matrices.

use super::{lanes, BLOCK};
use crate::simd::SimdElem;

/// Rows interleaved by [`sum_rows`].
const ROWS: usize = 8;

/// Sums each of `nrows` rows of `ncols` elements, row `r` starting at `data[r * row_stride]`, into
/// `out[r]` (rows beyond `out.len()` are skipped; elements outside `data` count as 0).
///
/// Short rows are where a per-row reduction is slow (a horizontal combine per few elements), so
/// eight rows are accumulated together, one vector accumulator per row: lane `l` of row `r`
/// adds the row's elements `j = l (mod LANES)` in column order, then the lanes are combined by
/// halving (as in [`block_partial`]). Rows longer than [`BLOCK`] are cut into blocks whose sums
/// are added in order. The order depends only on `ncols`: deterministic, but not bit-identical
/// to [`sum`] of the row.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::sum_rows;
/// let m: Vec<f32> = (0..6).map(|i| i as f32).collect(); // [[0, 1, 2], [3, 4, 5]]
/// let mut out = [0.0; 2];
/// sum_rows(&m, 2, 3, 3, &mut out);
/// assert_eq!(out, [3.0, 12.0]);
/// ```
pub fn sum_rows<T: SimdElem>(data: &[T], nrows: usize, ncols: usize, row_stride: usize, out: &mut [T]) {
    let nrows = nrows.min(out.len());
    let mut r = 0;
    while r < nrows {
        let group = (nrows - r).min(ROWS);
        let mut acc = [T::ZERO; ROWS];
        let mut c = 0;
        while c < ncols {
            let w = (ncols - c).min(BLOCK);
            let rows: [&[T]; ROWS] = core::array::from_fn(|i| {
                let s = (r + i.min(group - 1)).wrapping_mul(row_stride).wrapping_add(c);
                data.get(s..).map_or(&[][..], |d| &d[..w.min(d.len())])
            });
            let part = rows_block::<T>(&rows, w);
            for (a, p) in acc.iter_mut().zip(part) {
                *a = if c == 0 { p } else { T::add(*a, p) };
            }
            c += w;
        }
        if let Some(dst) = out.get_mut(r..r + group) {
            dst.copy_from_slice(&acc[..group]);
        }
        r += group;
    }
}

/// Sums of the first `w` elements of eight rows (short rows read as zero-padded).
#[inline(always)]
fn rows_block<T: SimdElem>(rows: &[&[T]; ROWS], w: usize) -> [T; ROWS] {
    let mut a = [T::splat(T::ZERO); ROWS];
    let mut j = 0;
    while j < w {
        for (acc, rw) in a.iter_mut().zip(rows) {
            *acc = T::vadd(*acc, T::load(rw.get(j..).unwrap_or(&[])));
        }
        j += T::LANES;
    }
    let mut out = [T::ZERO; ROWS];
    for (o, v) in out.iter_mut().zip(a) {
        *o = lanes::<T>(v, T::ZERO, T::add);
    }
    out
}

/// Sums each of `ncols` columns over `nrows` rows (row `r` starts at `data[r * row_stride]`) into
/// `out[j]`; columns beyond `out.len()` are skipped, elements outside `data` count as 0.
///
/// Rows are taken in runs of `clamp(32768 / ncols, 8, 256)` rows (a run of the matrix stays in
/// L2), and inside a run eight vectors of adjacent columns are accumulated at once (eight
/// independent add chains in registers), row after row. The runs' partial sums are added to `out`
/// in row order. The order depends only on `nrows` and `ncols`: deterministic.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::sum_cols;
/// let m: Vec<i32> = (0..6).collect(); // [[0, 1, 2], [3, 4, 5]]
/// let mut out = [0; 3];
/// sum_cols(&m, 2, 3, 3, &mut out);
/// assert_eq!(out, [3, 5, 7]);
/// ```
pub fn sum_cols<T: SimdElem>(data: &[T], nrows: usize, ncols: usize, row_stride: usize, out: &mut [T]) {
    let ncols = ncols.min(out.len());
    let out = &mut out[..ncols];
    out.fill(T::ZERO);
    let run = (32768 / ncols.max(1)).clamp(8, 256);
    let width = 8 * T::LANES;
    let mut r = 0;
    while r < nrows {
        let n = (nrows - r).min(run);
        for (ci, dst) in out.chunks_mut(width).enumerate() {
            let acc = cols_run::<T>(data, r, n, ci * width, dst.len(), row_stride);
            for (k, chunk) in dst.chunks_mut(T::LANES).enumerate() {
                let v = T::vadd(T::load(chunk), acc[k]);
                T::store(v, chunk);
            }
        }
        r += n;
    }
}

/// Rows `r..r + n` of columns `c..c + w` (`w <= 8 LANES`), summed sequentially per column.
#[inline(always)]
fn cols_run<T: SimdElem>(data: &[T], r: usize, n: usize, c: usize, w: usize, rs: usize) -> [T::V; 8] {
    let mut a = [T::splat(T::ZERO); 8];
    let nv = w.div_ceil(T::LANES).min(8);
    for i in r..r + n {
        let s = i.wrapping_mul(rs).wrapping_add(c);
        let row = data.get(s..).map_or(&[][..], |d| &d[..w.min(d.len())]);
        for (k, acc) in a.iter_mut().enumerate().take(nv) {
            *acc = T::vadd(*acc, T::load(row.get(k * T::LANES..).unwrap_or(&[])));
        }
    }
    a
}
