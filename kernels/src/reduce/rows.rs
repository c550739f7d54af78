//! Row and column sums of matrices.
//!
//! Both read the matrix in memory order, row after row, so that they run at the speed of a plain
//! read pass; both add in an order that depends only on the shape (`nrows`, `ncols`), never on
//! where the data sits in memory, so the results are deterministic. The orders are documented on
//! [`sum_rows`] and [`sum_cols`]; `tests/schemes.rs` checks them bit for bit against scalar
//! re-implementations.

use super::{block_partial, lanes, Sum, SumF64, BLOCK, SUB};
use crate::math::widen;
use crate::simd::SimdElem;
use core::any::Any;
use wide::{f32x8, f64x4};

/// Rows interleaved by [`sum_rows`].
const ROWS: usize = 8;

/// Rows up to this many elements are read row after row by [`sum_rows`].
const SHORT: usize = 256;

/// Vectors of columns accumulated together by [`sum_cols`] (a 4 KiB tile: 1024 f32 columns).
const TILE: usize = 128;

/// Sums each of `nrows` rows of `ncols` elements, row `r` starting at `data[r * row_stride]`, into
/// `out[r]` (rows beyond `out.len()` are skipped; elements outside `data` count as 0).
///
/// Short rows are where a per-row reduction is slow (a horizontal combine per few elements), so
/// eight rows are accumulated together, one vector accumulator per row (eight independent add
/// chains), and the eight accumulators are combined at once by an in-register transpose.
///
/// The order, for each row: lane `l` of the accumulator starts at 0 and adds the row's elements
/// `j = l (mod LANES)` in column order (the last vector zero-filled past the row's end); then the
/// lanes are combined by halving (lane `i` with lane `i + LANES/2`, repeated, as in
/// [`block_partial`](super::block_partial)). Rows longer than [`BLOCK`] are cut into blocks of
/// `BLOCK` columns whose sums are added in order. The order depends only on `ncols`: deterministic,
/// but not bit-identical to [`sum`](super::sum) of the row.
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
    for (g, dst) in out[..nrows].chunks_mut(ROWS).enumerate() {
        let mut acc = [T::ZERO; ROWS];
        let mut c = 0;
        while c < ncols {
            let w = (ncols - c).min(BLOCK);
            let part = rows_block::<T>(data, g * ROWS, dst.len(), (c, w), row_stride);
            for (a, p) in acc.iter_mut().zip(part) {
                *a = if c == 0 { p } else { T::add(*a, p) };
            }
            c += w;
        }
        match dst.first_chunk_mut::<ROWS>() {
            Some(d) => *d = acc,
            None => dst.copy_from_slice(&acc[..dst.len()]),
        }
    }
}

/// The sums of columns `c..c + w` of rows `r..r + group` (`group <= ROWS`; the last row is
/// repeated to fill eight, and the copies are dropped by the caller).
#[inline(always)]
fn rows_block<T: SimdElem>(data: &[T], r: usize, group: usize, cols: (usize, usize), rs: usize) -> [T; ROWS] {
    let (c, w) = cols;
    if group == ROWS && rs >= w {
        let s0 = r.wrapping_mul(rs).wrapping_add(c);
        let g =
            (ROWS - 1).checked_mul(rs).and_then(|x| x.checked_add(w)).and_then(|n| data.get(s0..)?.get(..n));
        if let Some(g) = g {
            let v = w / T::LANES;
            if w % T::LANES == 0 && (v == 8 || v == 4 || v == 16 || v == 2) {
                return hsum::<T>(match v {
                    2 => whole_rows::<T, 2>(g, rs),
                    4 => whole_rows::<T, 4>(g, rs),
                    8 => whole_rows::<T, 8>(g, rs),
                    _ => whole_rows::<T, 16>(g, rs),
                });
            }
        }
    }
    let rows: [&[T]; ROWS] = core::array::from_fn(|i| {
        let s = (r + i.min(group.max(1) - 1)).wrapping_mul(rs).wrapping_add(c);
        data.get(s..).map_or(&[][..], |d| &d[..w.min(d.len())])
    });
    let z = T::splat(T::ZERO);
    let mut a = [z; ROWS];
    let l = T::LANES;
    let mut j = 0;
    if rows.iter().all(|x| x.len() == w) {
        // Every row whole: no partial-vector path until the tail. Short rows are read in memory
        // order (row after row: the eight add chains still overlap); long rows column-interleaved
        // (one long chain per row would be latency-bound). Same additions either way.
        let full = w / l * l;
        if w <= SHORT {
            for i in 0..ROWS {
                for x in rows[i][..full].chunks_exact(l) {
                    a[i] = a[i] + T::load(x);
                }
            }
            j = full;
        }
        while j + l <= w {
            for i in 0..ROWS {
                a[i] = a[i] + rows[i].get(j..j + l).map_or(z, T::load);
            }
            j += l;
        }
    }
    while j < w {
        for i in 0..ROWS {
            a[i] = a[i] + T::load(rows[i].get(j..).unwrap_or_default());
        }
        j += l;
    }
    hsum::<T>(a)
}

/// The accumulators of eight rows of `N` whole vectors, `g[i rs..][..N LANES]`, read row after
/// row (the eight add chains overlap in the pipeline); the same additions as [`rows_block`].
#[inline(always)]
fn whole_rows<T: SimdElem, const N: usize>(g: &[T], rs: usize) -> [T::V; ROWS] {
    let l = T::LANES;
    let row = |i: usize| {
        let row = g.get(i * rs..i * rs + N * l).unwrap_or_default();
        let mut v = T::splat(T::ZERO);
        for x in row.chunks_exact(l).take(N) {
            v = v + T::load(x);
        }
        v
    };
    [row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)]
}

/// The lanes of each of eight vectors combined by halving: `out[i]` is `lanes(a[i])`. For `f32`
/// and `f64` by an in-register transpose and vertical adds (the same additions, in the same
/// order, so the same bits).
#[inline(always)]
fn hsum<T: SimdElem>(a: [T::V; ROWS]) -> [T; ROWS] {
    let any: &dyn Any = &a;
    let sums: Option<[f32; 8]> = if let Some(v) = any.downcast_ref::<[f32x8; 8]>() {
        let t = f32x8::transpose(*v);
        Some((((t[0] + t[4]) + (t[2] + t[6])) + ((t[1] + t[5]) + (t[3] + t[7]))).to_array())
    } else {
        None
    };
    if let Some(out) = sums.as_ref().and_then(|s| (s as &dyn Any).downcast_ref::<[T; ROWS]>()) {
        return *out;
    }
    let sums: Option<[f64; 8]> = if let Some(v) = any.downcast_ref::<[f64x4; 8]>() {
        let half = |q: [f64x4; 4]| {
            let t = f64x4::transpose(q);
            ((t[0] + t[2]) + (t[1] + t[3])).to_array()
        };
        let (lo, hi) = (half([v[0], v[1], v[2], v[3]]), half([v[4], v[5], v[6], v[7]]));
        Some([lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3]])
    } else {
        None
    };
    if let Some(out) = sums.as_ref().and_then(|s| (s as &dyn Any).downcast_ref::<[T; ROWS]>()) {
        return *out;
    }
    a.map(|v| lanes::<T>(v, T::ZERO, T::add))
}

/// Sums each of `ncols` columns over `nrows` rows (row `r` starts at `data[r * row_stride]`) into
/// `out[j]`; columns beyond `out.len()` are skipped, elements outside `data` count as 0.
///
/// The matrix is read row after row in runs of `clamp(32768 / ncols, 8, 256)` rows (a run stays
/// in the L2 cache): for each tile of up to 128 vectors of columns (1024 `f32`), the run's rows
/// are added into a tile of vector accumulators held in L1, then the tile is added to `out`.
///
/// The order, for each column: `out` starts at 0; each run's partial starts at 0 and adds the
/// run's elements in row order; the partials are added to `out` in row order. It depends only
/// on `nrows` and `ncols`: deterministic.
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
    let width = TILE * T::LANES;
    let mut acc = [T::splat(T::ZERO); TILE];
    let mut r = 0;
    while r < nrows {
        let n = (nrows - r).min(run);
        for (ti, dst) in out.chunks_mut(width).enumerate() {
            let nv = dst.len().div_ceil(T::LANES);
            let acc = &mut acc[..nv];
            acc.fill(T::splat(T::ZERO));
            let row = |i: usize| {
                let s = i.wrapping_mul(row_stride).wrapping_add(ti * width);
                data.get(s..).map_or(&[][..], |d| &d[..dst.len().min(d.len())])
            };
            let mut i = r;
            while i < r + n {
                let (a, b) = (row(i), row(i + 1));
                if i + 1 < r + n && a.len() == dst.len() && b.len() == dst.len() {
                    add_two_rows::<T>(acc, a, b);
                    i += 2;
                } else {
                    add_row::<T>(acc, a);
                    i += 1;
                }
            }
            for (a, chunk) in acc.iter().zip(dst.chunks_mut(T::LANES)) {
                T::store(T::vadd(T::load(chunk), *a), chunk);
            }
        }
        r += n;
    }
}

/// `acc[k] = (acc[k] + a[k LANES..][..LANES]) + b[k LANES..][..LANES]` for two whole rows (one
/// load and store of the accumulators for two rows; the same additions as two [`add_row`]).
#[inline(always)]
fn add_two_rows<T: SimdElem>(acc: &mut [T::V], a: &[T], b: &[T]) {
    let l = T::LANES;
    let (mut ca, mut cb) = (a.chunks_exact(l), b.chunks_exact(l));
    let mut k = 0;
    for ((s, x), y) in acc.iter_mut().zip(&mut ca).zip(&mut cb) {
        *s = (*s + T::load(x)) + T::load(y);
        k += 1;
    }
    if let Some(s) = acc.get_mut(k) {
        *s = (*s + T::load(ca.remainder())) + T::load(cb.remainder());
    }
}

/// `acc[k] += row[k LANES..][..LANES]` (the last vector zero-filled past the row's end).
#[inline(always)]
fn add_row<T: SimdElem>(acc: &mut [T::V], row: &[T]) {
    let mut chunks = row.chunks_exact(T::LANES);
    let mut k = 0;
    for (a, x) in acc.iter_mut().zip(&mut chunks) {
        *a = *a + T::load(x);
        k += 1;
    }
    if let Some(a) = acc.get_mut(k) {
        *a = *a + T::load(chunks.remainder());
    }
}

/// The [`Sum`] block partial of each row, bit for bit: `out[r]` is
/// [`block_partial(Sum, rows[r], 0)`](block_partial) (rows beyond `out.len()` are skipped).
///
/// For short rows (at most [`SUB`] elements, one sub-block) eight rows are reduced per step:
/// the four accumulators of each row as in the block scheme, then the lanes of the eight
/// rows' vectors combined at once by an in-register transpose, which performs the same
/// additions in the same order. A reduction of many short rows (row sums of a matrix with 64
/// columns) then pays neither a call nor a horizontal combine per row.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::{block_partial, sum_partials, Sum};
/// let rows: Vec<Vec<f32>> = (0..9).map(|r| (0..70).map(|i| (r * i) as f32 * 0.1).collect()).collect();
/// let refs: Vec<&[f32]> = rows.iter().map(|r| &r[..]).collect();
/// let mut out = [0.0; 9];
/// sum_partials(&refs, &mut out);
/// for (r, o) in rows.iter().zip(out) {
///     assert_eq!(o.to_bits(), block_partial(Sum, r, 0).to_bits());
/// }
/// ```
pub fn sum_partials<T: SimdElem>(rows: &[&[T]], out: &mut [T]) {
    for (rs, os) in rows.chunks(ROWS).zip(out.chunks_mut(ROWS)) {
        match (<&[&[T]; ROWS]>::try_from(rs), os.len() == ROWS) {
            (Ok(r8), true) if r8.iter().all(|r| r.len() <= SUB) => {
                // `+ 0`: see `short_f64`
                // destructured, not `array::map`, which LLVM left as a call per row here
                // (38% of the time of f32 row sums of 64)
                let [r0, r1, r2, r3, r4, r5, r6, r7] = *r8;
                let acc = [
                    short_acc::<T>(r0),
                    short_acc::<T>(r1),
                    short_acc::<T>(r2),
                    short_acc::<T>(r3),
                    short_acc::<T>(r4),
                    short_acc::<T>(r5),
                    short_acc::<T>(r6),
                    short_acc::<T>(r7),
                ];
                for (o, s) in os.iter_mut().zip(hsum::<T>(acc)) {
                    *o = T::add(s, T::ZERO);
                }
            }
            _ => {
                for (r, o) in rs.iter().zip(os) {
                    *o = block_partial(Sum, r, 0);
                }
            }
        }
    }
}

/// The [`SumF64`] block partial of each row of `f32`, bit for bit: `out[r]` is
/// [`block_partial(SumF64, rows[r], 0)`](block_partial) (rows beyond `out.len()` are
/// skipped). Short rows (at most [`SUB`] elements) go four at a time, their lanes combined by
/// a 4 x 4 transpose of `f64x4` (the same additions), as for [`sum_partials`].
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::{block_partial, sum_f64_partials, SumF64};
/// let rows: Vec<Vec<f32>> = (0..5).map(|r| (0..64).map(|i| (r + i) as f32 / 3.0).collect()).collect();
/// let refs: Vec<&[f32]> = rows.iter().map(|r| &r[..]).collect();
/// let mut out = [0.0; 5];
/// sum_f64_partials(&refs, &mut out);
/// for (r, o) in rows.iter().zip(out) {
///     assert_eq!(o.to_bits(), block_partial(SumF64, r, 0).to_bits());
/// }
/// ```
pub fn sum_f64_partials(rows: &[&[f32]], out: &mut [f64]) {
    for (rs, os) in rows.chunks(4).zip(out.chunks_mut(4)) {
        match (<&[&[f32]; 4]>::try_from(rs), os.len() == 4) {
            (Ok(r4), true) if r4.iter().all(|r| r.len() <= SUB) => {
                let [r0, r1, r2, r3] = *r4;
                let t = f64x4::transpose([short_f64(r0), short_f64(r1), short_f64(r2), short_f64(r3)]);
                // `+ 0.0`: see `short_f64`
                os.copy_from_slice(&(((t[0] + t[2]) + (t[1] + t[3])) + f64x4::splat(0.0)).to_array());
            }
            _ => {
                for (r, o) in rs.iter().zip(os) {
                    *o = block_partial(SumF64, r, 0);
                }
            }
        }
    }
}

/// The element-by-element sum of each row, in row order from zero: `out[r]` is
/// `rows[r].iter().fold(0, |a, &x| a + x)`, bit for bit (rows beyond `out.len()` are skipped).
/// This is the order the generated code gives runs under 64 elements, where a SIMD block scheme
/// costs more than it saves.
///
/// Rows of equal length go [`LANES`](SimdElem::LANES) at a time, one row per lane: for `f32`
/// each step loads a vector from every row, transposes them in registers and adds the
/// transposed vectors in element order; for `f64` each step gathers one element of every row.
/// Either way every lane performs its row's additions in its order. A
/// reduction of many short rows (row sums of a matrix of 10 or 48 columns) then runs as vector
/// code instead of one dependent chain of scalar additions per row.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::sum_seq_partials;
/// let rows: Vec<Vec<f32>> = (0..9).map(|r| (0..13).map(|i| (r * i) as f32 * 0.1).collect()).collect();
/// let refs: Vec<&[f32]> = rows.iter().map(|r| &r[..]).collect();
/// let mut out = [0.0; 9];
/// sum_seq_partials(&refs, &mut out);
/// for (r, o) in rows.iter().zip(out) {
///     assert_eq!(o.to_bits(), r.iter().fold(0.0f32, |a, &x| a + x).to_bits());
/// }
/// ```
pub fn sum_seq_partials<T: SeqSum>(rows: &[&[T]], out: &mut [T]) {
    T::seq_rows(rows, out);
}

/// The float types [`sum_seq_partials`] has a lane-per-row kernel for.
pub trait SeqSum: Copy {
    /// [`sum_seq_partials`] for this type.
    ///
    /// # Examples
    /// ```
    /// use array_expr_kernels::reduce::SeqSum;
    /// let mut out = [0.0f64; 2];
    /// f64::seq_rows(&[&[1.0, 2.0][..], &[3.0, 0.5][..]], &mut out);
    /// assert_eq!(out, [3.0, 3.5]);
    /// ```
    fn seq_rows(rows: &[&[Self]], out: &mut [Self]);
}

impl SeqSum for f32 {
    fn seq_rows(rows: &[&[f32]], out: &mut [f32]) {
        seq_groups(rows, out, seq8_f32);
    }
}

impl SeqSum for f64 {
    fn seq_rows(rows: &[&[f64]], out: &mut [f64]) {
        seq_groups(rows, out, seq4_f64);
    }
}

/// [`sum_seq_partials`] of `f32` rows accumulated in `f64`: `out[r]` is
/// `rows[r].iter().fold(0.0, |a, &x| a + x as f64)`, bit for bit, eight rows at a time.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::sum_f64_seq_partials;
/// let rows: Vec<Vec<f32>> = (0..9).map(|r| (0..21).map(|i| (r + i) as f32 / 3.0).collect()).collect();
/// let refs: Vec<&[f32]> = rows.iter().map(|r| &r[..]).collect();
/// let mut out = [0.0; 9];
/// sum_f64_seq_partials(&refs, &mut out);
/// for (r, o) in rows.iter().zip(out) {
///     assert_eq!(o.to_bits(), r.iter().fold(0.0f64, |a, &x| a + x as f64).to_bits());
/// }
/// ```
pub fn sum_f64_seq_partials(rows: &[&[f32]], out: &mut [f64]) {
    seq_groups(rows, out, seq8_f32_f64);
}

/// [`sum_f64_seq_partials`] of rows stored one after another: `out[r]` is
/// `data[r * n..][..n].iter().fold(0.0, |a, &x| a + x as f64)`, bit for bit. Elements of
/// `data` past `out.len() * n` may follow (the rest of the array); whole vectors are read
/// across row ends where they stay inside `data`, so a row costs no gather and no partial
/// load. Rows that `data` does not hold count as empty.
///
/// Rows of 1, 2 or 4 elements go `64 / n` at a time: eight vectors of eight consecutive
/// elements, transposed in registers, so that lane `i` of the transposed vector `j` holds
/// element `j mod n` of row `i 8 / n + j / n`; other lengths go eight rows at a time, each
/// eight-column block of them transposed. Either way each lane adds its row's elements in
/// order, from `+0.0`: the row-by-row sums of short C-order rows (rows of 4 of 16M f32: 16.5
/// ms through row slices, 3.9 ms this way, a plain read pass 3 ms).
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::sum_f64_seq_runs;
/// let data: Vec<f32> = (0..100).map(|i| i as f32 / 7.0).collect();
/// let mut out = [0.0; 9];
/// sum_f64_seq_runs(&data, 11, &mut out);
/// for (r, o) in out.iter().enumerate() {
///     let want = data[r * 11..][..11].iter().fold(0.0, |a, &x| a + x as f64);
///     assert_eq!(o.to_bits(), want.to_bits());
/// }
/// ```
pub fn sum_f64_seq_runs(data: &[f32], n: usize, out: &mut [f64]) {
    match n {
        0 => out.fill(0.0),
        _ => seq_runs::<AccF64, _>(data, n, out, |v| v),
    }
}

/// The sums of [`sum_f64_seq_runs`] (accumulated in `f64`, each row in element order)
/// divided by `div` and rounded to `f32`: `out[r]` is `(sum / div) as f32`, bit for bit, so
/// `div = 1.0` gives the rounded sums and `div = n as f64` the means (empty rows, and rows
/// that `data` does not hold, sum to `0.0`). The values go straight to `out`, rounded in
/// registers, without an `f64` buffer in between.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::sum_f64_seq_runs_f32;
/// let data: Vec<f32> = (0..40).map(|i| i as f32 * 0.1).collect();
/// let mut out = [0.0f32; 10];
/// sum_f64_seq_runs_f32(&data, 4, 4.0, &mut out);
/// for (r, o) in out.iter().enumerate() {
///     let sum = data[r * 4..][..4].iter().fold(0.0, |a, &x| a + x as f64);
///     assert_eq!(o.to_bits(), ((sum / 4.0) as f32).to_bits());
/// }
/// ```
pub fn sum_f64_seq_runs_f32(data: &[f32], n: usize, div: f64, out: &mut [f32]) {
    let r = match (n, div == 1.0) {
        (4, true) => fours_f32::<false>(data, div, out),
        (4, false) => fours_f32::<true>(data, div, out),
        _ => 0,
    };
    let (data, out) = (data.get(r * 4..).unwrap_or_default(), &mut out[r..]);
    match n {
        0 => out.fill((0.0 / div) as f32),
        // a division by one is exact: leave it out
        _ if div == 1.0 => seq_runs::<AccF64, _>(data, n, out, |v| v as f32),
        _ => seq_runs::<AccF64, _>(data, n, out, |v| (v / div) as f32),
    }
}

/// [`sum_seq_partials`] of `f64` rows stored one after another: `out[r]` is
/// `data[r * n..][..n].iter().fold(0.0, |a, &x| a + x)`, bit for bit (rows that `data` does
/// not hold count as empty; elements past the last row may follow). Rows of four go four at a
/// time, one per lane of an `f64x4` (four vector loads, a 4 x 4 transpose, the columns added
/// in order), rows of two four at a time too (8M f64: 6.6-6.9 ms row by row, 5.0-5.2 so);
/// other lengths one row after another, whose independent add chains the CPU
/// overlaps (for rows of 10-32 that matched a hand-written loop, where a transposing loop over
/// four rows at a time with loads across row ends ran 2x slower).
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::sum_seq_runs_f64;
/// let data: Vec<f64> = (0..60).map(|i| i as f64 / 7.0).collect();
/// let mut out = [0.0; 15];
/// sum_seq_runs_f64(&data, 4, &mut out);
/// for (r, o) in out.iter().enumerate() {
///     assert_eq!(o.to_bits(), data[r * 4..][..4].iter().fold(0.0, |a, &x| a + x).to_bits());
/// }
/// ```
pub fn sum_seq_runs_f64(data: &[f64], n: usize, out: &mut [f64]) {
    let mut r = 0;
    if n == 4 {
        while let (Some(block), Some(o)) = (data.get(r * 4..r * 4 + 16), out.get_mut(r..r + 4)) {
            let v: [f64x4; 4] = core::array::from_fn(|i| {
                f64x4::from(*block[i * 4..].first_chunk::<4>().unwrap_or(&[0.0; 4]))
            });
            let [c0, c1, c2, c3] = f64x4::transpose(v);
            o.copy_from_slice(&((((f64x4::splat(0.0) + c0) + c1) + c2) + c3).to_array());
            r += 4;
        }
    } else if n == 2 {
        // two rows per vector load: the first elements of four rows, then the second ones
        while let (Some(block), Some(o)) = (data.get(r * 2..r * 2 + 8), out.get_mut(r..r + 4)) {
            let c0 = f64x4::new([block[0], block[2], block[4], block[6]]);
            let c1 = f64x4::new([block[1], block[3], block[5], block[7]]);
            o.copy_from_slice(&((f64x4::splat(0.0) + c0) + c1).to_array());
            r += 4;
        }
    }
    let mut rows = data.get(r * n..).unwrap_or_default().chunks_exact(n.max(1));
    for o in out.iter_mut().skip(r) {
        let row = if n == 0 { &[][..] } else { rows.next().unwrap_or_default() };
        *o = row.iter().fold(0.0, |a, &x| a + x);
    }
}

/// [`sum_seq_partials`] of `f32` rows stored one after another, accumulated in `f32`:
/// `out[r]` is `data[r * n..][..n].iter().fold(0.0, |a, &x| a + x)`, bit for bit, read as
/// [`sum_f64_seq_runs`] reads them.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::sum_f32_seq_runs;
/// let data: Vec<f32> = (0..64).map(|i| i as f32 * 0.3).collect();
/// let mut out = [0.0; 16];
/// sum_f32_seq_runs(&data, 4, &mut out);
/// for (r, o) in out.iter().enumerate() {
///     assert_eq!(o.to_bits(), data[r * 4..][..4].iter().fold(0.0f32, |a, &x| a + x).to_bits());
/// }
/// ```
pub fn sum_f32_seq_runs(data: &[f32], n: usize, out: &mut [f32]) {
    match n {
        0 => out.fill(0.0),
        _ => seq_runs::<AccF32, _>(data, n, out, |v| v),
    }
}

/// [`extreme_seq_partials`] of rows stored one after another: `out[r]` is the maximum
/// (`max`) or minimum of `data[r * n..][..n]` folded in element order, bit for bit (NaN
/// propagates, the later of `0.0` and `-0.0` wins), read as [`sum_f64_seq_runs`] reads rows.
/// Empty rows, and rows that `data` does not hold, leave their output as it was.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::extreme_seq_runs;
/// let data: Vec<f32> = (0..60).map(|i| ((i * 7) % 11) as f32).collect();
/// let mut out = [0.0; 6];
/// extreme_seq_runs(&data, 10, &mut out, true);
/// for (r, o) in out.iter().enumerate() {
///     assert_eq!(*o, data[r * 10..][..10].iter().copied().fold(f32::MIN, f32::max));
/// }
/// ```
pub fn extreme_seq_runs(data: &[f32], n: usize, out: &mut [f32], max: bool) {
    match (n, max) {
        (0, _) => {}
        (_, true) => seq_runs::<AccExt<true>, _>(data, n, out, |v| v),
        (_, false) => seq_runs::<AccExt<false>, _>(data, n, out, |v| v),
    }
}

/// The position in each row of `data` (rows of `n` elements stored one after another, read as
/// [`sum_f64_seq_runs`] reads them) of its first maximum (`max`) or minimum, or of its first
/// NaN when it has one: `argmax` over the last axis of short C-order rows (`n` below 2^24).
/// Empty rows, and rows that `data` does not hold, leave their output as it was.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::arg_extreme_seq_runs;
/// let data = [1.0f32, 3.0, 3.0, 0.5, f32::NAN, 2.0, f32::NAN, 9.0, -1.0, -1.0, -2.0, -2.0];
/// let mut out = [9; 3];
/// arg_extreme_seq_runs(&data, 4, &mut out, true);
/// assert_eq!(out, [1, 0, 0]);
/// arg_extreme_seq_runs(&data, 4, &mut out, false);
/// assert_eq!(out, [3, 0, 2]);
/// ```
pub fn arg_extreme_seq_runs(data: &[f32], n: usize, out: &mut [usize], max: bool) {
    match (n, max) {
        (0, _) => {}
        (_, true) => seq_runs::<AccArg<true>, _>(data, n, out, |v| v),
        (_, false) => seq_runs::<AccArg<false>, _>(data, n, out, |v| v),
    }
}

/// Eight lanes of row folds (sums, extremes), each lane folding its row's elements in order.
trait LaneAcc: Copy {
    /// One lane's value.
    type Out: Copy;
    /// The lanes after the first element of each row.
    fn first(c: f32x8) -> Self;
    /// Folds lane `i` of `c`, the rows' element `j`, into lane `i` (`j` matters to folds that
    /// keep a position).
    fn add_at(self, c: f32x8, j: usize) -> Self;
    /// The eight values.
    fn lanes(self) -> [Self::Out; 8];
    /// The values of eight rows of `n` elements given as slices (the lane-per-row kernels of
    /// [`sum_seq_partials`] and [`extreme_seq_partials`], which load the last elements of a
    /// row one by one).
    fn group(g: &[&[f32]; 8], n: usize) -> [Self::Out; 8];
    /// One row's value, element by element (`None` for an empty row of an extreme).
    fn row(r: &[f32]) -> Option<Self::Out>;
    /// The values of eight rows of four elements from their columns as [`columns4`] gives
    /// them, in the same order (rows 0, 2, 4, 6, 1, 3, 5, 7).
    #[inline(always)]
    fn fours(c: [f32x8; 4]) -> [Self::Out; 8] {
        Self::first(c[0]).add_at(c[1], 1).add_at(c[2], 2).add_at(c[3], 3).lanes()
    }
}

#[derive(Clone, Copy)]
struct AccF32(f32x8);

impl LaneAcc for AccF32 {
    type Out = f32;
    #[inline(always)]
    fn first(c: f32x8) -> Self {
        // from +0.0, as the fold: `-0.0` becomes `+0.0`
        AccF32(f32x8::splat(0.0) + c)
    }
    #[inline(always)]
    fn add_at(self, c: f32x8, _: usize) -> Self {
        AccF32(self.0 + c)
    }
    #[inline(always)]
    fn lanes(self) -> [f32; 8] {
        self.0.to_array()
    }
    #[inline(always)]
    fn group(g: &[&[f32]; 8], n: usize) -> [f32; 8] {
        seq8_f32(g, n)
    }
    #[inline(always)]
    fn row(r: &[f32]) -> Option<f32> {
        Some(r.iter().fold(0.0, |a, &x| a + x))
    }
}

/// Rows 0-3 in one `f64x4`, rows 4-7 in the other.
#[derive(Clone, Copy)]
struct AccF64(f64x4, f64x4);

impl LaneAcc for AccF64 {
    type Out = f64;
    #[inline(always)]
    fn first(c: f32x8) -> Self {
        AccF64(f64x4::splat(0.0), f64x4::splat(0.0)).add_at(c, 0)
    }
    #[inline(always)]
    fn add_at(self, c: f32x8, _: usize) -> Self {
        let (lo, hi) = widen(c);
        AccF64(self.0 + lo, self.1 + hi)
    }
    #[inline(always)]
    fn lanes(self) -> [f64; 8] {
        let (l, h) = (self.0.to_array(), self.1.to_array());
        [l[0], l[1], l[2], l[3], h[0], h[1], h[2], h[3]]
    }
    #[inline(always)]
    fn group(g: &[&[f32]; 8], n: usize) -> [f64; 8] {
        seq8_f32_f64(g, n)
    }
    #[inline(always)]
    fn row(r: &[f32]) -> Option<f64> {
        Some(r.iter().fold(0.0, |a, &x| a + x as f64))
    }
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx"))]
    #[inline(always)]
    fn fours(c: [f32x8; 4]) -> [f64; 8] {
        use safe_arch::{cast_to_m128_from_m256, convert_to_m256d_from_m128, extract_m128_from_m256, m256};
        let c = c.map(|v| m256(v.into()));
        // rows 0, 2, 4, 6 from the low halves, 1, 3, 5, 7 from the high ones
        let lo = c.map(|v| f64x4::from(convert_to_m256d_from_m128(cast_to_m128_from_m256(v)).0));
        let hi = c.map(|v| f64x4::from(convert_to_m256d_from_m128(extract_m128_from_m256::<1>(v)).0));
        let z = f64x4::splat(0.0);
        let (l, h) = ((((z + lo[0]) + lo[1]) + lo[2]) + lo[3], (((z + hi[0]) + hi[1]) + hi[2]) + hi[3]);
        let (l, h) = (l.to_array(), h.to_array());
        [l[0], l[1], l[2], l[3], h[0], h[1], h[2], h[3]]
    }
}

/// The fold of [`extreme_seq_partials`]: the maximum (`MAX`) or minimum, NaN kept.
#[derive(Clone, Copy)]
struct AccExt<const MAX: bool>(f32x8);

impl<const MAX: bool> LaneAcc for AccExt<MAX> {
    type Out = f32;
    #[inline(always)]
    fn first(c: f32x8) -> Self {
        AccExt(c)
    }
    #[inline(always)]
    fn add_at(self, c: f32x8, _: usize) -> Self {
        AccExt(pick8(self.0, c, MAX))
    }
    #[inline(always)]
    fn lanes(self) -> [f32; 8] {
        self.0.to_array()
    }
    #[inline(always)]
    fn group(g: &[&[f32]; 8], n: usize) -> [f32; 8] {
        if n == 0 {
            return [0.0; 8];
        }
        let mut acc = column8(g, 0);
        let mut k = 1;
        while k + 8 <= n {
            for c in columns8(g, k) {
                acc = pick8(acc, c, MAX);
            }
            k += 8;
        }
        while k < n {
            acc = pick8(acc, column8(g, k), MAX);
            k += 1;
        }
        acc.to_array()
    }
    #[inline(always)]
    fn row(r: &[f32]) -> Option<f32> {
        let (&first, rest) = r.split_first()?;
        Some(rest.iter().fold(first, |a, &x| pick1(a, x, MAX)))
    }
}

/// The fold of [`arg_extreme_seq_runs`]: the position of the first maximum (`MAX`) or
/// minimum, or of the first NaN; positions held as `f32` lanes (exact below 2^24).
#[derive(Clone, Copy)]
struct AccArg<const MAX: bool>(f32x8, f32x8);

impl<const MAX: bool> LaneAcc for AccArg<MAX> {
    type Out = usize;
    #[inline(always)]
    fn first(c: f32x8) -> Self {
        AccArg(c, f32x8::splat(0.0))
    }
    #[inline(always)]
    fn add_at(self, c: f32x8, j: usize) -> Self {
        let better = if MAX { c.simd_gt(self.0) } else { c.simd_lt(self.0) };
        // strictly better, or the first NaN (a NaN kept is never replaced: comparisons with
        // it are false, and `c != c & b == b` is false once b is NaN)
        let take = better | (c.simd_ne(c) & self.0.simd_eq(self.0));
        AccArg(take.select(c, self.0), take.select(f32x8::splat(j as f32), self.1))
    }
    #[inline(always)]
    fn lanes(self) -> [usize; 8] {
        self.1.to_array().map(|i| i as usize)
    }
    #[inline(always)]
    fn group(g: &[&[f32]; 8], n: usize) -> [usize; 8] {
        core::array::from_fn(|i| Self::row(g[i].get(..n).unwrap_or_default()).unwrap_or(0))
    }
    #[inline(always)]
    fn row(r: &[f32]) -> Option<usize> {
        let (&first, rest) = r.split_first()?;
        let mut best = (first, 0);
        for (j, &x) in rest.iter().enumerate() {
            let better = if MAX { x > best.0 } else { x < best.0 };
            if !best.0.is_nan() && (better || x.is_nan()) {
                best = (x, j + 1);
            }
        }
        Some(best.1)
    }
}

/// `m(a, x)` of [`extreme_seq_partials`] for one element.
#[inline(always)]
fn pick1(a: f32, x: f32, max: bool) -> f32 {
    let keep = if max { a > x } else { a < x };
    if a.is_nan() || keep {
        a
    } else {
        x
    }
}

/// `m(a, x)` of [`extreme_seq_partials`] lane by lane.
#[inline(always)]
fn pick8(a: f32x8, x: f32x8, max: bool) -> f32x8 {
    let keep = if max { a.simd_gt(x) } else { a.simd_lt(x) };
    (keep | a.simd_ne(a)).select(a, x)
}

/// The eight elements at the start of `s` (which holds at least eight: zeros otherwise).
#[inline(always)]
fn ld8(s: &[f32]) -> f32x8 {
    s.first_chunk::<8>().map_or(f32x8::splat(0.0), |a| f32x8::from(*a))
}

/// The rows of `N` elements (`N` divides 8) that whole steps of `64 / N` rows cover: eight
/// vectors of eight consecutive elements transposed, so that lane `i` of vector `j` holds
/// element `j mod N` of row `i 8 / N + j / N`. Returns the number of rows done. `N` is a
/// constant so that the steps unroll and the transposed vectors stay in registers (with `N`
/// a variable they went through the stack: a row max of 16M f32 in rows of 4 took 4.2-4.6 ms
/// against 3.6-4.0).
#[inline(always)]
fn packed<A: LaneAcc, O: Copy, const N: usize>(
    data: &[f32],
    out: &mut [O],
    f: impl Fn(A::Out) -> O,
) -> usize {
    let p = 8 / N;
    let mut r = 0;
    while let (Some(block), Some(o)) = (data.get(r * N..r * N + 64), out.get_mut(r..r + 8 * p)) {
        let t = f32x8::transpose(core::array::from_fn(|i| ld8(&block[i * 8..])));
        for q in 0..p {
            let mut acc = A::first(t[q * N]);
            for (j, c) in (1..).zip(&t[q * N + 1..(q + 1) * N]) {
                acc = acc.add_at(*c, j);
            }
            for (i, v) in acc.lanes().into_iter().enumerate() {
                o[i * p + q] = f(v);
            }
        }
        r += 8 * p;
    }
    r
}

/// The rows of four elements that whole steps of eight rows cover, eight rows (32 elements)
/// per step, through [`columns4`] and [`LaneAcc::fours`]; returns the number of rows done.
/// [`sum_f64_seq_runs`] of 16M `f32` in rows of four took 4.5-5.2 ms through [`packed`] (its
/// 8 x 8 transpose, and scalar stores for the order it leaves rows in), 4.1-4.5 ms this way;
/// callgrind counts 46% fewer instructions for row sums of 65536 x 4 (probe `row_sum4_f32`).
#[inline(always)]
fn fours<A: LaneAcc, O: Copy>(data: &[f32], out: &mut [O], f: impl Fn(A::Out) -> O) -> usize {
    let mut r = 0;
    while let (Some(block), Some(o)) = (data.get(r * 4..r * 4 + 32), out.get_mut(r..r + 8)) {
        let l = A::fours(columns4(block)).map(&f);
        o.copy_from_slice(&[l[0], l[4], l[1], l[5], l[2], l[6], l[3], l[7]]);
        r += 8;
    }
    r
}

/// The rows of four elements of [`sum_f64_seq_runs_f32`] that whole steps of eight rows
/// cover, written as [`fours`] with [`AccF64`] would, but each step's eight values rounded to
/// `f32` before they are put in row order (two `f32` interleaves instead of five `f64`
/// permutes: LLVM reorders those of the generic path); returns the number of rows done.
/// Divides by `div` when `DIV` (a constant, so that the division leaves the loop otherwise).
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx"))]
#[inline(always)]
fn fours_f32<const DIV: bool>(data: &[f32], div: f64, out: &mut [f32]) -> usize {
    use safe_arch::{
        add_m256d, cast_to_m128_from_m256, convert_to_m128_from_m256d, convert_to_m256d_from_m128, div_m256d,
        extract_m128_from_m256, m256, m256d, set_splat_m256d, store_unaligned_m128, unpack_high_m128,
        unpack_low_m128,
    };
    let (z, d) = (set_splat_m256d(0.0), set_splat_m256d(div));
    let sum = |h: [safe_arch::m128; 4]| -> m256d {
        let w = h.map(convert_to_m256d_from_m128);
        let s = add_m256d(add_m256d(add_m256d(add_m256d(z, w[0]), w[1]), w[2]), w[3]);
        if DIV {
            div_m256d(s, d)
        } else {
            s
        }
    };
    let mut r = 0;
    while let (Some(block), Some(o)) = (data.get(r * 4..r * 4 + 32), out.get_mut(r..r + 8)) {
        let c = columns4(block).map(|v| m256(v.into()));
        // rows 0, 2, 4, 6 from the low halves, 1, 3, 5, 7 from the high ones
        let lo = convert_to_m128_from_m256d(sum(c.map(cast_to_m128_from_m256)));
        let hi = convert_to_m128_from_m256d(sum(c.map(extract_m128_from_m256::<1>)));
        let (a, b) = o.split_at_mut(4);
        if let (Some(a), Some(b)) = (a.first_chunk_mut::<4>(), b.first_chunk_mut::<4>()) {
            store_unaligned_m128(a, unpack_low_m128(lo, hi));
            store_unaligned_m128(b, unpack_high_m128(lo, hi));
        }
        r += 8;
    }
    r
}

/// No rows: [`sum_f64_seq_runs_f32`] takes them all through [`seq_runs`] without AVX.
#[cfg(not(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx")))]
#[inline(always)]
fn fours_f32<const DIV: bool>(_: &[f32], _: f64, _: &mut [f32]) -> usize {
    0
}

/// The four columns of eight rows of four elements (`block`, 32 elements): lane `i` of
/// column `j` holds element `j` of row `2i` (`i < 4`) or `2(i - 4) + 1`. Rows `2i` and
/// `2i + 1` are one vector load, then come a 4 x 4 transpose inside each half (eight
/// two-vector shuffles; the 8 x 8 transpose of [`packed`] takes 24 per sixteen rows, and
/// rebuilding the columns lane by lane, 32 scalar loads).
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx"))]
#[inline(always)]
fn columns4(block: &[f32]) -> [f32x8; 4] {
    use safe_arch::{m256, shuffle_m256, unpack_hi_m256, unpack_lo_m256};
    // `[row 2i | row 2i + 1]`
    let v: [m256; 4] = core::array::from_fn(|i| {
        m256(f32x8::from(*block[i * 8..].first_chunk::<8>().unwrap_or(&[0.0; 8])).into())
    });
    // (a0, b0, a1, b1) and (a2, b2, a3, b3) in each half
    let (t0, t1) = (unpack_lo_m256(v[0], v[1]), unpack_hi_m256(v[0], v[1]));
    let (t2, t3) = (unpack_lo_m256(v[2], v[3]), unpack_hi_m256(v[2], v[3]));
    // (a0, a1, b0, b1) and (a2, a3, b2, b3) in each half
    let c = [
        shuffle_m256::<0x44>(t0, t2),
        shuffle_m256::<0xEE>(t0, t2),
        shuffle_m256::<0x44>(t1, t3),
        shuffle_m256::<0xEE>(t1, t3),
    ];
    c.map(|m| f32x8::from(m.0))
}

/// [`columns4`] element by element, where the target has no AVX shuffles.
#[cfg(not(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx")))]
#[inline(always)]
fn columns4(block: &[f32]) -> [f32x8; 4] {
    core::array::from_fn(|j| {
        f32x8::new(core::array::from_fn(|i| {
            let row = if i < 4 { 2 * i } else { 2 * (i - 4) + 1 };
            block.get(row * 4 + j).copied().unwrap_or(0.0)
        }))
    })
}

/// The row values of [`sum_f64_seq_runs`] with the fold `A` (rows of `n > 0` elements).
#[inline(always)]
fn seq_runs<A: LaneAcc, O: Copy>(data: &[f32], n: usize, out: &mut [O], f: impl Fn(A::Out) -> O + Copy) {
    // the rows `data` holds whole (the others count as empty): every offset below is at most
    // `data.len()`, so none overflows, whatever `n`
    let rows = out.len().min(data.len() / n.max(1));
    let mut r = 0;
    if n == 1 {
        r = packed::<A, O, 1>(data, &mut out[..rows], f);
    } else if n == 2 {
        r = packed::<A, O, 2>(data, &mut out[..rows], f);
    } else if n == 4 {
        r = fours::<A, O>(data, &mut out[..rows], f);
    } else if n > 0 {
        // the elements each row's vector loads cover, its last block whole
        let span = (n - 1) / 8 * 8 + 8;
        while r + 8 <= rows {
            let Some(block) = data.get(r * n..(r + 7) * n + span) else { break };
            let t = f32x8::transpose(core::array::from_fn(|i| ld8(&block[i * n..])));
            let mut acc = A::first(t[0]);
            for (j, c) in (1..).zip(&t[1..n.min(8)]) {
                acc = acc.add_at(*c, j);
            }
            let mut k = 8;
            while k < n {
                let t = f32x8::transpose(core::array::from_fn(|i| ld8(&block[i * n + k..])));
                for (j, c) in (k..).zip(&t[..(n - k).min(8)]) {
                    acc = acc.add_at(*c, j);
                }
                k += 8;
            }
            out[r..r + 8].copy_from_slice(&acc.lanes().map(f));
            r += 8;
        }
    }
    let row = |j: usize| if j < rows { data.get(j * n..(j + 1) * n).unwrap_or_default() } else { &[] };
    // the last rows, where whole vectors would read past `data` (the end of a group of rows,
    // or of the array): eight at a time as separate rows, then one by one
    while r + 8 <= rows && row(r + 7).len() == n {
        let g: [&[f32]; 8] = core::array::from_fn(|i| row(r + i));
        out[r..r + 8].copy_from_slice(&A::group(&g, n).map(f));
        r += 8;
    }
    for (j, o) in out.iter_mut().enumerate().skip(r) {
        if let Some(v) = A::row(row(j)) {
            *o = f(v);
        }
    }
}

/// The element-by-element maximum (`max`) or minimum of each non-empty `f32` row, in row
/// order: `out[r]` is `rows[r]`'s first element folded with `m(a, x) = if a.is_nan() || a > x
/// { a } else { x }` (`<` for the minimum) over the others, bit for bit: NaN propagates (the
/// first one met), and between `0.0` and `-0.0` the later element wins. Empty rows leave their
/// output as it was. Eight rows of equal length go at a time, one per vector lane (loaded
/// eight elements per row, transposed in registers, folded in element order), as
/// [`sum_seq_partials`] does.
///
/// # Examples
/// ```
/// use array_expr_kernels::reduce::extreme_seq_partials;
/// let rows: Vec<Vec<f32>> = (0..9).map(|r| (0..11).map(|i| ((r * 7 + i * 5) % 13) as f32).collect()).collect();
/// let refs: Vec<&[f32]> = rows.iter().map(|r| &r[..]).collect();
/// let mut out = [0.0; 9];
/// extreme_seq_partials(&refs, &mut out, true);
/// for (r, o) in rows.iter().zip(out) {
///     assert_eq!(o, r.iter().copied().fold(f32::MIN, f32::max));
/// }
/// ```
pub fn extreme_seq_partials(rows: &[&[f32]], out: &mut [f32], max: bool) {
    match max {
        true => extreme_groups::<true>(rows, out),
        false => extreme_groups::<false>(rows, out),
    }
}

/// [`extreme_seq_partials`]: eight rows of equal, non-zero length at a time, others one by one.
fn extreme_groups<const MAX: bool>(rows: &[&[f32]], out: &mut [f32]) {
    for (rs, os) in rows.chunks(8).zip(out.chunks_mut(8)) {
        let n = rs.first().map_or(0, |r| r.len());
        match (<&[&[f32]; 8]>::try_from(rs), <&mut [f32; 8]>::try_from(&mut *os)) {
            (Ok(g), Ok(o)) if n > 0 && g.iter().all(|r| r.len() == n) => *o = AccExt::<MAX>::group(g, n),
            _ => {
                for (r, o) in rs.iter().zip(os) {
                    if let Some(v) = AccExt::<MAX>::row(r) {
                        *o = v;
                    }
                }
            }
        }
    }
}

/// Runs `group` over each `N` rows of equal length with `N` outputs, and folds any other row
/// (the last, short group, or rows of different lengths) element by element.
#[inline(always)]
fn seq_groups<T: Copy + Into<A>, A: Copy + core::ops::Add<Output = A> + Default, const N: usize>(
    rows: &[&[T]],
    out: &mut [A],
    group: impl Fn(&[&[T]; N], usize) -> [A; N],
) {
    for (rs, os) in rows.chunks(N).zip(out.chunks_mut(N)) {
        let n = rs.first().map_or(0, |r| r.len());
        match (<&[&[T]; N]>::try_from(rs), <&mut [A; N]>::try_from(&mut *os)) {
            (Ok(g), Ok(o)) if g.iter().all(|r| r.len() == n) => *o = group(g, n),
            _ => {
                for (r, o) in rs.iter().zip(os) {
                    // `A::default()` is +0.0 for the float accumulators used here
                    *o = r.iter().fold(A::default(), |a, &x| a + x.into());
                }
            }
        }
    }
}

/// The lane-per-row vectors of elements `k..k + 8` of eight rows: `t[j]` holds element `k + j`
/// of row `i` in lane `i`.
#[inline(always)]
fn columns8(g: &[&[f32]; 8], k: usize) -> [f32x8; 8] {
    let ld = |i: usize| f32::load(g[i].get(k..k + 8).unwrap_or_default());
    f32x8::transpose([ld(0), ld(1), ld(2), ld(3), ld(4), ld(5), ld(6), ld(7)])
}

/// Element `k` of eight rows, one per lane.
#[inline(always)]
fn column8(g: &[&[f32]; 8], k: usize) -> f32x8 {
    let at = |i: usize| g[i].get(k).copied().unwrap_or(0.0);
    f32x8::new([at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)])
}

/// Eight `f32` rows of `n` elements summed element by element in `f32`, one row per lane.
#[inline(always)]
fn seq8_f32(g: &[&[f32]; 8], n: usize) -> [f32; 8] {
    let mut acc = f32x8::splat(0.0);
    let mut k = 0;
    while k + 8 <= n {
        for c in columns8(g, k) {
            acc += c;
        }
        k += 8;
    }
    while k < n {
        acc += column8(g, k);
        k += 1;
    }
    acc.to_array()
}

/// Eight `f32` rows of `n` elements summed element by element in `f64`, one row per lane (rows
/// 0-3 in one `f64x4`, rows 4-7 in the other).
#[inline(always)]
fn seq8_f32_f64(g: &[&[f32]; 8], n: usize) -> [f64; 8] {
    let z = f64x4::splat(0.0);
    let (mut lo, mut hi) = (z, z);
    let mut add = |c: f32x8| {
        let (a, b) = widen(c);
        lo += a;
        hi += b;
    };
    let mut k = 0;
    while k + 8 <= n {
        for c in columns8(g, k) {
            add(c);
        }
        k += 8;
    }
    while k < n {
        add(column8(g, k));
        k += 1;
    }
    let (l, h) = (lo.to_array(), hi.to_array());
    [l[0], l[1], l[2], l[3], h[0], h[1], h[2], h[3]]
}

/// Four `f64` rows of `n` elements summed element by element, one row per lane. Each step
/// gathers one element of every row into a vector (loading four vectors and transposing them
/// with `f64x4::transpose` compiled to stores and reloads through the stack).
#[inline(always)]
fn seq4_f64(g: &[&[f64]; 4], n: usize) -> [f64; 4] {
    let mut acc = f64x4::splat(0.0);
    let [r0, r1, r2, r3] = g.map(|r| r.get(..n).unwrap_or_default());
    for (((&a, &b), &c), &d) in r0.iter().zip(r1).zip(r2).zip(r3) {
        acc += f64x4::new([a, b, c, d]);
    }
    acc.to_array()
}

/// The vector of one sub-block (`row.len() <= SUB`) before its lanes are combined: four
/// accumulators over consecutive vectors, the last group loaded zero-filled, combined as
/// `(a0 + a1) + (a2 + a3)`; the additions of [`Sum`]'s block scheme.
#[inline(always)]
fn short_acc<T: SimdElem>(row: &[T]) -> T::V {
    let l = T::LANES;
    let mut a = [T::splat(T::ZERO); 4];
    let mut k = 0;
    // the first whole group starts the accumulators, as in `short_f64` (the caller adds zero)
    if let Some(g) = row.get(..4 * l) {
        for (q, acc) in a.iter_mut().enumerate() {
            *acc = T::load(&g[q * l..]);
        }
        k = 4 * l;
    }
    while let Some(g) = row.get(k..k + 4 * l) {
        for (q, acc) in a.iter_mut().enumerate() {
            *acc = T::vadd(*acc, T::load(&g[q * l..]));
        }
        k += 4 * l;
    }
    if k < row.len() {
        for (q, acc) in a.iter_mut().enumerate() {
            // a group past the row's end is all zeros: no out-of-line partial load for it
            let v = match row.get(k + q * l..) {
                Some(x) if !x.is_empty() => T::load_or(x, T::ZERO),
                _ => T::splat(T::ZERO),
            };
            *acc = T::vadd(*acc, v);
        }
    }
    T::vadd(T::vadd(a[0], a[1]), T::vadd(a[2], a[3]))
}

/// [`short_acc`] for [`SumF64`]: each `f32x8` widened to two `f64x4` halves, four accumulator
/// pairs, then the pair's halves added (`lo + hi`), as [`SumF64`]'s fold does.
#[inline(always)]
fn short_f64(row: &[f32]) -> f64x4 {
    let z = f64x4::splat(0.0);
    let mut a = [(z, z); 4];
    let add = |a: &mut (f64x4, f64x4), x: f32x8| {
        let (lo, hi) = widen(x);
        *a = (a.0 + lo, a.1 + hi);
    };
    let mut k = 0;
    // The first whole group starts the accumulators instead of being added to zeros: `0 + x`
    // is `x` except for `x = -0.0`, so every partial equals the scheme's up to the sign of a
    // zero, and so does the row's sum; the callers add `+0.0` to each row's sum, which makes
    // it the scheme's exactly (a sum that starts from `+0.0` is never `-0.0`).
    if let Some(g) = row.get(..32) {
        for (q, acc) in a.iter_mut().enumerate() {
            *acc = widen(f32::load(&g[q * 8..]));
        }
        k = 32;
    }
    while let Some(g) = row.get(k..k + 32) {
        for (q, acc) in a.iter_mut().enumerate() {
            add(acc, f32::load(&g[q * 8..]));
        }
        k += 32;
    }
    if k < row.len() {
        for (q, acc) in a.iter_mut().enumerate() {
            // as in `short_acc`
            let v = match row.get(k + q * 8..) {
                Some(x) if !x.is_empty() => f32::load_or(x, 0.0),
                _ => f32x8::splat(0.0),
            };
            add(acc, v);
        }
    }
    let pair = |x: (f64x4, f64x4), y: (f64x4, f64x4)| (x.0 + y.0, x.1 + y.1);
    let s = pair(pair(a[0], a[1]), pair(a[2], a[3]));
    s.0 + s.1
}
