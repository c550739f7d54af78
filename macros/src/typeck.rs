//! ast -> ir: dtype inference under the strict / safe policy, literal adaptation, symbolic
//! shapes and broadcasting. Every error is reported at the smallest offending token; a subtree
//! with an error yields `None` so its parents report nothing more (no follow-on errors).

use crate::ast::{BinOp, Body, Call, Expr, IndexItem, Param, UnOp};
use crate::diag::Errors;
use crate::dtype::{Dtype, Policy};
use crate::ir::{Const, Func, Ir, Node, NodeId, Op, ReduceKind};
use crate::shape::{self, Dim, Shape};
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
    fn declare_params(&mut self) {
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

    /// `matmul(a, b)` and `dot(x, y)`: matrix @ matrix goes to GEMM; any product with a vector
    /// is a fused multiply-and-sum reduction (no temporary).
    fn matmul(&mut self, c: &Call) -> Option<Val> {
        let name = c.name.to_string();
        let span = c.name.span();
        let [a, b] = c.args.as_slice() else {
            self.errors.push(span, format!("`{name}` takes two arguments, found {}", c.args.len()));
            return None;
        };
        let (av, bv) = (self.expr(a), self.expr(b));
        let (av, bv) = (av?, bv?);
        let (Some((_, _, la)), Some((_, _, lb))) = (self.info(&av), self.info(&bv)) else {
            self.errors.push(span, format!("`{name}` multiplies arrays, not literals"));
            return None;
        };
        let what = |x: &str, y: &str| {
            if x.is_empty() && y.is_empty() {
                "cannot multiply".to_string()
            } else {
                format!("matmul({x}, {y})")
            }
        };
        let (an, bn, d) = self.unify(av, bv, span, &what)?;
        let (na, nb) = (self.node(an)?.clone(), self.node(bn)?.clone());
        if d == Dtype::Bool {
            self.errors
                .push(span, format!("`{name}` needs numbers, but {} is a mask", describe(&la, d, &na.shape)));
            return None;
        }
        let (ra, rb) = (na.shape.len(), nb.shape.len());
        let want = if name == "dot" { (1, 1) } else { (ra, rb) };
        if !(1..=2).contains(&ra) || !(1..=2).contains(&rb) || (ra, rb) != want {
            let shapes = format!("{} and {}", describe(&la, d, &na.shape), describe(&lb, d, &nb.shape));
            let msg = if name == "dot" {
                format!("`dot` takes two vectors, found {shapes}; use `matmul` for matrices")
            } else {
                format!("`matmul` takes matrices or vectors (rank 1 or 2), found {shapes}")
            };
            self.errors.push(span, msg);
            return None;
        }
        let (ka, kb) = (na.shape.last().cloned()?, nb.shape.first().cloned()?);
        if ka != kb {
            let hint = match (&ka, &kb) {
                (Dim::Sym(_), Dim::Sym(_)) => "; if they are always equal, give them the same name",
                _ => "",
            };
            self.errors.push(
                span,
                format!(
                    "`{name}`: the inner dims differ: {} has `{ka}` columns but {} has `{kb}` rows{hint}",
                    describe(&la, d, &na.shape),
                    describe(&lb, d, &nb.shape)
                ),
            );
            return None;
        }
        let text = format!("{name}({la}, {lb})");
        if ra == 2 && rb == 2 {
            let shape = vec![na.shape.first().cloned()?, nb.shape.get(1).cloned()?];
            return self.push(Op::MatMul(an, bn), d, shape, span, text);
        }
        // with a vector: multiply with broadcasting, then sum over the shared axis
        let (a2, b2, axis) = match (ra, rb) {
            (2, 1) => (an, self.apply_view(bn, &[None, Some(0)], span)?, 1),
            (1, 2) => (self.apply_view(an, &[Some(0), None], span)?, bn, 0),
            _ => (an, bn, 0),
        };
        let prod_shape = shape::broadcast(&self.node(a2)?.shape, &self.node(b2)?.shape).ok()?;
        let prod = self.ir.push(Node {
            op: Op::Binary(BinOp::Mul, a2, b2),
            dtype: d,
            shape: prod_shape.clone(),
            span,
        });
        let acc = if d.is_float() { Dtype::F64 } else { d };
        let shape: Shape =
            prod_shape.iter().enumerate().filter(|(k, _)| *k != axis).map(|(_, x)| x.clone()).collect();
        let op = Op::Reduce { kind: ReduceKind::Sum, input: prod, axes: vec![axis], keepdims: false, acc };
        self.push(op, d, shape, span, text)
    }

    /// `x = value` / `x op= value`: the target must be a `mut` array parameter, and the value
    /// must have its dtype and broadcast to its shape without reading it through a view.
    fn assignment(
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
    fn reads_through_view(&self, id: NodeId, p: usize) -> bool {
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
    fn check_mut_params(&mut self, inplace: Option<usize>) {
        for (i, p) in self.params.iter().enumerate() {
            if p.mutable && inplace != Some(i) {
                self.errors.push(p.name.span(), format!("`{}` is declared `mut` but the kernel does not update it; end the body with `{} = ...` or `{} += ...`", p.name, p.name, p.name));
            }
        }
    }

    /// Marks a name whose declaration had an error, so its uses report nothing more.
    fn poison(&mut self, name: &str, span: Span) {
        let p = Pending { value: Const::Bool(false), text: "<error>".into(), span };
        self.scope.insert(name.to_string(), Val::Lit(p));
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.ir.get(id)
    }

    fn info(&self, v: &Val) -> Option<(Dtype, Shape, String)> {
        match v {
            Val::Node(id, label) => self.node(*id).map(|n| (n.dtype, n.shape.clone(), label.clone())),
            Val::Lit(_) => None,
        }
    }

    fn expr(&mut self, e: &Expr) -> Option<Val> {
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

    /// The typed node and label of a value that must be an array (rank >= 1) for `what`.
    fn array_arg(&mut self, v: Val, span: Span, what: &str) -> Option<(NodeId, String, usize)> {
        let Val::Node(id, label) = v else {
            self.errors.push(span, format!("{what} applies to arrays, not to a literal"));
            return None;
        };
        let rank = self.node(id)?.shape.len();
        if rank == 0 {
            self.errors.push(span, format!("{what} applies to arrays, but `{label}` is a scalar"));
            return None;
        }
        Some((id, label, rank))
    }

    fn transpose(&mut self, v: Val, axes: Option<&[i64]>, span: Span) -> Option<Val> {
        let (id, label, rank) = self.array_arg(v, span, "a transpose")?;
        let perm: Vec<usize> = match axes {
            None => (0..rank).rev().collect(),
            Some(ax) => {
                let norm: Vec<i64> = ax.iter().map(|&a| if a < 0 { a + rank as i64 } else { a }).collect();
                let mut sorted = norm.clone();
                sorted.sort_unstable();
                if sorted != (0..rank as i64).collect::<Vec<_>>() {
                    self.errors.push(
                        span,
                        format!("`axes = {ax:?}` is not a permutation of the {rank} axes of `{label}`"),
                    );
                    return None;
                }
                norm.into_iter().map(|a| a as usize).collect()
            }
        };
        let map: Vec<Option<usize>> = perm.into_iter().map(Some).collect();
        let id = self.apply_view(id, &map, span)?;
        Some(Val::Node(id, format!("{}.T", wrap(&label))))
    }

    fn newaxis(&mut self, v: Val, items: &[IndexItem], span: Span) -> Option<Val> {
        let (id, label, rank) = self.array_arg(v, span, "`newaxis`")?;
        let kept = items.iter().filter(|i| **i == IndexItem::Full).count();
        if kept > rank {
            let axes = if rank == 1 { "axis" } else { "axes" };
            self.errors
                .push(span, format!("`{label}` has {rank} {axes} but the index keeps {kept} with `:`"));
            return None;
        }
        let mut map = Vec::new();
        let mut next = 0usize;
        for item in items {
            match item {
                IndexItem::Full => {
                    map.push(Some(next));
                    next += 1;
                }
                IndexItem::NewAxis => map.push(None),
            }
        }
        map.extend((next..rank).map(Some));
        if map.len() > MAX_RANK {
            self.errors.push(
                span,
                format!("the result would have {} axes; at most {MAX_RANK} are supported", map.len()),
            );
            return None;
        }
        let id = self.apply_view(id, &map, span)?;
        Some(Val::Node(id, format!("{label}[..]")))
    }

    /// Applies an axis map to a value: a view of a leaf operand, or pushed down through
    /// elementwise operations to their operands (elementwise ops commute with axis maps).
    fn apply_view(&mut self, id: NodeId, map: &[Option<usize>], span: Span) -> Option<NodeId> {
        let n = self.node(id)?.clone();
        let shape: Shape =
            map.iter().map(|m| m.and_then(|a| n.shape.get(a).cloned()).unwrap_or(Dim::Lit(1))).collect();
        let op = match &n.op {
            Op::Array(_) | Op::Reduce { .. } => Op::View { input: id, map: map.to_vec() },
            Op::View { input, map: inner } => {
                let composed = map.iter().map(|m| m.and_then(|a| inner.get(a).copied().flatten())).collect();
                Op::View { input: *input, map: composed }
            }
            Op::Scalar(_) | Op::Const(_) => return Some(id),
            op => {
                let rank = n.shape.len();
                let mut remapped = op.clone();
                for child in Ir::children(op) {
                    let crank = self.node(child)?.shape.len();
                    let new_child = if crank == 0 {
                        child
                    } else {
                        let pad = rank - crank.min(rank);
                        let cmap: Vec<Option<usize>> =
                            map.iter().map(|m| m.and_then(|a| a.checked_sub(pad))).collect();
                        self.apply_view(child, &cmap, span)?
                    };
                    replace_child(&mut remapped, child, new_child);
                }
                remapped
            }
        };
        Some(self.ir.push(Node { op, dtype: n.dtype, shape, span }))
    }

    fn var(&mut self, id: &proc_macro2::Ident) -> Option<Val> {
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

    /// Gives a pending literal a dtype (`want`, or the literal's default) and makes it a node.
    fn materialize(&mut self, v: Val, want: Option<(Dtype, &str)>) -> Option<NodeId> {
        let p = match v {
            Val::Node(id, _) => return Some(id),
            Val::Lit(p) => p,
        };
        let dtype = match (&p.value, want) {
            (_, Some((d, _))) => d,
            (Const::Int(_), None) => Dtype::I64,
            (Const::Float(_), None) => Dtype::F64,
            (Const::Bool(_), None) => Dtype::Bool,
        };
        let value = self.adapt_literal(&p, dtype, want.map_or("the literal's default", |w| w.1))?;
        Some(self.ir.push(Node { op: Op::Const(value), dtype, shape: Vec::new(), span: p.span }))
    }

    /// Literal adaptation: lossless only.
    fn adapt_literal(&mut self, p: &Pending, to: Dtype, other: &str) -> Option<Const> {
        let text = &p.text;
        match (&p.value, to) {
            (Const::Bool(b), Dtype::Bool) => Some(Const::Bool(*b)),
            (Const::Bool(_), _) => {
                self.errors.push(p.span, format!("literal `{text}` is a mask value, but {other} is `{to}`"));
                None
            }
            (_, Dtype::Bool) => {
                self.errors.push(p.span, format!("literal `{text}` is a number, but {other} is a mask (`bool`); write `true` or `false`"));
                None
            }
            (Const::Int(v), d) if d.is_float() => Some(Const::Float(*v as f64)),
            (Const::Float(f), d) if d.is_float() => {
                if d == Dtype::F32 && f.is_finite() && (*f as f32).is_infinite() {
                    self.errors.push(p.span, format!("literal `{text}` overflows `f32` ({other})"));
                    return None;
                }
                Some(Const::Float(*f))
            }
            (Const::Float(f), d) => {
                if f.fract() != 0.0 || !f.is_finite() {
                    self.errors.push(p.span, format!("literal `{text}` is not an integer, so it cannot adapt to `{d}` ({other}); write an integer literal or cast the operand to a float dtype"));
                    return None;
                }
                self.int_in_range(p, *f as i128, d, other)
            }
            (Const::Int(v), d) => self.int_in_range(p, *v, d, other),
        }
    }

    fn int_in_range(&mut self, p: &Pending, v: i128, d: Dtype, other: &str) -> Option<Const> {
        let (lo, hi) = d.int_range()?;
        if v < lo || v > hi {
            self.errors.push(
                p.span,
                format!("literal `{}` does not fit in `{d}` ({other}), whose range is {lo}..={hi}", p.text),
            );
            return None;
        }
        Some(Const::Int(v))
    }

    fn push(&mut self, op: Op, dtype: Dtype, shape: Shape, span: Span, label: String) -> Option<Val> {
        let id = self.ir.push(Node { op, dtype, shape, span });
        Some(Val::Node(id, label))
    }

    fn unary(&mut self, op: UnOp, span: Span, v: Val) -> Option<Val> {
        if let Val::Lit(mut p) = v {
            return match (op, &p.value) {
                (UnOp::Neg, Const::Int(i)) => {
                    p.value = Const::Int(-i);
                    p.text = format!("-{}", p.text);
                    Some(Val::Lit(p))
                }
                (UnOp::Neg, Const::Float(f)) => {
                    p.value = Const::Float(-f);
                    p.text = format!("-{}", p.text);
                    Some(Val::Lit(p))
                }
                (UnOp::Not, Const::Bool(b)) => {
                    p.value = Const::Bool(!b);
                    Some(Val::Lit(p))
                }
                _ => {
                    self.errors.push(
                        span,
                        format!(
                            "cannot apply `{}` to the literal `{}`",
                            if op == UnOp::Neg { "-" } else { "!" },
                            p.text
                        ),
                    );
                    None
                }
            };
        }
        let (dtype, shape, label) = self.info(&v)?;
        let Val::Node(id, _) = v else { return None };
        let text = format!("{}{}", if op == UnOp::Neg { "-" } else { "!" }, wrap(&label));
        match op {
            UnOp::Neg if dtype == Dtype::Bool => {
                self.errors.push(
                    span,
                    format!(
                        "cannot negate the mask {}; use `!` to invert a mask",
                        describe(&label, dtype, &shape)
                    ),
                );
                None
            }
            UnOp::Neg if !dtype.is_signed() => {
                self.errors.push(
                    span,
                    format!(
                        "cannot negate {}: `{dtype}` is unsigned; cast it to a signed dtype first",
                        describe(&label, dtype, &shape)
                    ),
                );
                None
            }
            UnOp::Not if dtype != Dtype::Bool => {
                self.errors.push(
                    span,
                    format!(
                        "`!` inverts masks (`bool`), but {} is a number; compare it first, e.g. `{} == 0`",
                        describe(&label, dtype, &shape),
                        wrap(&label)
                    ),
                );
                None
            }
            _ => self.push(Op::Unary(op, id), dtype, shape, span, text),
        }
    }

    /// Unifies the dtypes of two operands of `what` under the policy; literals adapt.
    fn unify(
        &mut self,
        l: Val,
        r: Val,
        span: Span,
        what: &dyn Fn(&str, &str) -> String,
    ) -> Option<(NodeId, NodeId, Dtype)> {
        let (li, ri) = (self.info(&l), self.info(&r));
        let (ln, rn) = match (&li, &ri) {
            (Some((d, _, lab)), None) => {
                let desc = format!("the dtype of `{lab}`");
                let ln = self.materialize(l, None)?;
                let rn = self.materialize(r, Some((*d, &desc)))?;
                (ln, rn)
            }
            (None, Some((d, _, lab))) => {
                let desc = format!("the dtype of `{lab}`");
                let ln = self.materialize(l, Some((*d, &desc)))?;
                let rn = self.materialize(r, None)?;
                (ln, rn)
            }
            _ => (self.materialize(l, None)?, self.materialize(r, None)?),
        };
        let (ld, rd) = (self.node(ln)?.dtype, self.node(rn)?.dtype);
        if ld == rd {
            return Some((ln, rn, ld));
        }
        if self.policy == Policy::Safe {
            if ld.widens_losslessly_to(rd) {
                let c = self.widen(ln, rd)?;
                return Some((c, rn, rd));
            }
            if rd.widens_losslessly_to(ld) {
                let c = self.widen(rn, ld)?;
                return Some((ln, c, ld));
            }
        }
        let (lab_l, lab_r) = (li.map(|i| i.2).unwrap_or_default(), ri.map(|i| i.2).unwrap_or_default());
        let (ls, rs) = (self.node(ln)?.shape.clone(), self.node(rn)?.shape.clone());
        let cast_left = ld.widens_losslessly_to(rd) || (!ld.is_float() && rd.is_float());
        let fix = if cast_left {
            what(&format!("{} as {rd}", wrap(&lab_l)), &lab_r)
        } else {
            what(&lab_l, &format!("{} as {ld}", wrap(&lab_r)))
        };
        let verb = what("", "");
        self.errors.push(
            span,
            format!(
                "{verb} {} and {} without a cast; write `{fix}`",
                describe(&lab_l, ld, &ls),
                describe(&lab_r, rd, &rs)
            ),
        );
        None
    }

    fn widen(&mut self, id: NodeId, to: Dtype) -> Option<NodeId> {
        let n = self.node(id)?.clone();
        Some(self.ir.push(Node { op: Op::Cast(id), dtype: to, shape: n.shape, span: n.span }))
    }

    fn broadcast(&mut self, a: NodeId, b: NodeId, span: Span, la: &str, lb: &str) -> Option<Shape> {
        let (na, nb) = (self.node(a)?.clone(), self.node(b)?.clone());
        match shape::broadcast(&na.shape, &nb.shape) {
            Ok(s) => Some(s),
            Err((i, x, j, y)) => {
                let hint = match (&x, &y) {
                    (Dim::Sym(_), Dim::Sym(_)) => "; if they are always equal, give them the same name",
                    _ => "; only equal dims and `1` broadcast",
                };
                self.errors.push(
                    span,
                    format!(
                        "cannot broadcast {} with {}: axis {i} of `{la}` is `{x}` but axis {j} of `{lb}` is `{y}`{hint}",
                        describe(la, na.dtype, &na.shape),
                        describe(lb, nb.dtype, &nb.shape)
                    ),
                );
                None
            }
        }
    }

    fn binary(&mut self, op: BinOp, span: Span, l: Val, r: Val) -> Option<Val> {
        let label = |v: &Val| match v {
            Val::Node(_, s) => s.clone(),
            Val::Lit(p) => p.text.clone(),
        };
        let (ll, rl) = (label(&l), label(&r));
        let sym = op.symbol();
        let text = format!("{ll} {sym} {rl}");
        let verb = format!("cannot {}", op.verb());
        let what = move |a: &str, b: &str| {
            if a.is_empty() && b.is_empty() {
                verb.clone()
            } else {
                format!("{a} {sym} {b}")
            }
        };
        let (ln, rn, dtype) = self.unify(l, r, span, &what)?;
        let shape = self.broadcast(ln, rn, span, &ll, &rl)?;
        let ls = self.node(ln)?.shape.clone();
        if op.is_logical() {
            if dtype != Dtype::Bool {
                self.errors.push(span, format!("`{sym}` combines masks (`bool`), but {} is a number; compare first, e.g. `({ll} > 0) {sym} ...`", describe(&ll, dtype, &ls)));
                return None;
            }
            return self.push(Op::Binary(op, ln, rn), Dtype::Bool, shape, span, text);
        }
        if dtype == Dtype::Bool && !matches!(op, BinOp::Eq | BinOp::Ne) {
            self.errors.push(span, format!("cannot {} the mask {}: masks support `&`, `|`, `!`, `==`, `!=` and `where`; cast it for arithmetic (`{} as i32`)", op.verb(), describe(&ll, dtype, &ls), wrap(&ll)));
            return None;
        }
        let out = if op.is_comparison() { Dtype::Bool } else { dtype };
        self.push(Op::Binary(op, ln, rn), out, shape, span, text)
    }

    fn cast(&mut self, v: Val, to: Dtype, span: Span) -> Option<Val> {
        let label = match &v {
            Val::Node(_, s) => s.clone(),
            Val::Lit(p) => p.text.clone(),
        };
        let id = self.materialize(v, None)?;
        let shape = self.node(id)?.shape.clone();
        self.push(Op::Cast(id), to, shape, span, format!("{} as {to}", wrap(&label)))
    }

    fn call(&mut self, c: &Call) -> Option<Val> {
        let name = c.name.to_string();
        let span = c.name.span();
        if name == "where" {
            return self.where_(c);
        }
        if name == "transpose" {
            let [arg] = c.args.as_slice() else {
                self.errors.push(span, "`transpose` takes one array and optionally `axes = (..)`");
                return None;
            };
            let v = self.expr(arg)?;
            let axes = c.axis.as_ref().map(|(a, _)| a.clone());
            return self.transpose(v, axes.as_deref(), span);
        }
        if let Some(kind) = ReduceKind::from_name(&name).filter(|_| c.args.len() == 1) {
            return self.reduce(kind, c);
        }
        if matches!(name.as_str(), "dot" | "matmul") {
            return self.matmul(c);
        }
        if c.axis.is_some() || c.keepdims || c.acc.is_some() {
            self.errors.push(span, format!("`{name}` is not a reduction: `axis`, `keepdims` and `::<acc>` apply to sum, prod, mean, min, max, any and all"));
            return None;
        }
        let Some(func) = Func::from_name(&name, c.args.len()) else {
            let arities: Vec<String> =
                (1..=3).filter(|&k| Func::from_name(&name, k).is_some()).map(|k| k.to_string()).collect();
            let msg = match arities.is_empty() {
                false => format!("`{name}` takes {} arguments, found {}", arities.join(" or "), c.args.len()),
                true => format!("unknown function `{name}`; see the README for the list of functions"),
            };
            self.errors.push(span, msg);
            return None;
        };
        self.func(func, c)
    }

    fn func(&mut self, func: Func, c: &Call) -> Option<Val> {
        let name = c.name.to_string();
        let span = c.name.span();
        let vals: Vec<Option<Val>> = c.args.iter().map(|a| self.expr(a)).collect();
        let vals: Vec<Val> = vals.into_iter().collect::<Option<_>>()?;
        let labels: Vec<String> = vals
            .iter()
            .map(|v| match v {
                Val::Node(_, s) => s.clone(),
                Val::Lit(p) => p.text.clone(),
            })
            .collect();
        let text = format!("{name}({})", labels.join(", "));
        if func == Func::Powi {
            return self.powi(vals, span, text);
        }
        // unify all arguments pairwise with the first typed one
        let mut it = vals.into_iter();
        let first = it.next()?;
        let mut ids = Vec::new();
        let mut acc = first;
        let mut rest = Vec::new();
        for v in it {
            rest.push(v);
        }
        let nm = name.clone();
        let what = move |a: &str, b: &str| {
            if a.is_empty() && b.is_empty() {
                format!("`{nm}` cannot mix")
            } else {
                format!("{nm}({a}, {b})")
            }
        };
        let mut dtype = None;
        for v in rest {
            let (a, b, d) = self.unify(acc.clone(), v, span, &what)?;
            if ids.is_empty() {
                ids.push(a);
            }
            ids.push(b);
            dtype = Some(d);
            acc = Val::Node(a, labels.first().cloned().unwrap_or_default());
        }
        if ids.is_empty() {
            ids.push(self.materialize(acc, None)?);
        }
        let d = dtype.or_else(|| ids.first().and_then(|i| self.node(*i)).map(|n| n.dtype))?;
        let first_label = labels.first().cloned().unwrap_or_default();
        let first_shape = self.node(*ids.first()?)?.shape.clone();
        if d == Dtype::Bool {
            self.errors.push(
                span,
                format!(
                    "`{name}` needs numbers, but {} is a mask; cast it (`{} as f32`)",
                    describe(&first_label, d, &first_shape),
                    wrap(&first_label)
                ),
            );
            return None;
        }
        if func.float_only() && !d.is_float() {
            self.errors.push(
                span,
                format!(
                    "`{name}` needs a float operand, but {} is an integer; write `{name}({} as f64)`",
                    describe(&first_label, d, &first_shape),
                    wrap(&first_label)
                ),
            );
            return None;
        }
        let mut shape = first_shape;
        for (k, id) in ids.iter().enumerate().skip(1) {
            let s2 = self.node(*id)?.shape.clone();
            shape = match shape::broadcast(&shape, &s2) {
                Ok(s) => s,
                Err(_) => {
                    let lb = labels.get(k).cloned().unwrap_or_default();
                    self.broadcast(*ids.first()?, *id, span, &first_label, &lb)?;
                    return None;
                }
            };
        }
        self.push(Op::Func(func, ids), d, shape, span, text)
    }

    fn powi(&mut self, vals: Vec<Val>, span: Span, text: String) -> Option<Val> {
        let mut it = vals.into_iter();
        let (base, exp) = (it.next()?, it.next()?);
        let Val::Lit(Pending { value: Const::Int(e), .. }) = exp else {
            self.errors.push(
                span,
                "`powi` takes an integer literal exponent, e.g. `powi(x, 3)`; use `pow` for array exponents",
            );
            return None;
        };
        let id = self.materialize(base, None)?;
        let n = self.node(id)?.clone();
        if !n.dtype.is_float() {
            self.errors
                .push(span, format!("`powi` needs a float operand, but it is `{}`; cast it first", n.dtype));
            return None;
        }
        let Ok(e32) = i32::try_from(e) else {
            self.errors.push(span, "the exponent of `powi` must fit in i32");
            return None;
        };
        let eid = self.ir.push(Node {
            op: Op::Const(Const::Int(e32 as i128)),
            dtype: Dtype::I32,
            shape: Vec::new(),
            span,
        });
        self.push(Op::Func(Func::Powi, vec![id, eid]), n.dtype, n.shape, span, text)
    }

    fn where_(&mut self, c: &Call) -> Option<Val> {
        let span = c.name.span();
        let [cond, a, b] = c.args.as_slice() else {
            self.errors.push(
                span,
                format!("`where` takes three arguments (mask, then, else), found {}", c.args.len()),
            );
            return None;
        };
        let (cv, av, bv) = (self.expr(cond), self.expr(a), self.expr(b));
        let (cv, av, bv) = (cv?, av?, bv?);
        let cid = self.materialize(cv.clone(), Some((Dtype::Bool, "the condition of `where`")))?;
        let cn = self.node(cid)?.clone();
        if cn.dtype != Dtype::Bool {
            let lab = match &cv {
                Val::Node(_, s) => s.clone(),
                Val::Lit(p) => p.text.clone(),
            };
            self.errors.push(span, format!("the condition of `where` must be a mask (`bool`), but {} is a number; compare it, e.g. `{} > 0`", describe(&lab, cn.dtype, &cn.shape), wrap(&lab)));
            return None;
        }
        let what = |x: &str, y: &str| {
            if x.is_empty() && y.is_empty() {
                "`where` cannot choose between".to_string()
            } else {
                format!("where(.., {x}, {y})")
            }
        };
        let (aid, bid, d) = self.unify(av, bv, span, &what)?;
        let s1 = self.broadcast(aid, bid, span, "then", "else")?;
        let s = match shape::broadcast(&cn.shape, &s1) {
            Ok(s) => s,
            Err(_) => {
                self.errors.push(
                    span,
                    format!(
                        "the mask of `where` has shape {} which does not broadcast with the branches' {}",
                        shape::show(&cn.shape),
                        shape::show(&s1)
                    ),
                );
                return None;
            }
        };
        self.push(Op::Where(cid, aid, bid), d, s, span, "where(..)".to_string())
    }

    fn reduce(&mut self, kind: ReduceKind, c: &Call) -> Option<Val> {
        let span = c.name.span();
        let arg = c.args.first()?;
        let v = self.expr(arg)?;
        let label = match &v {
            Val::Node(_, s) => s.clone(),
            Val::Lit(p) => p.text.clone(),
        };
        let id = self.materialize(v, None)?;
        let n = self.node(id)?.clone();
        let rank = n.shape.len();
        let axes = self.reduce_axes(c, rank, &label, &n)?;
        let arg = matches!(kind, ReduceKind::ArgMin | ReduceKind::ArgMax);
        if arg && c.axis.as_ref().is_some_and(|(a, _)| a.len() > 1) {
            self.errors.push(
                span,
                format!(
                    "`{}` takes one axis, or none for the index into the flattened (C-order) array",
                    kind.name()
                ),
            );
            return None;
        }
        let boolean = matches!(kind, ReduceKind::Any | ReduceKind::All);
        if boolean != (n.dtype == Dtype::Bool) {
            let msg = if boolean {
                format!(
                    "`{}` reduces masks, but {} is a number; compare it first",
                    kind.name(),
                    describe(&label, n.dtype, &n.shape)
                )
            } else if kind == ReduceKind::Sum {
                String::new()
            } else {
                format!(
                    "`{}` needs numbers, but {} is a mask; use `any`/`all`, or `sum` to count",
                    kind.name(),
                    describe(&label, n.dtype, &n.shape)
                )
            };
            if !msg.is_empty() {
                self.errors.push(span, msg);
                return None;
            }
        }
        let (out, acc) = self.reduce_dtypes(kind, n.dtype, c.acc, &label)?;
        let mut shape = Vec::new();
        for (k, d) in n.shape.iter().enumerate() {
            if !axes.contains(&k) {
                shape.push(d.clone());
            } else if c.keepdims {
                shape.push(Dim::Lit(1));
            }
        }
        let text = format!("{}({label})", kind.name());
        self.push(Op::Reduce { kind, input: id, axes, keepdims: c.keepdims, acc }, out, shape, span, text)
    }

    fn reduce_axes(&mut self, c: &Call, rank: usize, label: &str, n: &Node) -> Option<Vec<usize>> {
        let Some((axes, aspan)) = &c.axis else { return Some((0..rank).collect()) };
        let mut out = Vec::new();
        for &a in axes {
            let k = if a < 0 { rank as i64 + a } else { a };
            if k < 0 || k >= rank as i64 {
                self.errors.push(
                    *aspan,
                    format!(
                        "axis {a} is out of range for {} (rank {rank})",
                        describe(label, n.dtype, &n.shape)
                    ),
                );
                return None;
            }
            if out.contains(&(k as usize)) {
                self.errors.push(*aspan, format!("axis {a} is listed twice"));
                return None;
            }
            out.push(k as usize);
        }
        out.sort_unstable();
        Some(out)
    }

    /// (result dtype, accumulator dtype) of a reduction; see the README's accumulator table.
    fn reduce_dtypes(
        &mut self,
        kind: ReduceKind,
        input: Dtype,
        acc: Option<(Dtype, Span)>,
        label: &str,
    ) -> Option<(Dtype, Dtype)> {
        use ReduceKind::*;
        let wide_int = |d: Dtype| if d.is_signed() || d == Dtype::Bool { Dtype::I64 } else { Dtype::U64 };
        let default = match (kind, input) {
            (Any | All, _) => (Dtype::Bool, Dtype::Bool),
            (ArgMin | ArgMax, d) => (Dtype::I64, d),
            (Min | Max, d) => (d, d),
            (Mean, d) if d.is_float() => (d, Dtype::F64),
            (Mean, _) => (Dtype::F64, Dtype::F64),
            (Sum | Prod, d) if d.is_float() => (d, Dtype::F64),
            (Sum | Prod, d) => (wide_int(d), wide_int(d)),
        };
        let Some((a, aspan)) = acc else { return Some(default) };
        let ok = match kind {
            Sum | Prod => {
                (a.is_float() && input.is_float() && input.widens_losslessly_to(a))
                    || (a.is_int()
                        && (input.is_int() || input == Dtype::Bool)
                        && (input == Dtype::Bool || input.widens_losslessly_to(a)))
            }
            Mean => a.is_float() && (input.widens_losslessly_to(a) || input.is_int()),
            _ => false,
        };
        if !ok {
            self.errors.push(aspan, format!("`{}::<{a}>` cannot accumulate `{label}` of dtype `{input}`: the accumulator must be a dtype that holds every `{input}` value", kind.name()));
            return None;
        }
        Some((a, a))
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
