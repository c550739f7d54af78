//! The several-row block partials ([`reduce::sum_partials`], [`reduce::sum_f64_partials`])
//! against one [`reduce::block_partial`] per row, bit for bit: every row length up to past a
//! sub-block (each tail of the four-accumulator groups), every row count around the groups of
//! four and eight, rows of different lengths in one call, and values of wide magnitude with
//! signed zeros, infinities and NaN.

use array_expr_kernels::reduce::{self, Sum, SumF64};

mod common;
use common::{Rng, F32_SPECIALS};

/// `count` rows of `len` values: wide magnitudes, with a special value now and then.
fn rows(rng: &mut Rng, count: usize, len: impl Fn(usize) -> usize) -> Vec<Vec<f32>> {
    (0..count)
        .map(|r| {
            (0..len(r))
                .map(|_| match rng.next() % 50 {
                    0 => F32_SPECIALS[(rng.next() % 16) as usize],
                    1 => -0.0,
                    _ => ((rng.unit() - 0.5) * 2f64.powi((rng.next() % 40) as i32 - 20)) as f32,
                })
                .collect()
        })
        .collect()
}

/// Bits of an f64 with every NaN the same (the payload is not part of the contract).
fn bits64(x: f64) -> u64 {
    if x.is_nan() {
        u64::MAX
    } else {
        x.to_bits()
    }
}

/// Several-row kernels, `(f32 -> f64, f32, f64)`, as the library exports them.
type Kernels = (fn(&[&[f32]], &mut [f64]), fn(&[&[f32]], &mut [f32]), fn(&[&[f64]], &mut [f64]));
/// Their per-row references, bit for bit.
type Wants = (fn(&[f32]) -> f64, fn(&[f32]) -> f32, fn(&[f64]) -> f64);

/// Runs each kernel over `data` (and over `data` widened to f64 and scaled by 1.5) and checks
/// every row against its reference.
fn check_kernels(data: &[Vec<f32>], what: &str, (k64, k32, kw): Kernels, (w64, w32, ww): Wants) {
    let refs: Vec<&[f32]> = data.iter().map(|r| &r[..]).collect();
    let mut f64s = vec![7.0; refs.len()];
    k64(&refs, &mut f64s);
    let mut f32s = vec![7.0; refs.len()];
    k32(&refs, &mut f32s);
    let wide: Vec<Vec<f64>> = data.iter().map(|r| r.iter().map(|&x| x as f64 * 1.5).collect()).collect();
    let wrefs: Vec<&[f64]> = wide.iter().map(|r| &r[..]).collect();
    let mut wsums = vec![7.0; wrefs.len()];
    kw(&wrefs, &mut wsums);
    for (r, row) in data.iter().enumerate() {
        let (n, len) = (data.len(), row.len());
        assert_eq!(bits64(f64s[r]), bits64(w64(row)), "{what}: f32 -> f64 row {r} of {n} ({len} elements)");
        assert_eq!(bits64(f32s[r] as f64), bits64(w32(row) as f64), "{what}: f32 row {r} ({len} elements)");
        assert_eq!(bits64(wsums[r]), bits64(ww(&wide[r])), "{what}: f64 row {r} ({len} elements)");
    }
}

/// The block-scheme kernels against one block partial per row.
fn check_all(data: &[Vec<f32>], what: &str) {
    check_kernels(
        data,
        what,
        (reduce::sum_f64_partials, reduce::sum_partials, reduce::sum_partials),
        (
            |r| reduce::block_partial(SumF64, r, 0),
            |r| reduce::block_partial(Sum, r, 0),
            |r| reduce::block_partial(Sum, r, 0),
        ),
    );
}

#[test]
fn equal_rows_match_one_block_partial_per_row() {
    let mut rng = Rng::new(51);
    for len in (0..=70).chain([95, 96, 97, 128, 255, 256, 257, 300, 512]) {
        for count in [1, 3, 4, 5, 7, 8, 9, 16, 17] {
            check_all(&rows(&mut rng, count, |_| len), "equal rows");
        }
    }
}

#[test]
fn rows_of_different_lengths_match_too() {
    let mut rng = Rng::new(52);
    for count in [4, 8, 12, 16, 20] {
        let data = rows(&mut rng, count, |r| [64, 3, 256, 257, 0, 100, 31, 33][r % 8]);
        check_all(&data, "mixed rows");
    }
}

#[test]
fn a_short_output_skips_the_extra_rows() {
    let data = [vec![1.0f32; 64], vec![2.0; 64], vec![3.0; 64]];
    let refs: Vec<&[f32]> = data.iter().map(|r| &r[..]).collect();
    let mut out = [0.0f64; 2];
    reduce::sum_f64_partials(&refs, &mut out);
    assert_eq!(out, [64.0, 128.0]);
    let mut out = [0.0f32; 2];
    reduce::sum_partials(&refs, &mut out);
    assert_eq!(out, [64.0, 128.0]);
}

#[test]
fn rows_of_negative_zeros_keep_the_schemes_sign() {
    // the short-row kernels start their accumulators from the first group of values rather
    // than from +0.0, then add +0.0 to each row's sum: a row of -0.0 must still sum to the
    // block scheme's +0.0, and a -0.0 beside other values must change nothing
    for len in [1, 8, 31, 32, 33, 64, 65, 96, 100, 256] {
        let mut data = vec![vec![-0.0f32; len]; 5];
        data[1][len - 1] = 0.0;
        data[2][0] = 1.5;
        data[3][len / 2] = f32::NAN;
        data[4][len - 1] = -2.0;
        for count in [4, 5, 8] {
            check_all(&data[..count.min(5)].iter().cycle().take(count).cloned().collect::<Vec<_>>(), "zeros");
        }
        let refs: Vec<&[f32]> = vec![&data[0][..]; 8];
        let mut out = [7.0f64; 8];
        reduce::sum_f64_partials(&refs, &mut out);
        assert!(out.iter().all(|s| s.to_bits() == 0), "a row of {len} x -0.0 sums to +0.0 in f64: {out:?}");
        let mut out = [7.0f32; 8];
        reduce::sum_partials(&refs, &mut out);
        assert!(out.iter().all(|s| s.to_bits() == 0), "a row of {len} x -0.0 sums to +0.0 in f32: {out:?}");
    }
}

/// The element-by-element kernels against a scalar fold from zero, bit for bit.
fn check_seq(data: &[Vec<f32>], what: &str) {
    check_kernels(
        data,
        what,
        (reduce::sum_f64_seq_partials, reduce::sum_seq_partials, reduce::sum_seq_partials),
        (
            |r| r.iter().fold(0.0f64, |a, &x| a + x as f64),
            |r| r.iter().fold(0.0f32, |a, &x| a + x),
            |r| r.iter().fold(0.0f64, |a, &x| a + x),
        ),
    );
}

#[test]
fn element_by_element_rows_match_a_scalar_fold() {
    let mut rng = Rng::new(53);
    for len in (0..=70).chain([100, 127, 128, 129, 300]) {
        for count in [1, 3, 4, 5, 7, 8, 9, 16, 17] {
            check_seq(&rows(&mut rng, count, |_| len), "equal rows");
        }
    }
    for count in [4, 8, 12, 16, 20] {
        check_seq(&rows(&mut rng, count, |r| [10, 3, 64, 1, 0, 33, 31, 8][r % 8]), "mixed rows");
    }
    // a row of -0.0 sums to +0.0 (the fold starts from +0.0), and NaN or infinities propagate
    let mut data = vec![vec![-0.0f32; 12]; 8];
    data[3][5] = f32::NAN;
    data[5][0] = f32::INFINITY;
    data[6][11] = f32::NEG_INFINITY;
    data[7][2] = 1e-40;
    check_seq(&data, "specials");
    // a short output skips the extra rows
    let refs: Vec<&[f32]> = data.iter().map(|r| &r[..]).collect();
    let mut out = [5.0f64; 3];
    reduce::sum_f64_seq_partials(&refs, &mut out);
    assert_eq!(out.map(f64::to_bits), [0.0f64.to_bits(); 3]);
}

/// `ops::maximum`/`minimum`'s scalar fold: the first element, then `a` kept when it is NaN or
/// strictly beyond `x`, else `x`.
fn extreme_fold(row: &[f32], max: bool) -> f32 {
    let (&first, rest) = row.split_first().expect("a non-empty row");
    rest.iter().fold(first, |a, &x| if a.is_nan() || (if max { a > x } else { a < x }) { a } else { x })
}

/// Bits of an f32, with the sign and payload of NaN kept (the fold's NaN is a particular one).
fn check_extreme(data: &[Vec<f32>], what: &str) {
    let refs: Vec<&[f32]> = data.iter().map(|r| &r[..]).collect();
    for max in [true, false] {
        let mut out = vec![7.0f32; refs.len()];
        reduce::extreme_seq_partials(&refs, &mut out, max);
        for (r, row) in data.iter().enumerate() {
            let want = if row.is_empty() { 7.0 } else { extreme_fold(row, max) };
            assert_eq!(
                out[r].to_bits(),
                want.to_bits(),
                "{what}: max {max}, row {r} ({} elements)",
                row.len()
            );
        }
    }
}

#[test]
fn element_by_element_extremes_match_the_scalar_fold() {
    let mut rng = Rng::new(54);
    for len in (0..=70).chain([100, 129]) {
        for count in [1, 3, 7, 8, 9, 16, 17] {
            check_extreme(&rows(&mut rng, count, |_| len), "equal rows");
        }
    }
    check_extreme(&rows(&mut rng, 16, |r| [10, 3, 64, 1, 0, 33, 31, 8][r % 8]), "mixed rows");
    // zeros of both signs (the later one wins between equals), NaNs with distinct payloads
    // (the first one met wins), infinities
    let nan_a = f32::from_bits(0x7fc0_0001);
    let nan_b = f32::from_bits(0xffc0_0002);
    let mut data = vec![vec![0.0f32, -0.0, 0.0, -0.0, 1.0, -1.0, 0.0, -0.0, 0.5, -0.5, 0.0, -0.0]; 8];
    data[1][3] = nan_a;
    data[1][9] = nan_b;
    data[2][0] = nan_b;
    data[3][11] = f32::INFINITY;
    data[4][5] = f32::NEG_INFINITY;
    data[5] = vec![-0.0; 12];
    data[6][4] = 0.0;
    data[7] = vec![f32::NAN; 12];
    check_extreme(&data, "specials");
}

/// The kernels over rows stored one after another (`sum_f64_seq_runs`, `sum_f32_seq_runs`)
/// against a scalar fold from zero, bit for bit: every length to past 64, row counts around
/// the steps of 8 and `64 / n` rows, data that ends with the last row and data that runs on
/// (the kernels may read past a row's end, never count it), and data shorter than the rows.
#[test]
fn rows_stored_one_after_another_match_a_scalar_fold() {
    let mut rng = Rng::new(71);
    for n in 0..=70usize {
        for count in [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 130] {
            for extra in [0, 3, 64] {
                let data: Vec<f32> = rows(&mut rng, 1, |_| count * n + extra).concat();
                let what = format!("{count} rows of {n}, {extra} elements after them");
                let mut f64s = vec![7.0f64; count];
                reduce::sum_f64_seq_runs(&data, n, &mut f64s);
                let mut f32s = vec![7.0f32; count];
                reduce::sum_f32_seq_runs(&data, n, &mut f32s);
                // the f64 sums rounded to f32, as they are and divided (the means)
                let (mut rounded, mut means) = (vec![7.0f32; count], vec![7.0f32; count]);
                reduce::sum_f64_seq_runs_f32(&data, n, 1.0, &mut rounded);
                reduce::sum_f64_seq_runs_f32(&data, n, n as f64, &mut means);
                for (r, (a, b)) in f64s.iter().zip(&f32s).enumerate() {
                    let row = &data[r * n..][..n];
                    let want64 = row.iter().fold(0.0f64, |a, &x| a + x as f64);
                    let want32 = row.iter().fold(0.0f32, |a, &x| a + x);
                    assert_eq!(bits64(*a), bits64(want64), "f64 sum of row {r}: {what}");
                    assert_eq!(bits64(*b as f64), bits64(want32 as f64), "f32 sum of row {r}: {what}");
                    assert_eq!(
                        rounded[r].to_bits(),
                        (want64 as f32).to_bits(),
                        "rounded sum of row {r}: {what}"
                    );
                    let mean = (want64 / n as f64) as f32;
                    assert_eq!(means[r].to_bits(), mean.to_bits(), "mean of row {r}: {what}");
                }
            }
        }
    }
    // f64 rows, the same lengths and counts
    for n in 0..=70usize {
        for count in [0, 1, 3, 4, 5, 8, 9, 17, 65] {
            for extra in [0, 3, 64] {
                let data: Vec<f64> = rows(&mut rng, 1, |_| count * n + extra)
                    .concat()
                    .iter()
                    .map(|&x| x as f64 * 1.1)
                    .collect();
                let mut out = vec![7.0f64; count];
                reduce::sum_seq_runs_f64(&data, n, &mut out);
                for (r, o) in out.iter().enumerate() {
                    let want = data[r * n..][..n].iter().fold(0.0f64, |a, &x| a + x);
                    assert_eq!(bits64(*o), bits64(want), "f64 row {r} of {count} rows of {n}, {extra} after");
                }
            }
        }
    }
    // the extremes, the same rows: NaN (the first met) and the later signed zero win
    for n in 0..=70usize {
        for count in [0, 1, 8, 9, 16, 17, 65, 130] {
            for extra in [0, 64] {
                let mut data: Vec<f32> = rows(&mut rng, 1, |_| count * n + extra).concat();
                for (i, v) in data.iter_mut().enumerate() {
                    if i % 13 == 5 {
                        *v = if i % 2 == 0 { 0.0 } else { -0.0 };
                    }
                }
                for max in [true, false] {
                    // the first position of the extreme, or of the first NaN
                    let mut pos = vec![usize::MAX; count];
                    reduce::arg_extreme_seq_runs(&data, n, &mut pos, max);
                    for (r, p) in pos.iter().enumerate() {
                        let row = &data[r * n..][..n];
                        let want = row.iter().position(|x| x.is_nan()).unwrap_or_else(|| {
                            let best =
                                row.iter().copied().fold(row.first().copied().unwrap_or(0.0), |a, x| {
                                    if (max && x > a) || (!max && x < a) {
                                        x
                                    } else {
                                        a
                                    }
                                });
                            row.iter().position(|&x| x == best).unwrap_or(usize::MAX)
                        });
                        assert_eq!(
                            *p, want,
                            "arg {max} of row {r} of {count} rows of {n}, {extra} after: {row:?}"
                        );
                    }
                    let mut out = vec![7.0f32; count];
                    reduce::extreme_seq_runs(&data, n, &mut out, max);
                    for (r, o) in out.iter().enumerate() {
                        let row = &data[r * n..][..n];
                        let want = if n == 0 { 7.0 } else { extreme_fold(row, max) };
                        let what = format!(
                            "{} of row {r} of {count} rows of {n}, {extra} after",
                            if max { "max" } else { "min" }
                        );
                        assert_eq!(bits64(*o as f64), bits64(want as f64), "{what}");
                    }
                }
            }
        }
    }
    // rows that start anywhere in memory, and the specials (NaN, infinities, -0.0, an f64 sum
    // beyond f32)
    let mut data: Vec<f32> = rows(&mut rng, 1, |_| 4 * 200 + 16).concat();
    for (i, v) in data.iter_mut().enumerate() {
        *v = match i % 37 {
            3 => f32::NAN,
            11 => f32::INFINITY,
            19 => -0.0,
            23 => f32::MAX,
            _ => *v,
        };
    }
    for skip in 0..16 {
        for div in [1.0, 4.0, 3.0, 0.0] {
            let (d, count) = (&data[skip..], 200 - skip % 4);
            let mut out = vec![7.0f32; count];
            reduce::sum_f64_seq_runs_f32(d, 4, div, &mut out);
            for (r, o) in out.iter().enumerate() {
                let sum = d[r * 4..][..4].iter().fold(0.0f64, |a, &x| a + x as f64);
                let want = (sum / div) as f32;
                assert_eq!(o.to_bits(), want.to_bits(), "row {r} from element {skip}, divided by {div}");
            }
        }
    }
    // empty rows: the sum of none, divided
    let mut out = [5.0f32; 3];
    reduce::sum_f64_seq_runs_f32(&data, 0, 0.0, &mut out);
    assert!(out.iter().all(|s| s.is_nan()), "{out:?}");
    reduce::sum_f64_seq_runs_f32(&data, 0, 1.0, &mut out);
    assert_eq!(out, [0.0; 3]);
    // a row length whose offsets would overflow: no row is held, none panics
    let mut out32 = [5.0f32; 9];
    reduce::sum_f64_seq_runs_f32(&[1.0; 40], usize::MAX / 4, 2.0, &mut out32);
    assert_eq!(out32, [0.0; 9]);
    let mut out = [5.0f64; 9];
    reduce::sum_f64_seq_runs(&[1.0; 40], usize::MAX / 4, &mut out);
    assert_eq!(out, [0.0; 9]);
    let mut ext = [5.0f32; 9];
    reduce::extreme_seq_runs(&[1.0; 40], usize::MAX / 4, &mut ext, true);
    assert_eq!(ext, [5.0; 9]);
    let mut pos = [5usize; 9];
    reduce::arg_extreme_seq_runs(&[1.0; 40], usize::MAX / 4, &mut pos, false);
    assert_eq!(pos, [5; 9]);
    // rows of -0.0 sum to +0.0; rows the data does not hold count as empty
    let data = vec![-0.0f32; 100];
    let mut d64 = [5.0f64; 30];
    reduce::sum_seq_runs_f64(&vec![-0.0f64; 100], 4, &mut d64);
    assert!(d64.iter().all(|s| s.to_bits() == 0), "{d64:?}");
    reduce::sum_seq_runs_f64(&[1.0; 40], usize::MAX / 4, &mut d64);
    assert_eq!(d64, [0.0; 30]);
    let mut out = [5.0f64; 30];
    reduce::sum_f64_seq_runs(&data, 4, &mut out);
    assert_eq!(out[..25], [0.0f64; 25]);
    assert!(out.iter().all(|s| s.to_bits() == 0), "{out:?}");
    let mut out = [5.0f32; 12];
    reduce::sum_f32_seq_runs(&data, 9, &mut out);
    assert!(out.iter().all(|s| s.to_bits() == 0), "{out:?}");
}
