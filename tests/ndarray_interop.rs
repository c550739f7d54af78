//! Zero-copy conversion between array-expr views and ndarray views (feature `ndarray`).
#![cfg(feature = "ndarray")]

use array_expr::{Array, ArrayView, ArrayViewMut, Slice};
use ndarray::s;
use proptest::prelude::*;

proptest! {
    #[test]
    fn ours_to_ndarray_and_back_is_the_same_memory(
        rows in 0usize..6, cols in 0usize..6, step_r in prop_oneof![1isize..3, -2isize..=-1],
        step_c in prop_oneof![1isize..3, -2isize..=-1], transpose in any::<bool>()
    ) {
        let a = Array::<i32, 2>::from_fn([rows, cols], |[i, j]| (i * 10 + j) as i32);
        let mut v = a.view().slice([Slice::full().step_by(step_r), Slice::full().step_by(step_c)]).unwrap();
        if transpose {
            v = v.t();
        }
        let nd = v.to_ndarray();
        prop_assert_eq!(nd.shape(), &v.shape()[..]);
        prop_assert_eq!(nd.iter().copied().collect::<Vec<_>>(), v.to_vec());
        let back: ArrayView<'_, i32, 2> = nd.into();
        prop_assert_eq!(back.to_vec(), v.to_vec());
        if !v.is_empty() {
            prop_assert_eq!(back.strides(), v.strides());
            prop_assert_eq!(back.as_ptr(), v.as_ptr());
        }
    }
}

#[test]
fn ndarray_views_convert_without_copying() {
    let mut nd = ndarray::Array3::<f64>::from_shape_fn((3, 4, 5), |(i, j, k)| (i * 100 + j * 10 + k) as f64);
    let sl = nd.slice(s![..;-1, 1..;2, ..]);
    let v: ArrayView<'_, f64, 3> = sl.into();
    assert_eq!(v.as_ptr(), sl.as_ptr());
    assert_eq!(v.to_vec(), sl.iter().copied().collect::<Vec<_>>());
    let mut m: ArrayViewMut<'_, f64, 3> = nd.slice_mut(s![.., 0, ..]).insert_axis(ndarray::Axis(1)).into();
    m.fill(-1.0);
    assert!(nd.slice(s![.., 0, ..]).iter().all(|&x| x == -1.0));
    assert_eq!(nd[[1, 1, 1]], 111.0);
}

array_expr::array_expr! {
    fn scaled_sum(x: f64[n, m], w: f64[m]) -> f64[n] {
        sum(x * w, axis = 1)
    }
}

#[test]
fn kernels_take_ndarray_arrays_and_views() {
    let x = ndarray::Array2::<f64>::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f64);
    let w = ndarray::Array1::<f64>::from_vec(vec![1.0, 0.0, -1.0, 2.0]);
    let got = scaled_sum(&x, &w).unwrap();
    let want: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&w)).collect();
    assert_eq!(got.to_vec(), want);
    // a transposed ndarray view goes through without a copy
    let xt = x.t().to_owned();
    let view: ArrayView<'_, f64, 2> = xt.t().into();
    assert_eq!(scaled_sum(view, &w).unwrap().to_vec(), want);
}
