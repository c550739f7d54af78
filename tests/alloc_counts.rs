//! The allocation guarantee, measured with a counting global allocator: a fused kernel's
//! `_into` form allocates nothing, the allocating form allocates only its output, and a
//! multi-pass kernel allocates only reduced-shape temporaries. Large outputs come from the
//! output pool when a dropped array left a buffer of their size there.

use array_expr::{array_expr, Array};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::{Mutex, MutexGuard};

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

    fn row_softmax(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }

    fn last_axis_softmax(x: f32[b, t, m]) -> f32[b, t, m] {
        let e = exp(x - max(x, axis = 2, keepdims));
        e / sum(e, axis = 2, keepdims)
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

/// Row softmax over short rows (the group path: buffers on the stack), medium rows (row by
/// row) and rows read in reverse (copied into the group buffers): the row max and row sum
/// temporaries, n elements each, are all it allocates.
#[test]
fn row_softmax_allocates_only_its_row_temporaries() {
    // its arrays of 1000-wide rows (12 MB) go to the output pool when they drop: it takes its
    // turn with the tests that count the pool's buffers
    let _turn = pool_lock();
    for m in [3, 10, 100, 1000] {
        let n = 3000;
        let x = Array::<f32, 2>::random_uniform([n, m], 9, -5.0, 5.0);
        let mut out = Array::<f32, 2>::zeros([n, m]);
        let reversed =
            x.view().slice([array_expr::Slice::new(None, None, -1), array_expr::Slice::full()]).unwrap();
        for (xv, what) in [(x.view(), "C order"), (reversed, "reversed rows")] {
            let (allocs, bytes) =
                count(|| array_expr::parallel::with_threads(1, || row_softmax_into(xv, &mut out).unwrap()));
            assert_eq!((allocs, bytes), (2, 2 * n * 4), "[{n}, {m}] {what}: the two row temporaries");
        }
        // rank 3, rows merged over the two leading axes
        let x3 = Array::<f32, 3>::random_uniform([30, 100, m], 10, -5.0, 5.0);
        let mut out3 = Array::<f32, 3>::zeros([30, 100, m]);
        let (allocs, bytes) = count(|| {
            array_expr::parallel::with_threads(1, || last_axis_softmax_into(&x3, &mut out3).unwrap())
        });
        assert_eq!((allocs, bytes), (2, 2 * n * 4), "[30, 100, {m}]: the two row temporaries");
    }
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

array_expr! {
    fn scale_shift(x: f32[n, m], s: f32) -> f32[n, m] {
        x * s + 1.0
    }

    fn rounded(x: f32[n, m]) -> i32[n, m] {
        x as i32
    }

    fn positive(x: f32[n, m]) -> bool[n, m] {
        x > 0.0
    }

    fn shift_and_mask(x: f32[n, m]) -> (f32[n, m], f32[n, m]) {
        (x + 1.0, x - 1.0)
    }
}

/// The output pool is process-wide: the tests that watch it take turns.
fn pool_lock() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// [`count`] with the passes on this thread (a parallel pass allocates its task handles).
fn count_one_thread(f: impl FnOnce()) -> (usize, usize) {
    array_expr::parallel::with_threads(1, || count(f))
}

/// 1024 x 1100 f32: 4.3 MiB, over the pool's minimum.
const BIG: [usize; 2] = [1024, 1100];

fn big_input(seed: u64) -> Array<f32, 2> {
    Array::<f32, 2>::random_uniform(BIG, seed, -4.0, 4.0)
}

#[test]
fn large_outputs_reuse_dropped_buffers_without_allocating() {
    let _turn = pool_lock();
    array_expr::alloc::trim_pool();
    let x = big_input(5);
    let want: Vec<f32> = x.to_vec().iter().map(|v| v * 3.0 + 1.0).collect();
    // a user's array full of NaN is dropped: its buffer goes to the pool
    let garbage = Array::<f32, 2>::full(BIG, f32::NAN);
    let garbage_ptr = garbage.as_slice_memory_order().as_ptr();
    drop(garbage);
    let stats = array_expr::alloc::pool_stats();
    assert_eq!((stats.buffers, stats.retained_bytes), (1, BIG[0] * BIG[1] * 4));
    let mut first = None;
    let (allocs, _) = count_one_thread(|| first = Some(scale_shift(&x, 3.0).unwrap()));
    let first = first.unwrap();
    assert_eq!(allocs, 0, "the output is the pooled buffer: no allocation");
    assert_eq!(first.as_slice_memory_order().as_ptr(), garbage_ptr);
    assert_eq!(first.to_vec(), want, "every stale NaN is overwritten");
    assert_eq!(array_expr::alloc::pool_stats().buffers, 0);
    drop(first);
    // the same again through a pooled buffer of another element type of the same size
    let mut ints = None;
    let (allocs, _) = count_one_thread(|| ints = Some(rounded(&x).unwrap()));
    assert_eq!(allocs, 0);
    let want_ints: Vec<i32> = x.to_vec().iter().map(|&v| v as i32).collect();
    assert_eq!(ints.unwrap().to_vec(), want_ints);
}

#[test]
fn the_pool_respects_its_limit_and_can_be_turned_off() {
    let _turn = pool_lock();
    array_expr::alloc::trim_pool();
    let x = big_input(6);
    let bytes = BIG[0] * BIG[1] * 4;
    let before = array_expr::alloc::set_pool_limit(2 * bytes + bytes / 2);
    let outs: Vec<_> = (0..3).map(|_| scale_shift(&x, 2.0).unwrap()).collect();
    drop(outs);
    let stats = array_expr::alloc::pool_stats();
    assert_eq!((stats.buffers, stats.retained_bytes), (2, 2 * bytes), "the oldest was freed");
    // no pool: a fresh zeroed output (one allocation of its size), nothing kept on drop
    array_expr::alloc::set_pool_limit(0);
    assert_eq!(array_expr::alloc::pool_stats().buffers, 0, "lowering the limit frees");
    let fresh_before = array_expr::alloc::pool_stats().fresh;
    let (allocs, got) = count_one_thread(|| drop(scale_shift(&x, 2.0).unwrap()));
    assert_eq!((allocs, got), (1, bytes));
    assert_eq!(array_expr::alloc::pool_stats().fresh, fresh_before + 1);
    assert_eq!(array_expr::alloc::pool_stats().buffers, 0);
    array_expr::alloc::set_pool_limit(before);
    // small buffers never enter it
    drop(Array::<f32, 2>::zeros([100, 100]));
    assert_eq!(array_expr::alloc::pool_stats().buffers, 0);
}

#[test]
fn bool_outputs_take_fresh_memory_and_multi_output_kernels_reuse() {
    let _turn = pool_lock();
    array_expr::alloc::trim_pool();
    let x = big_input(7);
    // bool has invalid bit patterns, so a bool output never takes stale bytes, even from a
    // buffer of its size and alignment (an i8 array of 7s)
    let mask_shape = [BIG[0] * 4, BIG[1]];
    drop(Array::<i8, 2>::full(mask_shape, 7));
    assert_eq!(array_expr::alloc::pool_stats().buffers, 1);
    let big_mask = Array::<f32, 2>::random_uniform(mask_shape, 8, -1.0, 1.0);
    let mut mask = None;
    let (allocs, _) = count_one_thread(|| mask = Some(positive(&big_mask).unwrap()));
    assert_eq!(allocs, 1, "a fresh buffer for the mask");
    let want_mask: Vec<bool> = big_mask.to_vec().iter().map(|&v| v > 0.0).collect();
    assert_eq!(mask.unwrap().to_vec(), want_mask);
    // two dropped f32 buffers serve both outputs of a multi-output kernel
    array_expr::alloc::trim_pool();
    drop(Array::<f32, 2>::full(BIG, f32::INFINITY));
    drop(Array::<f32, 2>::full(BIG, -7.0));
    let mut pair = None;
    let (allocs, _) = count_one_thread(|| pair = Some(shift_and_mask(&x).unwrap()));
    assert_eq!(allocs, 0);
    let (plus, minus) = pair.unwrap();
    assert_eq!(plus.to_vec(), x.to_vec().iter().map(|v| v + 1.0).collect::<Vec<_>>());
    assert_eq!(minus.to_vec(), x.to_vec().iter().map(|v| v - 1.0).collect::<Vec<_>>());
    // the inline form too
    drop((plus, minus));
    let mut half = None;
    let (allocs, _) = count_one_thread(|| half = Some(array_expr!((x: f32[n, m]) => x * 0.5).unwrap()));
    assert_eq!(allocs, 0);
    assert_eq!(half.unwrap().to_vec(), x.to_vec().iter().map(|v| v * 0.5).collect::<Vec<_>>());
}

#[test]
fn threads_sharing_the_pool_never_share_a_buffer() {
    let _turn = pool_lock();
    array_expr::alloc::trim_pool();
    let x = big_input(9);
    let reused_before = array_expr::alloc::pool_stats().reused;
    // four threads allocate, check and drop outputs of one size in a loop, each with its own
    // values: a buffer handed to two owners at once would show the other's values
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let x = &x;
            s.spawn(move || {
                let scale = f32::from(t) + 2.0;
                let want: Vec<f32> = x.to_vec().iter().map(|v| v * scale + 1.0).collect();
                for i in 0..12 {
                    let a = scale_shift(x, scale).unwrap();
                    let b = scale_shift(x, scale).unwrap();
                    assert_ne!(a.as_slice_memory_order().as_ptr(), b.as_slice_memory_order().as_ptr());
                    assert!(a.to_vec() == want && b.to_vec() == want, "thread {t}, round {i}");
                }
            });
        }
    });
    let stats = array_expr::alloc::pool_stats();
    assert!(stats.reused > reused_before, "the threads reused each other's buffers");
    assert!(stats.retained_bytes <= stats.limit);
}

/// A multi-pass kernel's large temporaries come from the output pool too, and go back to it
/// when the kernel returns: a second call allocates nothing (a row softmax over rows of four
/// has two temporaries of one value per row, 4.2 MB each here, which as fresh pages cost a
/// quarter of every call). Stale values in a pooled buffer (NaN here) never reach the result:
/// every temporary is written before it is read.
#[test]
fn large_temporaries_come_from_the_pool_and_go_back_to_it() {
    let _turn = pool_lock();
    array_expr::alloc::trim_pool();
    let (n, m) = (1_100_000, 4);
    let x = Array::<f32, 2>::random_uniform([n, m], 12, -5.0, 5.0);
    let mut want = Array::<f32, 2>::zeros([n, m]);
    // the reference from fresh temporaries
    array_expr::parallel::with_threads(1, || row_softmax_into(&x, &mut want)).unwrap();
    array_expr::alloc::trim_pool();
    // two buffers of the temporaries' size full of NaN, dropped into the pool
    drop((Array::<f32, 1>::full([n], f32::NAN), Array::<f32, 1>::full([n], f32::NAN)));
    assert_eq!(array_expr::alloc::pool_stats().buffers, 2);
    let mut out = Array::<f32, 2>::zeros([n, m]);
    for call in 0..2 {
        let (allocs, bytes) = count_one_thread(|| row_softmax_into(&x, &mut out).unwrap());
        // (the pool's list of buffers may grow by a few hundred bytes when they come back)
        assert!(
            bytes < n,
            "call {call}: both temporaries from the pool ({allocs} allocations, {bytes} bytes)"
        );
        // (at least: a test that does not watch the pool may drop large arrays into it meanwhile)
        assert!(array_expr::alloc::pool_stats().buffers >= 2, "call {call}: both back in the pool");
        let same = out.to_vec().iter().zip(want.to_vec()).all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "call {call}: the bits of the run with fresh temporaries");
    }
    array_expr::alloc::trim_pool();
}
