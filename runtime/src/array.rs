//! [`Array`]: an owned, strided, `D`-dimensional array.

use crate::element::Element;
use crate::error::{bail, Result};
use crate::layout::{self, Geometry, Order};
use crate::random::CounterRng;
use crate::view::{ArrayView, ArrayViewMut};
use std::fmt;

/// An owned `D`-dimensional array of `T` (C order unless made otherwise).
///
/// Owns a `Vec<T>`; [`view`](Array::view) and [`view_mut`](Array::view_mut) borrow it as
/// strided views, where slicing, transposing and broadcasting happen.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::Array;
/// let a = Array::<f64, 2>::from_shape_vec([2, 2], vec![1.0, 2.0, 3.0, 4.0])?;
/// assert_eq!(a[[1, 0]], 3.0);
/// assert_eq!(a.t().to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct Array<T, const D: usize> {
    data: Vec<T>,
    geom: Geometry<D>,
}

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

    fn from_vec_unchecked(data: Vec<T>, shape: [usize; D], order: Order) -> Self {
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
    pub fn from_fn(shape: [usize; D], mut f: impl FnMut([usize; D]) -> T) -> Self {
        let n = match layout::checked_len("shape", &shape, std::mem::size_of::<T>()) {
            Ok(n) => n,
            Err(e) => panic!("{e}"),
        };
        let mut data = Vec::with_capacity(n);
        for_each_index(shape, |idx| data.push(f(idx)));
        Self::from_vec_unchecked(data, shape, Order::C)
    }

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
    fn from_counter(shape: [usize; D], mut f: impl FnMut(u64) -> T) -> Self {
        let mut i = 0u64;
        Self::from_fn(shape, |_| {
            i += 1;
            f(i - 1)
        })
    }

    /// A read-only view of the whole array.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// let v = a.view();
    /// assert_eq!(v.shape(), [2, 3]);
    /// ```
    pub fn view(&self) -> ArrayView<'_, T, D> {
        // SAFETY: the array invariant: the geometry addresses elements of `self.data` only
        // (established by every constructor and kept by the consuming geometry operations).
        unsafe { ArrayView::from_raw_parts(self.origin_ptr(), self.geom.shape, self.geom.strides) }
    }

    /// A mutable view of the whole array.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<f32, 1>::zeros([3]);
    /// a.view_mut().fill(2.0);
    /// assert_eq!(a.to_vec(), vec![2.0; 3]);
    /// ```
    pub fn view_mut(&mut self) -> ArrayViewMut<'_, T, D> {
        let (shape, strides) = (self.geom.shape, self.geom.strides);
        let off = self.origin_offset();
        let ptr = self.data.as_mut_ptr().wrapping_add(off);
        // SAFETY: as in `view`; the array's geometry never aliases (only C/F layouts, permuted or
        // reversed), and `&mut self` gives exclusive access.
        unsafe { ArrayViewMut::from_raw_parts(ptr, shape, strides) }
    }

    /// Offset in `data` of the first element: the sum of (n-1)*|s| over negative-stride axes.
    fn origin_offset(&self) -> usize {
        if self.geom.is_empty() {
            return 0;
        }
        let g = &self.geom;
        g.shape
            .iter()
            .zip(&g.strides)
            .filter(|(_, &s)| s < 0)
            .map(|(&n, &s)| (n - 1) * s.unsigned_abs())
            .sum()
    }

    fn origin_ptr(&self) -> *const T {
        self.data.as_ptr().wrapping_add(self.origin_offset())
    }

    /// The length of every axis.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// assert_eq!(Array::<u8, 3>::zeros([2, 3, 4]).shape(), [2, 3, 4]);
    /// ```
    pub fn shape(&self) -> [usize; D] {
        self.geom.shape
    }

    /// The element strides.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// assert_eq!(a.strides(), [3, 1]);
    /// assert_eq!(a.into_reversed_axes().strides(), [1, 3]);
    /// ```
    pub fn strides(&self) -> [isize; D] {
        self.geom.strides
    }

    /// Number of elements.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// assert_eq!(Array::<i32, 2>::zeros([2, 3]).len(), 6);
    /// ```
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when some axis has length 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// assert!(Array::<i32, 2>::zeros([2, 0]).is_empty());
    /// assert!(!Array::<i32, 0>::zeros([]).is_empty()); // a scalar has one element
    /// ```
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// True when the data is in C order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// assert!(a.is_c_contiguous());
    /// assert!(!a.into_reversed_axes().is_c_contiguous());
    /// ```
    pub fn is_c_contiguous(&self) -> bool {
        self.view().is_c_contiguous()
    }

    /// True when the data is in F order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Order};
    /// let a = Array::<f32, 2>::from_shape_vec_order([2, 3], vec![0.0; 6], Order::F)?;
    /// assert!(a.is_f_contiguous());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn is_f_contiguous(&self) -> bool {
        self.view().is_f_contiguous()
    }

    /// The element at `index`, or `None` when out of bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<i32, 2>::from_fn([2, 2], |[i, j]| (10 * i + j) as i32);
    /// assert_eq!(a.get([1, 0]), Some(&10));
    /// assert_eq!(a.get([2, 0]), None);
    /// ```
    pub fn get(&self, index: [usize; D]) -> Option<&T> {
        self.view().get_ref(index)
    }

    /// The element at `index` for writing, or `None` when out of bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<i32, 2>::zeros([2, 2]);
    /// if let Some(x) = a.get_mut([0, 1]) {
    ///     *x = 7;
    /// }
    /// assert_eq!(a.to_vec(), vec![0, 7, 0, 0]);
    /// ```
    pub fn get_mut(&mut self, index: [usize; D]) -> Option<&mut T> {
        let g = self.geom;
        let mut off = self.origin_offset() as isize;
        for k in 0..D {
            if index[k] >= g.shape[k] {
                return None;
            }
            off += index[k] as isize * g.strides[k];
        }
        self.data.get_mut(usize::try_from(off).ok()?)
    }

    /// The elements in logical C order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<i32, 2>::from_shape_vec([2, 2], vec![1, 2, 3, 4])?;
    /// assert_eq!(a.t().to_vec(), vec![1, 3, 2, 4]); // logical order of the view, not memory order
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn to_vec(&self) -> Vec<T> {
        self.view().to_vec()
    }

    /// The underlying storage in memory order, with the order it is packed in.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<i32, 2>::from_shape_vec([2, 2], vec![1, 2, 3, 4])?.into_reversed_axes();
    /// assert_eq!(a.as_slice_memory_order(), &[1, 2, 3, 4]); // storage order is unchanged
    /// assert_eq!(a.to_vec(), vec![1, 3, 2, 4]);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn as_slice_memory_order(&self) -> &[T] {
        &self.data
    }

    /// Mutable storage in memory order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<f32, 2>::zeros([2, 2]);
    /// a.as_slice_memory_order_mut().iter_mut().for_each(|x| *x += 1.0);
    /// assert_eq!(a.to_vec(), vec![1.0; 4]);
    /// ```
    pub fn as_slice_memory_order_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The storage vector and the order it is laid out in (`None` when the axes were permuted
    /// into a layout that is neither C nor F).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Order};
    /// let a = Array::<u8, 2>::from_shape_vec([2, 2], vec![1, 2, 3, 4])?;
    /// assert_eq!(a.into_reversed_axes().into_raw_vec(), (vec![1, 2, 3, 4], Some(Order::F)));
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn into_raw_vec(self) -> (Vec<T>, Option<Order>) {
        let order = if self.is_c_contiguous() {
            Some(Order::C)
        } else if self.is_f_contiguous() {
            Some(Order::F)
        } else {
            None
        };
        (self.data, order)
    }

    /// The transpose as a view (axes reversed).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]);
    /// assert_eq!(a.t().shape(), [3, 2]);
    /// assert!(a.t().is_f_contiguous()); // a view: nothing was copied
    /// ```
    pub fn t(&self) -> ArrayView<'_, T, D> {
        self.view().reversed_axes()
    }

    /// Reverses the axes in place (no copy): an F-order array becomes C order and vice versa.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 2>::zeros([2, 3]).into_reversed_axes();
    /// assert_eq!(a.shape(), [3, 2]);
    /// assert!(a.is_f_contiguous());
    /// ```
    pub fn into_reversed_axes(mut self) -> Self {
        self.geom = self.geom.reversed();
        self
    }

    /// Reorders the axes without copying.
    ///
    /// # Errors
    ///
    /// `perm` is not a permutation.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let a = Array::<f32, 3>::zeros([2, 3, 4]).into_permuted_axes([2, 0, 1])?;
    /// assert_eq!(a.shape(), [4, 2, 3]);
    /// assert!(Array::<f32, 2>::zeros([2, 2]).into_permuted_axes([0, 0]).is_err());
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn into_permuted_axes(mut self, perm: [usize; D]) -> Result<Self> {
        self.geom = self.geom.permute(perm)?;
        Ok(self)
    }

    /// Reshapes without copying when the layout allows (always for C order on a C array).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Reshape`](crate::ErrorKind::Reshape) when the element counts differ or the
    /// layout cannot express the shape.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Order};
    /// let a = Array::<i32, 1>::from_vec((0..6).collect());
    /// let m = a.into_shape([2, 3], Order::C)?;
    /// assert_eq!(m.get([1, 0]), Some(&3));
    /// assert!(m.into_shape([4, 2], Order::C).is_err()); // 6 elements do not make 4 x 2
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn into_shape<const E: usize>(self, shape: [usize; E], order: Order) -> Result<Array<T, E>> {
        let g = self.geom.reshape(shape, order)?;
        Ok(Array { data: self.data, geom: g })
    }

    /// A report of shape, strides and flags (this array owns its data).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let r = Array::<f32, 2>::zeros([2, 3]).layout_report();
    /// assert!(r.to_string().contains("C_CONTIGUOUS   : True"));
    /// ```
    pub fn layout_report(&self) -> crate::LayoutReport {
        crate::LayoutReport::new(&self.geom.shape, &self.geom.strides, std::mem::size_of::<T>(), true)
    }

    /// Sets every element to `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::Array;
    /// let mut a = Array::<i64, 1>::zeros([3]);
    /// a.fill(-1);
    /// assert_eq!(a.to_vec(), vec![-1, -1, -1]);
    /// ```
    pub fn fill(&mut self, value: T) {
        self.data.fill(value);
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

impl<T: Element, const D: usize> ArrayView<'_, T, D> {
    /// Copies into a new C-order array.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = array_expr_runtime::Array::<i32, 2>::from_fn([2, 3], |[i, j]| (i * 3 + j) as i32);
    /// let t = a.t().to_owned();
    /// assert!(t.is_c_contiguous());
    /// assert_eq!(t.to_vec(), vec![0, 3, 1, 4, 2, 5]);
    /// ```
    pub fn to_owned(&self) -> Array<T, D> {
        self.to_owned_order(Order::C)
    }

    /// Copies into a new array laid out in `order` (block copies, one pass).
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::{Array, Order};
    /// let a = Array::<i32, 2>::from_fn([2, 3], |[i, j]| (i * 3 + j) as i32);
    /// let f = a.view().to_owned_order(Order::F);
    /// assert!(f.is_f_contiguous());
    /// assert_eq!(f.to_vec(), a.to_vec());
    /// ```
    pub fn to_owned_order(&self, order: Order) -> Array<T, D> {
        let shape = self.shape();
        // the view exists, so its element count and byte size fit
        let n = shape.iter().product();
        let mut out = Array::from_vec_unchecked(vec![T::ZERO; n], shape, order);
        let copied =
            crate::driver::zip1(&mut out.view_mut(), self, 0, &|o: &mut [T], a: &[T]| o.copy_from_slice(a));
        debug_assert!(copied.is_ok(), "same shape by construction");
        out
    }
}

impl<T, const D: usize> std::ops::Index<[usize; D]> for Array<T, D>
where
    T: Element,
{
    type Output = T;

    /// # Panics
    ///
    /// When an index is out of bounds (use [`Array::get`] for a checked access).
    fn index(&self, index: [usize; D]) -> &T {
        match self.get(index) {
            Some(x) => x,
            None => panic!("index {index:?} is out of bounds for shape {:?}", self.shape()),
        }
    }
}

impl<T: Element, const D: usize> std::ops::IndexMut<[usize; D]> for Array<T, D> {
    /// # Panics
    ///
    /// When an index is out of bounds (use [`Array::get_mut`] for a checked access).
    fn index_mut(&mut self, index: [usize; D]) -> &mut T {
        let shape = self.shape();
        match self.get_mut(index) {
            Some(x) => x,
            None => panic!("index {index:?} is out of bounds for shape {shape:?}"),
        }
    }
}

impl<T: Element, const D: usize> fmt::Debug for Array<T, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Array")
            .field("dtype", &T::DTYPE)
            .field("shape", &self.geom.shape)
            .field("strides", &self.geom.strides)
            .field("data", &self.to_vec())
            .finish()
    }
}

impl<T: Element, const D: usize> PartialEq for Array<T, D> {
    fn eq(&self, other: &Self) -> bool {
        self.shape() == other.shape() && self.to_vec() == other.to_vec()
    }
}

/// Calls `f` with every index of `shape` in C order.
pub(crate) fn for_each_index<const D: usize>(shape: [usize; D], mut f: impl FnMut([usize; D])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = [0usize; D];
    loop {
        f(idx);
        let mut k = D;
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
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
