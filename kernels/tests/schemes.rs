//! The documented summation orders, re-implemented as plain scalar loops and compared bit for
//! bit with the vector code: the pairwise [`reduce::sum`] (module docs of `reduce`),
//! [`reduce::sum_rows`] and [`reduce::sum_cols`] (their docs), for f32 and f64, over lengths
//! and shapes that hit every tail, block boundary and row group, at every alignment.

use array_expr_kernels::reduce::{self, BLOCK, SUB};

mod common;
use common::Rng;

/// What the references need from a float.
trait F: Copy + PartialEq + core::fmt::Debug + core::ops::Add<Output = Self> + 'static {
    const LANES: usize;
    const ZERO: Self;
    fn bits(self) -> u64;
    fn from_f64(x: f64) -> Self;
}
impl F for f32 {
    const LANES: usize = 8;
    const ZERO: f32 = 0.0;
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    fn from_f64(x: f64) -> Self {
        x as f32
    }
}
impl F for f64 {
    const LANES: usize = 4;
    const ZERO: f64 = 0.0;
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn from_f64(x: f64) -> Self {
        x
    }
}

/// The left-complete binary tree of the contract: split at the largest power of two below n.
fn tree<T: F>(p: &[T]) -> T {
    match p.len() {
        0 => T::ZERO,
        1 => p[0],
        n => {
            let h = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            tree(&p[..h]) + tree(&p[h..])
        }
    }
}

/// Lanes combined by halving: lane i with lane i + n/2, repeated.
fn halve<T: F>(v: &[T]) -> T {
    let mut b = v.to_vec();
    while b.len() > 1 {
        let h = b.len() / 2;
        b = (0..h).map(|i| b[i] + b[i + h]).collect();
    }
    b[0]
}

/// One block: four accumulators of LANES lanes per sub-block, element i of the sub-block to
/// accumulator (i / LANES) % 4, lane i % LANES, the last group of four vectors filled with zeros
/// past the end; accumulators combined as (a0 + a1) + (a2 + a3); sub-blocks by the tree, lane-wise;
/// lanes by halving.
fn ref_block<T: F>(x: &[T]) -> T {
    let l = T::LANES;
    let subs: Vec<Vec<T>> = x
        .chunks(SUB)
        .map(|sub| {
            let mut acc = vec![vec![T::ZERO; l]; 4];
            for g in (0..sub.len()).step_by(4 * l) {
                for i in g..g + 4 * l {
                    let v = sub.get(i).copied().unwrap_or(T::ZERO);
                    acc[(i / l) % 4][i % l] = acc[(i / l) % 4][i % l] + v;
                }
            }
            (0..l).map(|k| (acc[0][k] + acc[1][k]) + (acc[2][k] + acc[3][k])).collect()
        })
        .collect();
    let lanes: Vec<T> = (0..l).map(|k| tree(&subs.iter().map(|s| s[k]).collect::<Vec<_>>())).collect();
    if subs.is_empty() {
        T::ZERO
    } else {
        halve(&lanes)
    }
}

fn ref_sum<T: F>(x: &[T]) -> T {
    tree(&x.chunks(BLOCK).map(ref_block).collect::<Vec<_>>())
}

/// One row: lane l adds elements j = l (mod LANES) in order from 0 (the last vector zero-filled),
/// lanes by halving; rows longer than BLOCK in blocks added in order.
fn ref_row<T: F>(row: &[T]) -> T {
    let l = T::LANES;
    let mut total = None;
    for blk in row.chunks(BLOCK) {
        let mut acc = vec![T::ZERO; l];
        for j in (0..blk.len()).step_by(l) {
            for k in 0..l {
                acc[k] = acc[k] + blk.get(j + k).copied().unwrap_or(T::ZERO);
            }
        }
        let s = halve(&acc);
        total = Some(total.map_or(s, |t: T| t + s));
    }
    total.unwrap_or(T::ZERO)
}

/// Each column: runs of clamp(32768 / ncols, 8, 256) rows, each run's partial from 0 in row
/// order, added in row order to an output that starts at 0.
fn ref_cols<T: F>(m: &[T], nrows: usize, ncols: usize, rs: usize) -> Vec<T> {
    let run = (32768 / ncols.max(1)).clamp(8, 256);
    (0..ncols)
        .map(|j| {
            let mut out = T::ZERO;
            for r0 in (0..nrows).step_by(run) {
                let part = (r0..(r0 + run).min(nrows)).fold(T::ZERO, |p, r| p + m[r * rs + j]);
                out = out + part;
            }
            out
        })
        .collect()
}

fn random<T: F>(rng: &mut Rng, n: usize) -> Vec<T> {
    // Values of very different magnitudes and both signs, so that any change of order shows.
    (0..n).map(|_| T::from_f64((rng.unit() - 0.5) * 10f64.powi((rng.next() % 12) as i32 - 4))).collect()
}

fn same<T: F>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.bits() == y.bits())
}

fn check_sum<T: F + array_expr_kernels::SimdElem>() {
    let mut rng = Rng::new(11);
    let big = random::<T>(&mut rng, 5 * BLOCK + 200);
    let lens = (0..80).chain([SUB - 1, SUB, SUB + 1, BLOCK - 3, BLOCK, BLOCK + 1, 3 * BLOCK + 77, 5 * BLOCK]);
    for n in lens {
        for off in [0, 1, 3] {
            let x = &big[off..off + n];
            assert_eq!(reduce::sum(x).bits(), ref_sum(x).bits(), "n {n} offset {off}");
        }
    }
}

#[test]
fn pairwise_sum_follows_the_documented_order() {
    check_sum::<f32>();
    check_sum::<f64>();
}

fn check_rows_cols<T: F + array_expr_kernels::SimdElem>() {
    let mut rng = Rng::new(12);
    let shapes =
        [(0, 5), (1, 1), (3, 7), (8, 8), (9, 64), (17, 33), (30, 64), (5, 1000), (3, BLOCK + 9), (40, 3)];
    for (nrows, ncols) in shapes {
        for (pad, off) in [(0, 0), (5, 1), (8, 3)] {
            let rs = ncols + pad;
            let m = random::<T>(&mut rng, off + nrows * rs);
            let m = &m[off..];
            let mut rows = vec![<T as F>::ZERO; nrows];
            reduce::sum_rows(m, nrows, ncols, rs, &mut rows);
            let want: Vec<T> = (0..nrows).map(|r| ref_row(&m[r * rs..r * rs + ncols])).collect();
            assert!(same(&rows, &want), "rows {nrows}x{ncols} stride {rs}: {rows:?} vs {want:?}");
            let mut cols = vec![<T as F>::ZERO; ncols];
            reduce::sum_cols(m, nrows, ncols, rs, &mut cols);
            assert!(same(&cols, &ref_cols(m, nrows, ncols, rs)), "cols {nrows}x{ncols} stride {rs}");
        }
    }
}

#[test]
fn row_and_column_sums_follow_the_documented_order() {
    check_rows_cols::<f32>();
    check_rows_cols::<f64>();
}

#[test]
fn row_and_column_sums_of_a_tall_matrix() {
    // Many row groups and column runs (runs of 256 rows for 64 columns... and 32 for 1024).
    let mut rng = Rng::new(13);
    for (nrows, ncols) in [(1000, 64), (70, 1024), (300, 129)] {
        let m = random::<f32>(&mut rng, nrows * ncols);
        let mut rows = vec![0.0; nrows];
        reduce::sum_rows(&m, nrows, ncols, ncols, &mut rows);
        let want: Vec<f32> = m.chunks(ncols).map(ref_row).collect();
        assert!(same(&rows, &want), "rows {nrows}x{ncols}");
        let mut cols = vec![0.0; ncols];
        reduce::sum_cols(&m, nrows, ncols, ncols, &mut cols);
        assert!(same(&cols, &ref_cols(&m, nrows, ncols, ncols)), "cols {nrows}x{ncols}");
    }
}

#[test]
fn short_data_and_short_outputs_are_safe() {
    // Rows that run past the end of the data read as zeros; outputs shorter than the shape
    // receive what fits; nothing panics.
    let m: Vec<f32> = (1..=10).map(|i| i as f32).collect();
    let mut rows = [0.0f32; 3];
    reduce::sum_rows(&m, 5, 4, 4, &mut rows);
    assert_eq!(rows, [10.0, 26.0, 19.0]);
    let mut cols = [0.0f32; 3];
    reduce::sum_cols(&m, 4, 4, 4, &mut cols);
    assert_eq!(cols, [1.0 + 5.0 + 9.0, 2.0 + 6.0 + 10.0, 3.0 + 7.0]);
    let mut none: [f32; 0] = [];
    reduce::sum_rows(&m, 2, 4, 4, &mut none);
    reduce::sum_cols(&m, 2, 4, 4, &mut none);
}

/// A block whose values are computed vector by vector (`block_partial_map`, the fused kernels'
/// path) has the partial of the same values staged in a slice, bit for bit, for every length
/// up to a block, the f32 sums in f32 and in f64, the f64 sum, min and max; the partial vector's lanes
/// past the block hold garbage (NaN), which must not reach the partial.
#[test]
fn computed_blocks_sum_like_staged_blocks() {
    use array_expr_kernels::reduce::{
        block_partial, block_partial_map, reduce, reduce_map, Max, Min, Sum, SumF64,
    };
    use array_expr_kernels::SimdElem;
    let mut rng = Rng::new(41);
    let x: Vec<f32> = random(&mut rng, BLOCK);
    let y: Vec<f32> = random(&mut rng, BLOCK);
    let xd: Vec<f64> = random(&mut rng, BLOCK);
    for n in 0..=BLOCK {
        let (x, y, xd) = (&x[..n], &y[..n], &xd[..n]);
        let staged: Vec<f32> = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).collect();
        let full = |k: usize| {
            let d = f32::load(&x[k..k + 8]) - f32::load(&y[k..k + 8]);
            d * d
        };
        let part = |k: usize| {
            let mut a = [f32::NAN; 8];
            for (i, slot) in a.iter_mut().enumerate().take(n - k) {
                *slot = (x[k + i] - y[k + i]) * (x[k + i] - y[k + i]);
            }
            f32::from_array(a)
        };
        let wide = block_partial_map(SumF64, n, full, part);
        assert_eq!(wide.to_bits(), block_partial(SumF64, &staged, 0).to_bits(), "f32 -> f64, n = {n}");
        let narrow: f32 = block_partial_map(Sum, n, full, part);
        assert_eq!(narrow.to_bits(), block_partial(Sum, &staged, 0).to_bits(), "f32, n = {n}");
        let sq: Vec<f64> = xd.iter().map(|a| a * a).collect();
        let full64 = |k: usize| {
            let v = f64::load(&xd[k..k + 4]);
            v * v
        };
        let part64 = |k: usize| {
            let mut a = [f64::NAN; 4];
            for (i, slot) in a.iter_mut().enumerate().take(n - k) {
                *slot = xd[k + i] * xd[k + i];
            }
            f64::from_array(a)
        };
        let d: f64 = block_partial_map(Sum, n, full64, part64);
        assert_eq!(d.to_bits(), block_partial(Sum, &sq, 0).to_bits(), "f64, n = {n}");
        // min and max through reduce_map, garbage past the block too (NaN would propagate)
        let bits = |v: Option<f32>| v.map(f32::to_bits);
        assert_eq!(
            bits(reduce_map::<f32, _>(Max, n, full, part)),
            bits(reduce(Max, &staged)),
            "max, n = {n}"
        );
        assert_eq!(
            bits(reduce_map::<f32, _>(Min, n, full, part)),
            bits(reduce(Min, &staged)),
            "min, n = {n}"
        );
    }
    // a NaN among the values propagates as it does from a staged block
    let mut with_nan = x.clone();
    with_nan[200] = f32::NAN;
    let v = |k: usize| f32::load(&with_nan[k..]);
    assert!(reduce_map::<f32, _>(Max, BLOCK, v, v).is_some_and(f32::is_nan));
    assert!(reduce(Max, &with_nan).is_some_and(f32::is_nan));
}
