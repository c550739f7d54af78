//! Dtype policy and broadcasting: literal adaptation, unification, widening, casts.

use super::{describe, wrap, Cx, Pending, Val};
use crate::dtype::{Dtype, Policy};
use crate::ir::{Const, Node, NodeId, Op};
use crate::shape::{self, Dim, Shape};
use proc_macro2::Span;

impl Cx<'_> {
    /// Gives a pending literal a dtype (`want`, or the literal's default) and makes it a node.
    pub(super) fn materialize(&mut self, v: Val, want: Option<(Dtype, &str)>) -> Option<NodeId> {
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
    pub(super) fn adapt_literal(&mut self, p: &Pending, to: Dtype, other: &str) -> Option<Const> {
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

    pub(super) fn int_in_range(&mut self, p: &Pending, v: i128, d: Dtype, other: &str) -> Option<Const> {
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

    /// Unifies the dtypes of two operands of `what` under the policy; literals adapt.
    pub(super) fn unify(
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

    pub(super) fn widen(&mut self, id: NodeId, to: Dtype) -> Option<NodeId> {
        let n = self.node(id)?.clone();
        Some(self.ir.push(Node { op: Op::Cast(id), dtype: to, shape: n.shape, span: n.span }))
    }

    pub(super) fn broadcast(
        &mut self,
        a: NodeId,
        b: NodeId,
        span: Span,
        la: &str,
        lb: &str,
    ) -> Option<Shape> {
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

    pub(super) fn cast(&mut self, v: Val, to: Dtype, span: Span) -> Option<Val> {
        let label = match &v {
            Val::Node(_, s) => s.clone(),
            Val::Lit(p) => p.text.clone(),
        };
        let id = self.materialize(v, None)?;
        let shape = self.node(id)?.shape.clone();
        self.push(Op::Cast(id), to, shape, span, format!("{} as {to}", wrap(&label)))
    }
}
