//! Loop drivers the generated kernels call: they walk any strided layout and hand the kernel
//! contiguous blocks, on one thread or several.
//!
//! A pass iterates over one shape. The driver orders the loops by the output's strides (the
//! smallest stride innermost, so an F-order output iterates F-order), drops length-1 axes,
//! merges axes that are contiguous across every operand into one long run, and cuts the
//! innermost run into blocks of at most [`BLOCK`] elements. For each block every operand
//! arrives as a slice: borrowed directly when its stride is 1, otherwise gathered into a small
//! stack buffer (a zero stride fills the buffer with one value). Strided outputs are computed
//! into a buffer and scattered. So the kernel body is always a loop over equal-length slices,
//! which is what SIMD code wants, and the generated code needs no `unsafe`.
//!
//! Kernel bodies arrive as `dyn Fn + Sync` closures called once per block (at most [`BLOCK`]
//! elements), so a driver is compiled once per element-type signature and shared by every
//! kernel of a crate, instead of once per kernel: that keeps build times proportional to the
//! kernels' own code. The indirect call costs a few nanoseconds per block.
//!
//! # Threads
//!
//! A pass whose memory traffic pays for it (see [`crate::parallel`]) is cut into chunks of
//! whole runs (or of [`BLOCK`]-aligned segments of runs when there are only a few) and runs on
//! the thread budget. Elementwise passes write every element exactly once whatever the split.
//! A reduction goes parallel over independent outputs when there are enough of them, and
//! otherwise splits each output's reduced range into chunks of `2^L` blocks starting at
//! multiples of `2^L`: the pairwise tree of block partials (fixed by the number of blocks)
//! then has one subtree per chunk, and the driver combines the chunk roots exactly as the
//! single-threaded carry chain would. Results are bit-identical for every thread count.
//!
//! # Vertical accumulation
//!
//! When a reduction keeps the contiguous axis (column sums of a C-order matrix), the driver
//! reads row segments of a strip of up to 256 outputs and the kernel folds them into a strip
//! of partials (`acc[j] = step(acc[j], x_j)`, vectorized across outputs; up to [`VROWS`]
//! consecutive rows per call, each partial held in a register across them), prefetching a few
//! rows ahead since each row segment sits on another page (short rows: adjacent ones too). A block's partial for one
//! output is then its [`BLOCK`] reduced elements folded in order from the initial value; the
//! blocks go through the same pairwise tree, shared by the strip. So the result is
//! bit-identical across thread counts and strip cuts, and may differ in the last bits from
//! another layout of the same values (whose blocks are summed with several accumulators).
//!
//! # Streaming stores
//!
//! A write-mostly pass (not read-modify-write, reading at most half as many bytes as it writes,
//! such as a broadcast outer product or a fill) whose output runs are contiguous and whose
//! output is at least [`STREAM_MIN_BYTES`] hands the kernel a
//! [`Streamer`](array_expr_kernels::mem::Streamer): the kernel writes each vector with a
//! non-temporal store straight from its registers, skipping the read-for-ownership of every
//! output cache line, and each task ends with one store fence. Blocks start on a vector
//! boundary of the output (the few elements before it are stored normally). On the
//! development VM this wrote a 4096² outer product 1.5x faster than the hand-written loop; an
//! earlier version that computed stages of 32 KiB into a stack buffer and copied them with
//! streaming stores was no faster than ordinary stores, as the copy did not overlap the
//! compute. Kernels without a vector loop (integer, boolean, mixed-dtype passes) do stage, but
//! 64 elements at a time (256 bytes of `i32`, in L1), which does overlap: `a * 3 - b + 1` over
//! 16M `i32` ran 1.3-1.5x faster than with ordinary stores. Passes that read as much as they
//! write (a triad, a one-in-one-out map) stream only outputs of at least
//! [`STREAM_RW_MIN_BYTES`], beyond the last-level cache: over 64 MiB outputs, one thread,
//! paired criterion runs put them 5-15% faster with streaming stores (BENCHMARKS.md,
//! "Streaming stores for read-and-write passes"); smaller outputs keep ordinary stores, so a
//! reader that follows finds them in cache. Outputs allocated by the
//! call itself always get ordinary stores (see [`fresh_outputs`]). [`set_streaming_stores`]
//! turns streaming off.

use crate::element::Element;
use crate::view::ArrayView;
use std::sync::atomic::{AtomicBool, Ordering};

mod ahead;
mod byrow;
mod nest;
mod reduce;
mod rowblock;
mod strip;
mod tile;
mod zip;

pub use ahead::{queue_next_row, queue_next_rows, read_ahead, set_read_ahead, RowsAhead};
pub use byrow::*;
pub use reduce::*;
pub use rowblock::*;
pub use zip::*;

/// Longest run handed to a kernel body at once.
pub const BLOCK: usize = 512;

/// Most axes a pass may have.
pub const MAX_RANK: usize = 8;

/// Outputs a reduction driver computes side by side (one cache line of f32).
const GROUP: usize = 16;

/// Most chunks one reduced range is split into (their partials live on the stack).
const MAX_CHUNKS: usize = 64;

/// Smallest output (in bytes) written with streaming stores: above the last-level cache, where
/// the written lines would be evicted before anyone reads them again.
pub const STREAM_MIN_BYTES: usize = 4 << 20;

/// Smallest output (in bytes) of a pass that also reads as much as it writes (a triad, a
/// one-in-one-out map) written with streaming stores: beyond the last-level cache of the
/// machines we measure on (32 MiB), where the output's lines are evicted before the pass ends
/// whatever the stores, so skipping their read-for-ownership costs a later reader nothing.
pub const STREAM_RW_MIN_BYTES: usize = 32 << 20;

static STREAMING: AtomicBool = AtomicBool::new(true);

/// Enables or disables streaming (non-temporal) stores for large write-only passes (enabled by
/// default). Turning them off is useful to compare, or when a large output is read again
/// right away by the same core.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::{set_streaming_stores, streaming_stores};
/// set_streaming_stores(false);
/// assert!(!streaming_stores());
/// set_streaming_stores(true);
/// ```
pub fn set_streaming_stores(enabled: bool) {
    STREAMING.store(enabled, Ordering::Relaxed);
}

/// Whether large write-only passes use streaming stores (see [`set_streaming_stores`]).
///
/// # Examples
///
/// ```
/// let _on: bool = array_expr_runtime::driver::streaming_stores();
/// ```
pub fn streaming_stores() -> bool {
    STREAMING.load(Ordering::Relaxed)
}

thread_local! {
    static FRESH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks, until the returned guard drops, that the passes this thread runs write outputs
/// allocated just before: those write with ordinary stores, never streaming ones. A fresh
/// output's pages are zeroed by the kernel as the pass first touches them, which leaves their
/// lines in cache; streaming stores to cached lines must evict them first, and the allocating
/// form of a triad ran 1.9x its `_into` form that way, against 1.5x with ordinary stores (64
/// MiB, one thread). The allocating forms the macro generates hold this guard.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::{fresh_outputs, writing_fresh_outputs};
/// assert!(!writing_fresh_outputs());
/// {
///     let _fresh = fresh_outputs();
///     assert!(writing_fresh_outputs());
/// }
/// assert!(!writing_fresh_outputs());
/// ```
pub fn fresh_outputs() -> FreshOutputs {
    fresh_outputs_if(true)
}

/// Like [`fresh_outputs`] when `fresh`; otherwise a guard that changes nothing (an output
/// reused from the pool has its pages mapped, and is written like an `_into` output).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::driver::{fresh_outputs_if, writing_fresh_outputs};
/// let reused = fresh_outputs_if(false);
/// assert!(!writing_fresh_outputs());
/// drop(reused);
/// ```
pub fn fresh_outputs_if(fresh: bool) -> FreshOutputs {
    FreshOutputs { prev: FRESH.with(|f| f.replace(fresh || f.get())) }
}

/// Whether this thread is inside a [`fresh_outputs`] scope.
///
/// # Examples
///
/// ```
/// assert!(!array_expr_runtime::driver::writing_fresh_outputs());
/// ```
pub fn writing_fresh_outputs() -> bool {
    FRESH.with(|f| f.get())
}

/// The guard of [`fresh_outputs`]: restores the previous state when dropped.
#[must_use = "the scope ends when the guard drops"]
#[derive(Debug)]
pub struct FreshOutputs {
    prev: bool,
}

impl Drop for FreshOutputs {
    fn drop(&mut self) {
        FRESH.with(|f| f.set(self.prev));
    }
}

/// A read-only base pointer shared by the tasks of one pass.
#[derive(Clone, Copy)]
struct Shared<T>(*const T);

impl<T> Shared<T> {
    /// The pointer (a method, so closures capture the `Sync` wrapper, not the raw field).
    fn get(self) -> *const T {
        self.0
    }
}

// SAFETY: the pointer comes from an `ArrayView<T>` borrowed for the whole pass, and `T:
// Element` is `Sync`; tasks only read through it, as the view allows on any thread.
unsafe impl<T: Sync> Sync for Shared<T> {}

/// The output base pointer shared by the tasks of one pass.
#[derive(Clone, Copy)]
struct SharedMut<T>(*mut T);

impl<T> SharedMut<T> {
    /// The pointer (a method, so closures capture the `Sync` wrapper, not the raw field).
    fn get(self) -> *mut T {
        self.0
    }
}

// SAFETY: the pointer comes from an `ArrayViewMut<T>` borrowed exclusively for the whole pass
// and `T: Element` is `Send`; the drivers hand each task a disjoint set of output elements
// (chunks partition the loop nest), so no element is accessed by two tasks.
unsafe impl<T: Send> Sync for SharedMut<T> {}

/// Bytes of distinct elements a view reads (a zero stride reads one element along its axis).
fn footprint<T, const D: usize>(v: &ArrayView<'_, T, D>) -> usize {
    let (shape, strides) = (v.shape(), v.strides());
    let n: usize = (0..D).map(|a| if strides[a] == 0 { shape[a].min(1) } else { shape[a] }).product();
    n * std::mem::size_of::<T>()
}

/// Asks the cache to fetch `lines` cache lines from `p` on (a hint: it never faults, whatever
/// the address; a no-op off x86-64). Row segments far apart in memory (a new page each) get no
/// help from the hardware prefetcher, so the drivers fetch a few rows ahead themselves.
#[inline(always)]
fn prefetch<T>(p: *const T, lines: usize) {
    fetch_lines(p, lines, false);
}

/// As [`prefetch`], into the L2 cache only (`prefetcht1`): for data needed a while later, so
/// that the fetch does not hold one of L1's few miss buffers until it arrives. The transposed
/// tiles fetch the next tile this way: 4096² `a + b.T` 15.1-15.3 -> 12.1-12.5 ms (one thread,
/// alternating in one process; the machine of BENCHMARKS.md's eighth session).
#[inline(always)]
fn prefetch_l2<T>(p: *const T, lines: usize) {
    fetch_lines(p, lines, true);
}

/// `prefetcht0` (into L1) or, with `l2`, `prefetcht1` for `lines` lines from `p` on.
#[inline(always)]
fn fetch_lines<T>(p: *const T, lines: usize, l2: bool) {
    #[cfg(target_arch = "x86_64")]
    for l in 0..lines {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0, _MM_HINT_T1};
        let at = p.cast::<i8>().wrapping_add(l * 64);
        // SAFETY: a prefetch reads nothing architecturally and cannot fault: any address,
        // valid or not, is allowed (the pointer is only computed, never dereferenced).
        unsafe {
            if l2 {
                _mm_prefetch::<_MM_HINT_T1>(at)
            } else {
                _mm_prefetch::<_MM_HINT_T0>(at)
            }
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, lines, l2);
}

/// Whether a write-only pass should stream its output (see the module docs).
fn stream_output<O: Element>(elements: usize, inner_len: usize, inner_stride: isize) -> bool {
    inner_stride == 1
        && !writing_fresh_outputs()
        && inner_len >= 64
        && elements.saturating_mul(std::mem::size_of::<O>()) >= STREAM_MIN_BYTES
        && streaming_stores()
}
