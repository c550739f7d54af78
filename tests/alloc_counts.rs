//! The allocation guarantee, measured with a counting global allocator: a fused kernel's
//! `_into` form allocates nothing, the allocating form allocates only its output, and a
//! multi-pass kernel allocates only reduced-shape temporaries.

use array_expr::{array_expr, Array};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNT: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

// SAFETY: forwards to the system allocator unchanged; only counts (per thread, so tests
// running in parallel do not see each other's allocations).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| {
            let (n, b) = c.get();
            c.set((n + 1, b + layout.size()));
        });
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, bytes) made by `f` on this thread.
fn count(f: impl FnOnce()) -> (usize, usize) {
    let before = COUNT.with(|c| c.get());
    f();
    let after = COUNT.with(|c| c.get());
    (after.0 - before.0, after.1 - before.1)
}

array_expr! {
    fn chain(x: f32[n, m], w: f32[m], b: f32[m], s: f32) -> f32[n, m] {
        let y = x * w + b;
        clip(where(y > 0.0, y, 0.01 * y) * s, -1.0, 1.0)
    }

    fn dist2(x: f32[n], y: f32[n]) -> f32 {
        sum((x - y) * (x - y))
    }

    fn col_standardize(x: f64[n, m]) -> f64[n, m] {
        let mu = mean(x, axis = 0);
        let d = x - mu;
        d / sqrt(mean(d * d, axis = 0) + 1e-9)
    }

    fn relu_dense(x: f32[n, d], w: f32[d, h], b: f32[h]) -> f32[n, h] {
        max(matmul(x, w) + b, 0.0)
    }
}

#[test]
fn fused_elementwise_allocates_only_its_output() {
    let (n, m) = (300, 200);
    let x = Array::<f32, 2>::random_uniform([n, m], 1, -1.0, 1.0);
    let (w, b) = (vec![0.5f32; m], vec![0.1f32; m]);
    let mut out = Array::<f32, 2>::zeros([n, m]);
    let (allocs, _) = count(|| chain_into(&x, &w, &b, 2.0, &mut out).unwrap());
    assert_eq!(allocs, 0, "_into must not allocate");
    let (allocs, bytes) = count(|| drop(chain(&x, &w, &b, 2.0).unwrap()));
    assert_eq!((allocs, bytes), (1, n * m * 4), "only the output");
    // strided and transposed operands still allocate nothing
    let (allocs, _) = count(|| chain_into(x.t().t(), &w, &b, 2.0, &mut out).unwrap());
    assert_eq!(allocs, 0);
}

#[test]
fn fused_reduction_allocates_only_the_result() {
    let x = vec![1.0f32; 100_000];
    let y = vec![0.5f32; 100_000];
    let (allocs, bytes) = count(|| assert_eq!(dist2(&x, &y).unwrap(), 25_000.0));
    assert_eq!((allocs, bytes), (1, 4), "one scalar result buffer");
}

#[test]
fn multi_pass_kernels_allocate_only_reduced_shape_temporaries() {
    let (n, m) = (500, 40);
    let x = Array::<f64, 2>::random_normal([n, m], 2, 1.0, 2.0);
    let mut out = Array::<f64, 2>::zeros([n, m]);
    let (allocs, bytes) = count(|| col_standardize_into(&x, &mut out).unwrap());
    assert_eq!(allocs, 2, "two column-mean temporaries ({bytes} bytes)");
    assert_eq!(bytes, 2 * m * 8, "each of m elements: never n x m");
}

#[test]
fn gemm_epilogue_runs_in_place_on_the_output() {
    let (n, d, h) = (64, 32, 48);
    let x = Array::<f32, 2>::random_uniform([n, d], 3, -1.0, 1.0);
    let w = Array::<f32, 2>::random_uniform([d, h], 4, -1.0, 1.0);
    let b = vec![0.1f32; h];
    let mut out = Array::<f32, 2>::zeros([n, h]);
    let fused = count(|| relu_dense_into(&x, &w, &b, &mut out).unwrap());
    // matrixmultiply packs its operands into scratch buffers of its own on every call; the
    // fused bias + ReLU epilogue adds nothing to them (no n x h temporary)
    let bare = count(|| array_expr::gemm::matmul_into(&x.view(), &w.view(), &mut out.view_mut()).unwrap());
    assert_eq!(fused, bare);
}
