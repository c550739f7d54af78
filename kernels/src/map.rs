//! Elementwise maps over slices: a vector function applied to every element, tail included,
//! written with streaming stores when the output is large.
//!
//! A math function over a large array is bound by memory traffic, and an ordinary store costs
//! two transfers (the read-for-ownership of the destination line, then the write-back). [`map`]
//! and [`map2`] write outputs of [`STREAM_MIN_BYTES`] or more with non-temporal stores (see
//! [`mem::streaming`]), which is what `memcpy` does for large copies; smaller outputs, which
//! are likely to be read again from the cache, use ordinary stores. The result is the same
//! either way: element `i` of the output is `f` applied to the vector holding element `i`.
//!
//! # Examples
//! ```
//! use array_expr_kernels::{map, math};
//! let x: Vec<f32> = (0..1000).map(|i| i as f32 * 0.01).collect();
//! let mut out = vec![0.0f32; 1000];
//! map::map(&x, &mut out, math::exp);
//! assert!((out[700] - 7f32.exp()).abs() <= 2.0 * f32::EPSILON * 7f32.exp());
//! ```

use crate::mem;
use crate::simd::SimdElem;

/// Outputs of at least this many bytes are written with streaming stores by [`map`] and
/// [`map2`]: 24 MiB, three quarters of the 32 MiB L3 cache of the Zen 3 machines this was
/// measured on (glibc's `memcpy` switches to streaming stores at the same fraction of the
/// shared cache). Below it, ordinary stores leave the result in cache for the next pass, which
/// measured faster up to 16 MiB outputs (with an input of the same size); from 32 MiB on,
/// streaming stores are faster (1.1-1.4x for `exp`, 1.4x for a copy).
pub const STREAM_MIN_BYTES: usize = 24 << 20;

/// Applies `f` to `x` one vector at a time and writes the results to `out`, over the first
/// `min(x.len(), out.len())` elements (the rest of `out` is left as it was).
///
/// Lane `k` of the vector passed to `f` is element `i + k` of `x`; the lanes past the end of `x`
/// in the last vector are zero and their results are dropped, so `f` must not panic on zero
/// lanes (no function of this crate does). Large outputs are written with streaming stores
/// (see the [module docs](self)); the vector boundaries then follow the output's memory
/// alignment, so `f` must be elementwise (lane `k` of the result depends only on lane `k` of
/// the input), as every function of [`crate::math`] is.
///
/// # Examples
/// ```
/// use array_expr_kernels::{map::map, math};
/// use wide::f64x4;
/// let x = [1.0f64, 4.0, 9.0, 16.0, 25.0];
/// let mut out = [0.0; 5];
/// map(&x, &mut out, |v| math::sqrt(v) + f64x4::splat(1.0));
/// assert_eq!(out, [2.0, 3.0, 4.0, 5.0, 6.0]);
/// ```
#[inline(always)]
pub fn map<T: SimdElem>(x: &[T], out: &mut [T], f: impl Fn(T::V) -> T::V) {
    drive(x, out, f);
}

/// Applies `f` to the vectors of `x` and `y` side by side and writes the results to `out`, over
/// the first `min(x.len(), y.len(), out.len())` elements; as [`map`] otherwise.
///
/// # Examples
/// ```
/// use array_expr_kernels::{map::map2, math};
/// let x = vec![2.0f32; 100];
/// let y: Vec<f32> = (0..100).map(|i| i as f32).collect();
/// let mut out = vec![0.0; 100];
/// map2(&x, &y, &mut out, math::pow);
/// assert_eq!(out[10], 1024.0);
/// ```
#[inline(always)]
pub fn map2<T: SimdElem>(x: &[T], y: &[T], out: &mut [T], f: impl Fn(T::V, T::V) -> T::V) {
    drive(
        (x, y),
        out,
        #[inline(always)]
        |(a, b)| f(a, b),
    );
}

/// The inputs of a map, loaded vector by vector: one slice, or a pair of slices.
trait Inputs<T: SimdElem>: Copy {
    /// What the function receives: one vector, or a pair.
    type V;
    /// The number of elements (of the shortest input).
    fn len(self) -> usize;
    /// The vectors of elements `a..b` (`a <= b <= len`, `b - a <= LANES`; lanes past `b` are 0).
    fn load(self, a: usize, b: usize) -> Self::V;
    /// Elements `a..b` of each input (`a <= b <= len`).
    fn sub(self, a: usize, b: usize) -> Self;
}

impl<T: SimdElem> Inputs<T> for &[T] {
    type V = T::V;
    #[inline(always)]
    fn len(self) -> usize {
        <[T]>::len(self)
    }
    #[inline(always)]
    fn load(self, a: usize, b: usize) -> T::V {
        T::load(&self[a..b])
    }
    #[inline(always)]
    fn sub(self, a: usize, b: usize) -> Self {
        &self[a..b]
    }
}

impl<T: SimdElem> Inputs<T> for (&[T], &[T]) {
    type V = (T::V, T::V);
    #[inline(always)]
    fn len(self) -> usize {
        self.0.len().min(self.1.len())
    }
    #[inline(always)]
    fn load(self, a: usize, b: usize) -> (T::V, T::V) {
        (T::load(&self.0[a..b]), T::load(&self.1[a..b]))
    }
    #[inline(always)]
    fn sub(self, a: usize, b: usize) -> Self {
        (&self.0[a..b], &self.1[a..b])
    }
}

/// The loop behind [`map`] and [`map2`]: streaming or ordinary stores by size.
#[inline(always)]
fn drive<T: SimdElem, I: Inputs<T>>(ins: I, out: &mut [T], f: impl Fn(I::V) -> T::V) {
    let n = ins.len().min(out.len());
    let out = &mut out[..n];
    if core::mem::size_of_val(out) >= STREAM_MIN_BYTES {
        mem::streaming(|s| run(ins, out, &f, |v, o| s.store::<T>(v, o)));
    } else {
        run(ins, out, &f, |v, o| T::store(v, o));
    }
}

/// `out = f(ins)` vector by vector, writing through `put`: a partial vector up to the first
/// vector-size boundary of `out`, then four whole vectors per step, then the rest. `ins` holds
/// at least `out.len()` elements.
#[inline(always)]
fn run<T: SimdElem, I: Inputs<T>>(
    ins: I,
    out: &mut [T],
    f: &impl Fn(I::V) -> T::V,
    put: impl Fn(T::V, &mut [T]),
) {
    let l = T::LANES;
    let n = out.len();
    let head = mem::vector_offset(out).min(n);
    if head > 0 {
        put(f(ins.load(0, head)), &mut out[..head]);
    }
    let mut i = head;
    while i + 4 * l <= n {
        // One bounds check per input for the four vectors, none per vector.
        let c = ins.sub(i, i + 4 * l);
        let g = |j: usize| f(c.load(j * l, (j + 1) * l));
        // Four independent computations before the stores (named, not an array: arrays of
        // vectors iterated by value go through the stack).
        let (v0, v1, v2, v3) = (g(0), g(1), g(2), g(3));
        let o = &mut out[i..i + 4 * l];
        put(v0, &mut o[..l]);
        put(v1, &mut o[l..2 * l]);
        put(v2, &mut o[2 * l..3 * l]);
        put(v3, &mut o[3 * l..]);
        i += 4 * l;
    }
    while i < n {
        let e = (i + l).min(n);
        put(f(ins.load(i, e)), &mut out[i..e]);
        i = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math;

    /// Every short length and lengths around the streaming threshold, at every alignment of
    /// the output: the same values as the vector function applied lane by lane, nothing
    /// written outside the range.
    #[test]
    fn map_equals_the_elementwise_loop() {
        let big = STREAM_MIN_BYTES / 4 + 100;
        let x: Vec<f32> = (0..big + 64).map(|i| (i % 1000) as f32 * 0.01 - 3.0).collect();
        let lanes: Vec<f32> = x.iter().map(|&v| math::exp(f32::splat(v)).to_array()[0]).collect();
        let cases = (0..40).flat_map(|len| (0..9).map(move |off| (len, off, 64)));
        let big_cases =
            [big - 100, big - 37, big].into_iter().flat_map(|len| [0, 1, 7].map(|o| (len, o, big + 64)));
        for (len, off, size) in cases.chain(big_cases) {
            let mut buf = vec![-7.0f32; size];
            map(&x[off..off + len], &mut buf[off..off + len], math::exp);
            for (i, &v) in buf.iter().enumerate() {
                let want = if (off..off + len).contains(&i) { lanes[i] } else { -7.0 };
                assert_eq!(v.to_bits(), want.to_bits(), "len {len} offset {off} index {i}");
            }
        }
    }

    #[test]
    fn map2_uses_the_shortest_length() {
        let x: Vec<i64> = (0..30).collect();
        let y: Vec<i64> = (0..25).map(|i| 2 * i).collect();
        let mut out = vec![-1i64; 40];
        map2(&x, &y, &mut out, |a, b| a * b);
        for (i, &v) in out.iter().enumerate() {
            assert_eq!(v, if i < 25 { 2 * (i as i64) * (i as i64) } else { -1 }, "index {i}");
        }
    }
}
