//! ast -> ir: dtype inference under the strict / safe policy, literal adaptation, symbolic
//! shapes and broadcasting. Every error is reported at the smallest offending token; a subtree
//! with an error yields `None` so its parents report nothing more (no follow-on errors).

mod dtypes;
mod ops;
mod reduce;
mod views;

use crate::ast::{BinOp, Body, Expr, Param};
use crate::diag::Errors;
use crate::dtype::{Dtype, Policy};
use crate::ir::{Const, Ir, Node, NodeId, Op};
use crate::shape::{self, Shape};
use proc_macro2::Span;
use std::collections::BTreeMap;

/// Highest rank an operand may have.
pub(crate) const MAX_RANK: usize = 6;

/// A literal whose dtype is not decided yet: it adapts to the operand it meets.
#[derive(Clone)]
struct Pending {
    value: Const,
    text: String,
    span: Span,
}

/// A typed value: a node, or a literal still waiting for a dtype.
#[derive(Clone)]
enum Val {
    Node(NodeId, String),
    Lit(Pending),
}

/// The typed body of a kernel.
pub(crate) struct Typed {
    pub(crate) ir: Ir,
    pub(crate) root: NodeId,
    /// The parameter an in-place kernel updates.
    pub(crate) inplace: Option<usize>,
    /// The roots of further outputs (a tuple result), after `root`.
    pub(crate) extra_roots: Vec<NodeId>,
}

struct Cx<'a> {
    ir: Ir,
    params: &'a [Param],
    scope: BTreeMap<String, Val>,
    policy: Policy,
    errors: &'a mut Errors,
}

/// Types `body` over `params`. Returns `None` when an error was reported.
pub(crate) fn typeck(params: &[Param], body: &Body, policy: Policy, errors: &mut Errors) -> Option<Typed> {
    let mut cx = Cx { ir: Ir::default(), params, scope: BTreeMap::new(), policy, errors };
    cx.declare_params();
    for (name, value) in &body.lets {
        let v = cx.expr(value);
        if let Some(v) = v {
            let v = match v {
                Val::Node(id, _) => Val::Node(id, name.to_string()),
                lit => lit,
            };
            cx.scope.insert(name.to_string(), v);
        } else {
            cx.poison(&name.to_string(), name.span());
        }
    }
    let root = cx.expr(&body.result);
    let extra: Vec<Option<NodeId>> = body
        .extra_results
        .iter()
        .map(|e| {
            let v = cx.expr(e)?;
            cx.materialize(v, None)
        })
        .collect();
    let (root, inplace) = match &body.assign {
        None => (cx.materialize(root?, None)?, None),
        Some((target, op, span)) => cx.assignment(target, *op, *span, root?)?,
    };
    cx.check_mut_params(inplace);
    if !cx.errors.is_empty() {
        return None;
    }
    let extra_roots = extra.into_iter().collect::<Option<Vec<_>>>()?;
    Some(Typed { ir: cx.ir, root, inplace, extra_roots })
}

fn describe(name: &str, dtype: Dtype, shape: &Shape) -> String {
    format!("`{name}: {dtype}{}`", shape::show(shape))
}

fn wrap(label: &str) -> String {
    if label.chars().all(|c| c.is_alphanumeric() || c == '_') {
        label.to_string()
    } else {
        format!("({label})")
    }
}

impl Cx<'_> {
    pub(super) fn declare_params(&mut self) {
        let mut seen = BTreeMap::new();
        for (i, p) in self.params.iter().enumerate() {
            let name = p.name.to_string();
            if seen.insert(name.clone(), ()).is_some() {
                self.errors.push(p.name.span(), format!("the operand `{name}` is declared twice"));
                continue;
            }
            if let Some(dims) = &p.ty.dims {
                if dims.len() > MAX_RANK {
                    let span = dims.get(MAX_RANK).map_or(p.name.span(), |d| d.1);
                    self.errors.push(
                        span,
                        format!("`{name}` has rank {}; at most {MAX_RANK} axes are supported", dims.len()),
                    );
                    self.poison(&name, p.name.span());
                    continue;
                }
            }
            let (op, shape) = match &p.ty.dims {
                Some(_) => (Op::Array(i), p.ty.shape()),
                None => (Op::Scalar(i), Vec::new()),
            };
            let id = self.ir.push(Node { op, dtype: p.ty.dtype, shape, span: p.name.span() });
            self.scope.insert(name.clone(), Val::Node(id, name));
        }
    }

    /// `x = value` / `x op= value`: the target must be a `mut` array parameter, and the value
    /// must have its dtype and broadcast to its shape without reading it through a view.
    pub(super) fn assignment(
        &mut self,
        target: &proc_macro2::Ident,
        op: Option<BinOp>,
        span: Span,
        value: Val,
    ) -> Option<(NodeId, Option<usize>)> {
        let name = target.to_string();
        let Some(pi) = self.params.iter().position(|p| p.name == name) else {
            self.errors.push(
                target.span(),
                format!("`{name}` is not a parameter; an in-place update assigns to a `mut` parameter"),
            );
            return None;
        };
        let p = self.params.get(pi)?;
        if !p.mutable || p.ty.dims.is_none() {
            self.errors.push(target.span(), format!("`{name}` is not a `mut` array parameter; declare it `mut {name}: {}{}` to update it in place", p.ty.dtype, shape::show(&p.ty.shape())));
            return None;
        }
        let (dtype, tshape) = (p.ty.dtype, p.ty.shape());
        let value = match op {
            Some(op) => {
                let current = self.var(target)?;
                self.binary(op, span, current, value)?
            }
            None => value,
        };
        let label = match &value {
            Val::Node(_, l) => l.clone(),
            Val::Lit(p) => p.text.clone(),
        };
        let id = self.materialize(value, Some((dtype, &format!("the dtype of `{name}`"))))?;
        let n = self.node(id)?.clone();
        if n.dtype != dtype {
            self.errors.push(
                span,
                format!(
                    "cannot assign {} to `{name}: {dtype}{}` without a cast; write `{name} = {} as {dtype}`",
                    describe(&label, n.dtype, &n.shape),
                    shape::show(&tshape),
                    wrap(&label)
                ),
            );
            return None;
        }
        if shape::broadcast(&tshape, &n.shape).ok().as_ref() != Some(&tshape) {
            self.errors.push(span, format!("cannot assign {} to `{name}: {dtype}{}`: the value does not broadcast to the target's shape", describe(&label, n.dtype, &n.shape), shape::show(&tshape)));
            return None;
        }
        if self.reads_through_view(id, pi) {
            self.errors.push(span, format!("the update of `{name}` reads `{name}` through a transpose or new axis, which would read elements it already overwrote; copy it first or write to another array"));
            return None;
        }
        Some((id, Some(pi)))
    }

    /// True when the elementwise part of `id` reads parameter `p` through a view.
    pub(super) fn reads_through_view(&self, id: NodeId, p: usize) -> bool {
        let mut todo = vec![id];
        while let Some(x) = todo.pop() {
            let Some(n) = self.node(x) else { continue };
            match &n.op {
                Op::View { input, .. } => {
                    if matches!(self.node(*input).map(|i| &i.op), Some(Op::Array(q)) if *q == p) {
                        return true;
                    }
                }
                Op::Reduce { .. } => {}
                op => todo.extend(Ir::children(op)),
            }
        }
        false
    }

    /// Rule: a `mut` parameter is the target of the kernel's in-place update (and only one).
    pub(super) fn check_mut_params(&mut self, inplace: Option<usize>) {
        for (i, p) in self.params.iter().enumerate() {
            if p.mutable && inplace != Some(i) {
                self.errors.push(p.name.span(), format!("`{}` is declared `mut` but the kernel does not update it; end the body with `{} = ...` or `{} += ...`", p.name, p.name, p.name));
            }
        }
    }

    /// Marks a name whose declaration had an error, so its uses report nothing more.
    pub(super) fn poison(&mut self, name: &str, span: Span) {
        let p = Pending { value: Const::Bool(false), text: "<error>".into(), span };
        self.scope.insert(name.to_string(), Val::Lit(p));
    }

    pub(super) fn node(&self, id: NodeId) -> Option<&Node> {
        self.ir.get(id)
    }

    pub(super) fn info(&self, v: &Val) -> Option<(Dtype, Shape, String)> {
        match v {
            Val::Node(id, label) => self.node(*id).map(|n| (n.dtype, n.shape.clone(), label.clone())),
            Val::Lit(_) => None,
        }
    }

    pub(super) fn expr(&mut self, e: &Expr) -> Option<Val> {
        match e {
            Expr::Int { value, span } => match i128::try_from(*value) {
                Ok(v) => {
                    Some(Val::Lit(Pending { value: Const::Int(v), text: value.to_string(), span: *span }))
                }
                Err(_) => {
                    self.errors.push(*span, format!("literal `{value}` is too large for any dtype"));
                    None
                }
            },
            Expr::Float { value, text, span } => {
                Some(Val::Lit(Pending { value: Const::Float(*value), text: text.clone(), span: *span }))
            }
            Expr::Bool { value, span } => {
                Some(Val::Lit(Pending { value: Const::Bool(*value), text: value.to_string(), span: *span }))
            }
            Expr::Var(id) => self.var(id),
            Expr::Unary { op, span, expr } => {
                let v = self.expr(expr)?;
                self.unary(*op, *span, v)
            }
            Expr::Binary { op, span, lhs, rhs } => {
                let (l, r) = (self.expr(lhs), self.expr(rhs));
                self.binary(*op, *span, l?, r?)
            }
            Expr::Cast { expr, to, span } => {
                let v = self.expr(expr)?;
                self.cast(v, *to, *span)
            }
            Expr::Call(c) => self.call(c),
            Expr::Transpose { expr, axes, span } => {
                let v = self.expr(expr)?;
                self.transpose(v, axes.as_deref(), *span)
            }
            Expr::Index { expr, items, span } => {
                let v = self.expr(expr)?;
                self.newaxis(v, items, *span)
            }
        }
    }

    pub(super) fn var(&mut self, id: &proc_macro2::Ident) -> Option<Val> {
        match self.scope.get(&id.to_string()) {
            Some(Val::Lit(p)) if p.text == "<error>" => None,
            Some(v) => Some(v.clone()),
            None => {
                self.errors.push(
                    id.span(),
                    format!("unknown operand `{id}`; declare it in the parameter list or with `let`"),
                );
                None
            }
        }
    }

    pub(super) fn push(
        &mut self,
        op: Op,
        dtype: Dtype,
        shape: Shape,
        span: Span,
        label: String,
    ) -> Option<Val> {
        let id = self.ir.push(Node { op, dtype, shape, span });
        Some(Val::Node(id, label))
    }
}

/// Replaces every occurrence of child `from` in `op` by `to`.
fn replace_child(op: &mut Op, from: NodeId, to: NodeId) {
    let swap = |x: &mut NodeId| {
        if *x == from {
            *x = to;
        }
    };
    match op {
        Op::Array(_) | Op::Scalar(_) | Op::Const(_) => {}
        Op::Unary(_, a) | Op::Cast(a) | Op::View { input: a, .. } | Op::Reduce { input: a, .. } => swap(a),
        Op::Binary(_, a, b) | Op::MatMul(a, b) => {
            swap(a);
            swap(b);
        }
        Op::Func(_, args) => args.iter_mut().for_each(swap),
        Op::Where(c, a, b) => {
            swap(c);
            swap(a);
            swap(b);
        }
    }
}
