//! Reductions and `matmul`: axes, accumulator and output dtypes, GEMM operand checks.

use super::{describe, Cx, Val};
use crate::ast::{BinOp, Call};
use crate::dtype::Dtype;
use crate::ir::{Node, Op, ReduceKind};
use crate::shape::{self, Dim, Shape};
use proc_macro2::Span;

impl Cx<'_> {
    /// `matmul(a, b)` and `dot(x, y)`: matrix @ matrix goes to GEMM; any product with a vector
    /// is a fused multiply-and-sum reduction (no temporary).
    pub(super) fn matmul(&mut self, c: &Call) -> Option<Val> {
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

    pub(super) fn reduce(&mut self, kind: ReduceKind, c: &Call) -> Option<Val> {
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

    pub(super) fn reduce_axes(&mut self, c: &Call, rank: usize, label: &str, n: &Node) -> Option<Vec<usize>> {
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
    pub(super) fn reduce_dtypes(
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
