//! The DSL's syntax tree. Every node keeps the span of the token errors should point at.

use crate::dtype::{Dtype, Policy};
use crate::shape::Dim;
use proc_macro2::{Ident, Span};

/// One macro invocation: kernels (items) or one inline expression.
pub(crate) enum Input {
    Kernels(Vec<KernelFn>),
    Inline(Inline),
}

/// `(x: f32[n], y: f32[n]) => expr` over local variables of the same names.
pub(crate) struct Inline {
    pub(crate) params: Vec<Param>,
    pub(crate) body: Body,
}

/// `#[attrs] vis fn name(params) -> ret { body }`.
pub(crate) struct KernelFn {
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) vis: syn::Visibility,
    pub(crate) name: Ident,
    pub(crate) params: Vec<Param>,
    /// `None` for an in-place kernel (no `->`).
    pub(crate) ret: Option<TypeDecl>,
    /// Further outputs of a kernel declared `-> (a, b, ...)`, after the first (`ret`).
    pub(crate) extra_rets: Vec<TypeDecl>,
    pub(crate) body: Body,
    pub(crate) policy: Policy,
}

/// `name: dtype[dims]` or `name: dtype` (a scalar).
pub(crate) struct Param {
    pub(crate) name: Ident,
    pub(crate) ty: TypeDecl,
    /// Declared `mut name: ...`: the kernel updates it in place.
    pub(crate) mutable: bool,
}

/// A declared type: dtype and, for arrays, dims.
#[derive(Clone)]
pub(crate) struct TypeDecl {
    pub(crate) dtype: Dtype,
    pub(crate) dtype_span: Span,
    /// `None` for a scalar.
    pub(crate) dims: Option<Vec<(Dim, Span)>>,
}

impl TypeDecl {
    pub(crate) fn shape(&self) -> Vec<Dim> {
        self.dims.iter().flatten().map(|(d, _)| d.clone()).collect()
    }
}

/// `let` bindings then the result expression.
pub(crate) struct Body {
    pub(crate) lets: Vec<(Ident, Expr)>,
    pub(crate) result: Expr,
    /// Further results of a tuple body `(a, b, ...)`, after the first (`result`).
    pub(crate) extra_results: Vec<Expr>,
    /// `x = result` or `x op= result` ending an in-place kernel: target, operator, span.
    pub(crate) assign: Option<(Ident, Option<BinOp>, Span)>,
}

/// Binary operators, loosest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "|",
            BinOp::And => "&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }

    /// The verb used in messages ("cannot add ...").
    pub(crate) fn verb(self) -> &'static str {
        match self {
            BinOp::Add => "add",
            BinOp::Sub => "subtract",
            BinOp::Mul => "multiply",
            BinOp::Div => "divide",
            BinOp::Rem => "take the remainder of",
            BinOp::And | BinOp::Or => "combine",
            _ => "compare",
        }
    }

    pub(crate) fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }

    pub(crate) fn is_logical(self) -> bool {
        matches!(self, BinOp::And | BinOp::Or)
    }
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
    Neg,
    Not,
}

/// An expression of the DSL.
pub(crate) enum Expr {
    /// An integer literal (its sign is a separate `Neg`).
    Int {
        value: u128,
        span: Span,
    },
    /// A float literal, with its text as written.
    Float {
        value: f64,
        text: String,
        span: Span,
    },
    Bool {
        value: bool,
        span: Span,
    },
    Var(Ident),
    Unary {
        op: UnOp,
        span: Span,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Cast {
        expr: Box<Expr>,
        to: Dtype,
        span: Span,
    },
    Call(Call),
    /// `x.T` (all axes reversed) or `transpose(x, axes = (..))`.
    Transpose {
        expr: Box<Expr>,
        axes: Option<Vec<i64>>,
        span: Span,
    },
    /// `x[:, newaxis]`: keeps `:` axes in order and inserts length-1 axes.
    Index {
        expr: Box<Expr>,
        items: Vec<IndexItem>,
        span: Span,
    },
}

/// One entry of `x[...]` inside an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IndexItem {
    /// `:` keeps the next axis.
    Full,
    /// `newaxis` (or `None`) inserts an axis of length 1.
    NewAxis,
}

/// `name::<acc>(args, axis = .., keepdims)`.
pub(crate) struct Call {
    pub(crate) name: Ident,
    pub(crate) acc: Option<(Dtype, Span)>,
    pub(crate) args: Vec<Expr>,
    pub(crate) axis: Option<(Vec<i64>, Span)>,
    pub(crate) keepdims: bool,
}
