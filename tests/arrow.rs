//! Arrow interop (feature `arrow`): conversions are zero-copy where the docs say so (same buffer
//! address), and the unavoidable copies (shared, offset or foreign-allocated buffers, misaligned
//! raw buffers, non-C-order tensors, aggregates over nulls) are counted in `layout_copies`.

use array_expr::diagnostics::layout_copies;
use array_expr::interop::arrow::arrow_array::{
    Array as _, ArrayRef, FixedSizeListArray, Float32Array, Float64Array, Int32Array, Int64Array, UInt8Array,
};
use array_expr::interop::arrow::arrow_buffer::{Buffer, ScalarBuffer};
use array_expr::interop::arrow::arrow_schema::{DataType, Field};
use array_expr::interop::arrow::{
    as_masked_view, as_tensor_view, as_view, as_view_dyn, buffer_view, into_array, into_arrow,
    tensor_into_arrow,
};
use array_expr::{array_expr, Array, ErrorKind, Order};
use std::sync::{Arc, Mutex, MutexGuard};

array_expr! {
    /// A fused elementwise chain, run directly on Arrow-backed views.
    fn shifted_square(x: f64[n], y: f64[n]) -> f64[n] {
        (x - y) * (x - y) + 1.0
    }

    /// Masked sum: the documented null policy in a kernel.
    fn masked_sum(x: f32[n], valid: bool[n]) -> f64 {
        sum::<f64>(where(valid, x, 0.0) as f64)
    }

    /// Row norms of a matrix stored as a FixedSizeList column.
    fn row_sq_norms(m: f32[n, d]) -> f32[n] {
        sum(m * m, axis = 1)
    }
}

/// The copy counters are process-wide: tests that read them run one at a time.
static COUNTING: Mutex<()> = Mutex::new(());

fn counting() -> MutexGuard<'static, ()> {
    COUNTING.lock().unwrap_or_else(|e| e.into_inner())
}

/// (copies, bytes) made by `f`.
fn copies<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    let before = layout_copies();
    let r = f();
    let after = layout_copies();
    (r, after.copies - before.copies, after.bytes - before.bytes)
}

#[test]
fn primitive_arrays_are_borrowed_in_place_including_slice_offsets() {
    let _g = counting();
    let col = Float64Array::from((0..100).map(|i| i as f64 * 0.5).collect::<Vec<_>>());
    let (v, n, _) = copies(|| as_view::<f64>(&col, "x").unwrap());
    assert_eq!(n, 0);
    assert_eq!(v.as_ptr(), col.values().as_ptr());
    assert_eq!(v.to_vec(), col.values().to_vec());

    let sliced = col.slice(37, 20);
    let (v, n, _) = copies(|| as_view::<f64>(&sliced, "x").unwrap());
    assert_eq!(n, 0);
    assert_eq!(
        v.as_ptr(),
        col.values().as_ptr().wrapping_add(37),
        "the offset view points into the same buffer"
    );
    assert_eq!(v.to_vec(), (37..57).map(|i| i as f64 * 0.5).collect::<Vec<_>>());

    let dyn_col: ArrayRef = Arc::new(sliced.clone());
    assert_eq!(as_view_dyn::<f64>(dyn_col.as_ref(), "x").unwrap().as_ptr(), v.as_ptr());
}

#[test]
fn a_fused_kernel_runs_on_arrow_columns_and_hands_its_result_back_without_copies() {
    let _g = counting();
    let x = Float64Array::from((0..1000).map(|i| (i as f64).sin()).collect::<Vec<_>>());
    let y = Float64Array::from((0..1000).map(|i| (i as f64 * 0.1).cos()).collect::<Vec<_>>()).slice(0, 1000);
    let (out, n, _) = copies(|| {
        let r = shifted_square(as_view(&x, "x").unwrap(), as_view(&y, "y").unwrap()).unwrap();
        let ptr = r.view().as_ptr();
        let col = into_arrow(r);
        assert_eq!(col.values().as_ptr(), ptr, "Arrow took over the kernel's output allocation");
        col
    });
    assert_eq!(n, 0);
    for i in 0..1000 {
        let d = x.value(i) - y.value(i);
        assert_eq!(out.value(i).to_bits(), (d * d + 1.0).to_bits(), "row {i}");
    }
}

#[test]
fn nulls_are_an_error_naming_the_argument_and_count_or_an_explicit_mask() {
    let col = Float32Array::from(vec![Some(1.0), None, Some(4.0), None, Some(0.5)]);
    let e = as_view::<f32>(&col, "x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        e.to_string(),
        "argument `x`: the Arrow column has 2 null(s); its values there are unspecified, so filter them out or use `as_masked_view`"
    );
    let m = as_masked_view::<f32>(&col);
    assert_eq!(m.values.as_ptr(), col.values().as_ptr());
    assert_eq!(m.valid.to_vec(), vec![true, false, true, false, true]);
    assert_eq!(masked_sum(m.values, &m.valid).unwrap(), 5.5);

    let sliced = col.slice(1, 3); // [None, 4.0, None]
    let m = as_masked_view::<f32>(&sliced);
    assert_eq!(m.valid.to_vec(), vec![false, true, false]);
    assert_eq!(masked_sum(m.values, &m.valid).unwrap(), 4.0);
    assert!(as_view::<f32>(&col.slice(2, 1), "x").is_ok(), "a slice without nulls is fine");
}

#[test]
fn a_wrong_arrow_type_names_both_types() {
    let ints: ArrayRef = Arc::new(Int32Array::from(vec![1, 2]));
    let e = as_view_dyn::<f32>(ints.as_ref(), "weights").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DType);
    assert_eq!(e.to_string(), "argument `weights`: expected an Arrow Float32 array (dtype f32), found Int32");
}

#[test]
fn owned_round_trip_hands_the_allocation_over_both_ways() {
    let _g = counting();
    let a = Array::<i64, 1>::arange(0, 1000, 3).unwrap();
    let ptr = a.view().as_ptr();
    let ((), n, _) = copies(|| {
        let col = into_arrow(a);
        assert_eq!(col.values().as_ptr(), ptr);
        let back = into_array::<i64>(col, "x").unwrap();
        assert_eq!(back.view().as_ptr(), ptr, "the same allocation came back");
        assert_eq!(back.to_vec(), (0..1000).step_by(3).collect::<Vec<i64>>());
    });
    assert_eq!(n, 0);
}

#[test]
fn taking_a_shared_offset_or_foreign_buffer_copies_once_and_counts_it() {
    let _g = counting();
    // shared: another reference keeps the buffer alive
    let col = into_arrow(Array::from_vec((0..64).map(|i| i as f32).collect()));
    let keep = col.clone();
    let (a, n, bytes) = copies(|| into_array::<f32>(col, "x").unwrap());
    assert_eq!((n, bytes), (1, 256));
    assert_ne!(a.view().as_ptr(), keep.values().as_ptr());
    assert_eq!(a.to_vec(), keep.values().to_vec());

    // sliced with an offset
    let (a, n, bytes) = copies(|| into_array::<f32>(keep.slice(10, 6), "x").unwrap());
    assert_eq!((n, bytes), (1, 24));
    assert_eq!(a.to_vec(), vec![10.0, 11.0, 12.0, 13.0, 14.0, 15.0]);

    // allocated by Arrow's own (64-byte aligned) buffer, not as a Vec<i64>
    let built = Int64Array::new(ScalarBuffer::new(Buffer::from_slice_ref([0i64, 1, 2, 3, 4]), 0, 5), None);
    let (a, n, bytes) = copies(|| into_array::<i64>(built, "x").unwrap());
    assert_eq!((n, bytes), (1, 40));
    assert_eq!(a.to_vec(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn raw_buffers_are_borrowed_when_aligned_and_copied_once_when_not() {
    let _g = counting();
    let buf = Buffer::from_vec((0..32u32).map(|i| (i as f32 * 1.25).to_bits()).collect::<Vec<_>>());
    let (v, n, _) = copies(|| buffer_view::<f32>(&buf, "b").unwrap());
    assert_eq!(n, 0);
    assert!(!v.is_owned());
    assert_eq!(v.view().as_ptr().cast::<u8>(), buf.as_ptr());

    let mut bytes = vec![0u8; 1];
    bytes.extend((0..8).flat_map(|i| (i as f64 - 3.5).to_le_bytes()));
    let raw = Buffer::from_vec(bytes);
    let odd = raw.slice(1); // starts one byte past an aligned allocation
    let (v, n, copied) = copies(|| buffer_view::<f64>(&odd, "b").unwrap());
    assert_eq!((n, copied), (1, 64));
    assert!(v.is_owned());
    assert_eq!(v.view().to_vec(), (0..8).map(|i| i as f64 - 3.5).collect::<Vec<_>>());

    let e = buffer_view::<f64>(&raw.slice_with_length(1, 12), "b").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidLayout);
    assert_eq!(
        e.to_string(),
        "argument `b`: a buffer of 12 bytes is not a whole number of f64 elements (8 bytes each)"
    );
}

fn matrix(rows: usize, cols: usize) -> Array<f32, 2> {
    Array::from_fn([rows, cols], |[i, j]| (i * cols + j) as f32 * 0.25)
}

#[test]
fn fixed_size_lists_are_borrowed_as_matrices_including_row_offsets() {
    let _g = counting();
    let m = matrix(50, 8);
    let ptr = m.view().as_ptr();
    let (list, n, _) = copies(|| tensor_into_arrow(m.clone()).unwrap());
    assert_eq!(n, 0);
    assert_eq!(
        list.data_type(),
        &DataType::FixedSizeList(Arc::new(Field::new_list_field(DataType::Float32, false)), 8)
    );
    let fsl = list.as_any().downcast_ref::<FixedSizeListArray>().unwrap();
    let leaf = fsl.values().as_any().downcast_ref::<Float32Array>().unwrap();
    assert_ne!(leaf.values().as_ptr(), ptr, "m.clone() was handed over, not m");

    let (v, n, _) = copies(|| as_tensor_view::<f32, 2>(list.as_ref(), "m").unwrap());
    assert_eq!(n, 0);
    assert_eq!(v.shape(), [50, 8]);
    assert_eq!(v.as_ptr(), leaf.values().as_ptr());
    assert_eq!(v, m.view());

    let rows = list.slice(13, 5);
    let v = as_tensor_view::<f32, 2>(rows.as_ref(), "m").unwrap();
    assert_eq!(v.shape(), [5, 8]);
    assert_eq!(v.as_ptr(), leaf.values().as_ptr().wrapping_add(13 * 8));
    assert_eq!(v, m.view().slice([(13..18).into(), array_expr::Slice::full()]).unwrap());

    let norms = row_sq_norms(v).unwrap();
    for (i, got) in norms.to_vec().into_iter().enumerate() {
        let want: f32 = (0..8).map(|j| m[[13 + i, j]] * m[[13 + i, j]]).sum();
        assert!((got - want).abs() <= want * 1e-6, "row {i}: {got} vs {want}");
    }
}

#[test]
fn nested_lists_are_rank_3_views_and_non_c_order_tensors_copy_once() {
    let _g = counting();
    let t = Array::<u8, 3>::from_fn([4, 3, 5], |[i, j, k]| (i * 15 + j * 5 + k) as u8);
    let list = tensor_into_arrow(t.clone()).unwrap();
    assert_eq!(list.data_type().to_string(), "FixedSizeList(3 x non-null FixedSizeList(5 x non-null UInt8))");
    let v = as_tensor_view::<u8, 3>(list.as_ref(), "t").unwrap();
    assert_eq!(v, t.view());
    let part = list.slice(1, 2);
    assert_eq!(as_tensor_view::<u8, 3>(part.as_ref(), "t").unwrap().to_vec(), (15..45).collect::<Vec<u8>>());

    let f = matrix(6, 4).into_reversed_axes(); // F order: Arrow rows need C order
    let (list, n, bytes) = copies(|| tensor_into_arrow(f.clone()).unwrap());
    assert_eq!((n, bytes), (1, 96));
    assert_eq!(as_tensor_view::<f32, 2>(list.as_ref(), "f").unwrap(), f.view());
    let u = UInt8Array::from(vec![7u8, 8]);
    assert_eq!(as_tensor_view::<u8, 1>(&u, "u").unwrap().to_vec(), vec![7, 8]);
    let empty = tensor_into_arrow(Array::<f64, 2>::zeros([0, 3])).unwrap();
    assert_eq!(as_tensor_view::<f64, 2>(empty.as_ref(), "e").unwrap().shape(), [0, 3]);
    let (_, order) = f.into_raw_vec();
    assert_eq!(order, Some(Order::F));
}

#[test]
fn tensor_views_reject_nulls_and_wrong_nesting_naming_the_axis() {
    let field = Arc::new(Field::new_list_field(DataType::Float32, true));
    let values: ArrayRef = Arc::new(Float32Array::from(vec![Some(1.0), None, Some(3.0), Some(4.0)]));
    let list = FixedSizeListArray::try_new(field.clone(), 2, values, None).unwrap();
    let e = as_tensor_view::<f32, 2>(&list, "m").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        e.to_string(),
        "argument `m` axis 1: the Arrow data has 1 null(s); a tensor view needs every value"
    );

    let values: ArrayRef = Arc::new(Float32Array::from(vec![1.0, 2.0, 3.0, 4.0]));
    let rows_null = FixedSizeListArray::try_new(field, 2, values, Some(vec![true, false].into())).unwrap();
    assert_eq!(
        as_tensor_view::<f32, 2>(&rows_null, "m").unwrap_err().to_string(),
        "argument `m` axis 0: the Arrow data has 1 null(s); a tensor view needs every value"
    );
    let plain = FixedSizeListArray::try_new(
        Arc::new(Field::new_list_field(DataType::Float32, false)),
        2,
        Arc::new(Float32Array::from(vec![1.0, 2.0])),
        None,
    )
    .unwrap();
    let e = as_tensor_view::<f32, 3>(&plain, "m").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DType);
    assert_eq!(
        e.to_string(),
        "argument `m` axis 1: expected an Arrow FixedSizeList for a rank-3 f32 array, found Float32"
    );
    assert_eq!(
        as_tensor_view::<f64, 2>(&plain, "m").unwrap_err().to_string(),
        "argument `m`: expected an Arrow Float64 array (dtype f64), found Float32"
    );
}
