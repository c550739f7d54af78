//! Operators and calls: unary and binary operators, elementwise functions, `powi`, `where`.

use super::{describe, wrap, Cx, Pending, Val};
use crate::ast::{BinOp, Call, UnOp};
use crate::dtype::Dtype;
use crate::ir::{Const, Func, Node, Op, ReduceKind};
use crate::shape::{self};
use proc_macro2::Span;

impl Cx<'_> {
    pub(super) fn unary(&mut self, op: UnOp, span: Span, v: Val) -> Option<Val> {
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

    pub(super) fn binary(&mut self, op: BinOp, span: Span, l: Val, r: Val) -> Option<Val> {
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

    pub(super) fn call(&mut self, c: &Call) -> Option<Val> {
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

    pub(super) fn func(&mut self, func: Func, c: &Call) -> Option<Val> {
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
        // arguments unified early may sit at a narrower dtype than a later one widened the result
        // to (`#[promote(safe)] clip(x: i8, lo: i16, hi: i32)`): widen them all to the final one
        if let Some(d) = dtype {
            for id in ids.iter_mut() {
                if self.node(*id).map(|n| n.dtype) != Some(d) {
                    *id = self.widen(*id, d)?;
                }
            }
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

    pub(super) fn powi(&mut self, vals: Vec<Val>, span: Span, text: String) -> Option<Val> {
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

    pub(super) fn where_(&mut self, c: &Call) -> Option<Val> {
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
}
