//! Slice-to-lane-array memory access: full and partial loads and stores, strided gathers and
//! scatters. This is the only module of the crate that contains `unsafe`.
//!
//! Every function here is safe and total: it never panics and never touches memory outside the
//! slice it was given. Contiguous accesses need no `unsafe` at all (`first_chunk` proves the
//! length once). Strided accesses check the first and the last lane index once per call; when both
//! are inside the slice every lane is (the indices are an arithmetic progression), and the lanes
//! are then read without per-lane bounds checks. Otherwise each lane is checked on its own and
//! lanes that fall outside the slice read as the fill value (gather) or are skipped (scatter).
//!
//! [`streaming`] and [`Streamer`] give safe streaming stores of whole vectors (behind
//! [`crate::map`]).
//!
//! These functions work on plain arrays `[T; N]`; [`crate::SimdElem`] wraps them into `wide`
//! vectors, and the optimizer turns the array round trip into single vector loads and stores.

use crate::simd::SimdElem;

/// Reads the first `N` elements of `s` as an array; when `s` is shorter, the missing lanes are
/// `fill`.
///
/// # Examples
/// ```
/// use array_expr_kernels::mem::load_or;
/// assert_eq!(load_or::<i32, 4>(&[1, 2], -1), [1, 2, -1, -1]);
/// assert_eq!(load_or::<i32, 2>(&[1, 2, 3], -1), [1, 2]);
/// ```
#[inline(always)]
pub fn load_or<T: Copy, const N: usize>(s: &[T], fill: T) -> [T; N] {
    match s.first_chunk::<N>() {
        Some(a) => *a,
        None => load_partial(s, fill),
    }
}

/// The short-slice case of [`load_or`]. The `n < N` elements are copied in power-of-two pieces
/// (the bits of `n`, largest first), each a fixed-size move: a variable-length
/// `copy_from_slice` became a `memcpy` call, which cost a 4096-column broadcast map whose rows
/// end off a vector boundary 15-20% of its time. Inlined: as a call it was 13% of a row
/// softmax over rows of 10 f32 (every pass ends each row with a partial vector); inlined, that
/// softmax ran 130-134 against 147-170 ms, and a release build of the callgrind probe's 15
/// kernels took 10.3 against 10.5 s.
pub(crate) fn load_partial<T: Copy, const N: usize>(s: &[T], fill: T) -> [T; N] {
    let mut a = [fill; N];
    copy_short::<T, N>(&mut a, s);
    a
}

/// `d[..n] = s[..n]`, `n = min(N, d.len(), s.len())`, in power-of-two pieces: with `N` a lane
/// count, the loop unrolls into one test and one fixed-size move per bit of `N`.
#[inline(always)]
fn copy_short<T: Copy, const N: usize>(d: &mut [T], s: &[T]) {
    let n = s.len().min(d.len()).min(N);
    let mut at = 0;
    let mut w = N.next_power_of_two();
    while w > 0 {
        if n - at >= w {
            d[at..at + w].copy_from_slice(&s[at..at + w]);
            at += w;
        }
        w /= 2;
    }
}

/// Writes the lanes of `a` to the start of `s`, as many as fit (`min(N, s.len())`).
///
/// # Examples
/// ```
/// use array_expr_kernels::mem::store;
/// let mut out = [0; 3];
/// store(&mut out, [7, 8, 9, 10]);
/// assert_eq!(out, [7, 8, 9]);
/// ```
#[inline(always)]
pub fn store<T: Copy, const N: usize>(s: &mut [T], a: [T; N]) {
    match s.first_chunk_mut::<N>() {
        Some(d) => *d = a,
        None => store_partial(s, a),
    }
}

/// The short-slice case of [`store`], in power-of-two pieces as [`load_partial`].
#[inline(never)]
pub(crate) fn store_partial<T: Copy, const N: usize>(s: &mut [T], a: [T; N]) {
    copy_short::<T, N>(s, &a);
}

/// Index of lane `k` of a strided access, or `None` when it is outside `0..len`.
#[inline(always)]
fn lane_index(len: usize, base: usize, stride: isize, k: usize) -> Option<usize> {
    let off = (k as isize).checked_mul(stride)?;
    let i = base.checked_add_signed(off)?;
    (i < len).then_some(i)
}

/// Whether lanes `0..n` of the progression `base + k * stride` all lie inside `0..len`.
#[inline(always)]
fn all_in_bounds(len: usize, base: usize, stride: isize, n: usize) -> bool {
    n == 0 || (lane_index(len, base, stride, 0).is_some() && lane_index(len, base, stride, n - 1).is_some())
}

/// Gathers `s[base + k * stride]` for lanes `k < n` (`n` clamped to `N`); other lanes, and lanes
/// whose index falls outside `s`, are `fill`.
///
/// `stride` may be negative or zero (a zero stride broadcasts `s[base]`).
///
/// # Examples
/// ```
/// use array_expr_kernels::mem::gather_or;
/// let s = [0, 10, 20, 30, 40, 50];
/// assert_eq!(gather_or::<i32, 4>(&s, 5, -2, 4, -1), [50, 30, 10, -1]);
/// assert_eq!(gather_or::<i32, 4>(&s, 1, 0, 2, -1), [10, 10, -1, -1]);
/// ```
#[inline(always)]
pub fn gather_or<T: Copy, const N: usize>(s: &[T], base: usize, stride: isize, n: usize, fill: T) -> [T; N] {
    let n = n.min(N);
    let mut a = [fill; N];
    if cfg!(not(feature = "force-scalar")) && all_in_bounds(s.len(), base, stride, n) {
        let p = s.as_ptr();
        for (k, lane) in a.iter_mut().enumerate().take(n) {
            let i = base.wrapping_add_signed((k as isize).wrapping_mul(stride));
            // SAFETY: `all_in_bounds` (checked just above) proved that lanes 0 and n-1 index
            // inside `s` without overflow; lane k < n lies between them on the same arithmetic
            // progression, so `i < s.len()` and `p.add(i)` is in bounds of `s`.
            *lane = unsafe { *p.add(i) };
        }
    } else {
        for (k, lane) in a.iter_mut().enumerate().take(n) {
            if let Some(i) = lane_index(s.len(), base, stride, k) {
                *lane = s[i];
            }
        }
    }
    a
}

/// Scatters lanes `k < n` (`n` clamped to `N`) of `a` to `s[base + k * stride]`; lanes whose index
/// falls outside `s` are skipped. With a zero stride the last lane written wins.
///
/// # Examples
/// ```
/// use array_expr_kernels::mem::scatter;
/// let mut s = [0; 6];
/// scatter(&mut s, 4, -2, 4, [1, 2, 3, 4]);
/// assert_eq!(s, [3, 0, 2, 0, 1, 0]);
/// ```
#[inline(always)]
pub fn scatter<T: Copy, const N: usize>(s: &mut [T], base: usize, stride: isize, n: usize, a: [T; N]) {
    let n = n.min(N);
    if cfg!(not(feature = "force-scalar")) && all_in_bounds(s.len(), base, stride, n) {
        let p = s.as_mut_ptr();
        for (k, lane) in a.iter().enumerate().take(n) {
            let i = base.wrapping_add_signed((k as isize).wrapping_mul(stride));
            // SAFETY: `all_in_bounds` (checked just above) proved that lanes 0 and n-1 index
            // inside `s`; lane k < n lies between them on the same progression, so `i < s.len()`.
            // `p` comes from the unique borrow `s`, so no other reference observes the write.
            unsafe { *p.add(i) = *lane };
        }
    } else {
        for (k, lane) in a.iter().enumerate().take(n) {
            if let Some(i) = lane_index(s.len(), base, stride, k) {
                s[i] = *lane;
            }
        }
    }
}

/// Copies `min(dst.len(), src.len())` elements from `src` to `dst`, writing whole 32-byte
/// chunks of `dst` with non-temporal (streaming) stores that bypass the cache and skip the
/// read-for-ownership of each destination line. Unaligned head and tail bytes use ordinary
/// stores. Ends with a store fence, so the data is visible to every thread (and ordered before
/// any later store) when the call returns.
///
/// Use it for large, write-once outputs that will not be read again soon: it roughly halves
/// the memory traffic of a write, but evicts nothing useful only when the output is bigger
/// than the cache. On targets without streaming stores (or with the `force-scalar` feature)
/// it is a plain copy.
///
/// # Examples
/// ```
/// use array_expr_kernels::mem::copy_nontemporal;
/// let src: Vec<f32> = (0..100).map(|i| i as f32).collect();
/// let mut dst = vec![0.0f32; 100];
/// copy_nontemporal(&mut dst, &src);
/// assert_eq!(dst, src);
/// ```
pub fn copy_nontemporal<T: Copy>(dst: &mut [T], src: &[T]) {
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    #[cfg(all(target_arch = "x86_64", not(feature = "force-scalar")))]
    {
        stream_bytes(dst, src);
    }
    #[cfg(not(all(target_arch = "x86_64", not(feature = "force-scalar"))))]
    {
        dst.copy_from_slice(src);
    }
}

/// The x86-64 body of [`copy_nontemporal`] on equal-length slices: [`stream_bytes_unfenced`],
/// then a store fence when anything streamed.
#[cfg(all(target_arch = "x86_64", not(feature = "force-scalar")))]
fn stream_bytes<T: Copy>(dst: &mut [T], src: &[T]) {
    if stream_bytes_unfenced(dst, src) {
        // SAFETY: sfence has no memory operands; SSE is baseline on x86-64. It orders the
        // weakly-ordered streaming stores above before every later store of this thread.
        unsafe { std::arch::x86_64::_mm_sfence() };
    }
}

/// Copies equal-length `src` to `dst`: 16-byte streaming stores (SSE2, part of every x86-64
/// CPU), or 32-byte ones in an AVX build, for the whole aligned chunks of `dst`, ordinary
/// stores for the bytes before and after them. No fence: the caller issues it (or holds a
/// [`Streamer`], whose [`streaming`] call does). Returns whether any chunk streamed.
#[cfg(all(target_arch = "x86_64", not(feature = "force-scalar")))]
fn stream_bytes_unfenced<T: Copy>(dst: &mut [T], src: &[T]) -> bool {
    #[cfg(not(target_feature = "avx"))]
    use std::arch::x86_64::{__m128i as Chunk, _mm_loadu_si128 as load, _mm_stream_si128 as stream};
    #[cfg(target_feature = "avx")]
    use std::arch::x86_64::{__m256i as Chunk, _mm256_loadu_si256 as load, _mm256_stream_si256 as stream};
    const W: usize = std::mem::size_of::<Chunk>();
    let bytes = std::mem::size_of_val(dst).min(std::mem::size_of_val(src));
    let d = dst.as_mut_ptr().cast::<u8>();
    let s = src.as_ptr().cast::<u8>();
    let head = d.align_offset(W).min(bytes);
    let body = (bytes - head) / W * W;
    // SAFETY: `dst` and `src` are distinct borrows (one unique) of at least `bytes` bytes each,
    // so the byte ranges [0, head) and [head + body, bytes) are in bounds of both and do not
    // overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(s, d, head);
        std::ptr::copy_nonoverlapping(s.add(head + body), d.add(head + body), bytes - head - body);
    }
    let mut off = head;
    while off < head + body {
        // SAFETY: off + W <= head + body <= bytes, so both W-byte chunks are in bounds; the
        // load is unaligned, and `d + off` is W-aligned (head = align_offset(W), off - head is a
        // multiple of W), as the streaming store requires. SSE2 is baseline on x86-64 and the
        // AVX variant is compiled only when the build enables AVX.
        unsafe {
            let v = load(s.add(off).cast::<Chunk>());
            stream(d.add(off).cast::<Chunk>(), v);
        }
        off += W;
    }
    body > 0
}

/// Bytes per streaming store: 32 in AVX builds, 16 (SSE2, baseline x86-64) otherwise.
#[cfg(all(target_arch = "x86_64", target_feature = "avx"))]
const STREAM_BYTES: usize = 32;
#[cfg(not(all(target_arch = "x86_64", target_feature = "avx")))]
const STREAM_BYTES: usize = 16;

/// Runs `f` with a [`Streamer`], the permission to write with non-temporal (streaming) stores,
/// and issues a store fence when `f` returns (or unwinds), so that everything written through
/// the streamer is visible to every thread, and ordered before every later store, once this
/// call returns.
///
/// Streaming stores skip the read-for-ownership of the destination line and do not pollute the
/// cache: use them for large write-once outputs (bigger than the cache), as `memcpy` does for
/// large copies. [`crate::map::map`] decides that for you.
///
/// # Examples
/// ```
/// use array_expr_kernels::{mem, SimdElem};
/// let mut out = vec![0.0f32; 100];
/// mem::streaming(|s| {
///     for chunk in out.chunks_mut(8) {
///         s.store(f32::splat(2.5), chunk);
///     }
/// });
/// assert!(out.iter().all(|&v| v == 2.5));
/// ```
pub fn streaming<R>(f: impl FnOnce(&Streamer) -> R) -> R {
    let _fence = Fence;
    f(&Streamer { _not_sync: core::marker::PhantomData })
}

/// Permission to write with streaming stores, handed out by [`streaming`] for the duration of
/// one call (it cannot leave that call or reach another thread, so the fence at its end covers
/// every streaming store made through it).
#[derive(Debug)]
pub struct Streamer {
    _not_sync: core::marker::PhantomData<*const ()>,
}

impl Streamer {
    /// Stores the lanes of `v` to the start of `out`, as many as fit: with a streaming store
    /// when `out` holds a whole vector that starts on a vector-size boundary of memory (see
    /// [`vector_offset`]), with an ordinary store otherwise. On targets without streaming stores,
    /// or with the `force-scalar` feature, always an ordinary store.
    ///
    /// # Examples
    /// ```
    /// use array_expr_kernels::{mem, SimdElem};
    /// let mut out = vec![0i32; 12];
    /// let h = mem::vector_offset(&out).min(out.len());
    /// mem::streaming(|s| s.store(i32::splat(7), &mut out[h..]));
    /// assert_eq!(out.iter().filter(|&&v| v == 7).count(), 8.min(12 - h));
    /// ```
    #[inline(always)]
    pub fn store<T: SimdElem>(&self, v: T::V, out: &mut [T]) {
        let bytes = T::LANES * core::mem::size_of::<T>();
        let can = STREAMS && bytes % STREAM_BYTES == 0 && bytes > 0;
        if can && out.len() >= T::LANES && out.as_ptr().align_offset(bytes) == 0 {
            // SAFETY: `out` is a unique borrow of at least LANES elements and starts on a
            // `bytes` boundary, a multiple of STREAM_BYTES (all checked just above); the fence
            // of the enclosing `streaming` call orders the store.
            unsafe { stream_vector::<T>(out.as_mut_ptr(), v) };
        } else {
            T::store(v, out);
        }
    }

    /// Copies `min(dst.len(), src.len())` elements of `src` to `dst` as [`copy_nontemporal`]
    /// does (whole aligned chunks of `dst` streamed, the bytes around them stored normally),
    /// without its fence: the enclosing [`streaming`] call's fence orders these stores too.
    /// For a few elements computed apart (the vector where two rows of an output meet) that
    /// must still stream, as the cache line they share with streamed neighbours would
    /// otherwise be read for ownership and written twice.
    ///
    /// # Examples
    /// ```
    /// use array_expr_kernels::mem;
    /// let mut out = vec![0u16; 40];
    /// mem::streaming(|s| s.copy(&mut out[3..], &[9u16; 20]));
    /// assert_eq!(out.iter().filter(|&&v| v == 9).count(), 20);
    /// assert_eq!(out[3..23], [9; 20]);
    /// ```
    #[inline]
    pub fn copy<T: Copy>(&self, dst: &mut [T], src: &[T]) {
        let n = dst.len().min(src.len());
        #[cfg(all(target_arch = "x86_64", not(feature = "force-scalar")))]
        {
            stream_bytes_unfenced(&mut dst[..n], &src[..n]);
        }
        #[cfg(not(all(target_arch = "x86_64", not(feature = "force-scalar"))))]
        {
            dst[..n].copy_from_slice(&src[..n]);
        }
    }
}

/// The number of leading elements of `out` before the first one that starts on a vector-size
/// boundary of memory (`T::LANES * size_of::<T>()` bytes), i.e. where [`Streamer::store`] can
/// start streaming; `usize::MAX` if no element does.
///
/// # Examples
/// ```
/// use array_expr_kernels::mem::vector_offset;
/// let v = vec![0.0f64; 16];
/// let h = vector_offset(&v);
/// assert!(h < 4);
/// assert_eq!(vector_offset(&v[h..]), 0);
/// ```
#[inline(always)]
pub fn vector_offset<T: SimdElem>(out: &[T]) -> usize {
    out.as_ptr().align_offset((T::LANES * core::mem::size_of::<T>()).max(1))
}

/// Asks for the cache line holding `s[i]` to be fetched into L2 (`prefetcht1`), for a read a
/// few KiB later: a hint, so an `i` past the end of `s` is harmless (nothing is read). A no-op
/// off x86-64 and with `force-scalar`. Generated vector loops over memory call it for the
/// arrays they stream when a row vector is read again for every row beside them (see the
/// macro's `fetch_ahead_operands`).
///
/// # Examples
/// ```
/// use array_expr_kernels::mem::prefetch_l2;
/// let x = vec![1.0f32; 4096];
/// prefetch_l2(&x, 1024);
/// prefetch_l2(&x, 1 << 40); // far past the end: still only a hint
/// ```
#[inline(always)]
pub fn prefetch_l2<T>(s: &[T], i: usize) {
    #[cfg(all(target_arch = "x86_64", not(feature = "force-scalar")))]
    // SAFETY: a prefetch reads nothing architecturally and cannot fault, whatever the address;
    // the pointer is computed with wrapping arithmetic and never dereferenced. SSE is baseline
    // on x86-64.
    unsafe {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T1};
        _mm_prefetch::<_MM_HINT_T1>(s.as_ptr().wrapping_add(i).cast::<i8>());
    }
    #[cfg(not(all(target_arch = "x86_64", not(feature = "force-scalar"))))]
    let _ = (s, i);
}

/// Whether this build writes with streaming stores (x86-64 without `force-scalar`).
const STREAMS: bool = cfg!(all(target_arch = "x86_64", not(feature = "force-scalar")));

/// Writes the lanes of `v` to `p[..LANES]` with streaming stores.
///
/// # Safety
/// - `p[..T::LANES]` is valid for writes and not accessed through any other reference.
/// - `p` is aligned to `T::LANES * size_of::<T>()` bytes, a multiple of [`STREAM_BYTES`].
#[inline(always)]
unsafe fn stream_vector<T: SimdElem>(p: *mut T, v: T::V) {
    let a = T::to_array(v);
    let s = a.as_ref();
    if s.len() != T::LANES {
        // A `SimdElem` implementation whose array is not `LANES` long: store what fits.
        // SAFETY: the caller guarantees LANES writable elements at `p`.
        let d = unsafe { core::slice::from_raw_parts_mut(p, T::LANES) };
        store_partial_slice(d, s);
        return;
    }
    #[cfg(all(target_arch = "x86_64", not(feature = "force-scalar")))]
    {
        #[cfg(not(target_feature = "avx"))]
        use std::arch::x86_64::{__m128i as Chunk, _mm_stream_si128 as stream};
        #[cfg(target_feature = "avx")]
        use std::arch::x86_64::{__m256i as Chunk, _mm256_stream_si256 as stream};
        let src = s.as_ptr().cast::<Chunk>();
        for c in 0..core::mem::size_of_val(s) / STREAM_BYTES {
            // SAFETY: `s` has LANES elements, i.e. size_of_val(s) bytes, a multiple of
            // STREAM_BYTES (checked by `Streamer::store`), so chunk c is inside both `s` (read
            // unaligned) and `p[..LANES]` (the caller's bound); `p + c STREAM_BYTES` is
            // STREAM_BYTES-aligned by the caller's alignment. SSE2 is baseline on x86-64 and
            // the AVX variant is compiled only when the build enables AVX.
            unsafe { stream(p.cast::<Chunk>().add(c), src.add(c).read_unaligned()) };
        }
    }
    #[cfg(not(all(target_arch = "x86_64", not(feature = "force-scalar"))))]
    {
        // SAFETY: the caller guarantees LANES writable elements at `p`.
        let d = unsafe { core::slice::from_raw_parts_mut(p, T::LANES) };
        store_partial_slice(d, s);
    }
}

/// `d[..m] = s[..m]`, `m = min(d.len(), s.len())`.
fn store_partial_slice<T: Copy>(d: &mut [T], s: &[T]) {
    let m = d.len().min(s.len());
    d[..m].copy_from_slice(&s[..m]);
}

/// Issues a store fence when dropped: orders the streaming stores before every later store.
struct Fence;

impl Drop for Fence {
    #[inline(always)]
    fn drop(&mut self) {
        #[cfg(all(target_arch = "x86_64", not(feature = "force-scalar")))]
        // SAFETY: sfence has no memory operands; SSE is baseline on x86-64.
        unsafe {
            std::arch::x86_64::_mm_sfence()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_access_never_leaves_the_slice() {
        let s: Vec<i64> = (0..10).collect();
        for base in 0..12usize {
            for stride in [-5isize, -3, -1, 0, 1, 2, 7, isize::MAX, isize::MIN] {
                let g: [i64; 4] = gather_or(&s, base, stride, 4, -1);
                for (k, &v) in g.iter().enumerate() {
                    let want = lane_index(s.len(), base, stride, k).map_or(-1, |i| s[i]);
                    assert_eq!(v, want, "base {base} stride {stride} lane {k}");
                }
                let mut d = vec![0i64; 10];
                scatter(&mut d, base, stride, 3, [1, 2, 3, 4]);
                assert!(d.iter().all(|&x| (0..=3).contains(&x)));
            }
        }
    }

    #[test]
    fn partial_loads_fill() {
        let a: [u8; 8] = load_or(&[1, 2, 3], 9);
        assert_eq!(a, [1, 2, 3, 9, 9, 9, 9, 9]);
        let mut d = [0u8; 2];
        store(&mut d, [5u8; 8]);
        assert_eq!(d, [5, 5]);
        // every short length, for lane counts 4, 8 and 32 (the pieces follow the bits of n)
        fn case<const N: usize>() {
            let src: Vec<u16> = (1..=N as u16).collect();
            for n in 0..N {
                let a: [u16; N] = load_or(&src[..n], 0xFFFF);
                assert!(a[..n] == src[..n] && a[n..].iter().all(|&x| x == 0xFFFF), "load of {n} of {N}");
                let mut d = vec![0u16; n + 2];
                store(&mut d[..n], core::array::from_fn::<u16, N, _>(|k| k as u16 + 7));
                assert!(d[..n].iter().enumerate().all(|(k, &x)| x == k as u16 + 7) && d[n..] == [0, 0]);
            }
        }
        case::<4>();
        case::<8>();
        case::<32>();
    }

    #[test]
    fn streamer_copies_at_every_offset_and_length() {
        let src: Vec<u32> = (0..100u32).map(|i| i * 3 + 1).collect();
        for off in 0..16 {
            for len in [0, 1, 3, 7, 8, 9, 16, 17, 40, 64] {
                let mut dst = vec![0u32; 100];
                streaming(|s| s.copy(&mut dst[off..off + len], &src[..len + 5]));
                assert_eq!(&dst[off..off + len], &src[..len], "offset {off} length {len}");
                assert!(dst[..off].iter().chain(&dst[off + len..]).all(|&b| b == 0));
            }
        }
    }

    #[test]
    fn nontemporal_copy_at_every_offset_and_length() {
        let src: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for off in 0..40 {
            for len in [0, 1, 15, 16, 31, 32, 33, 63, 64, 65, 200, 250] {
                let mut dst = vec![0u8; 300];
                copy_nontemporal(&mut dst[off..off + len], &src[off..off + len]);
                assert_eq!(&dst[off..off + len], &src[off..off + len], "offset {off} length {len}");
                assert!(dst[..off].iter().chain(&dst[off + len..]).all(|&b| b == 0));
            }
        }
        let mut d = [0.0f64; 3];
        copy_nontemporal(&mut d, &[1.0, 2.0]);
        assert_eq!(d, [1.0, 2.0, 0.0]);
    }

    /// `Streamer::store` writes exactly the lanes that fit, at every alignment, for vectors of
    /// 4, 8 and 32 lanes, whether it streams (aligned whole vector) or not.
    fn streamer_case<T: SimdElem>(val: impl Fn(usize) -> T, fill: T) {
        let lanes = T::LANES;
        for off in 0..2 * lanes {
            for len in [0, 1, lanes - 1, lanes, lanes + 3] {
                let mut buf = vec![fill; 3 * lanes + 8];
                let mut a = T::to_array(T::splat(fill));
                for (k, x) in a.as_mut().iter_mut().enumerate() {
                    *x = val(k);
                }
                streaming(|s| s.store::<T>(T::from_array(a), &mut buf[off..off + len]));
                for (i, &x) in buf.iter().enumerate() {
                    let inside = i >= off && i < off + len.min(lanes);
                    let want = if inside { val(i - off) } else { fill };
                    assert_eq!(x, want, "offset {off} length {len} index {i}");
                }
                let h = vector_offset(&buf[off..]);
                assert!(h < lanes && vector_offset(&buf[off + h..]) == 0);
            }
        }
    }

    #[test]
    fn streamer_stores_what_fits_at_every_alignment() {
        streamer_case::<f64>(|k| k as f64 + 0.5, -1.0);
        streamer_case::<f32>(|k| k as f32 * 3.0, -1.0);
        streamer_case::<u8>(|k| k as u8 + 1, 0);
        streamer_case::<bool>(|k| k % 3 == 0, false);
    }
}
