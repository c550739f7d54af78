//! One parallel layer: kernels called inside a rayon `par_iter` run single-threaded. The same
//! calls made outside start parallel regions, so the assertions below are not vacuous. (Its
//! own test binary, so no other test starts regions meanwhile.)

use array_expr::parallel::{regions_started, with_threads};
use array_expr::{array_expr, Array};
use rayon::prelude::*;

array_expr! {
    fn scale_shift(x: f32[n, m], s: f32, b: f32[m]) -> f32[n, m] {
        x * s + b
    }

    fn col_sums(x: f32[n, m]) -> f32[m] {
        sum(x, axis = 0)
    }

    fn total(x: f32[n, m]) -> f32 {
        sum(exp(x))
    }
}

/// Every kind of work array-expr splits: a fused pass, reductions (by outputs and by range) and
/// a matrix product, each big enough to split on its own.
fn work(x: &Array<f32, 2>, b: &[f32]) -> (Vec<u32>, Vec<u32>, u32, Vec<u32>) {
    let bits = |v: Vec<f32>| v.iter().map(|f| f.to_bits()).collect::<Vec<u32>>();
    let y = scale_shift(x, 0.5, b).unwrap();
    let c = col_sums(x).unwrap();
    let t = total(x).unwrap();
    let p = array_expr::gemm::matmul(&x.view(), &x.t()).unwrap();
    (bits(y.to_vec()), bits(c.to_vec()), t.to_bits(), bits(p.to_vec()))
}

#[test]
fn kernels_inside_par_iter_start_no_nested_parallel_work() {
    let xs: Vec<Array<f32, 2>> =
        (0..4).map(|s| Array::<f32, 2>::random_uniform([512, 2048], s, -1.0, 1.0)).collect();
    let b = vec![0.25f32; 2048];
    // outside any pool, each call splits: 4 regions (pass, column sums, total, GEMM) per input
    let (before, mine) = regions_started();
    let outside: Vec<_> = xs.iter().map(|x| with_threads(4, || work(x, &b))).collect();
    let (after, mine_after) = regions_started();
    assert_eq!(mine_after - mine, 16, "every call outside the pool splits");
    assert!(after - before >= 16);
    // inside par_iter: same calls, same budget, no region anywhere in the process
    let (before, _) = regions_started();
    let inside: Vec<(_, u64)> = xs
        .par_iter()
        .map(|x| {
            assert!(array_expr::parallel::in_parallel_region());
            let (_, mine) = regions_started();
            let r = with_threads(4, || work(x, &b));
            (r, regions_started().1 - mine)
        })
        .collect();
    assert_eq!(regions_started().0, before, "no parallel region was started inside par_iter");
    for (i, ((r, nested), want)) in inside.iter().zip(&outside).enumerate() {
        assert_eq!(*nested, 0, "input {i} started a nested region");
        assert_eq!(r, want, "input {i}: single-threaded inside the pool gives the same bits");
    }
}
