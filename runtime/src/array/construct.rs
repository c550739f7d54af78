//! Constructors of [`Array`]: filled, from vectors and slices, from a function, ranges.

use super::{for_each_index, Array};
use crate::element::Element;
use crate::error::{bail, Result};
use crate::layout::{self, Geometry, Order};

impl<T: Element, const D: usize> Array<T, D> {
    /// An array of `shape` filled with `value`, C order.
    ///
    /// # Panics
    ///
    /// When the byte size of `shape` overflows `isize` (like `vec!`); use
    /// [`try_full`](Array::try_full) for shapes from untrusted input.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = array_expr_runtime::Array::<u8, 3>::full([2, 1, 2], 7);
    /// assert_eq!(a.to_vec(), vec![7; 4]);
    /// ```
    // Documented `# Panics` (like `vec!`); `try_full` is the fallible form.
    #[allow(clippy::panic)]
    pub fn full(shape: [usize; D], value: T) -> Self {
        match Self::try_full(shape, value) {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`full`](Array::full), returning an error instead of panicking on oversize shapes.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// assert!(Array::<f32, 2>::try_full([1 << 40, 1 << 40], 0.0).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when the size does not fit.
    pub fn try_full(shape: [usize; D], value: T) -> Result<Self> {
        let n = layout::checked_len("shape", &shape, std::mem::size_of::<T>())?;
        Ok(Self::from_vec_unchecked(crate::alloc::filled(n, value), shape, Order::C))
    }

    /// An array of zeros (`false` for bool).
    ///
    /// # Panics
    ///
    /// As [`full`](Array::full).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(array_expr_runtime::Array::<i64, 1>::zeros([3]).to_vec(), vec![0; 3]);
    /// ```
    pub fn zeros(shape: [usize; D]) -> Self {
        Self::full(shape, T::ZERO)
    }

    /// An array of ones (`true` for bool).
    ///
    /// # Panics
    ///
    /// As [`full`](Array::full).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(array_expr_runtime::Array::<f32, 1>::ones([2]).to_vec(), vec![1.0; 2]);
    /// ```
    pub fn ones(shape: [usize; D]) -> Self {
        Self::full(shape, T::ONE)
    }

    /// An array whose `shape` elements are `data` in C order.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = array_expr_runtime::Array::<i32, 2>::from_shape_vec([1, 2], vec![5, 6])?;
    /// assert_eq!(a.shape(), [1, 2]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when `data.len()` is not the
    /// shape's element count.
    pub fn from_shape_vec(shape: [usize; D], data: Vec<T>) -> Result<Self> {
        Self::from_shape_vec_order(shape, data, Order::C)
    }

    /// An array whose elements are `data` laid out in `order`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Order};
    /// let a = Array::<i32, 2>::from_shape_vec_order([2, 2], vec![1, 2, 3, 4], Order::F)?;
    /// assert_eq!(a[[0, 1]], 3);
    /// assert!(a.is_f_contiguous());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`from_shape_vec`](Array::from_shape_vec).
    pub fn from_shape_vec_order(shape: [usize; D], data: Vec<T>, order: Order) -> Result<Self> {
        let n = layout::checked_len("data", &shape, std::mem::size_of::<T>())?;
        if n != data.len() {
            bail!(ShapeMismatch, "argument `data`: shape {shape:?} needs {n} elements, found {}", data.len());
        }
        Ok(Self::from_vec_unchecked(data, shape, order))
    }

    /// An array copied from `data` (C order).
    ///
    /// # Examples
    ///
    /// ```
    /// let a = array_expr_runtime::Array::<u16, 2>::from_shape_slice([2, 1], &[4, 5])?;
    /// assert_eq!(a.to_vec(), vec![4, 5]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`from_shape_vec`](Array::from_shape_vec).
    pub fn from_shape_slice(shape: [usize; D], data: &[T]) -> Result<Self> {
        Self::from_shape_vec(shape, data.to_vec())
    }

    /// A kernel's output of `shape`, C order, whose every element the kernel is about to
    /// write: a pooled buffer when one fits (stale values, see [`crate::alloc`]), else zeroed
    /// memory. The flag says whether the buffer is fresh.
    pub(crate) fn try_output(shape: [usize; D]) -> Result<(Self, bool)> {
        let n = layout::checked_len("shape", &shape, std::mem::size_of::<T>())?;
        let (data, fresh) = crate::alloc::output(n);
        Ok((Self::from_vec_unchecked(data, shape, Order::C), fresh))
    }

    pub(crate) fn from_vec_unchecked(data: Vec<T>, shape: [usize; D], order: Order) -> Self {
        let strides = layout::contiguous_strides(shape, order);
        Array { data, geom: Geometry { shape, strides } }
    }

    /// An array whose element at each index is `f(index)` (evaluated in C order).
    ///
    /// # Panics
    ///
    /// As [`full`](Array::full), and if `f` panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let eye = array_expr_runtime::Array::<f32, 2>::from_fn([2, 2], |[i, j]| if i == j { 1.0 } else { 0.0 });
    /// assert_eq!(eye.to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    // Documented `# Panics`: an oversize shape, as `full` (and `vec!`).
    #[allow(clippy::panic)]
    pub fn from_fn(shape: [usize; D], mut f: impl FnMut([usize; D]) -> T) -> Self {
        let n = match layout::checked_len("shape", &shape, std::mem::size_of::<T>()) {
            Ok(n) => n,
            Err(e) => panic!("{e}"),
        };
        let mut data = Vec::with_capacity(n);
        for_each_index(shape, |idx| data.push(f(idx)));
        Self::from_vec_unchecked(data, shape, Order::C)
    }
}

impl<T: Element> Array<T, 1> {
    /// A rank-1 array owning `data`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(array_expr_runtime::Array::from_vec(vec![1, 2]).shape(), [2]);
    /// ```
    pub fn from_vec(data: Vec<T>) -> Self {
        let n = data.len();
        Array { data, geom: Geometry { shape: [n], strides: [1] } }
    }

    /// `start, start + step, ...` up to but excluding `stop`, like `np.arange`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// assert_eq!(Array::<i32, 1>::arange(5, 0, -2)?.to_vec(), vec![5, 3, 1]);
    /// assert_eq!(Array::<f32, 1>::arange(0.0, 1.0, 0.25)?.to_vec(), vec![0.0, 0.25, 0.5, 0.75]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A zero or NaN step, or more elements than fit in memory.
    pub fn arange(start: T, stop: T, step: T) -> Result<Self>
    where
        T: num_traits::NumCast + PartialOrd,
    {
        let f = |x: T| -> Option<f64> { num_traits::cast(x) };
        let (Some(a), Some(b), Some(s)) = (f(start), f(stop), f(step)) else {
            bail!(InvalidArgument, "argument `step`: arange bounds must be finite numbers");
        };
        if s == 0.0 || !s.is_finite() || !a.is_finite() || !b.is_finite() {
            bail!(InvalidArgument, "argument `step`: arange needs a finite, non-zero step, found {s}");
        }
        let count = ((b - a) / s).ceil().max(0.0);
        if count > (isize::MAX as usize / std::mem::size_of::<T>().max(1)) as f64 {
            bail!(
                Overflow,
                "argument `stop`: arange({a}, {b}, {s}) has {count} elements, too many to allocate"
            );
        }
        let data = (0..count as usize).map(|i| num_traits::cast(a + i as f64 * s).unwrap_or(start)).collect();
        Ok(Self::from_vec(data))
    }

    /// `n` evenly spaced values from `start` to `stop` inclusive, like `np.linspace`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// assert_eq!(Array::<f64, 1>::linspace(0.0, 1.0, 5).to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: T, stop: T, n: usize) -> Self
    where
        T: num_traits::Float,
    {
        let data = (0..n)
            .map(|i| {
                if n == 1 {
                    return start;
                }
                let t = T::from(i).unwrap_or(T::zero()) / T::from(n - 1).unwrap_or(T::one());
                if i == n - 1 {
                    stop
                } else {
                    start + (stop - start) * t
                }
            })
            .collect();
        Self::from_vec(data)
    }
}
