//! SIMD building blocks over [`wide`] for array-expr: the dtype-to-vector mapping, loads, stores
//! and gathers that never leave their slice, float math with measured accuracy, and reductions
//! whose result depends only on the input length.
//!
//! The generated fused loops of array-expr are written against this crate:
//!
//! - [`SimdElem`] maps each runtime dtype to its `wide` vector (`f32 -> f32x8`, `f64 -> f64x4`,
//!   `i32 -> i32x8`, `i64 -> i64x4`, `i8/u8 -> 32 lanes`, `i16/u16 -> 16`, `u32 -> 8`, `u64 -> 4`,
//!   `bool -> u8x32` masks) and gives splat, full and partial loads and stores, strided
//!   gathers/scatters and lane-wise arithmetic with defined semantics (see [`simd`]).
//! - [`FloatMath`] (and the free functions of [`math`]) gives the same math on `f32`/`f64`
//!   scalars and on `f32x8`/`f64x4` vectors, so generic code calls `x.exp()` on either.
//! - [`map::map`] and [`map::map2`] apply a vector function over slices, tail included, and
//!   write large outputs with streaming stores (memory speed for the math functions).
//! - [`reduce`] gives deterministic sum (three accuracy classes), prod, mean, min, max, argmin,
//!   argmax, any, all, over contiguous, strided and broadcast inputs, as block partials plus a
//!   fixed combine tree for the parallel layer, and row/column sums of matrices.
//! - [`scalar`] is the per-element reference of every operation: the test oracle and, with the
//!   `force-scalar` feature, the code every vector operation is routed through.
//!
//! # No panics, no out-of-bounds access
//! Every public function is safe and total. Loads from slices shorter than a vector fill the
//! missing lanes (zero or a given value), stores write only what fits, strided accesses check
//! the whole index progression once per call and then read without per-lane checks, reading
//! lanes that fall outside the slice as the fill value (and skipping them in scatters). The only
//! `unsafe` in the crate is in [`mem`], each block with the invariant it relies on and where that
//! was checked.
//!
//! # Integer arithmetic
//! NumPy wraps on integer overflow for arrays (and warns only for scalars); Rust panics in debug
//! builds and wraps in release builds. This crate **always wraps** (`i32::MAX + 1 == i32::MIN`,
//! `abs(i32::MIN) == i32::MIN`), in every profile. Division truncates toward zero and the
//! remainder has the sign of the dividend (Rust's `/` and `%`; NumPy's `//` and `%` floor
//! instead). Division or remainder **by zero gives 0** (NumPy also gives 0, with a warning;
//! Rust and `wide` panic), `MIN / -1 == MIN` and `MIN % -1 == 0`. Vector integer division runs
//! lane by lane (x86 has no SIMD integer division).
//!
//! # NaN, signed zero and rounding
//! - `min`/`max` (elementwise and reductions) **propagate NaN**, as NumPy's `minimum`/`maximum`
//!   and `min`/`max` do (`wide`'s and `std`'s `min`/`max` return the other operand). Between
//!   `+0.0` and `-0.0` the elementwise `min`/`max` return the second operand (x86 `minps`).
//!   `clip(x, lo, hi) = min(max(x, lo), hi)` with these, so a NaN `x` stays NaN.
//! - `argmin`/`argmax` return the first NaN if there is one (NumPy), else the first index of the
//!   extreme value.
//! - `round` rounds **half to even** (NumPy's `round`, IEEE `roundeven`); `std`'s `f32::round`
//!   rounds half away from zero. `floor`, `ceil`, `sqrt` are exact, as in `std`.
//! - Every math function returns NaN exactly where `std` does, the same infinities, and the same
//!   sign of zero (`sin(-0.0) == -0.0`, `expm1(-0.0) == -0.0`, ...): the sweep test checks this
//!   for every input it tries, special values included.
//!
//! # Accuracy
//! Measured by `kernels/tests/accuracy.rs` (`cargo test -p array-expr-kernels --release --test
//! accuracy -- --nocapture` prints the table): the maximum distance in ulps between the vector
//! result and the reference over about 1.6M f32 inputs per function (a stride through all bit
//! patterns, dense and random grids over the domain, special values) and 0.7M f64 inputs (random
//! bit patterns, dense and random grids, special values). The f32 reference is the f64 `std`
//! function rounded to f32 (correctly rounded in practice); the f64 reference is `std`'s f64
//! function itself, so f64 figures include `std`'s own error (up to 1 ulp). The test asserts
//! the bounds of the last column. Same figures in the `x86-64-v3` (AVX2 + FMA) and the default
//! `x86-64` (SSE2, no FMA) builds unless noted.
//!
//! | function | f32 max ulp | f64 max ulp | bound | fast-path domain (else exact `std` lane by lane, unless noted) | NaN / inf |
//! | --- | --- | --- | --- | --- | --- |
//! | `exp` | 1 | 1 | 1 / 2 | `\|x\| <= 87` (f32), `708` (f64); outside: vector path with two-step scaling | NaN -> NaN, `-inf -> 0`, `+inf -> inf`, overflow `inf`, gradual underflow |
//! | `exp2` | 1 | 2 | 1 / 2 | `\|x\| <= 125.5`, `1021`; outside: vector path with two-step scaling | as `exp` |
//! | `expm1` | 1 | 2 | 2 / 2 | `\|x\| <= 87`, `708` | NaN, `-inf -> -1`, `+inf -> inf` |
//! | `ln` | 1 | 1 | 2 / 2 | positive normal `x` | `ln(0) = -inf`, `ln(x<0) = NaN`, `ln(inf) = inf` |
//! | `log2` | 2 | 1 | 2 / 2 | positive normal `x` | as `ln` |
//! | `log10` | 2 | 2 | 2 / 2 | positive normal `x` | as `ln` |
//! | `log1p` | 1 | 1 | 2 / 2 | `-1 < x <= MAX/4` | `log1p(-1) = -inf`, `x < -1 -> NaN` |
//! | `sin`, `cos` | 1 | 2 | 2 / 2 | `\|x\| <= 2^20` (reduction in f64, `pi/2` in 33+33+53 bits) | `±inf -> NaN` |
//! | `tan` | 1 | 3 | 4 / 4 | `\|x\| <= 2^20` | `±inf -> NaN` |
//! | `tanh` | 1 | 2 | 4 / 4 | all `x` (no slow path: saturates through a clamped `exp`) | `±inf -> ±1`, NaN |
//! | `sinh` | 2 | 2 | 4 / 4 | `\|x\| <= 87`, `708` | overflow `±inf` |
//! | `cosh` | 2 | 2 | 4 / 4 | `\|x\| <= 87`, `708` | overflow `inf` |
//! | `sigmoid` | 2 | 3 | 4 / 4 | `\|x\| <= 87`, `708` | `-inf -> 0`, `+inf -> 1` |
//! | `sqrt` | 0 | 0 | 0 / 0 | all (`vsqrtps`, correctly rounded) | `sqrt(x<0) = NaN` |
//! | `pow` | 0 (sample) | 0 | 1 / - | f32: `x > 0` finite, `y` finite, `\|y ln x\| <= 700`, computed in f64; f64: `std` lane by lane | IEEE `pow` special cases, as `std` |
//! | `powi` | 0 | 0 | 0 / 0 | all: same multiplication order as `std`'s `powi` | as `std` |
//! | `floor`, `ceil`, `round`, `abs`, `min`, `max`, `clip`, `square` | 0 | 0 | exact | all | see above |
//!
//! The f32 reference sigmoid is `1 / (1 + exp(-x))` in f64; the f64 one is `1 / (1 + exp(-x))` for
//! `x >= 0` and `e^x / (1 + e^x)` below. The sources of each approximation are in the module docs
//! of `math::{exp, log, trig, pow}` (range reductions after Cody-Waite, Cephes and fdlibm;
//! polynomial coefficients fitted by `kernels/tools/coeffs.py`).
//!
//! # Determinism and build flags
//! - Same build: every function here returns bit-identical results on every run; reductions
//!   return bit-identical results for any split into blocks and any thread count that combines
//!   the block partials with [`reduce::combine`] (see the [`reduce`] module docs).
//! - Different SIMD level: `wide` selects SSE or AVX at compile time from target features
//!   ([`simd_level`] reports which). Arithmetic, loads, reductions and `sqrt`/`floor`/`min`/...
//!   give identical results in every build. The math functions use `mul_add`, which is one FMA
//!   instruction in builds with FMA (the workspace builds with `-C target-cpu=x86-64-v3`) and a
//!   multiply plus an add otherwise, so their results may differ between builds, within the
//!   accuracy table above. [`FloatMath::mul_add`] on vectors has the same caveat; on scalars it
//!   is always fused (`std`).
//! - `force-scalar`: every vector operation computes its lanes with the [`scalar`] reference
//!   (`std` math). Results then equal the scalar functions exactly and differ from the SIMD
//!   build's math within the table's bounds.
//!
//! # Examples
//! ```
//! use array_expr_kernels::{math, reduce, FloatMath, SimdElem};
//! // A fused `out = exp(x) * 2` over a slice, tail included, never out of bounds.
//! let x: Vec<f32> = (0..20).map(|i| i as f32 * 0.1).collect();
//! let mut out = vec![0.0f32; x.len()];
//! let mut i = 0;
//! while i < x.len() {
//!     let v = f32::load(&x[i..]);
//!     f32::store(math::exp(v) * f32::splat(2.0), &mut out[i..]);
//!     i += f32::LANES;
//! }
//! assert!((out[19] - 2.0 * 1.9f32.exp()).abs() < 1e-5);
//! assert_eq!(reduce::argmax(&out), Some(19));
//! ```
#![forbid(missing_docs)]

pub mod map;
pub mod math;
pub mod mem;
pub mod reduce;
pub mod scalar;
pub mod simd;

pub use math::FloatMath;
pub use scalar::ScalarElem;
pub use simd::{simd_level, SimdElem};
