//! The arguments a UDF hands to its kernel (one record batch), and the kernel's column result.

use crate::array::Array;
use crate::error::{bail, err, Result};
use crate::interop::arrow::{downcast, into_arrow, ArrowElement};
use crate::interop::signature::{KernelSignature, OperandSignature};
use crate::view::ArrayView;
use arrow_array::{Array as _, ArrayRef, BooleanArray, PrimitiveArray};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use datafusion_expr::ColumnarValue;
use std::sync::Arc;

/// One record batch's arguments of a kernel UDF, in the kernel's parameter order. Columns are
/// borrowed from the batch (no copy); a SQL literal given for an array operand is broadcast
/// with a zero stride (no copy either).
///
/// Build one with [`KernelArgs::from_arrays`] to call a UDF's kernel closure directly.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::datafusion::KernelArgs;
/// use array_expr_runtime::interop::signature::{Dim, KernelSignature, OperandSignature};
/// use array_expr_runtime::DType;
/// use arrow_array::{ArrayRef, Float64Array};
/// use std::sync::Arc;
/// const SIG: KernelSignature = KernelSignature {
///     name: "k",
///     inputs: &[OperandSignature { name: "x", dtype: DType::F64, dims: Some(&[Dim::Sym("n")]), mutable: false }],
///     outputs: &[OperandSignature { name: "out", dtype: DType::F64, dims: Some(&[Dim::Sym("n")]), mutable: false }],
/// };
/// let col: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.0]));
/// let args = KernelArgs::from_arrays(&SIG, vec![col])?;
/// assert_eq!(args.rows(), 2);
/// assert_eq!(args.array::<f64>(0)?.to_vec(), vec![1.0, 2.0]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
#[derive(Debug)]
pub struct KernelArgs {
    kernel: &'static str,
    operands: &'static [OperandSignature],
    columns: Vec<ArrayRef>,
    literal: Vec<bool>,
    rows: usize,
}

impl KernelArgs {
    /// Arguments from the columns of one batch (all of `rows()` = the first column's length).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when the count of columns
    /// is not the kernel's parameter count, or the columns differ in length.
    ///
    /// # Examples
    ///
    /// See [`KernelArgs`].
    pub fn from_arrays(sig: &KernelSignature, columns: Vec<ArrayRef>) -> Result<Self> {
        let rows = columns.first().map_or(0, |c| c.len());
        let values = columns.into_iter().map(ColumnarValue::Array).collect();
        Self::new(sig, values, rows)
    }

    /// Arguments from DataFusion's evaluated arguments: arrays stay as they are, scalars become
    /// one-element arrays broadcast to `rows`.
    pub(crate) fn new(sig: &KernelSignature, values: Vec<ColumnarValue>, rows: usize) -> Result<Self> {
        if values.len() != sig.inputs.len() {
            bail!(
                ShapeMismatch,
                "kernel `{}`: expected {} argument(s) ({}), found {}",
                sig.name,
                sig.inputs.len(),
                operand_list(sig.inputs),
                values.len()
            );
        }
        let mut out = KernelArgs {
            kernel: sig.name,
            operands: sig.inputs,
            columns: Vec::new(),
            literal: Vec::new(),
            rows,
        };
        for (v, op) in values.into_iter().zip(sig.inputs) {
            let (column, literal) = match v {
                ColumnarValue::Array(a) => (a, false),
                ColumnarValue::Scalar(s) => (s.to_array_of_size(1).map_err(|e| out.arg_err(op, &e))?, true),
            };
            if !literal && column.len() != rows {
                bail!(
                    ShapeMismatch,
                    "argument `{}` of kernel `{}`: column has {} rows, expected {rows}",
                    op.name,
                    sig.name,
                    column.len()
                );
            }
            out.columns.push(column);
            out.literal.push(literal);
        }
        Ok(out)
    }

    fn arg_err(&self, op: &OperandSignature, e: &dyn std::fmt::Display) -> crate::Error {
        err!(InvalidArgument, "argument `{}` of kernel `{}`: {e}", op.name, self.kernel)
    }

    /// The batch's row count.
    ///
    /// # Examples
    ///
    /// See [`KernelArgs`].
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn column(&self, i: usize) -> Result<(&ArrayRef, &OperandSignature, bool)> {
        match (self.columns.get(i), self.operands.get(i), self.literal.get(i)) {
            (Some(c), Some(op), Some(&lit)) => Ok((c, op, lit)),
            _ => bail!(
                OutOfBounds,
                "kernel `{}` has {} argument(s), asked for argument {i}",
                self.kernel,
                self.columns.len()
            ),
        }
    }

    /// Argument `i` as a rank-1 view of `rows()` elements: the batch's column (no copy), or a
    /// literal broadcast with a zero stride. Values under null slots are not hidden here: the
    /// UDF's [`NullPolicy`](super::NullPolicy) masks or rejects them.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::DType`](crate::ErrorKind::DType) when the column is not of `T`'s Arrow type
    /// (the message names the argument).
    ///
    /// # Examples
    ///
    /// See [`KernelArgs`].
    pub fn array<T: ArrowElement>(&self, i: usize) -> Result<ArrayView<'_, T, 1>> {
        let (col, op, literal) = self.column(i)?;
        let view = ArrayView::from_slice(&downcast::<T>(col.as_ref(), op.name)?.values()[..]);
        if literal {
            view.broadcast_to([self.rows])
        } else {
            Ok(view)
        }
    }

    /// Argument `i` as one value: a kernel's scalar parameter (`s: f32`), given as a SQL literal.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when the argument is a
    /// column rather than a literal, or a null literal; [`ErrorKind::DType`](crate::ErrorKind::DType)
    /// as in [`array`](Self::array).
    ///
    /// # Examples
    ///
    /// ```
    /// # use array_expr_runtime::interop::datafusion::KernelArgs;
    /// # use array_expr_runtime::interop::signature::{KernelSignature, OperandSignature};
    /// # use array_expr_runtime::DType;
    /// # use arrow_array::{ArrayRef, Float32Array};
    /// # use std::sync::Arc;
    /// # const SIG: KernelSignature = KernelSignature {
    /// #     name: "k",
    /// #     inputs: &[OperandSignature { name: "s", dtype: DType::F32, dims: None, mutable: false }],
    /// #     outputs: &[],
    /// # };
    /// let col: ArrayRef = Arc::new(Float32Array::from(vec![1.0, 2.0]));
    /// let args = KernelArgs::from_arrays(&SIG, vec![col])?;
    /// assert_eq!(
    ///     args.scalar::<f32>(0).unwrap_err().to_string(),
    ///     "argument `s` of kernel `k`: the kernel takes one value here; pass a literal, not a column"
    /// );
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    pub fn scalar<T: ArrowElement>(&self, i: usize) -> Result<T> {
        let (col, op, literal) = self.column(i)?;
        if !literal {
            return Err(self.arg_err(op, &"the kernel takes one value here; pass a literal, not a column"));
        }
        let values = downcast::<T>(col.as_ref(), op.name)?;
        match values.values().first() {
            Some(v) if values.null_count() == 0 => Ok(*v),
            _ => Err(self.arg_err(op, &"a NULL literal has no value")),
        }
    }

    /// The columns in parameter order, and whether each was a literal.
    pub(crate) fn columns(&self) -> impl Iterator<Item = (&ArrayRef, &OperandSignature, bool)> {
        self.columns.iter().zip(self.operands).zip(&self.literal).map(|((c, o), l)| (c, o, *l))
    }

    pub(crate) fn kernel(&self) -> &'static str {
        self.kernel
    }
}

pub(crate) fn operand_list(ops: &[OperandSignature]) -> String {
    ops.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(", ")
}

/// A kernel result a scalar UDF can return as a column: `Array<T, 1>` of any numeric dtype (no
/// copy: Arrow takes over the allocation) or `Array<bool, 1>` (bit-packed into Arrow's
/// `Boolean`). Sealed.
pub trait KernelOutput: sealed::Sealed {
    /// The column, with `nulls` as its validity.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ShapeMismatch`](crate::ErrorKind::ShapeMismatch) when `nulls` is not the
    /// result's length.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::interop::datafusion::KernelOutput;
    /// use array_expr_runtime::Array;
    /// let col = Array::from_vec(vec![1i32, 2]).into_column(None)?;
    /// assert_eq!(col.len(), 2);
    /// # Ok::<(), array_expr_runtime::Error>(())
    /// ```
    fn into_column(self, nulls: Option<NullBuffer>) -> Result<ArrayRef>;
}

mod sealed {
    pub trait Sealed {}
    impl<T: crate::interop::arrow::ArrowElement> Sealed for crate::Array<T, 1> {}
    impl Sealed for crate::Array<bool, 1> {}
}

fn check_nulls(len: usize, nulls: &Option<NullBuffer>) -> Result<()> {
    match nulls {
        Some(n) if n.len() != len => {
            bail!(ShapeMismatch, "argument `nulls`: {} entries for a result of {len}", n.len())
        }
        _ => Ok(()),
    }
}

impl<T: ArrowElement> KernelOutput for Array<T, 1> {
    fn into_column(self, nulls: Option<NullBuffer>) -> Result<ArrayRef> {
        check_nulls(self.len(), &nulls)?;
        let (_, values, _) = into_arrow(self).into_parts();
        let array =
            PrimitiveArray::<T::Arrow>::try_new(values, nulls).map_err(|e| err!(InvalidArgument, "{e}"))?;
        Ok(Arc::new(array))
    }
}

impl KernelOutput for Array<bool, 1> {
    fn into_column(self, nulls: Option<NullBuffer>) -> Result<ArrayRef> {
        check_nulls(self.len(), &nulls)?;
        let bits = BooleanBuffer::from(self.as_slice_memory_order());
        Ok(Arc::new(BooleanArray::new(bits, nulls)))
    }
}
