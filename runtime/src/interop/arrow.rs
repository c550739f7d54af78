//! Zero-copy conversions between Arrow arrays and views (feature `arrow`, arrow-rs 59).
//!
//! # What copies and what does not
//!
//! | conversion | copies? |
//! | --- | --- |
//! | [`as_view`], [`as_view_dyn`]: `PrimitiveArray` -> `ArrayView<T, 1>` | never: the view borrows Arrow's buffer, slice offset included |
//! | [`as_tensor_view`]: `FixedSizeList` (nested for rank > 2) -> `ArrayView<T, D>` | never: rows of a fixed-size list are C-contiguous |
//! | [`buffer_view`]: raw `Buffer` -> `CowArray<T, 1>` | only when the buffer is misaligned for `T` (one counted copy) |
//! | [`into_arrow`]: `Array<T, 1>` -> `PrimitiveArray` | never: Arrow takes over the array's allocation |
//! | [`tensor_into_arrow`]: `Array<T, D>` -> `FixedSizeList` | only when the array is not C-contiguous (one counted copy) |
//! | [`into_array`]: `PrimitiveArray` -> `Array<T, 1>` | only when the buffer is shared, sliced with an offset, or was not allocated as a `Vec<T>` (one counted copy) |
//!
//! Every copy is counted in [`crate::diagnostics::layout_copies`]. A `PrimitiveArray` is
//! always aligned for its type (arrow-rs checks it on construction), so the only misaligned
//! data is a raw [`Buffer`] (e.g. from IPC or FFI at an odd byte offset).
//!
//! # Nulls
//!
//! Arrow leaves the values under null slots unspecified, so views never silently include them:
//! [`as_view`], [`as_view_dyn`] and [`as_tensor_view`] return an error naming the argument and
//! the null count. The mask policy is explicit: [`as_masked_view`] returns the values together
//! with a validity mask (`true` = valid), for a kernel to select with, e.g.
//! `where(valid, x, 0.0)`.
//!
//! # Examples
//!
//! ```
//! use array_expr_runtime::interop::arrow::{as_view, into_arrow};
//! use array_expr_runtime::Array;
//! use arrow_array::Float32Array;
//!
//! let col = Float32Array::from(vec![1.0, 2.0, 3.0, 4.0]);
//! let v = as_view::<f32>(&col, "x")?; // borrows the Arrow buffer
//! assert_eq!(v.as_ptr(), col.values().as_ptr());
//!
//! let a = Array::from_vec(vec![1.5f64, 2.5]);
//! let ptr = a.view().as_ptr();
//! let back = into_arrow(a); // hands the allocation to Arrow
//! assert_eq!(back.values().as_ptr(), ptr);
//! # Ok::<(), array_expr_runtime::Error>(())
//! ```

/// The arrow-rs crates this module speaks (version 59), re-exported so callers build arrays
/// with the same version.
pub use {arrow_array, arrow_buffer, arrow_schema};

use crate::array::Array;
use crate::cow::CowArray;
use crate::diagnostics::record_layout_copy;
use crate::element::{DType, Element};
use crate::error::{bail, err, Result};
use crate::layout::Order;
use crate::view::ArrayView;
use arrow_array::types as at;
use arrow_array::{Array as _, ArrayRef, ArrowPrimitiveType, FixedSizeListArray, PrimitiveArray};
use arrow_buffer::{ArrowNativeType, Buffer, NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use std::sync::Arc;

/// An element type with an Arrow primitive counterpart (every numeric dtype; `bool` is
/// bit-packed in Arrow and has none).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::arrow::ArrowElement;
/// use arrow_schema::DataType;
/// assert_eq!(<f32 as ArrowElement>::data_type(), DataType::Float32);
/// assert_eq!(<u16 as ArrowElement>::data_type(), DataType::UInt16);
/// ```
pub trait ArrowElement: Element + ArrowNativeType {
    /// The arrow-rs primitive type whose native type is `Self`.
    type Arrow: ArrowPrimitiveType<Native = Self>;

    /// The Arrow data type of a column of `Self`.
    fn data_type() -> DataType {
        Self::Arrow::DATA_TYPE
    }
}

macro_rules! arrow_element {
    ($($t:ty => $a:ty;)*) => {$(
        impl ArrowElement for $t {
            type Arrow = $a;
        }
    )*};
}

arrow_element! {
    i8 => at::Int8Type;
    i16 => at::Int16Type;
    i32 => at::Int32Type;
    i64 => at::Int64Type;
    u8 => at::UInt8Type;
    u16 => at::UInt16Type;
    u32 => at::UInt32Type;
    u64 => at::UInt64Type;
    f32 => at::Float32Type;
    f64 => at::Float64Type;
}

/// The Arrow type of a column of `dtype` (`bool` is Arrow's bit-packed `Boolean`).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::arrow::data_type_of;
/// use array_expr_runtime::DType;
/// use arrow_schema::DataType;
/// assert_eq!(data_type_of(DType::F64), DataType::Float64);
/// assert_eq!(data_type_of(DType::Bool), DataType::Boolean);
/// ```
pub fn data_type_of(dtype: DType) -> DataType {
    match dtype {
        DType::Bool => DataType::Boolean,
        DType::I8 => DataType::Int8,
        DType::I16 => DataType::Int16,
        DType::I32 => DataType::Int32,
        DType::I64 => DataType::Int64,
        DType::U8 => DataType::UInt8,
        DType::U16 => DataType::UInt16,
        DType::U32 => DataType::UInt32,
        DType::U64 => DataType::UInt64,
        DType::F32 => DataType::Float32,
        DType::F64 => DataType::Float64,
    }
}

/// Rule: an argument with nulls is an error naming it and the null count.
fn reject_nulls(nulls: Option<&NullBuffer>, name: &str) -> Result<()> {
    match nulls.map(NullBuffer::null_count) {
        Some(n) if n > 0 => bail!(
            InvalidArgument,
            "argument `{name}`: the Arrow column has {n} null(s); its values there are unspecified, so filter them out or use `as_masked_view`"
        ),
        _ => Ok(()),
    }
}

/// One counted copy of `values` into a new array.
fn counted_copy<T: Element>(values: &[T]) -> Array<T, 1> {
    record_layout_copy(std::mem::size_of_val(values));
    Array::from_vec(values.to_vec())
}

/// Borrows a primitive array's values as a rank-1 view: no copy, slice offset included.
///
/// # Errors
///
/// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when the array has
/// nulls (the message names `name` and the null count).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::arrow::as_view;
/// use arrow_array::Int64Array;
/// let col = Int64Array::from(vec![1, 2, 3, 4, 5]).slice(1, 3);
/// assert_eq!(as_view::<i64>(&col, "x")?.to_vec(), vec![2, 3, 4]);
/// let with_null = Int64Array::from(vec![Some(1), None]);
/// assert_eq!(
///     as_view::<i64>(&with_null, "x").unwrap_err().to_string(),
///     "argument `x`: the Arrow column has 1 null(s); its values there are unspecified, so filter them out or use `as_masked_view`"
/// );
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub fn as_view<'a, T: ArrowElement>(
    array: &'a PrimitiveArray<T::Arrow>,
    name: &str,
) -> Result<ArrayView<'a, T, 1>> {
    reject_nulls(array.nulls(), name)?;
    Ok(ArrayView::from_slice(&array.values()[..]))
}

/// Downcasts `array` to the primitive array of `T` and borrows it as in [`as_view`].
///
/// # Errors
///
/// [`ErrorKind::DType`](crate::ErrorKind::DType) when the array is not of `T`'s Arrow type;
/// as [`as_view`] for nulls.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::arrow::as_view_dyn;
/// use arrow_array::{ArrayRef, Float64Array, Int32Array};
/// use std::sync::Arc;
/// let col: ArrayRef = Arc::new(Float64Array::from(vec![0.5, 1.5]));
/// assert_eq!(as_view_dyn::<f64>(col.as_ref(), "x")?.to_vec(), vec![0.5, 1.5]);
/// let ints: ArrayRef = Arc::new(Int32Array::from(vec![1]));
/// assert_eq!(
///     as_view_dyn::<f64>(ints.as_ref(), "x").unwrap_err().to_string(),
///     "argument `x`: expected an Arrow Float64 array (dtype f64), found Int32"
/// );
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub fn as_view_dyn<'a, T: ArrowElement>(
    array: &'a dyn arrow_array::Array,
    name: &str,
) -> Result<ArrayView<'a, T, 1>> {
    as_view(downcast::<T>(array, name)?, name)
}

pub(crate) fn downcast<'a, T: ArrowElement>(
    array: &'a dyn arrow_array::Array,
    name: &str,
) -> Result<&'a PrimitiveArray<T::Arrow>> {
    array.as_any().downcast_ref::<PrimitiveArray<T::Arrow>>().ok_or_else(|| {
        err!(
            DType,
            "argument `{name}`: expected an Arrow {} array (dtype {}), found {}",
            T::data_type(),
            T::DTYPE,
            array.data_type()
        )
    })
}

/// A rank-1 view of an Arrow column's values with its validity mask (see the module docs'
/// mask policy). Values under null slots are whatever the buffer holds: select them away.
#[derive(Debug)]
pub struct MaskedView<'a, T> {
    /// The values, borrowed from the Arrow buffer (no copy).
    pub values: ArrayView<'a, T, 1>,
    /// `true` where the value is valid, `false` where it is null.
    pub valid: Array<bool, 1>,
}

/// Borrows a primitive array's values (no copy) and builds its validity mask: the documented
/// way to run a kernel over a column with nulls.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::arrow::as_masked_view;
/// use arrow_array::Float32Array;
/// let col = Float32Array::from(vec![Some(1.0), None, Some(3.0)]);
/// let m = as_masked_view::<f32>(&col);
/// assert_eq!(m.values.len(), 3);
/// assert_eq!(m.valid.to_vec(), vec![true, false, true]);
/// ```
pub fn as_masked_view<T: ArrowElement>(array: &PrimitiveArray<T::Arrow>) -> MaskedView<'_, T> {
    let valid = match array.nulls() {
        Some(n) => Array::from_vec(n.iter().collect()),
        None => Array::full([array.len()], true),
    };
    MaskedView { values: ArrayView::from_slice(&array.values()[..]), valid }
}

/// Views a raw Arrow buffer as elements of `T`: borrowed when the buffer is aligned for `T`,
/// else one counted copy (see [`crate::diagnostics::layout_copies`]). A copy decodes the bytes
/// as little-endian, Arrow's byte order on every target this crate supports.
///
/// # Errors
///
/// [`ErrorKind::InvalidLayout`](crate::ErrorKind::InvalidLayout) when the length in bytes is
/// not a multiple of `T`'s size.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::arrow::buffer_view;
/// use arrow_buffer::Buffer;
/// let buf = Buffer::from_vec(vec![1i32, 2, 3]);
/// assert!(!buffer_view::<i32>(&buf, "b")?.is_owned()); // aligned: borrowed
/// let odd = Buffer::from_vec(vec![0u8; 9]).slice(1); // 8 bytes at an odd address
/// assert!(buffer_view::<i32>(&odd, "b")?.is_owned()); // misaligned: one counted copy
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub fn buffer_view<'a, T: ArrowElement>(buffer: &'a Buffer, name: &str) -> Result<CowArray<'a, T, 1>> {
    let size = std::mem::size_of::<T>();
    if buffer.len() % size != 0 {
        bail!(
            InvalidLayout,
            "argument `{name}`: a buffer of {} bytes is not a whole number of {} elements ({size} bytes each)",
            buffer.len(),
            T::DTYPE
        );
    }
    if buffer.as_ptr().align_offset(std::mem::align_of::<T>()) == 0 {
        // aligned and a whole number of elements: `typed_data` cannot fail its check
        return Ok(CowArray::Borrowed(ArrayView::from_slice(buffer.typed_data::<T>())));
    }
    let values: Vec<T> =
        buffer.as_slice().chunks_exact(size).map(|c| T::read_le(c).unwrap_or_default()).collect();
    record_layout_copy(buffer.len());
    Ok(CowArray::Owned(Array::from_vec(values)))
}

/// Hands a rank-1 array to Arrow as a primitive array without copying: Arrow takes over the
/// allocation (and frees it when the last reference goes).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::arrow::into_arrow;
/// use array_expr_runtime::Array;
/// let a = Array::<i32, 1>::arange(0, 4, 1)?;
/// let ptr = a.view().as_ptr();
/// let col = into_arrow(a);
/// assert_eq!(col.values().as_ptr(), ptr);
/// assert_eq!(col.values().to_vec(), vec![0, 1, 2, 3]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub fn into_arrow<T: ArrowElement>(array: Array<T, 1>) -> PrimitiveArray<T::Arrow> {
    // a rank-1 owned array is always contiguous: its buffer is exactly its elements in order
    let (data, _) = array.into_raw_vec();
    PrimitiveArray::new(ScalarBuffer::from(data), None)
}

/// Takes a primitive array's buffer as an owned array: no copy when Arrow's buffer is unshared,
/// unsliced and was allocated as a `Vec<T>` (e.g. by [`into_arrow`]); otherwise one counted copy.
///
/// # Errors
///
/// As [`as_view`] for nulls.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::arrow::{into_arrow, into_array};
/// use array_expr_runtime::Array;
/// let col = into_arrow(Array::from_vec(vec![1.0f32, 2.0]));
/// let ptr = col.values().as_ptr();
/// let a = into_array::<f32>(col, "x")?;
/// assert_eq!(a.view().as_ptr(), ptr); // the same allocation, back again
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub fn into_array<T: ArrowElement>(array: PrimitiveArray<T::Arrow>, name: &str) -> Result<Array<T, 1>> {
    reject_nulls(array.nulls(), name)?;
    let (_, values, _) = array.into_parts();
    let len = values.len();
    match values.into_inner().into_vec::<T>() {
        // `into_vec` keeps the buffer's length, which is exactly the `len` values
        Ok(v) => Ok(Array::from_vec(v)),
        Err(buffer) => Ok(counted_copy(&ScalarBuffer::<T>::new(buffer, 0, len)[..])),
    }
}

/// Borrows rank-`D` data stored as nested fixed-size lists (`FixedSizeList<T>` for a matrix,
/// `FixedSizeList<FixedSizeList<T>>` for rank 3, ...) as a C-order view: no copy, list slice
/// offsets included. `D = 1` accepts a primitive array.
///
/// # Errors
///
/// [`ErrorKind::DType`](crate::ErrorKind::DType) when the nesting or the element type does not
/// match `T` and `D`; [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for
/// nulls at any level (naming `name`, the level and the null count).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::arrow::{as_tensor_view, tensor_into_arrow};
/// use array_expr_runtime::Array;
/// let m = Array::<f64, 2>::from_fn([3, 2], |[i, j]| (10 * i + j) as f64);
/// let list = tensor_into_arrow(m)?; // 3 rows of FixedSizeList<Float64, 2>
/// let v = as_tensor_view::<f64, 2>(list.as_ref(), "m")?;
/// assert_eq!(v.shape(), [3, 2]);
/// assert_eq!(v.to_vec(), vec![0.0, 1.0, 10.0, 11.0, 20.0, 21.0]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub fn as_tensor_view<'a, T: ArrowElement, const D: usize>(
    array: &'a dyn arrow_array::Array,
    name: &str,
) -> Result<ArrayView<'a, T, D>> {
    let mut shape = [0usize; D];
    if let Some(rows) = shape.first_mut() {
        *rows = array.len();
    }
    let mut level: &'a dyn arrow_array::Array = array;
    for axis in 0..D.saturating_sub(1) {
        let list = level.as_any().downcast_ref::<FixedSizeListArray>().ok_or_else(|| {
            err!(
                DType,
                "argument `{name}` axis {axis}: expected an Arrow FixedSizeList for a rank-{D} {} array, found {}",
                T::DTYPE,
                level.data_type()
            )
        })?;
        reject_level_nulls(list.nulls(), name, axis)?;
        if let Some(size) = shape.get_mut(axis + 1) {
            *size = usize::try_from(list.value_length()).unwrap_or(0);
        }
        // arrow-rs slices a list's values eagerly, so the child holds exactly these rows
        level = list.values().as_ref();
    }
    let leaf = downcast::<T>(level, name)?;
    reject_level_nulls(leaf.nulls(), name, D.saturating_sub(1))?;
    ArrayView::from_shape(shape, &leaf.values()[..], Order::C)
}

fn reject_level_nulls(nulls: Option<&NullBuffer>, name: &str, axis: usize) -> Result<()> {
    match nulls.map(NullBuffer::null_count) {
        Some(n) if n > 0 => bail!(
            InvalidArgument,
            "argument `{name}` axis {axis}: the Arrow data has {n} null(s); a tensor view needs every value"
        ),
        _ => Ok(()),
    }
}

/// Hands a rank-`D` array to Arrow as nested fixed-size lists (rank 1: a primitive array):
/// no copy when the array is C-contiguous, else one counted copy into C order.
///
/// # Errors
///
/// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when an inner dimension exceeds
/// `i32::MAX` (Arrow's limit for a list size).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::arrow::tensor_into_arrow;
/// use array_expr_runtime::Array;
/// use arrow_array::Array as _;
/// let a = Array::<u8, 3>::zeros([2, 3, 4]);
/// let list = tensor_into_arrow(a)?;
/// assert_eq!(list.len(), 2);
/// assert_eq!(list.data_type().to_string(), "FixedSizeList(3 x non-null FixedSizeList(4 x non-null UInt8))");
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub fn tensor_into_arrow<T: ArrowElement, const D: usize>(array: Array<T, D>) -> Result<ArrayRef> {
    let shape = array.shape();
    let data = if array.is_c_contiguous() {
        array.into_raw_vec().0
    } else {
        record_layout_copy(std::mem::size_of::<T>().saturating_mul(array.len()));
        array.view().to_owned_order(Order::C).into_raw_vec().0
    };
    let mut out: ArrayRef = Arc::new(PrimitiveArray::<T::Arrow>::new(ScalarBuffer::from(data), None));
    let mut rows = shape.iter().product::<usize>();
    for (axis, &size) in shape.iter().enumerate().skip(1).rev() {
        rows = rows.checked_div(size).unwrap_or(0);
        out = Arc::new(fixed_size_list(out, size, rows, axis)?);
    }
    Ok(out)
}

fn fixed_size_list(values: ArrayRef, size: usize, rows: usize, axis: usize) -> Result<FixedSizeListArray> {
    let Ok(size) = i32::try_from(size) else {
        bail!(
            Overflow,
            "argument `array` axis {axis}: size {size} exceeds Arrow's fixed-size list limit {}",
            i32::MAX
        );
    };
    let field = Arc::new(Field::new_list_field(values.data_type().clone(), false));
    FixedSizeListArray::try_new_with_length(field, size, values, None, rows)
        .map_err(|e| err!(InvalidLayout, "argument `array` axis {axis}: {e}"))
}
