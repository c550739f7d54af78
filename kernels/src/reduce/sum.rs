//! The summation classes ([`Sum`], [`SumKbn`], [`SumF64`]), product and mean.

use super::{lanes, loaders, tree, vec_block, Load, Reduction};
use crate::math::widen as trig_widen;
use crate::simd::SimdElem;
use wide::f64x4;

/// Blocked pairwise sum (the default summation class). Wrapping for integers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sum;

impl<T: SimdElem> Reduction<T> for Sum {
    type Acc = T;
    type Output = T;
    fn identity(self) -> T {
        T::ZERO
    }
    #[inline]
    fn fold<L: Load<T>>(self, len: usize, _: usize, load: L) -> T {
        let v = vec_block(len, T::LANES, T::splat(T::ZERO), loaders(load, T::ZERO), T::vadd);
        lanes::<T>(v, T::ZERO, T::add)
    }
    fn merge(self, a: T, b: T) -> T {
        T::add(a, b)
    }
    fn finish(self, acc: T, _: usize) -> T {
        acc
    }
}

/// Blocked pairwise product (identity 1). Wrapping for integers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Prod;

impl<T: SimdElem> Reduction<T> for Prod {
    type Acc = T;
    type Output = T;
    fn identity(self) -> T {
        T::ONE
    }
    #[inline]
    fn fold<L: Load<T>>(self, len: usize, _: usize, load: L) -> T {
        let v = vec_block(len, T::LANES, T::splat(T::ONE), loaders(load, T::ONE), T::vmul);
        lanes::<T>(v, T::ONE, T::mul)
    }
    fn merge(self, a: T, b: T) -> T {
        T::mul(a, b)
    }
    fn finish(self, acc: T, _: usize) -> T {
        acc
    }
}

/// Mean of a float input: the pairwise [`Sum`] divided by the length (NaN when empty).
#[derive(Clone, Copy, Debug, Default)]
pub struct Mean;

macro_rules! mean_impl {
    ($($t:ty),*) => {$(
        impl Reduction<$t> for Mean {
            type Acc = $t;
            type Output = $t;
            fn identity(self) -> $t {
                0.0
            }
            #[inline]
            fn fold<L: Load<$t>>(self, len: usize, s: usize, load: L) -> $t {
                Sum.fold(len, s, load)
            }
            fn merge(self, a: $t, b: $t) -> $t {
                a + b
            }
            fn finish(self, acc: $t, len: usize) -> $t {
                acc / len as $t
            }
        }
    )*};
}
mean_impl!(f32, f64);

/// Kahan-Babuska-Neumaier compensated sum (floats).
#[derive(Clone, Copy, Debug, Default)]
pub struct SumKbn;

/// One KBN step on `(s, c)`, the running sum and its accumulated rounding error: `t = s + x`, and
/// the rounding error of that addition, computed from whichever operand is larger in magnitude,
/// goes into `c`.
#[inline(always)]
fn kbn_add<V: Copy + core::ops::Add<Output = V> + core::ops::Sub<Output = V>>(
    acc: (V, V),
    x: V,
    s_bigger: impl Fn(V, V) -> V,
    sel: impl Fn(V, V, V) -> V,
) -> (V, V) {
    let (s, c) = acc;
    let t = s + x;
    let m = s_bigger(s, x);
    let (big, small) = (sel(m, s, x), sel(m, x, s));
    (t, c + ((big - t) + small))
}

macro_rules! kbn_impl {
    ($t:ty, $n:literal) => {
        impl Reduction<$t> for SumKbn {
            type Acc = ($t, $t);
            type Output = $t;
            fn identity(self) -> ($t, $t) {
                (0.0, 0.0)
            }
            #[inline]
            fn fold<L: Load<$t>>(self, len: usize, _: usize, load: L) -> ($t, $t) {
                type V = <$t as SimdElem>::V;
                let bigger = |a: V, b: V| a.abs().simd_ge(b.abs());
                let sel = |m: V, a: V, b: V| m.select(a, b);
                let z = <$t>::splat(0.0);
                let v = vec_block(
                    len,
                    <$t>::LANES,
                    (z, z),
                    (
                        |k| {
                            // Destructured, not `array::map` (which is not always inlined).
                            let [a, b, c, d] = load.full4(k, 0.0);
                            [(a, z), (b, z), (c, z), (d, z)]
                        },
                        |k| (load.part(k, 0.0), z),
                    ),
                    |a, b| {
                        let (s, c) = kbn_add(a, b.0, bigger, sel);
                        (s, c + b.1)
                    },
                );
                let (s, c) = (<$t>::to_array(v.0), <$t>::to_array(v.1));
                let pairs: [($t, $t); $n] = core::array::from_fn(|i| (s[i], c[i]));
                tree(&pairs, (0.0, 0.0), &|a, b| <Self as Reduction<$t>>::merge(self, a, b))
            }
            fn merge(self, a: ($t, $t), b: ($t, $t)) -> ($t, $t) {
                let (t, e) = two_sum(a.0, b.0);
                (t, a.1 + b.1 + e)
            }
            fn finish(self, acc: ($t, $t), _: usize) -> $t {
                acc.0 + acc.1
            }
        }
    };
}

kbn_impl!(f32, 8);
kbn_impl!(f64, 4);

/// `a + b = s + e` exactly (Knuth's branch-free two-sum).
#[inline(always)]
fn two_sum<F: Copy + core::ops::Add<Output = F> + core::ops::Sub<Output = F>>(a: F, b: F) -> (F, F) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// f32 input summed in f64 (pairwise), result f64.
#[derive(Clone, Copy, Debug, Default)]
pub struct SumF64;

impl Reduction<f32> for SumF64 {
    type Acc = f64;
    type Output = f64;
    fn identity(self) -> f64 {
        0.0
    }
    #[inline]
    fn fold<L: Load<f32>>(self, len: usize, _: usize, load: L) -> f64 {
        // Each f32x8 feeds two f64x4 accumulator slots: element i goes to half (i / 4) % 2.
        let z = f64x4::splat(0.0);
        let full = |k| {
            // Destructured, not `array::map` (which is not always inlined).
            let [a, b, c, d] = load.full4(k, 0.0);
            [trig_widen(a), trig_widen(b), trig_widen(c), trig_widen(d)]
        };
        let ld = (full, |k| trig_widen(load.part(k, 0.0)));
        let v = vec_block(len, 8, (z, z), ld, |a, b| (a.0 + b.0, a.1 + b.1));
        let h = v.0 + v.1;
        lanes::<f64>(h, 0.0, |a, b| a + b)
    }
    fn merge(self, a: f64, b: f64) -> f64 {
        a + b
    }
    fn finish(self, acc: f64, _: usize) -> f64 {
        acc
    }
}
