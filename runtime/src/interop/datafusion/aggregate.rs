//! Reduction kernels as DataFusion aggregate UDFs.

use super::{args::operand_list, df_err, input_types, KernelArgs};
use crate::diagnostics::record_layout_copy;
use crate::error::{bail, err, Result};
use crate::interop::arrow::{downcast, ArrowElement};
use crate::interop::signature::KernelSignature;
use arrow_array::{Array as _, ArrayRef, BooleanArray};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;
use datafusion_common::ScalarValue;
use datafusion_expr::function::AccumulatorArgs;
use datafusion_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

type AggFn<T> = dyn Fn(&KernelArgs) -> Result<T> + Send + Sync;

/// A reduction kernel (`fn k(x: f64[n], ..) -> f64`) as a DataFusion aggregate UDF: the kernel
/// runs once per record batch (rows with a null argument skipped), and the partial results are
/// merged with `combine` (e.g. `|a, b| a + b` for a sum, `f64::max` for a maximum); see the
/// [module docs](super) on determinism. `GROUP BY` works: each group has its own accumulator.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::datafusion::KernelUdaf;
/// use array_expr_runtime::interop::signature::{Dim, KernelSignature, OperandSignature};
/// use array_expr_runtime::DType;
/// // what `array_expr!` generates for `fn total(x: f64[n]) -> f64 { sum(x) }`
/// const TOTAL_SIGNATURE: KernelSignature = KernelSignature {
///     name: "total",
///     inputs: &[OperandSignature { name: "x", dtype: DType::F64, dims: Some(&[Dim::Sym("n")]), mutable: false }],
///     outputs: &[OperandSignature { name: "out", dtype: DType::F64, dims: None, mutable: false }],
/// };
/// let udaf = KernelUdaf::<f64>::new(TOTAL_SIGNATURE, |a| Ok(a.array::<f64>(0)?.to_vec().iter().sum::<f64>()), |a, b| a + b)?;
/// assert_eq!(udaf.into_udaf().name(), "total");
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
pub struct KernelUdaf<T> {
    name: String,
    sig: KernelSignature,
    signature: Signature,
    call: Arc<AggFn<T>>,
    combine: fn(T, T) -> T,
}

impl<T: ArrowElement> KernelUdaf<T> {
    /// An aggregate named after the kernel, with Arrow types from `sig`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) when a parameter is not
    /// a rank-1 array of a numeric dtype, or the kernel does not return one scalar;
    /// [`ErrorKind::DType`](crate::ErrorKind::DType) when that scalar's dtype is not `T`.
    ///
    /// # Examples
    ///
    /// See [`KernelUdaf`].
    pub fn new<F>(sig: KernelSignature, kernel: F, combine: fn(T, T) -> T) -> Result<Self>
    where
        F: Fn(&KernelArgs) -> Result<T> + Send + Sync + 'static,
    {
        let inputs = input_types(&sig)?;
        if let Some(op) = sig.inputs.iter().find(|op| op.rank() != Some(1)) {
            bail!(
                InvalidArgument,
                "kernel `{}` parameter `{op}`: an aggregate takes rank-1 columns only",
                sig.name
            );
        }
        match sig.outputs {
            [out] if out.rank().is_none() && out.dtype == T::DTYPE => {}
            [out] if out.rank().is_none() => {
                bail!(
                    DType,
                    "kernel `{}` returns {}, but the aggregate was built for {}",
                    sig.name,
                    out.dtype,
                    T::DTYPE
                )
            }
            _ => bail!(
                InvalidArgument,
                "kernel `{}`: an aggregate UDF needs a kernel returning one scalar, this one returns ({})",
                sig.name,
                operand_list(sig.outputs)
            ),
        }
        Ok(KernelUdaf {
            name: sig.name.to_string(),
            sig,
            signature: Signature::exact(inputs, Volatility::Immutable),
            call: Arc::new(kernel),
            combine,
        })
    }

    /// Registers the function under `name` instead of the kernel's name.
    ///
    /// # Examples
    ///
    /// See [`KernelUdaf`].
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The DataFusion function, for `SessionContext::register_udaf`.
    ///
    /// # Examples
    ///
    /// See [`KernelUdaf`].
    pub fn into_udaf(self) -> AggregateUDF {
        AggregateUDF::new_from_impl(self)
    }
}

impl<T> fmt::Debug for KernelUdaf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KernelUdaf").field("name", &self.name).field("kernel", &self.sig.to_string()).finish()
    }
}

impl<T> PartialEq for KernelUdaf<T> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.call, &other.call)
    }
}

impl<T> Eq for KernelUdaf<T> {}

impl<T> Hash for KernelUdaf<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (&self.name, &self.sig).hash(state);
    }
}

impl<T: ArrowElement> AggregateUDFImpl for KernelUdaf<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> datafusion_common::Result<DataType> {
        Ok(T::data_type())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> datafusion_common::Result<Box<dyn Accumulator>> {
        Ok(Box::new(KernelAccumulator {
            sig: self.sig,
            call: Arc::clone(&self.call),
            combine: self.combine,
            acc: None,
        }))
    }
}

/// One group's running result: the combined partials of the batches seen so far.
struct KernelAccumulator<T> {
    sig: KernelSignature,
    call: Arc<AggFn<T>>,
    combine: fn(T, T) -> T,
    acc: Option<T>,
}

impl<T: ArrowElement> KernelAccumulator<T> {
    fn add(&mut self, part: T) {
        self.acc = Some(match self.acc {
            Some(a) => (self.combine)(a, part),
            None => part,
        });
    }

    fn update(&mut self, values: &[ArrayRef]) -> Result<()> {
        let values = drop_null_rows(values)?;
        if values.first().is_none_or(|c| c.is_empty()) {
            return Ok(()); // no rows: nothing to reduce (SQL: the aggregate of no rows is NULL)
        }
        let part = (self.call)(&KernelArgs::from_arrays(&self.sig, values)?)?;
        self.add(part);
        Ok(())
    }

    fn merge(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(state) = states.first() else {
            bail!(InvalidArgument, "kernel `{}`: an aggregate merge without a state column", self.sig.name);
        };
        let parts = downcast::<T>(state.as_ref(), "state")?;
        for (i, &v) in parts.values().iter().enumerate() {
            if parts.is_valid(i) {
                self.add(v);
            }
        }
        Ok(())
    }

    fn value(&self) -> Result<ScalarValue> {
        ScalarValue::new_primitive::<T::Arrow>(self.acc, &T::data_type())
            .map_err(|e| err!(InvalidArgument, "{e}"))
    }
}

/// The columns without the rows where any of them is null: the same columns (no copy) when
/// none is null, else one counted copy of each column's valid rows.
fn drop_null_rows(values: &[ArrayRef]) -> Result<Vec<ArrayRef>> {
    let nulls = values.iter().fold(None::<NullBuffer>, |acc, v| NullBuffer::union(acc.as_ref(), v.nulls()));
    let Some(valid) = nulls.filter(|n| n.null_count() > 0) else {
        return Ok(values.to_vec());
    };
    let keep = BooleanArray::new(valid.into_inner(), None);
    values
        .iter()
        .map(|v| {
            let kept =
                arrow_select::filter::filter(v.as_ref(), &keep).map_err(|e| err!(InvalidArgument, "{e}"))?;
            record_layout_copy(kept.len().saturating_mul(v.data_type().primitive_width().unwrap_or(1)));
            Ok(kept)
        })
        .collect()
}

impl<T: ArrowElement> fmt::Debug for KernelAccumulator<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KernelAccumulator").field("kernel", &self.sig.name).field("acc", &self.acc).finish()
    }
}

impl<T: ArrowElement> Accumulator for KernelAccumulator<T> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> datafusion_common::Result<()> {
        self.update(values).map_err(df_err)
    }

    fn evaluate(&mut self) -> datafusion_common::Result<ScalarValue> {
        self.value().map_err(df_err)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }

    fn state(&mut self) -> datafusion_common::Result<Vec<ScalarValue>> {
        Ok(vec![self.value().map_err(df_err)?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> datafusion_common::Result<()> {
        self.merge(states).map_err(df_err)
    }
}
