//! The typed IR: an arena of nodes, each with a dtype, a symbolic shape and a span. Children
//! always come before their parents, so arena order is a valid evaluation order.

use crate::ast::{BinOp, UnOp};
use crate::dtype::Dtype;
use crate::shape::{self, Shape};
use proc_macro2::Span;
use std::fmt;

/// Index of a node in [`Ir::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NodeId(pub(crate) u32);

/// Elementwise functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Abs,
    Sqrt,
    Exp,
    Exp2,
    Expm1,
    Ln,
    Log2,
    Log10,
    Log1p,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sinh,
    Cosh,
    Sigmoid,
    Floor,
    Ceil,
    Round,
    Square,
    Minimum,
    Maximum,
    Pow,
    Powi,
    Clip,
}

impl Func {
    pub(crate) fn from_name(name: &str, nargs: usize) -> Option<Func> {
        Some(match (name, nargs) {
            ("abs", 1) => Func::Abs,
            ("sqrt", 1) => Func::Sqrt,
            ("exp", 1) => Func::Exp,
            ("exp2", 1) => Func::Exp2,
            ("expm1", 1) => Func::Expm1,
            ("ln", 1) => Func::Ln,
            ("log2", 1) => Func::Log2,
            ("log10", 1) => Func::Log10,
            ("log1p", 1) => Func::Log1p,
            ("sin", 1) => Func::Sin,
            ("cos", 1) => Func::Cos,
            ("tan", 1) => Func::Tan,
            ("tanh", 1) => Func::Tanh,
            ("sinh", 1) => Func::Sinh,
            ("cosh", 1) => Func::Cosh,
            ("sigmoid", 1) => Func::Sigmoid,
            ("floor", 1) => Func::Floor,
            ("ceil", 1) => Func::Ceil,
            ("round", 1) => Func::Round,
            ("square", 1) => Func::Square,
            ("min", 2) => Func::Minimum,
            ("max", 2) => Func::Maximum,
            ("pow", 2) => Func::Pow,
            ("powi", 2) => Func::Powi,
            ("clip", 3) => Func::Clip,
            _ => return None,
        })
    }

    /// Functions defined on floats only.
    pub(crate) fn float_only(self) -> bool {
        !matches!(self, Func::Abs | Func::Square | Func::Minimum | Func::Maximum | Func::Clip)
    }

    /// Name of the runtime function in `__private::ops`.
    pub(crate) fn runtime_name(self) -> &'static str {
        match self {
            Func::Abs => "abs",
            Func::Sqrt => "sqrt",
            Func::Exp => "exp",
            Func::Exp2 => "exp2",
            Func::Expm1 => "expm1",
            Func::Ln => "ln",
            Func::Log2 => "log2",
            Func::Log10 => "log10",
            Func::Log1p => "log1p",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Tanh => "tanh",
            Func::Sinh => "sinh",
            Func::Cosh => "cosh",
            Func::Sigmoid => "sigmoid",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Round => "round",
            Func::Square => "square",
            Func::Minimum => "minimum",
            Func::Maximum => "maximum",
            Func::Pow => "pow",
            Func::Powi => "powi",
            Func::Clip => "clip",
        }
    }
}

/// Reductions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReduceKind {
    Sum,
    Prod,
    Mean,
    Min,
    Max,
    Any,
    All,
    ArgMin,
    ArgMax,
}

impl ReduceKind {
    pub(crate) fn from_name(name: &str) -> Option<ReduceKind> {
        Some(match name {
            "sum" => ReduceKind::Sum,
            "prod" => ReduceKind::Prod,
            "mean" => ReduceKind::Mean,
            "min" => ReduceKind::Min,
            "max" => ReduceKind::Max,
            "any" => ReduceKind::Any,
            "all" => ReduceKind::All,
            "argmin" => ReduceKind::ArgMin,
            "argmax" => ReduceKind::ArgMax,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ReduceKind::Sum => "sum",
            ReduceKind::Prod => "prod",
            ReduceKind::Mean => "mean",
            ReduceKind::Min => "min",
            ReduceKind::Max => "max",
            ReduceKind::Any => "any",
            ReduceKind::All => "all",
            ReduceKind::ArgMin => "argmin",
            ReduceKind::ArgMax => "argmax",
        }
    }
}

/// A constant's value (its dtype is the node's).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Const {
    Int(i128),
    Float(f64),
    Bool(bool),
}

/// What a node computes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Array parameter number `.0`.
    Array(usize),
    /// Scalar parameter number `.0`.
    Scalar(usize),
    Const(Const),
    Unary(UnOp, NodeId),
    Binary(BinOp, NodeId, NodeId),
    /// Conversion to the node's dtype.
    Cast(NodeId),
    Func(Func, Vec<NodeId>),
    Where(NodeId, NodeId, NodeId),
    /// Matrix product of two rank-2 values through GEMM; its output is a pass boundary.
    MatMul(NodeId, NodeId),
    /// A view of a leaf operand: axis `k` is axis `map[k]` of the input, or a new axis.
    View {
        input: NodeId,
        map: Vec<Option<usize>>,
    },
    /// Reduction over `axes` of the input (sorted), accumulating in `acc`.
    Reduce {
        kind: ReduceKind,
        input: NodeId,
        axes: Vec<usize>,
        keepdims: bool,
        acc: Dtype,
    },
}

/// One typed node.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) op: Op,
    pub(crate) dtype: Dtype,
    pub(crate) shape: Shape,
    pub(crate) span: Span,
}

/// A typed kernel body.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ir {
    pub(crate) nodes: Vec<Node>,
}

impl Ir {
    pub(crate) fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        NodeId(self.nodes.len() as u32 - 1)
    }

    pub(crate) fn get(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0 as usize)
    }

    /// Children of a node, in order.
    pub(crate) fn children(op: &Op) -> Vec<NodeId> {
        match op {
            Op::Array(_) | Op::Scalar(_) | Op::Const(_) => vec![],
            Op::Unary(_, a) | Op::Cast(a) | Op::View { input: a, .. } => vec![*a],
            Op::Reduce { input, .. } => vec![*input],
            Op::Binary(_, a, b) | Op::MatMul(a, b) => vec![*a, *b],
            Op::Func(_, args) => args.clone(),
            Op::Where(c, a, b) => vec![*c, *a, *b],
        }
    }
}

impl fmt::Display for Ir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.nodes.iter().enumerate() {
            writeln!(f, "%{i}: {}{} = {:?}", n.dtype, shape::show(&n.shape), n.op)?;
        }
        Ok(())
    }
}
