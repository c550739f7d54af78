//! Fusion benchmark, GEMM with an epilogue (single thread): `relu(X @ W + b)` with X, W
//! 1024 x 1024 f32 and a broadcast bias, against the bare product.
//!
//! `ours` is the fused kernel (GEMM straight into the output, bias and ReLU in place over it);
//! `gemm_kernel` is a kernel computing only `matmul(x, w)`; `sgemm_direct` is
//! `matrixmultiply::sgemm` called directly; `hand` is that direct call followed by a hand-written
//! in-place bias + ReLU loop; `unfused` is NumPy's `np.maximum(x @ w + b, 0)` (two temporaries);
//! `ndarray_ops` is `(x.dot(&w) + &b).mapv_into(relu)`. Throughput counts flops (2 n³, as
//! elements), so criterion's "elem/s" are flop/s. Target (issue #5): the epilogue adds at most
//! 5% over the bare GEMM.
//!
//! Run: `cargo bench --features ndarray --bench dense`, then `python3 tools/bench_table.py`.

mod support;

use array_expr::array_expr;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use support::{assert_close, bench_as, hand, nd2, uniform};

array_expr! {
    /// A dense layer: GEMM, broadcast bias, ReLU.
    fn dense_relu(x: f32[n, d], w: f32[d, h], b: f32[h]) -> f32[n, h] {
        max(matmul(x, w) + b, 0.0)
    }

    /// The bare product.
    fn mm(x: f32[n, d], w: f32[d, h]) -> f32[n, h] {
        matmul(x, w)
    }
}

const SIZE: usize = 1024;

/// Products of 1024 terms summed in a different order or with the bias added at another point.
const TOL: f32 = 1e-5;

/// `out = x w` (C-order `[n, n]` operands) through `matrixmultiply::sgemm` directly.
fn sgemm_direct(out: &mut [f32], x: &[f32], w: &[f32], n: usize) {
    assert!(x.len() == n * n && w.len() == n * n && out.len() == n * n, "operands must be n x n");
    let s = n as isize;
    // SAFETY: the assert above makes each buffer exactly n * n elements, and the strides (s, 1)
    // describe C-order n x n matrices, so every address sgemm forms lies inside its buffer;
    // `out` is a unique borrow, so C aliases neither input. beta = 0: C is not read.
    unsafe {
        matrixmultiply::sgemm(n, n, n, 1.0, x.as_ptr(), s, 1, w.as_ptr(), s, 1, 0.0, out.as_mut_ptr(), s, 1);
    }
}

fn dense_group(c: &mut Criterion) {
    let n = SIZE;
    let (x, w, bias) =
        (uniform(n * n, -1.0, 1.0, 51), uniform(n * n, -1.0, 1.0, 52), uniform(n, -4.0, 4.0, 53));
    let (mut want, mut out) = (vec![0.0; n * n], vec![0.0; n * n]);
    sgemm_direct(&mut want, &x, &w, n);
    hand::bias_relu_in_place(&mut want, &bias);
    let v = |d| support::view2(d, n, n);
    let ours = |o: &mut [f32]| dense_relu_into(v(&x), v(&w), &bias, support::view2_mut(o, n, n));
    ours(&mut out).unwrap();
    assert_close("dense ours", &out, &want, TOL);
    let bare = |o: &mut [f32]| mm_into(v(&x), v(&w), support::view2_mut(o, n, n));
    let (xv, wv, bv) = (nd2(&x, n, n), nd2(&w, n, n), ndarray::ArrayView1::from(&bias));
    let ops = || (xv.dot(&wv) + bv).mapv_into(|v| v.max(0.0));
    assert_close("dense ndarray_ops", ops().as_slice().unwrap(), &want, TOL);
    // NumPy: t = x @ w; t2 = t + b; np.maximum(t2, 0, out=out)
    let unf = |o: &mut [f32]| {
        let mut t = vec![0.0f32; n * n];
        sgemm_direct(&mut t, &x, &w, n);
        let t2 = support::unfused::map_rows(&t, &bias, |t, b| t + b);
        support::unfused::into1(o, &t2, |v| v.max(0.0));
    };
    unf(&mut out);
    assert_close("dense unfused", &out, &want, TOL);
    bare(&mut out).unwrap();
    hand::bias_relu_in_place(&mut out, &bias);
    assert_close("dense gemm_kernel + epilogue", &out, &want, TOL);

    let flops = Throughput::Elements(2 * (n * n * n) as u64);
    let mut g = support::group(c, "dense_relu_1024");
    bench_as(&mut g, "ours", flops.clone(), || ours(&mut out).unwrap());
    bench_as(&mut g, "gemm_kernel", flops.clone(), || bare(&mut out).unwrap());
    bench_as(&mut g, "sgemm_direct", flops.clone(), || sgemm_direct(&mut out, &x, &w, n));
    bench_as(&mut g, "hand", flops.clone(), || {
        sgemm_direct(&mut out, &x, &w, n);
        hand::bias_relu_in_place(&mut out, &bias)
    });
    bench_as(&mut g, "unfused", flops.clone(), || unf(&mut out));
    bench_as(&mut g, "ndarray_ops", flops, ops);
    g.finish();
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = dense_group
}
criterion_main!(benches);
