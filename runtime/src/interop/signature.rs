//! A kernel's operand contract as data: the `NAME_SIGNATURE` constant `array_expr!` generates
//! for every named kernel, read by adapters (the DataFusion UDFs) so users do not restate
//! dtypes and ranks.

use crate::element::DType;
use std::fmt;

/// One dimension of a declared operand: a symbol (`n`) or a literal size (`3`).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::signature::Dim;
/// assert_eq!(Dim::Sym("n").to_string(), "n");
/// assert_eq!(Dim::Lit(3).to_string(), "3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dim {
    /// A symbolic dimension, bound once per call from the arguments.
    Sym(&'static str),
    /// A literal size.
    Lit(usize),
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Sym(s) => f.write_str(s),
            Dim::Lit(n) => write!(f, "{n}"),
        }
    }
}

/// One declared operand or output of a kernel: its name, dtype and dims (`None` for a scalar
/// value parameter such as `s: f32`, `Some(&[])` for a rank-0 array).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::signature::{Dim, OperandSignature};
/// use array_expr_runtime::DType;
/// let x = OperandSignature { name: "x", dtype: DType::F32, dims: Some(&[Dim::Sym("n")]), mutable: false };
/// assert_eq!(x.rank(), Some(1));
/// assert_eq!(x.to_string(), "x: f32[n]");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OperandSignature {
    /// The parameter name (`out`, `out0`, `out1`, ... for results).
    pub name: &'static str,
    /// The element dtype.
    pub dtype: DType,
    /// The declared dims; `None` for a scalar value parameter.
    pub dims: Option<&'static [Dim]>,
    /// True for a `mut` parameter the kernel updates in place.
    pub mutable: bool,
}

impl OperandSignature {
    /// The rank, or `None` for a scalar value parameter.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::interop::signature::OperandSignature;
    /// use array_expr_runtime::DType;
    /// let s = OperandSignature { name: "s", dtype: DType::F64, dims: None, mutable: false };
    /// assert_eq!(s.rank(), None);
    /// ```
    pub fn rank(&self) -> Option<usize> {
        self.dims.map(<[Dim]>::len)
    }
}

impl fmt::Display for OperandSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = if self.mutable { "mut " } else { "" };
        write!(f, "{m}{}: {}", self.name, self.dtype)?;
        if let Some(dims) = self.dims {
            let dims: Vec<String> = dims.iter().map(Dim::to_string).collect();
            write!(f, "[{}]", dims.join(", "))?;
        }
        Ok(())
    }
}

/// A kernel's contract: its name, operands in call order, and outputs. `array_expr!` emits one
/// as `NAME_SIGNATURE` (the kernel name upper-cased) next to every named kernel.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::interop::signature::{Dim, KernelSignature, OperandSignature};
/// use array_expr_runtime::DType;
/// const N: &[Dim] = &[Dim::Sym("n")];
/// let sig = KernelSignature {
///     name: "scale",
///     inputs: &[
///         OperandSignature { name: "x", dtype: DType::F32, dims: Some(N), mutable: false },
///         OperandSignature { name: "s", dtype: DType::F32, dims: None, mutable: false },
///     ],
///     outputs: &[OperandSignature { name: "out", dtype: DType::F32, dims: Some(N), mutable: false }],
/// };
/// assert_eq!(sig.to_string(), "scale(x: f32[n], s: f32) -> out: f32[n]");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelSignature {
    /// The kernel's function name.
    pub name: &'static str,
    /// The parameters, in call order.
    pub inputs: &'static [OperandSignature],
    /// The results (for an in-place kernel: the updated parameter).
    pub outputs: &'static [OperandSignature],
}

impl fmt::Display for KernelSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list =
            |ops: &[OperandSignature]| ops.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(", ");
        write!(f, "{}({}) -> {}", self.name, list(self.inputs), list(self.outputs))
    }
}
