//! The element-to-vector mapping: one trait, [`SimdElem`], gives every runtime dtype its `wide`
//! vector type, lane count, loads, stores, gathers and lane-wise arithmetic.
//!
//! | element | vector | lanes | mask |
//! | --- | --- | --- | --- |
//! | `f32` | `f32x8` | 8 | `f32x8`, lanes all-ones bits or zero |
//! | `f64` | `f64x4` | 4 | `f64x4`, same |
//! | `i8` / `u8` | `i8x32` / `u8x32` | 32 | the vector itself, lanes `-1`/`MAX` or 0 |
//! | `i16` / `u16` | `i16x16` / `u16x16` | 16 | same |
//! | `i32` / `u32` | `i32x8` / `u32x8` | 8 | same |
//! | `i64` / `u64` | `i64x4` / `u64x4` | 4 | same |
//! | `bool` | `u8x32` | 32 | the vector itself, lanes `0xFF` or 0 |
//!
//! All vectors are 256 bits wide, so one vector of any dtype is one AVX register in the
//! `x86-64-v3` build (two SSE registers in the default `x86-64` build, same results).
//!
//! Every operation is defined as the [`ScalarElem`] operation applied to each lane; with the
//! `force-scalar` feature it is literally computed that way.

use crate::mem;
use crate::scalar::ScalarElem;
use core::fmt::Debug;
use core::ops::{Add, BitAnd, BitOr, BitXor, Mul, Not, Sub};
use wide::{f32x8, f64x4, i16x16, i32x8, i64x4, i8x32, u16x16, u32x8, u64x4, u8x32};

/// Maps an element type to its SIMD vector and provides loads, stores and lane-wise arithmetic.
///
/// All functions are safe and total: loads from short slices fill the missing lanes, stores to
/// short slices write only what fits, strided accesses skip lanes outside the slice, and no
/// arithmetic panics (see [`ScalarElem`] for the integer policy).
///
/// `V` supports `+ - *` (wrapping for integers; for bool use [`vadd`](Self::vadd) etc.) and the
/// bitwise operators directly; division, remainder, min/max and comparisons go through the `v*` functions, which
/// pin down the semantics that `wide`'s own operators leave open (integer `/` by zero panics
/// there, float `min` ignores NaN there).
///
/// # Examples
/// A generic fused loop `out = a * b + a`, with the tail done by partial loads and stores:
/// ```
/// use array_expr_kernels::SimdElem;
/// fn fma_like<T: SimdElem>(a: &[T], b: &[T], out: &mut [T]) {
///     let n = out.len().min(a.len()).min(b.len());
///     let mut i = 0;
///     while i < n {
///         let (x, y) = (T::load(&a[i..n]), T::load(&b[i..n]));
///         T::store(x * y + x, &mut out[i..n]);
///         i += T::LANES;
///     }
/// }
/// let a: Vec<i32> = (0..11).collect();
/// let mut out = vec![0; 11];
/// fma_like(&a, &a, &mut out);
/// assert_eq!(out[10], 110);
/// ```
pub trait SimdElem: ScalarElem + Send + Sync + 'static {
    /// The `wide` vector holding [`LANES`](Self::LANES) elements.
    type V: Copy
        + Debug
        + Default
        + PartialEq
        + Send
        + Sync
        + Add<Output = Self::V>
        + Sub<Output = Self::V>
        + Mul<Output = Self::V>
        + BitAnd<Output = Self::V>
        + BitOr<Output = Self::V>
        + BitXor<Output = Self::V>
        + Not<Output = Self::V>
        + 'static;
    /// `[Self; LANES]`.
    type Array: Copy + Debug + AsRef<[Self]> + AsMut<[Self]>;
    /// Number of lanes of [`V`](Self::V).
    const LANES: usize;
    /// The lane value of a true mask lane (all bits set; `true` for bool).
    const MASK_TRUE: Self;

    /// Every lane equal to `x`.
    fn splat(x: Self) -> Self::V;
    /// The vector with these lanes.
    fn from_array(a: Self::Array) -> Self::V;
    /// The lanes of `v`.
    fn to_array(v: Self::V) -> Self::Array;
    /// Loads `s[..LANES]`; when `s` is shorter the missing lanes are zero.
    fn load(s: &[Self]) -> Self::V {
        Self::load_or(s, Self::ZERO)
    }
    /// Loads `s[..LANES]`; when `s` is shorter the missing lanes are `fill`.
    fn load_or(s: &[Self], fill: Self) -> Self::V;
    /// Stores the lanes to `s[..LANES]`, or as many as fit when `s` is shorter.
    fn store(v: Self::V, s: &mut [Self]);
    /// Gathers `s[base + k * stride]` for lanes `k < n`; lanes `>= n` and lanes whose index is
    /// outside `s` are `fill`. Bounds are checked once per call for the whole progression.
    fn gather_or(s: &[Self], base: usize, stride: isize, n: usize, fill: Self) -> Self::V;
    /// Gathers a full vector `s[base + k * stride]`, `k < LANES`; lanes outside `s` are zero.
    fn gather(s: &[Self], base: usize, stride: isize) -> Self::V {
        Self::gather_or(s, base, stride, Self::LANES, Self::ZERO)
    }
    /// Scatters lanes `k < n` to `s[base + k * stride]`, skipping indices outside `s`.
    fn scatter(v: Self::V, s: &mut [Self], base: usize, stride: isize, n: usize);
    /// Lane-wise [`ScalarElem::add`]: `a + b`, except for bool (OR).
    fn vadd(a: Self::V, b: Self::V) -> Self::V {
        a + b
    }
    /// Lane-wise [`ScalarElem::sub`]: `a - b`, except for bool (XOR).
    fn vsub(a: Self::V, b: Self::V) -> Self::V {
        a - b
    }
    /// Lane-wise [`ScalarElem::mul`]: `a * b`, except for bool (AND).
    fn vmul(a: Self::V, b: Self::V) -> Self::V {
        a * b
    }
    /// Lane-wise [`ScalarElem::div`] (integer division by zero gives 0).
    fn vdiv(a: Self::V, b: Self::V) -> Self::V {
        map2::<Self>(a, b, Self::div)
    }
    /// Lane-wise [`ScalarElem::rem`] (integer remainder by zero gives 0).
    fn vrem(a: Self::V, b: Self::V) -> Self::V {
        map2::<Self>(a, b, Self::rem)
    }
    /// Lane-wise [`ScalarElem::neg`].
    fn vneg(a: Self::V) -> Self::V;
    /// Lane-wise [`ScalarElem::abs`].
    fn vabs(a: Self::V) -> Self::V;
    /// Lane-wise [`ScalarElem::min`] (NaN-propagating for floats).
    fn vmin(a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise [`ScalarElem::max`] (NaN-propagating for floats).
    fn vmax(a: Self::V, b: Self::V) -> Self::V;
    /// Mask of lanes where `a == b`.
    fn veq(a: Self::V, b: Self::V) -> Self::V;
    /// Mask of lanes where `a != b` (true for NaN lanes).
    fn vne(a: Self::V, b: Self::V) -> Self::V;
    /// Mask of lanes where `a < b`.
    fn vlt(a: Self::V, b: Self::V) -> Self::V;
    /// Mask of lanes where `a <= b`.
    fn vle(a: Self::V, b: Self::V) -> Self::V;
    /// Mask of lanes where `a > b`.
    fn vgt(a: Self::V, b: Self::V) -> Self::V {
        Self::vlt(b, a)
    }
    /// Mask of lanes where `a >= b`.
    fn vge(a: Self::V, b: Self::V) -> Self::V {
        Self::vle(b, a)
    }
    /// `where(mask, a, b)`: lanes of `a` where the mask is true, else lanes of `b`.
    fn vselect(mask: Self::V, a: Self::V, b: Self::V) -> Self::V;
    /// Whether any lane of a mask is true.
    fn mask_any(mask: Self::V) -> bool;
    /// Whether every lane of a mask is true.
    fn mask_all(mask: Self::V) -> bool;
    /// Loads up to `LANES` bools as a mask of this dtype (missing lanes false).
    fn load_mask(s: &[bool]) -> Self::V;
    /// Stores a mask as bools, as many lanes as fit.
    fn store_mask(mask: Self::V, s: &mut [bool]);
}

/// Applies `f` to each pair of lanes.
#[inline(always)]
pub(crate) fn map2<T: SimdElem>(a: T::V, b: T::V, f: impl Fn(T, T) -> T) -> T::V {
    let (mut x, y) = (T::to_array(a), T::to_array(b));
    for (p, q) in x.as_mut().iter_mut().zip(y.as_ref()) {
        *p = f(*p, *q);
    }
    T::from_array(x)
}

/// Applies `f` to each lane.
#[inline(always)]
pub(crate) fn map1<T: SimdElem>(a: T::V, f: impl Fn(T) -> T) -> T::V {
    let mut x = T::to_array(a);
    for p in x.as_mut() {
        *p = f(*p);
    }
    T::from_array(x)
}

/// Mask lanes from a per-lane predicate.
#[inline(always)]
fn mask2<T: SimdElem>(a: T::V, b: T::V, f: impl Fn(T, T) -> bool) -> T::V {
    map2::<T>(a, b, |p, q| if f(p, q) { T::MASK_TRUE } else { T::ZERO })
}

/// Loads and stores shared by the numeric types (`V::from([T; N])` and `to_array`).
macro_rules! numeric_mem {
    ($t:ty, $v:ty, $n:literal) => {
        type V = $v;
        type Array = [$t; $n];
        const LANES: usize = $n;
        #[inline(always)]
        fn splat(x: Self) -> $v {
            <$v>::splat(x)
        }
        #[inline(always)]
        fn from_array(a: [$t; $n]) -> $v {
            <$v>::new(a)
        }
        #[inline(always)]
        fn to_array(v: $v) -> [$t; $n] {
            v.to_array()
        }
        #[inline(always)]
        fn load_or(s: &[Self], fill: Self) -> $v {
            // Branch on the vector, not on an array, so the full path stays in registers.
            match s.first_chunk::<$n>() {
                Some(a) => <$v>::new(*a),
                None => <$v>::new(mem::load_partial(s, fill)),
            }
        }
        #[inline(always)]
        fn store(v: $v, s: &mut [Self]) {
            match s.first_chunk_mut::<$n>() {
                Some(d) => *d = v.to_array(),
                None => mem::store_partial(s, v.to_array()),
            }
        }
        #[inline(always)]
        fn gather_or(s: &[Self], base: usize, stride: isize, n: usize, fill: Self) -> $v {
            <$v>::new(mem::gather_or(s, base, stride, n, fill))
        }
        #[inline(always)]
        fn scatter(v: $v, s: &mut [Self], base: usize, stride: isize, n: usize) {
            mem::scatter(s, base, stride, n, v.to_array())
        }
        #[inline(always)]
        fn load_mask(s: &[bool]) -> $v {
            let b: [bool; $n] = mem::load_or(s, false);
            <$v>::new(b.map(|x| if x { Self::MASK_TRUE } else { Self::ZERO }))
        }
    };
}

/// Comparisons, select and mask reductions on `wide`'s all-ones masks (ints and floats).
macro_rules! wide_masks {
    ($t:ty, $v:ty) => {
        #[inline(always)]
        fn veq(a: $v, b: $v) -> $v {
            if cfg!(feature = "force-scalar") {
                return mask2::<$t>(a, b, |p, q| p == q);
            }
            a.simd_eq(b)
        }
        #[inline(always)]
        fn vne(a: $v, b: $v) -> $v {
            if cfg!(feature = "force-scalar") {
                return mask2::<$t>(a, b, |p, q| p != q);
            }
            a.simd_ne(b)
        }
        #[inline(always)]
        fn vlt(a: $v, b: $v) -> $v {
            if cfg!(feature = "force-scalar") {
                return mask2::<$t>(a, b, |p, q| p < q);
            }
            a.simd_lt(b)
        }
        #[inline(always)]
        fn vle(a: $v, b: $v) -> $v {
            if cfg!(feature = "force-scalar") {
                return mask2::<$t>(a, b, |p, q| p <= q);
            }
            a.simd_le(b)
        }
        #[inline(always)]
        fn vselect(mask: $v, a: $v, b: $v) -> $v {
            mask.select(a, b)
        }
        #[inline(always)]
        fn mask_any(mask: $v) -> bool {
            mask.any()
        }
        #[inline(always)]
        fn mask_all(mask: $v) -> bool {
            mask.all()
        }
    };
}

macro_rules! int_elem {
    ($t:ty, $v:ty, $n:literal, $true:expr) => {
        impl SimdElem for $t {
            numeric_mem!($t, $v, $n);
            const MASK_TRUE: Self = $true;
            wide_masks!($t, $v);
            #[inline(always)]
            fn vneg(a: $v) -> $v {
                <$v>::splat(0) - a
            }
            #[inline(always)]
            fn vabs(a: $v) -> $v {
                map1::<$t>(a, <$t as ScalarElem>::abs)
            }
            #[inline(always)]
            fn vmin(a: $v, b: $v) -> $v {
                if cfg!(feature = "force-scalar") {
                    return map2::<$t>(a, b, <$t as ScalarElem>::min);
                }
                a.min(b)
            }
            #[inline(always)]
            fn vmax(a: $v, b: $v) -> $v {
                if cfg!(feature = "force-scalar") {
                    return map2::<$t>(a, b, <$t as ScalarElem>::max);
                }
                a.max(b)
            }
            #[inline(always)]
            fn store_mask(mask: $v, s: &mut [bool]) {
                mem::store(s, mask.to_array().map(|x| x != 0))
            }
        }
    };
}

int_elem!(i8, i8x32, 32, -1);
int_elem!(i16, i16x16, 16, -1);
int_elem!(i32, i32x8, 8, -1);
int_elem!(i64, i64x4, 4, -1);
int_elem!(u8, u8x32, 32, u8::MAX);
int_elem!(u16, u16x16, 16, u16::MAX);
int_elem!(u32, u32x8, 8, u32::MAX);
int_elem!(u64, u64x4, 4, u64::MAX);

macro_rules! float_elem {
    ($t:ty, $v:ty, $n:literal, $bits:ty) => {
        impl SimdElem for $t {
            numeric_mem!($t, $v, $n);
            const MASK_TRUE: Self = <$t>::from_bits(<$bits>::MAX);
            wide_masks!($t, $v);
            #[inline(always)]
            fn vdiv(a: $v, b: $v) -> $v {
                if cfg!(feature = "force-scalar") {
                    return map2::<$t>(a, b, <$t as ScalarElem>::div);
                }
                a / b
            }
            #[inline(always)]
            fn vneg(a: $v) -> $v {
                -a
            }
            #[inline(always)]
            fn vabs(a: $v) -> $v {
                a.abs()
            }
            #[inline(always)]
            fn vmin(a: $v, b: $v) -> $v {
                if cfg!(feature = "force-scalar") {
                    return map2::<$t>(a, b, <$t as ScalarElem>::min);
                }
                // `fast_min` is `minps(a, b)`: `a < b ? a : b`, which already returns `b` when
                // `b` is NaN; only a NaN in `a` needs the select.
                a.is_nan().select(a, a.fast_min(b))
            }
            #[inline(always)]
            fn vmax(a: $v, b: $v) -> $v {
                if cfg!(feature = "force-scalar") {
                    return map2::<$t>(a, b, <$t as ScalarElem>::max);
                }
                a.is_nan().select(a, a.fast_max(b))
            }
            #[inline(always)]
            fn store_mask(mask: $v, s: &mut [bool]) {
                mem::store(s, mask.to_array().map(|x| x.to_bits() != 0))
            }
        }
    };
}

float_elem!(f32, f32x8, 8, u32);
float_elem!(f64, f64x4, 4, u64);

/// `bool` lanes are bytes holding `0x00` (false) or `0xFF` (true) in a `u8x32`, the same
/// all-ones mask convention as the other dtypes, so `& | ^ !` act directly. `+ - *` on the raw
/// vector are byte arithmetic: use [`SimdElem::vadd`] and friends, which stay canonical.
impl SimdElem for bool {
    type V = u8x32;
    type Array = [bool; 32];
    const LANES: usize = 32;
    const MASK_TRUE: Self = true;

    #[inline(always)]
    fn splat(x: Self) -> u8x32 {
        u8x32::splat(if x { 0xFF } else { 0 })
    }
    #[inline(always)]
    fn from_array(a: [bool; 32]) -> u8x32 {
        u8x32::new(a.map(|x| if x { 0xFF } else { 0 }))
    }
    #[inline(always)]
    fn to_array(v: u8x32) -> [bool; 32] {
        v.to_array().map(|x| x != 0)
    }
    #[inline(always)]
    fn load_or(s: &[Self], fill: Self) -> u8x32 {
        Self::from_array(mem::load_or(s, fill))
    }
    #[inline(always)]
    fn store(v: u8x32, s: &mut [Self]) {
        mem::store(s, Self::to_array(v))
    }
    #[inline(always)]
    fn gather_or(s: &[Self], base: usize, stride: isize, n: usize, fill: Self) -> u8x32 {
        Self::from_array(mem::gather_or(s, base, stride, n, fill))
    }
    #[inline(always)]
    fn scatter(v: u8x32, s: &mut [Self], base: usize, stride: isize, n: usize) {
        mem::scatter(s, base, stride, n, Self::to_array(v))
    }
    #[inline(always)]
    fn vadd(a: u8x32, b: u8x32) -> u8x32 {
        a | b
    }
    #[inline(always)]
    fn vsub(a: u8x32, b: u8x32) -> u8x32 {
        a ^ b
    }
    #[inline(always)]
    fn vmul(a: u8x32, b: u8x32) -> u8x32 {
        a & b
    }
    #[inline(always)]
    fn vdiv(a: u8x32, b: u8x32) -> u8x32 {
        a & b
    }
    #[inline(always)]
    fn vrem(_: u8x32, _: u8x32) -> u8x32 {
        u8x32::splat(0)
    }
    #[inline(always)]
    fn vneg(a: u8x32) -> u8x32 {
        a
    }
    #[inline(always)]
    fn vabs(a: u8x32) -> u8x32 {
        a
    }
    #[inline(always)]
    fn vmin(a: u8x32, b: u8x32) -> u8x32 {
        a & b
    }
    #[inline(always)]
    fn vmax(a: u8x32, b: u8x32) -> u8x32 {
        a | b
    }
    #[inline(always)]
    fn veq(a: u8x32, b: u8x32) -> u8x32 {
        !(a ^ b)
    }
    #[inline(always)]
    fn vne(a: u8x32, b: u8x32) -> u8x32 {
        a ^ b
    }
    #[inline(always)]
    fn vlt(a: u8x32, b: u8x32) -> u8x32 {
        !a & b
    }
    #[inline(always)]
    fn vle(a: u8x32, b: u8x32) -> u8x32 {
        !a | b
    }
    #[inline(always)]
    fn vselect(mask: u8x32, a: u8x32, b: u8x32) -> u8x32 {
        mask.select(a, b)
    }
    #[inline(always)]
    fn mask_any(mask: u8x32) -> bool {
        mask.any()
    }
    #[inline(always)]
    fn mask_all(mask: u8x32) -> bool {
        mask.all()
    }
    #[inline(always)]
    fn load_mask(s: &[bool]) -> u8x32 {
        Self::load_or(s, false)
    }
    #[inline(always)]
    fn store_mask(mask: u8x32, s: &mut [bool]) {
        Self::store(mask, s)
    }
}

/// Loads `s[..T::LANES]` converted to `T` lane by lane with Rust's `as` (missing lanes, when `s`
/// is shorter, are zero): the vector form of a cast whose source is read from memory, for a
/// pass computing in `T`. The lanes are `T`'s, whatever `S`'s vector width: an f64 pass loads
/// four f32 (`vcvtps2pd`), an f32 pass eight i32 (`vcvtdq2ps`). Conversions with an AVX2
/// instruction compile to it; the others (u32 or 64-bit integers to float) become a short
/// lane sequence LLVM chooses. The bits are those of the scalar `as`, so a vector pass and a
/// scalar one agree.
///
/// # Examples
/// ```
/// use array_expr_kernels::simd::load_as;
/// use array_expr_kernels::SimdElem;
/// let v = load_as::<i32, f32>(&[1, -2, 16_777_217]);
/// assert_eq!(f32::to_array(v), [1.0, -2.0, 16_777_216.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
/// let w = load_as::<f32, f64>(&[0.1, 2.5, 3.0, 4.0, 5.0]);
/// assert_eq!(f64::to_array(w), [0.1f32 as f64, 2.5, 3.0, 4.0]);
/// ```
#[inline(always)]
pub fn load_as<S, T>(s: &[S]) -> T::V
where
    S: SimdElem + num_traits::AsPrimitive<T>,
    T: SimdElem,
{
    let mut lanes = T::to_array(T::splat(T::ZERO));
    for (o, &x) in lanes.as_mut().iter_mut().zip(s) {
        *o = x.as_();
    }
    T::from_array(lanes)
}

/// The SIMD level this crate was compiled for, as `wide` sees it (it picks its backend from
/// compile-time target features only): `"avx2+fma"`, `"avx2"`, `"avx"`, `"sse4.1"`, `"sse2"`,
/// `"other"`, or `"scalar (force-scalar)"`.
///
/// # Examples
/// ```
/// let level = array_expr_kernels::simd_level();
/// assert!(!level.is_empty());
/// ```
pub fn simd_level() -> &'static str {
    if cfg!(feature = "force-scalar") {
        "scalar (force-scalar)"
    } else if cfg!(all(target_feature = "avx2", target_feature = "fma")) {
        "avx2+fma"
    } else if cfg!(target_feature = "avx2") {
        "avx2"
    } else if cfg!(target_feature = "avx") {
        "avx"
    } else if cfg!(target_feature = "sse4.1") {
        "sse4.1"
    } else if cfg!(target_feature = "sse2") {
        "sse2"
    } else {
        "other"
    }
}

/// Transposes an 8 x 8 block of 32-bit values (`out[i][j] = rows[j][i]`), the bits moved
/// unchanged: f32, i32 and u32 lanes all travel as `u32`. Eight shuffle stages in AVX2
/// registers (`u32x8::transpose`) in builds with AVX2; lane by lane otherwise.
///
/// # Examples
/// ```
/// use array_expr_kernels::simd::transpose8x8_u32;
/// let rows: [[u32; 8]; 8] = core::array::from_fn(|j| core::array::from_fn(|i| (10 * j + i) as u32));
/// let t = transpose8x8_u32(rows);
/// assert_eq!(t[2][5], 52);
/// assert_eq!(t[7][0], 7);
/// ```
#[inline(always)]
pub fn transpose8x8_u32(rows: [[u32; 8]; 8]) -> [[u32; 8]; 8] {
    if cfg!(feature = "force-scalar") {
        return core::array::from_fn(|i| core::array::from_fn(|j| rows[j][i]));
    }
    u32x8::transpose(rows.map(u32x8::new)).map(|v| v.to_array())
}

/// Transposes a 4 x 4 block of 64-bit values (`out[i][j] = rows[j][i]`), the bits moved
/// unchanged (f64, i64 and u64 lanes travel as `u64`), with `u64x4::transpose` in builds with
/// AVX2 and lane by lane otherwise.
///
/// # Examples
/// ```
/// use array_expr_kernels::simd::transpose4x4_u64;
/// let rows: [[u64; 4]; 4] = core::array::from_fn(|j| core::array::from_fn(|i| (10 * j + i) as u64));
/// assert_eq!(transpose4x4_u64(rows)[1], [1, 11, 21, 31]);
/// ```
#[inline(always)]
pub fn transpose4x4_u64(rows: [[u64; 4]; 4]) -> [[u64; 4]; 4] {
    if cfg!(feature = "force-scalar") {
        return core::array::from_fn(|i| core::array::from_fn(|j| rows[j][i]));
    }
    u64x4::transpose(rows.map(u64x4::new)).map(|v| v.to_array())
}
