//! Row-local schedules (every reduction keeps axis 0): the passes run block of rows by block
//! of rows, and softmax stages `exp(x - max)` in the output block. The results equal, bit for
//! bit, the whole-array passes, computed here by the same kernels written with an identity
//! view (`x[:, :]`), which keeps the whole-array schedule; on every thread count, over row
//! lengths around the SIMD block thresholds and row counts around the row-block size.
//!
//! One deliberate difference: where the whole-array sum pass evaluated `exp` with the scalar
//! function (rows under 64 elements, and the vertical path of F-order inputs) while the output
//! pass used the vector one, the staged softmax sums the very values it divides (vector `exp`
//! everywhere); those cases agree within a few ulp, and are bit-identical across threads.

use array_expr::parallel::with_threads;
use array_expr::{array_expr, Array, ArrayView, Slice};
use proptest::prelude::*;

array_expr! {
    fn softmax(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }
    fn softmax_whole(x: f32[n, m]) -> f32[n, m] {
        let y = x[:, :];
        let e = exp(y - max(y, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }
    fn standardize(x: f64[n, m], w: f64[m]) -> f64[n, m] {
        let d = x - mean(x, axis = 1, keepdims);
        w * d / sqrt(mean(d * d, axis = 1, keepdims) + 1e-6)
    }
    fn scaled_rows(x: f32[n, m], c: f32[n, 1], w: f32[m]) -> f32[n, m] {
        let d = x * w - c;
        d / sqrt(sum(d * d, axis = 1, keepdims) + 1.0)
    }
    fn scaled_rows_whole(x: f32[n, m], c: f32[n, 1], w: f32[m]) -> f32[n, m] {
        let y = x[:, :];
        let d = y * w - c;
        d / sqrt(sum(d * d, axis = 1, keepdims) + 1.0)
    }
    fn softmax3(x: f32[b, t, m]) -> f32[b, t, m] {
        let e = exp(x - max(x, axis = 2, keepdims));
        e / sum(e, axis = 2, keepdims)
    }
    fn softmax4(x: f32[a, b, t, m]) -> f32[a, b, t, m] {
        let e = exp(x - max(x, axis = -1, keepdims));
        e / sum(e, axis = -1, keepdims)
    }
    fn scaled_rows3(x: f32[b, t, m], c: f32[b, t, 1], w: f32[m]) -> f32[b, t, m] {
        let d = x * w - c;
        d / sqrt(sum(d * d, axis = 2, keepdims) + 1.0)
    }
    fn row_norms(x: f32[n, k], b: i32[n, 1]) -> f32[n, 1] {
        sqrt(sum(x * x, axis = 1, keepdims)) + b as f32
    }
    fn standardize_whole(x: f64[n, m], w: f64[m]) -> f64[n, m] {
        let y = x[:, :];
        let d = y - mean(y, axis = 1, keepdims);
        w * d / sqrt(mean(d * d, axis = 1, keepdims) + 1e-6)
    }
}

fn bits32(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The first element whose bits differ, if any.
fn first_difference(a: &[u32], b: &[u32]) -> Option<(usize, u32, u32)> {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).enumerate().find(|(_, (x, y))| x != y).map(|(i, (x, y))| (i, *x, *y))
}

fn check_softmax(x: ArrayView<'_, f32, 2>, what: &str) {
    let want = bits32(&with_threads(1, || softmax_whole(x).unwrap().to_vec()));
    for t in [1, 2, 3, 4, 8] {
        let got = bits32(&with_threads(t, || softmax(x).unwrap().to_vec()));
        assert_eq!(first_difference(&got, &want), None, "softmax {what} on {t} threads");
    }
}

/// Within `ulps` of the whole-array passes, and the same bits on every thread count.
fn check_softmax_close(x: ArrayView<'_, f32, 2>, ulps: u32, what: &str) {
    let want = bits32(&softmax_whole(x).unwrap().to_vec());
    let one = bits32(&with_threads(1, || softmax(x).unwrap().to_vec()));
    for (i, (a, b)) in one.iter().zip(&want).enumerate() {
        assert!(a.abs_diff(*b) <= ulps, "softmax {what}: element {i} is {a:#x}, the whole-array pass {b:#x}");
    }
    for t in [2, 3, 4, 8] {
        let got = bits32(&with_threads(t, || softmax(x).unwrap().to_vec()));
        assert_eq!(first_difference(&got, &one), None, "softmax {what} on {t} threads");
    }
}

#[test]
fn softmax_rows_equal_the_whole_array_passes() {
    // 64 and more columns: the sums use the SIMD block scheme in both schedules
    for m in [64, 65, 100, 256, 300, 512, 513, 2000] {
        for n in [1, 7, 63, 64, 65, 300] {
            let x = Array::<f32, 2>::random_uniform([n, m], 3, -20.0, 20.0);
            check_softmax(x.view(), &format!("[{n}, {m}]"));
        }
    }
    let wide = Array::<f32, 2>::random_uniform([129, 140], 4, -5.0, 5.0);
    let sub = wide.view().slice([Slice::new(None, None, 2), Slice::new(Some(3), Some(131), 1)]).unwrap();
    check_softmax(sub, "strided view");
    check_softmax_close(wide.view().t(), 4, "F order");
    for m in [1, 7, 63] {
        let x = Array::<f32, 2>::random_uniform([300, m], 3, -20.0, 20.0);
        check_softmax_close(x.view(), 4, &format!("[300, {m}]"));
    }
}

#[test]
fn standardize_rows_equals_the_whole_array_passes() {
    for [n, m] in [[1, 3], [5, 63], [300, 64], [1000, 70], [17, 2000]] {
        let x = Array::<f64, 2>::random_uniform([n, m], 5, -3.0, 3.0);
        check_standardize(x.view(), m, &format!("[{n}, {m}]"));
        check_standardize(
            x.view().slice([Slice::new(None, None, -1), Slice::full()]).unwrap(),
            m,
            "reversed rows",
        );
    }
    let x = Array::<f64, 2>::random_uniform([90, 300], 5, -3.0, 3.0);
    check_standardize(x.view().t(), 90, "F order");
    // large enough for the row blocks to spread over threads
    let x = Array::<f64, 2>::random_uniform([601, 1000], 7, -3.0, 3.0);
    check_standardize(x.view(), 1000, "[601, 1000]");
}

/// The row-by-row path (contiguous rows: every pass of a row before the next, reduced values
/// as locals, a column operand read as one value per row) against the whole-array passes,
/// bit for bit, with the general row-local path alongside (reversed `w`, F-order `x`): row
/// lengths around the 512-element blocks of the reductions' pairwise tree, on every thread
/// count.
#[test]
fn row_by_row_passes_equal_the_whole_array_passes() {
    for [n, m] in [[1, 1], [9, 63], [70, 64], [17, 511], [33, 512], [12, 513], [20, 1600], [130, 2049]] {
        let x = Array::<f32, 2>::random_uniform([n, m], 11, -4.0, 4.0);
        let cm = Array::<f32, 2>::random_uniform([n, 3], 12, -1.0, 1.0);
        // a column of a wider matrix: broadcast along the row, one value per row
        let c = cm.view().slice([Slice::full(), Slice::new(Some(1), Some(2), 1)]).unwrap();
        let w = Array::<f32, 1>::random_uniform([m], 13, 0.5, 2.0);
        let w_rev = w.view().slice([Slice::new(None, None, -1)]).unwrap();
        let xf = Array::<f32, 2>::from_shape_vec([m, n], x.view().t().to_vec()).unwrap();
        let cases = [
            (x.view(), w.view(), "C order"),
            (x.view(), w_rev, "reversed w"),
            (xf.view().t(), w.view(), "F order"),
        ];
        for (xv, wv, what) in cases {
            let want = bits32(&with_threads(1, || scaled_rows_whole(xv, c, wv).unwrap().to_vec()));
            for t in [1, 2, 3] {
                let got = bits32(&with_threads(t, || scaled_rows(xv, c, wv).unwrap().to_vec()));
                assert_eq!(first_difference(&got, &want), None, "[{n}, {m}] {what} on {t} threads");
            }
        }
    }
}

/// Runs `f` with the group path of short rows on or off (a global switch: the tests of this
/// file that read it hold this lock; other tests get the same bits either way).
fn with_groups<T>(on: bool, f: impl FnOnce() -> T) -> T {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _held = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    array_expr::__private::driver::set_row_groups(on);
    let r = f();
    array_expr::__private::driver::set_row_groups(true);
    r
}

/// The group path (rows under 129 elements, up to 16 at a time, each pass one call over the
/// group) against the row-by-row path, bit for bit: softmax (staged value, f32 max and sum
/// through the several-row kernels), a column operand and a row operand copied into the
/// group's buffers, f64 means (their block closure row by row), rows read in reverse order
/// (copied), an output whose rows are apart in memory (row by row), groups cut by the end of
/// a row block, on one and several threads.
#[test]
fn row_groups_equal_the_row_by_row_path() {
    let widths = [1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 127, 128, 129];
    for m in widths {
        for n in [1, 15, 16, 17, 50, 1700, 6600] {
            let x = Array::<f32, 2>::random_uniform([n, m], (n * 131 + m) as u64, -30.0, 30.0);
            let c = Array::<f32, 2>::random_uniform([n, 1], 5, -1.0, 1.0);
            let w = Array::<f32, 1>::random_uniform([m], 6, 0.5, 2.0);
            let xd = Array::<f64, 2>::random_uniform([n, m], 7, -3.0, 3.0);
            let wd = Array::<f64, 1>::random_uniform([m], 8, 0.5, 2.0);
            let rev = x.view().slice([Slice::new(None, None, -1), Slice::full()]).unwrap();
            for t in [1, 3] {
                let run = |on: bool| {
                    with_groups(on, || {
                        with_threads(t, || {
                            let mut wide = Array::<f32, 2>::zeros([n, m + 3]);
                            let mut apart = wide
                                .view_mut()
                                .slice([Slice::full(), Slice::new(Some(1), Some(m as isize + 1), 1)])
                                .unwrap();
                            softmax_into(&x, &mut apart).unwrap();
                            (
                                bits32(&softmax(&x).unwrap().to_vec()),
                                bits32(&softmax(rev).unwrap().to_vec()),
                                bits32(&scaled_rows(&x, &c, &w).unwrap().to_vec()),
                                standardize(&xd, &wd)
                                    .unwrap()
                                    .to_vec()
                                    .iter()
                                    .map(|v| v.to_bits())
                                    .collect::<Vec<u64>>(),
                                bits32(&wide.to_vec()),
                            )
                        })
                    })
                };
                let (on, off) = (run(true), run(false));
                let what = format!("[{n}, {m}] on {t} threads");
                assert_eq!(first_difference(&on.0, &off.0), None, "softmax {what}");
                assert_eq!(first_difference(&on.1, &off.1), None, "softmax of reversed rows {what}");
                assert_eq!(first_difference(&on.2, &off.2), None, "scaled rows {what}");
                assert!(on.3 == off.3, "standardize {what}");
                assert_eq!(first_difference(&on.4, &off.4), None, "softmax into rows apart {what}");
                let inner: Vec<u32> = on.4.chunks(m + 3).flat_map(|r| r[1..=m].to_vec()).collect();
                assert_eq!(first_difference(&inner, &on.0), None, "softmax into rows apart {what}");
            }
        }
    }
}

/// A reduction into an `[n, 1]` output: the output's rows are one element long, the reduced
/// rows `k`; groups are sized by the longer (the group path once failed here with an
/// internal error, sizing its buffers by the output's rows).
#[test]
fn row_groups_follow_the_longest_row_of_any_pass() {
    for k in [0, 1, 2, 9, 40, 63, 64, 128, 129, 600] {
        for n in [1, 3, 16, 17, 500] {
            let x = Array::<f32, 2>::random_uniform([n, k], (n + 7 * k) as u64, -2.0, 2.0);
            let b = Array::<i32, 2>::from_fn([n, 1], |[i, _]| i as i32 % 5 - 2);
            let run = |on: bool| with_groups(on, || bits32(&row_norms(&x, &b).unwrap().to_vec()));
            let got = run(true);
            assert_eq!(first_difference(&got, &run(false)), None, "[{n}, {k}]");
            let xs = x.to_vec();
            for (i, g) in got.iter().enumerate() {
                let s: f64 = xs[i * k..(i + 1) * k].iter().map(|&v| f64::from(v * v)).sum();
                let want = (s as f32).sqrt() + (i as i32 % 5 - 2) as f32;
                assert!(
                    (f32::from_bits(*g) - want).abs() <= 1e-5 * want.abs().max(1.0),
                    "[{n}, {k}] row {i}"
                );
            }
        }
    }
}

/// Empty rows and no rows: the row-by-row path gives what the whole-array passes give (the
/// row max of an empty row is an error, with the same message).
#[test]
fn empty_rows_behave_as_the_whole_array_passes() {
    let x = Array::<f32, 2>::zeros([4, 0]);
    let (a, b) = (softmax(x.view()).unwrap_err(), softmax_whole(x.view()).unwrap_err());
    assert_eq!(a.to_string(), b.to_string());
    assert_eq!(a.to_string(), "`max` of an empty array has no value");
    let none = Array::<f32, 2>::zeros([0, 5]);
    assert_eq!(softmax(none.view()).unwrap().shape(), [0, 5]);
    let w = Array::<f64, 1>::zeros([0]);
    let (a, b) = (
        standardize(Array::<f64, 2>::zeros([3, 0]).view(), w.view()).unwrap().to_vec(),
        standardize_whole(Array::<f64, 2>::zeros([3, 0]).view(), w.view()).unwrap().to_vec(),
    );
    assert_eq!(a, b);
}

/// A multi-threaded row-local kernel is one parallel region (the row blocks, each task running
/// every pass of its blocks), not one per pass, and a small one runs on the calling thread.
#[test]
fn row_blocks_are_one_parallel_region() {
    let regions = || array_expr::parallel::regions_started().1;
    let big = Array::<f32, 2>::random_uniform([512, 1024], 8, -5.0, 5.0);
    let before = regions();
    let got = with_threads(2, || softmax(big.view()).unwrap());
    assert_eq!(regions() - before, 1, "regions of a 2 MiB softmax on 2 threads");
    assert_eq!(bits32(&got.to_vec()), bits32(&with_threads(1, || softmax(big.view()).unwrap().to_vec())));
    let small = Array::<f32, 2>::random_uniform([64, 1024], 8, -5.0, 5.0);
    let before = regions();
    with_threads(2, || softmax(small.view()).unwrap());
    assert_eq!(regions() - before, 0, "regions of a 256 KiB softmax on 2 threads");
}

fn check_standardize(x: ArrayView<'_, f64, 2>, m: usize, what: &str) {
    let w = Array::<f64, 1>::random_uniform([m], 6, 0.5, 2.0);
    let want: Vec<u64> =
        standardize_whole(x, w.view()).unwrap().to_vec().iter().map(|v| v.to_bits()).collect();
    for t in [1, 2, 3, 4, 8] {
        let got = with_threads(t, || standardize(x, w.view()).unwrap().to_vec());
        let got: Vec<u64> = got.iter().map(|v| v.to_bits()).collect();
        assert!(got == want, "{what} on {t} threads");
    }
}

/// `x` in one of four layouts over the same logical values: C order, F order, rows reversed,
/// every other column of a wider array (rows with a stride of 2).
fn laid_out(x: &Array<f32, 2>, layout: u8) -> Array<f32, 2> {
    let [n, m] = x.shape();
    let v = x.to_vec();
    match layout % 4 {
        0 => x.clone(),
        1 => Array::from_shape_vec([m, n], x.view().t().to_vec()).unwrap(),
        2 => Array::from_fn([n, m], |[i, j]| v[(n - 1 - i) * m + j]),
        _ => Array::from_fn([n, 2 * m], |[i, j]| if j % 2 == 0 { v[i * m + j / 2] } else { f32::NAN }),
    }
}

/// The view of `laid_out(x, layout)` whose values are `x`'s.
fn logical(a: &Array<f32, 2>, layout: u8) -> ArrayView<'_, f32, 2> {
    match layout % 4 {
        0 => a.view(),
        1 => a.view().t(),
        2 => a.view().slice([Slice::new(None, None, -1), Slice::full()]).unwrap(),
        _ => a.view().slice([Slice::full(), Slice::new(None, None, 2)]).unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random shapes (rows around the row-block size, columns around the 512-element blocks),
    /// layouts of `x` (row by row only for C order and reversed rows) and thread counts: the
    /// row-local schedule's bits are the whole-array passes' bits.
    #[test]
    fn row_local_schedules_equal_the_whole_array_passes_on_random_layouts(
        n in 1usize..80,
        m in prop_oneof![1usize..80, 450usize..1100],
        layout in 0u8..4,
        threads in 1usize..4,
        seed in 0u64..1000,
    ) {
        let x = Array::<f32, 2>::random_uniform([n, m], seed, -3.0, 3.0);
        let stored = laid_out(&x, layout);
        let xv = logical(&stored, layout);
        prop_assert_eq!(xv.to_vec(), x.to_vec());
        let c = Array::<f32, 2>::random_uniform([n, 1], seed + 1, -1.0, 1.0);
        let w = Array::<f32, 1>::random_uniform([m], seed + 2, 0.5, 2.0);
        let want = bits32(&scaled_rows_whole(xv, c.view(), w.view()).unwrap().to_vec());
        let got = bits32(&with_threads(threads, || scaled_rows(xv, c.view(), w.view()).unwrap().to_vec()));
        prop_assert_eq!(first_difference(&got, &want), None);
    }
}

/// Rank 3 and 4 (rows along the last axis, the leading axes merged into one row axis where
/// they step over each other whole): the same bits as the rank-2 kernel over the same rows,
/// by groups and row by row, on one and several threads; leading axes that do not merge
/// (swapped, reversed) take the general passes, with the same bits again.
#[test]
fn rows_of_higher_rank_merge_their_leading_axes() {
    for m in [1, 3, 10, 63, 64, 129, 600] {
        for (b, t) in [(1, 1), (3, 7), (40, 16), (2, 300)] {
            let x = Array::<f32, 3>::random_uniform([b, t, m], (b * t * m) as u64, -20.0, 20.0);
            let flat = Array::<f32, 2>::from_shape_vec([b * t, m], x.to_vec()).unwrap();
            let c = Array::<f32, 3>::random_uniform([b, t, 1], 3, -1.0, 1.0);
            let cflat = Array::<f32, 2>::from_shape_vec([b * t, 1], c.to_vec()).unwrap();
            let w = Array::<f32, 1>::random_uniform([m], 4, 0.5, 2.0);
            let want = bits32(&softmax(&flat).unwrap().to_vec());
            let want_scaled = bits32(&scaled_rows(&flat, &cflat, &w).unwrap().to_vec());
            let x4 = Array::<f32, 4>::from_shape_vec([b, 1, t, m], x.to_vec()).unwrap();
            for on in [true, false] {
                for threads in [1, 3] {
                    let what = format!("[{b}, {t}, {m}] groups {on} on {threads} threads");
                    with_groups(on, || {
                        with_threads(threads, || {
                            let got = bits32(&softmax3(&x).unwrap().to_vec());
                            assert_eq!(first_difference(&got, &want), None, "softmax3 {what}");
                            let got = bits32(&softmax4(&x4).unwrap().to_vec());
                            assert_eq!(first_difference(&got, &want), None, "softmax4 {what}");
                            let got = bits32(&scaled_rows3(&x, &c, &w).unwrap().to_vec());
                            assert_eq!(first_difference(&got, &want_scaled), None, "scaled_rows3 {what}");
                        })
                    });
                }
            }
            // axes that do not merge: t before b in memory, and b reversed
            let xs = x.to_vec();
            let tb = Array::<f32, 3>::from_fn([t, b, m], |[j, i, k]| xs[(i * t + j) * m + k]);
            let swapped = tb.view().permute_axes([1, 0, 2]).unwrap();
            let got = bits32(&softmax3(swapped).unwrap().to_vec());
            assert_eq!(first_difference(&got, &want), None, "softmax3 [{b}, {t}, {m}] over swapped axes");
            let rb = Array::<f32, 3>::from_fn([b, t, m], |[i, j, k]| xs[((b - 1 - i) * t + j) * m + k]);
            let reversed =
                rb.view().slice([Slice::new(None, None, -1), Slice::full(), Slice::full()]).unwrap();
            let got = bits32(&softmax3(reversed).unwrap().to_vec());
            assert_eq!(first_difference(&got, &want), None, "softmax3 [{b}, {t}, {m}] over reversed rows");
        }
    }
}
