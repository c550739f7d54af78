//! Passes whose operands broadcast along the last axis (`x[:, newaxis]`, `[n, 1]` arrays, rank
//! 0 arrays): in a C-order pass such an operand is constant along every run, and a second
//! kernel reads it as one value per run (`zipN_splat`); in other layouts the general kernel
//! runs. Every element equals the scalar reference exactly, whichever kernel runs: output in
//! C, F and strided layouts and at every alignment, column operands from vectors, `[n, 1]`
//! arrays and columns of wider matrices, casts, integer (scalar-loop) passes, streaming-size
//! outputs and every thread count.

use array_expr::parallel::with_threads;
use array_expr::{array_expr, Array, ArrayView, ArrayViewMut, Order, Slice};
use proptest::prelude::*;

array_expr! {
    fn outer(x: f32[n], y: f32[m], b: f32[m]) -> f32[n, m] { x[:, newaxis] * y + b }
    fn mixed(x: f32[n, 1], c: f32[n, 1], y: f32[m], s: f32) -> f32[n, m] { where(x > y, x * y + c, c - s * y) }
    fn widened(k: i32[n, 1], y: f64[m]) -> f64[n, m] { k as f64 * y + 1.0 }
    fn ints(a: i32[n, 1], b: i32[m]) -> i32[n, m] { a * b - a }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The `[n, m]` output written into a buffer at element offset `at` with row stride `m + pad`
/// (C order) or column stride `n + pad` (F order), read back in logical C order.
fn written<T: array_expr::Element>(
    at: usize,
    (n, m, pad): (usize, usize, usize),
    f_order: bool,
    f: impl Fn(ArrayViewMut<'_, T, 2>),
) -> Vec<T> {
    let (rs, cs) = if f_order { (1, n + pad) } else { (m + pad, 1) };
    let mut buf = vec![T::ZERO; at + (n + pad) * (m + pad)];
    f(ArrayViewMut::from_shape_strides(&mut buf, [n, m], [rs as isize, cs as isize], at).unwrap());
    (0..n * m).map(|e| buf[at + (e / m) * rs + (e % m) * cs]).collect()
}

/// Column 1 of an `[n, 3]` array: an `[n, 1]` view with row stride 3.
fn pick(a: &Array<f32, 2>) -> ArrayView<'_, f32, 2> {
    a.view().slice([Slice::full(), Slice::new(Some(1), Some(2), 1)]).unwrap()
}

fn check_shape(n: usize, m: usize, seed: u64) {
    let x = Array::<f32, 1>::random_uniform([n], seed, -1.0, 1.0);
    let c = Array::<f32, 1>::random_uniform([n], seed + 1, -1.0, 1.0);
    let y = Array::<f32, 1>::random_uniform([m], seed + 2, -1.0, 1.0);
    let b = Array::<f32, 1>::random_uniform([m], seed + 3, -1.0, 1.0);
    let k = Array::<i32, 1>::from_fn([n], |[i]| (i as i32 * 7919) % 2001 - 1000);
    let yd = Array::<f64, 1>::random_uniform([m], seed + 4, -1.0, 1.0);
    let kb = Array::<i32, 1>::from_fn([m], |[j]| (j as i32 * 31) % 17 - 8);
    let (xv, cv, yv, bv) = (x.to_vec(), c.to_vec(), y.to_vec(), b.to_vec());
    let s = 0.75f32;
    let want_outer: Vec<f32> = (0..n * m).map(|e| xv[e / m] * yv[e % m] + bv[e % m]).collect();
    let want_mixed: Vec<f32> = (0..n * m)
        .map(|e| {
            let (xi, ci, yj) = (xv[e / m], cv[e / m], yv[e % m]);
            if xi > yj {
                xi * yj + ci
            } else {
                ci - s * yj
            }
        })
        .collect();
    let (kv, ydv, kbv) = (k.to_vec(), yd.to_vec(), kb.to_vec());
    let want_wide: Vec<u64> = (0..n * m).map(|e| (kv[e / m] as f64 * ydv[e % m] + 1.0).to_bits()).collect();
    let want_ints: Vec<i32> = (0..n * m).map(|e| kv[e / m] * kbv[e % m] - kv[e / m]).collect();
    // the column operands as [n, 1] views: contiguous, and as a column of a wider matrix
    let col = |v: &Array<f32, 1>| Array::<f32, 2>::from_fn([n, 1], |[i, _]| v.to_vec()[i]);
    let wide = |v: &Array<f32, 1>| {
        Array::<f32, 2>::from_fn([n, 3], |[i, j]| if j == 1 { v.to_vec()[i] } else { f32::NAN })
    };
    let (xc, cc) = (col(&x), col(&c));
    let (xw, cw) = (wide(&x), wide(&c));
    let kc = Array::<i32, 2>::from_fn([n, 1], |[i, _]| kv[i]);
    for threads in [1, 2, 3] {
        with_threads(threads, || {
            for f_order in [false, true] {
                for (at, pad) in [(0, 0), (1, 0), (3, 1), (5, 2)] {
                    let ctx =
                        format!("{n}x{m}, F order {f_order}, offset {at}, pad {pad}, {threads} threads");
                    let got = written(at, (n, m, pad), f_order, |o| outer_into(&x, &y, &b, o).unwrap());
                    assert_eq!(bits(&got), bits(&want_outer), "outer {ctx}");
                    let got = written(at, (n, m, pad), f_order, |o| mixed_into(&xc, &cc, &y, s, o).unwrap());
                    assert_eq!(bits(&got), bits(&want_mixed), "mixed {ctx}");
                    let got = written(at, (n, m, pad), f_order, |o| {
                        mixed_into(pick(&xw), pick(&cw), &y, s, o).unwrap()
                    });
                    assert_eq!(bits(&got), bits(&want_mixed), "mixed, columns of a wider matrix, {ctx}");
                    let got = written(at, (n, m, pad), f_order, |o| widened_into(&kc, &yd, o).unwrap());
                    assert!(
                        got.iter().map(|v: &f64| v.to_bits()).eq(want_wide.iter().copied()),
                        "widened {ctx}"
                    );
                    let got = written(at, (n, m, pad), f_order, |o| ints_into(&kc, &kb, o).unwrap());
                    assert_eq!(got, want_ints, "ints {ctx}");
                }
            }
            // the allocating forms (C order) and a reversed row vector
            assert_eq!(bits(&outer(&x, &y, &b).unwrap().to_vec()), bits(&want_outer));
            let yr = Array::<f32, 1>::from_fn([m], |[j]| yv[m - 1 - j]);
            let br = Array::<f32, 1>::from_fn([m], |[j]| bv[m - 1 - j]);
            let got =
                outer(&x, yr.view().invert_axis(0).unwrap(), br.view().invert_axis(0).unwrap()).unwrap();
            assert_eq!(bits(&got.to_vec()), bits(&want_outer), "{n}x{m} reversed row vectors");
        });
    }
}

#[test]
fn column_broadcasts_match_the_reference_in_every_layout() {
    for [n, m] in [[1, 1], [3, 1], [1, 9], [7, 8], [9, 31], [40, 64], [17, 1000], [300, 7]] {
        check_shape(n, m, 11 + n as u64 * 1000 + m as u64);
    }
}

#[test]
fn column_broadcasts_stream_large_outputs_at_every_alignment() {
    // 1031 x 1029 f32 (4 MiB): above the streaming threshold of write-mostly passes; rows
    // meet off a vector boundary at every offset (pad 0) or start anywhere (pad 1)
    check_shape(1031, 1029, 7);
    let (n, m) = (1031, 1029);
    let x = Array::<f32, 1>::random_uniform([n], 1, -1.0, 1.0);
    let y = Array::<f32, 1>::random_uniform([m], 2, -1.0, 1.0);
    let b = Array::<f32, 1>::random_uniform([m], 3, -1.0, 1.0);
    let (xv, yv, bv) = (x.to_vec(), y.to_vec(), b.to_vec());
    let want: Vec<f32> = (0..n * m).map(|e| xv[e / m] * yv[e % m] + bv[e % m]).collect();
    for at in 0..8 {
        let got = written(at, (n, m, 0), false, |o| outer_into(&x, &y, &b, o).unwrap());
        assert_eq!(bits(&got), bits(&want), "offset {at}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn column_broadcasts_of_random_shapes(n in 1usize..50, m in 1usize..90, seed in any::<u32>()) {
        check_shape(n, m, u64::from(seed));
    }
}

#[test]
fn layouts_choose_the_order_of_the_loops() {
    // the same values whatever the output order: Order::F output, C-order inputs
    let (n, m) = (37, 45);
    let x = Array::<f32, 1>::random_uniform([n], 5, -1.0, 1.0);
    let y = Array::<f32, 1>::random_uniform([m], 6, -1.0, 1.0);
    let b = Array::<f32, 1>::random_uniform([m], 7, -1.0, 1.0);
    let c = outer(&x, &y, &b).unwrap();
    let mut f = Array::<f32, 2>::zeros([n, m]).view().to_owned_order(Order::F);
    outer_into(&x, &y, &b, f.view_mut()).unwrap();
    assert_eq!(bits(&c.to_vec()), bits(&f.to_vec()));
}
