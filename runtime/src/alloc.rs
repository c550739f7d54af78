//! Buffers for outputs: huge pages for fresh ones, and a bounded pool of freed ones.
//!
//! A new multi-megabyte output is mostly page faults and page zeroing: the kernel clears every
//! page the first time a pass touches it, which costs about as much as the fused pass itself.
//! Two things keep that off the hot path:
//!
//! - **Huge pages.** Large zero-filled buffers ask Linux for transparent huge pages
//!   (`MADV_HUGEPAGE`, honoured in the kernel's "madvise" THP mode) before anything touches
//!   them, so the kernel faults in 2 MiB at a time: 512 times fewer faults.
//! - **The output pool.** When an [`Array`](crate::Array) of at least [`POOL_MIN_BYTES`] drops,
//!   its buffer is kept (up to [`pool_limit`] bytes in all) instead of going back to the
//!   operating system, and the next kernel output of the same size reuses it: its pages are
//!   already mapped, so the allocating form of a kernel runs at the speed of its `_into` form.
//!   Kernel outputs and kernel temporaries ([`Temporary`], which go back to the pool from
//!   [`TEMP_POOL_MIN_BYTES`] on) are the only buffers taken from the pool, and a kernel writes
//!   each element of either before reading it, so stale contents are never seen.
//!   `Array::zeros` and friends always get zeroed memory.
//!
//! The pool holds memory the program no longer uses: that is the price, and it is bounded.
//! The limit is 256 MiB unless `ARRAY_EXPR_POOL_BYTES` (read once; a byte count with an
//! optional `K`, `M` or `G` suffix, `0` turns the pool off) or [`set_pool_limit`] says
//! otherwise; [`trim_pool`] gives everything back; [`pool_stats`] and
//! [`show_config`](crate::diagnostics::show_config) report it.

use std::alloc::Layout;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::element::{DType, Element};

/// Buffers at least this large get the huge-page advice (smaller ones are served from the
/// allocator's already-mapped heap, where there is nothing to gain).
pub(crate) const HUGE_PAGE_MIN_BYTES: usize = 4 << 20;

/// Buffers at least this large go to the output pool when their array drops; smaller ones
/// go back to the allocator, which keeps them mapped anyway.
pub const POOL_MIN_BYTES: usize = HUGE_PAGE_MIN_BYTES;

/// Kernel temporaries at least this large come from the pool and go back to it (see
/// [`Temporary`]): from about this size the allocator serves a fresh mapping, whose pages
/// fault on first touch, on every call.
pub const TEMP_POOL_MIN_BYTES: usize = 128 << 10;

/// The pool's limit when neither `ARRAY_EXPR_POOL_BYTES` nor [`set_pool_limit`] sets one.
pub const DEFAULT_POOL_LIMIT: usize = 256 << 20;

/// The environment variable that sets the pool's initial limit.
pub const POOL_ENV_VAR: &str = "ARRAY_EXPR_POOL_BYTES";

/// A vector of `n` copies of `value`. A zero value comes from zeroed memory (`calloc`: fresh
/// pages, not written), advised to use huge pages when large.
pub(crate) fn filled<T: Element>(n: usize, value: T) -> Vec<T> {
    if value != T::ZERO || n.saturating_mul(std::mem::size_of::<T>()) < HUGE_PAGE_MIN_BYTES {
        return vec![value; n];
    }
    // vec! of a zero primitive allocates zeroed memory without writing it
    let mut v = vec![value; n];
    advise_huge_pages(v.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(v.as_slice()));
    v
}

/// A buffer of `n` elements for a kernel's output, which the kernel overwrites entirely: a
/// pooled buffer of the same size when there is one (holding stale values), else zeroed
/// memory. The flag says whether the buffer is fresh (never touched).
pub(crate) fn output<T: Element>(n: usize) -> (Vec<T>, bool) {
    // bool is the one element type with invalid bit patterns: it never takes stale bytes
    if T::DTYPE != DType::Bool && n.saturating_mul(std::mem::size_of::<T>()) >= POOL_MIN_BYTES {
        if let Some(v) = take::<T>(n) {
            return (v, false);
        }
        MISSES.fetch_add(1, Ordering::Relaxed);
    }
    (filled(n, T::ZERO), true)
}

/// A kernel's temporary (a reduction's values another pass reads, a materialized GEMM
/// operand): an [`Array`](crate::Array) whose buffer comes from the pool when one of its size
/// is there, else fresh zeroed memory, and goes back to the pool when it drops, from
/// [`TEMP_POOL_MIN_BYTES`] on (ordinary arrays from [`POOL_MIN_BYTES`]). The kernel writes
/// every element before reading it, so stale values are never seen. A row softmax over 16M
/// f32 in rows of ten has two temporaries of 6.7 MB: as fresh memory, their page faults were
/// a quarter of every call.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::diagnostics::alloc_temporary;
/// let mut t = alloc_temporary::<f32, 1>([100_000])?;
/// t.view_mut().fill(2.0); // written before it is read
/// assert_eq!(t.shape(), [100_000]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Debug)]
pub struct Temporary<T: Element, const D: usize>(crate::Array<T, D>);

impl<T: Element, const D: usize> Temporary<T, D> {
    pub(crate) fn new(shape: [usize; D]) -> crate::Result<Self> {
        let n = crate::layout::checked_len("shape", &shape, std::mem::size_of::<T>())?;
        let data =
            if T::DTYPE != DType::Bool && n.saturating_mul(std::mem::size_of::<T>()) >= TEMP_POOL_MIN_BYTES {
                take::<T>(n).unwrap_or_else(|| filled(n, T::ZERO))
            } else {
                filled(n, T::ZERO)
            };
        Ok(Temporary(crate::Array::from_vec_unchecked(data, shape, crate::Order::C)))
    }
}

impl<T: Element, const D: usize> std::ops::Deref for Temporary<T, D> {
    type Target = crate::Array<T, D>;
    fn deref(&self) -> &crate::Array<T, D> {
        &self.0
    }
}

impl<T: Element, const D: usize> std::ops::DerefMut for Temporary<T, D> {
    fn deref_mut(&mut self) -> &mut crate::Array<T, D> {
        &mut self.0
    }
}

impl<T: Element, const D: usize> Drop for Temporary<T, D> {
    fn drop(&mut self) {
        let data = self.0.take_data();
        // SAFETY: `T` is an `Element` (the struct's bound).
        unsafe { recycle_from(data, TEMP_POOL_MIN_BYTES) }
    }
}

/// Gives `v`'s buffer to the pool when it is large enough and fits under the limit; otherwise
/// frees it.
///
/// # Safety
///
/// `T` is an [`Element`] type (a primitive number or bool: no padding, no drop glue), so the
/// first `v.len()` elements' bytes are all initialized. (Generic code that cannot name the
/// bound, `Array`'s `Drop`, calls this.)
pub(crate) unsafe fn recycle<T>(v: Vec<T>) {
    // SAFETY: the caller's contract.
    unsafe { recycle_from(v, POOL_MIN_BYTES) }
}

/// [`recycle`] for buffers of at least `min` bytes.
///
/// # Safety
///
/// As [`recycle`].
unsafe fn recycle_from<T>(v: Vec<T>, min: usize) {
    let size = std::mem::size_of::<T>();
    let bytes = v.capacity().saturating_mul(size);
    if std::mem::needs_drop::<T>() || bytes < min || bytes > pool_limit() {
        return;
    }
    let mut v = std::mem::ManuallyDrop::new(v);
    let Some(ptr) = NonNull::new(v.as_mut_ptr().cast::<u8>()) else {
        return;
    };
    let block = Block { ptr, bytes, align: std::mem::align_of::<T>(), init: v.len() * size };
    let evicted = {
        let mut pool = lock();
        pool.retained += bytes;
        pool.blocks.push(block);
        pool.shrink_to(pool_limit())
    };
    drop(evicted); // frees outside the lock
}

/// A pooled buffer of `n` elements of `T`: the smallest whose size is within a quarter above
/// `n`'s bytes, newest first among equals.
fn take<T: Element>(n: usize) -> Option<Vec<T>> {
    let (size, align) = (std::mem::size_of::<T>(), std::mem::align_of::<T>());
    let need = n * size;
    let block = {
        let mut pool = lock();
        let fits = |b: &Block| {
            b.align == align && b.bytes % size == 0 && b.init >= need && b.bytes - need <= need / 4
        };
        let (i, _) =
            pool.blocks.iter().enumerate().rev().filter(|(_, b)| fits(b)).min_by_key(|(_, b)| b.bytes)?;
        let b = pool.blocks.remove(i);
        pool.retained -= b.bytes;
        b
    };
    REUSED.fetch_add(1, Ordering::Relaxed);
    let block = std::mem::ManuallyDrop::new(block);
    // SAFETY: the block was a `Vec<U>` allocation of the global allocator with layout
    // (`bytes`, `align`) (see `recycle`), and `fits` checked that `T` has that alignment and
    // that `bytes` is a whole number of `T`s, so capacity `bytes / size` describes the same
    // layout. Its first `init >= n * size` bytes were initialized elements of `U` (a numeric
    // `Element` or bool); every bit pattern is a valid numeric `T`, and `output` never asks
    // for bool. The block left the pool (ManuallyDrop: it is not freed), so this vector is
    // its only owner.
    Some(unsafe { Vec::from_raw_parts(block.ptr.as_ptr().cast::<T>(), n, block.bytes / size) })
}

/// One pooled allocation: `bytes` bytes at `ptr` with alignment `align`, of which the first
/// `init` were initialized.
struct Block {
    ptr: NonNull<u8>,
    bytes: usize,
    align: usize,
    init: usize,
}

// SAFETY: a block is an exclusively owned heap allocation (no one else holds its pointer), so
// it may move to and be freed on any thread, like the `Vec` it came from.
unsafe impl Send for Block {}

impl Drop for Block {
    fn drop(&mut self) {
        if let Ok(layout) = Layout::from_size_align(self.bytes, self.align) {
            // SAFETY: the block owns an allocation of the global allocator made with exactly
            // this layout (a `Vec<U>` of capacity `bytes / size_of::<U>()`, see `recycle`),
            // and it is freed once: only here, when the block drops.
            unsafe { std::alloc::dealloc(self.ptr.as_ptr(), layout) }
        }
    }
}

struct Pool {
    blocks: Vec<Block>,
    retained: usize,
}

impl Pool {
    /// Removes the oldest blocks until at most `limit` bytes remain; returns them to be
    /// freed after the lock is released.
    fn shrink_to(&mut self, limit: usize) -> Vec<Block> {
        let mut k = 0;
        let mut kept = self.retained;
        while kept > limit && k < self.blocks.len() {
            kept -= self.blocks.get(k).map_or(0, |b| b.bytes);
            k += 1;
        }
        self.retained = kept;
        self.blocks.drain(..k).collect()
    }
}

static POOL: Mutex<Pool> = Mutex::new(Pool { blocks: Vec::new(), retained: 0 });
static LIMIT: OnceLock<AtomicUsize> = OnceLock::new();
static REUSED: AtomicU64 = AtomicU64::new(0);
static MISSES: AtomicU64 = AtomicU64::new(0);

fn lock() -> MutexGuard<'static, Pool> {
    // the pool's state is consistent between statements, so a poisoned lock is still usable
    POOL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn limit_cell() -> &'static AtomicUsize {
    LIMIT.get_or_init(|| {
        let env = std::env::var(POOL_ENV_VAR).ok();
        AtomicUsize::new(env.as_deref().and_then(parse_bytes).unwrap_or(DEFAULT_POOL_LIMIT))
    })
}

/// Parses a byte count: digits with an optional `K`, `M` or `G` suffix (powers of 1024).
pub(crate) fn parse_bytes(s: &str) -> Option<usize> {
    let s = s.trim();
    let (digits, shift) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (s.get(..i)?, 10),
        (i, 'm' | 'M') => (s.get(..i)?, 20),
        (i, 'g' | 'G') => (s.get(..i)?, 30),
        _ => (s, 0),
    };
    let n: usize = digits.trim().parse().ok()?;
    n.checked_mul(1 << shift)
}

/// The most bytes the output pool keeps.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::alloc::{pool_limit, DEFAULT_POOL_LIMIT};
/// if std::env::var("ARRAY_EXPR_POOL_BYTES").is_err() {
///     assert_eq!(pool_limit(), DEFAULT_POOL_LIMIT);
/// }
/// ```
pub fn pool_limit() -> usize {
    limit_cell().load(Ordering::Relaxed)
}

/// Sets the most bytes the output pool keeps (`0` turns it off), frees what is over it, and
/// returns the previous limit.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::alloc::{pool_stats, set_pool_limit};
/// let before = set_pool_limit(0); // no pooling: every large output is fresh memory
/// assert_eq!(pool_stats().retained_bytes, 0);
/// set_pool_limit(before);
/// ```
pub fn set_pool_limit(bytes: usize) -> usize {
    let prev = limit_cell().swap(bytes, Ordering::Relaxed);
    let evicted = lock().shrink_to(bytes);
    drop(evicted);
    prev
}

/// Frees every buffer the output pool holds (the limit stays).
///
/// # Examples
///
/// ```
/// array_expr_runtime::alloc::trim_pool();
/// assert_eq!(array_expr_runtime::alloc::pool_stats().buffers, 0);
/// ```
pub fn trim_pool() {
    let evicted = lock().shrink_to(0);
    drop(evicted);
}

/// What the output pool holds and has done since the process started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// The limit in bytes.
    pub limit: usize,
    /// Bytes held now.
    pub retained_bytes: usize,
    /// Buffers held now.
    pub buffers: usize,
    /// Kernel outputs served from the pool.
    pub reused: u64,
    /// Kernel outputs large enough for the pool that found nothing there (fresh memory).
    pub fresh: u64,
}

/// A snapshot of the output pool.
///
/// # Examples
///
/// ```
/// let s = array_expr_runtime::alloc::pool_stats();
/// assert!(s.retained_bytes <= s.limit);
/// ```
pub fn pool_stats() -> PoolStats {
    let pool = lock();
    PoolStats {
        limit: pool_limit(),
        retained_bytes: pool.retained,
        buffers: pool.blocks.len(),
        reused: REUSED.load(Ordering::Relaxed),
        fresh: MISSES.load(Ordering::Relaxed),
    }
}

/// Advises the kernel to back the whole 2 MiB pages inside `[ptr, ptr + bytes)` with huge
/// pages. Best effort: errors (THP disabled, old kernel) are ignored.
fn advise_huge_pages(ptr: *mut u8, bytes: usize) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = ptr as usize;
        let (Some(lo), Some(end)) = (start.checked_next_multiple_of(HUGE), start.checked_add(bytes)) else {
            return;
        };
        let hi = end / HUGE * HUGE;
        if hi > lo {
            // SAFETY: [lo, hi) lies inside the caller's live allocation of `bytes` bytes at
            // `ptr`, owned by this process. MADV_HUGEPAGE changes only how the kernel backs
            // those pages (no unmapping, no change of contents), so no Rust reference is
            // invalidated; the return value is deliberately ignored (best effort).
            unsafe {
                libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filled_buffers_hold_the_value() {
        let big: Vec<f32> = filled(3 << 20, 0.0);
        assert_eq!(big.len(), 3 << 20);
        assert!(big.iter().all(|&x| x == 0.0));
        let ones: Vec<i64> = filled(1 << 20, 1);
        assert!(ones.iter().all(|&x| x == 1));
        assert!(filled::<u8>(0, 0).is_empty());
    }

    #[test]
    fn byte_counts_parse_with_suffixes() {
        assert_eq!(parse_bytes("0"), Some(0));
        assert_eq!(parse_bytes(" 512M "), Some(512 << 20));
        assert_eq!(parse_bytes("2g"), Some(2 << 30));
        assert_eq!(parse_bytes("64K"), Some(64 << 10));
        assert_eq!(parse_bytes("12345"), Some(12345));
        for bad in ["", "M", "-1", "1.5G", "lots", "99999999999999999999G"] {
            assert_eq!(parse_bytes(bad), None, "{bad:?}");
        }
    }
}
