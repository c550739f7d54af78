//! Seeded random arrays: [`RandomElement`] and the counter-based constructors.

use super::Array;
use crate::element::Element;
use crate::random::CounterRng;

impl<T: Element, const D: usize> Array<T, D> {
    /// Uniform random values in `[low, high)` from a counter-based generator: element `i` (in C
    /// order) is a function of `(seed, i)` only, identical on every machine, run and thread count.
    /// See [`CounterRng`] for the generator.
    ///
    /// # Panics
    ///
    /// As [`full`](Array::full).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f64, 2>::random_uniform([3, 4], 42, -1.0, 1.0);
    /// let b = Array::<f64, 2>::random_uniform([3, 4], 42, -1.0, 1.0);
    /// assert_eq!(a.to_vec(), b.to_vec());
    /// assert!(a.to_vec().iter().all(|&x| (-1.0..1.0).contains(&x)));
    /// ```
    pub fn random_uniform(shape: [usize; D], seed: u64, low: T, high: T) -> Self
    where
        T: RandomElement,
    {
        let rng = CounterRng::new(seed);
        Self::from_counter(shape, |i| T::uniform(rng.uniform_f64(i), low, high))
    }

    /// Normally distributed values (`mean`, `std`) from the counter-based generator (Marsaglia's
    /// polar method with a deterministic `ln`): identical on every machine, run and thread count.
    ///
    /// # Panics
    ///
    /// As [`full`](Array::full).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 1>::random_normal([10_000], 7, 0.0, 1.0);
    /// let mean = a.to_vec().iter().map(|&x| x as f64).sum::<f64>() / 1e4;
    /// assert!(mean.abs() < 0.05);
    /// ```
    pub fn random_normal(shape: [usize; D], seed: u64, mean: T, std: T) -> Self
    where
        T: RandomElement,
    {
        let rng = CounterRng::new(seed);
        Self::from_counter(shape, |i| T::normal(rng.normal_f64(i), mean, std))
    }

    /// An array whose element number `i` in C order is `f(i)`.
    pub(super) fn from_counter(shape: [usize; D], mut f: impl FnMut(u64) -> T) -> Self {
        let mut i = 0u64;
        Self::from_fn(shape, |_| {
            i += 1;
            f(i - 1)
        })
    }
}

/// Element types the seeded generators can produce.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::RandomElement;
/// assert_eq!(<f32 as RandomElement>::uniform(0.5, 0.0, 2.0), 1.0);
/// ```
pub trait RandomElement: Element {
    /// Maps `u` in `[0, 1)` to `[low, high)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::RandomElement;
    /// assert_eq!(<f64 as RandomElement>::uniform(0.25, -1.0, 1.0), -0.5);
    /// ```
    fn uniform(u: f64, low: Self, high: Self) -> Self;
    /// Maps a standard normal `z` to `mean + std * z`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::RandomElement;
    /// assert_eq!(<f32 as RandomElement>::normal(-1.0, 10.0, 2.0), 8.0);
    /// ```
    fn normal(z: f64, mean: Self, std: Self) -> Self;
}

macro_rules! random_float {
    ($($t:ty),*) => {$(
        impl RandomElement for $t {
            fn uniform(u: f64, low: Self, high: Self) -> Self {
                let x = (low as f64 + (high as f64 - low as f64) * u) as $t;
                // rounding to the narrower type can land on `high`; keep the interval half-open
                if x >= high && high > low { low.max(<$t>::from_bits(high.to_bits() - 1)) } else { x }
            }
            fn normal(z: f64, mean: Self, std: Self) -> Self {
                (mean as f64 + std as f64 * z) as $t
            }
        }
    )*};
}
random_float!(f32, f64);

macro_rules! random_int {
    ($($t:ty),*) => {$(
        impl RandomElement for $t {
            fn uniform(u: f64, low: Self, high: Self) -> Self {
                if high <= low {
                    return low;
                }
                let span = (high as i128 - low as i128) as f64;
                let x = low as i128 + ((u * span) as i128).min(high as i128 - low as i128 - 1);
                x as $t
            }
            fn normal(z: f64, mean: Self, std: Self) -> Self {
                (mean as f64 + std as f64 * z).round() as $t
            }
        }
    )*};
}
random_int!(i8, i16, i32, i64, u8, u16, u32, u64);
