//! GEMM passes: operand materialization, alpha folding and the beta = 1 addend pre-fill.

use super::tokens::{const_tokens, dtype_tokens, lit_usize, rt};
use super::Emitter;
use crate::ast::{BinOp, UnOp};
use crate::explain::PassKind;
use crate::ir::{NodeId, Op};
use crate::shape::Shape;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::BTreeSet;

impl Emitter<'_> {
    /// The view of a GEMM operand: leaves directly, expressions materialized once into a
    /// temporary (visible in the plan).
    pub(super) fn gemm_input(&mut self, id: NodeId) -> TokenStream {
        let leaf = matches!(
            self.ir.get(id).map(|n| &n.op),
            Some(Op::Array(_) | Op::View { .. } | Op::Reduce { .. } | Op::MatMul(..))
        );
        if leaf {
            self.ensure_temps(&BTreeSet::from([id]));
            return self.operand_view(id);
        }
        let Some(n) = self.ir.get(id).cloned() else { return quote!(()) };
        let t = format_ident!("__ae_t{}", id.0);
        let ty = dtype_tokens(n.dtype);
        let rank = lit_usize(n.shape.len());
        let shape_e = self.shape_expr(&n.shape);
        let rt = rt();
        self.stmts.push(quote! {
            let mut #t = #rt::runtime::diagnostics::alloc_temporary::<#ty, #rank>(#shape_e)?;
        });
        self.pending_temp = Some(id);
        self.emit_elementwise(id, quote!(#t.view_mut()), false);
        quote!(#t.view())
    }

    /// Emits `dst = a @ b` through GEMM.
    pub(crate) fn emit_matmul(&mut self, id: NodeId, dst: TokenStream) {
        self.emit_gemm(id, dst, Vec::new(), false);
    }

    /// Emits `dst = alpha * (a @ b) + beta * dst` through GEMM, where alpha is the product of
    /// `outer` scalar factors and of those found on the operands (`(2.0 * x) @ w` reads `x`
    /// directly with alpha = 2), and beta is 1 when `dst` was pre-filled with an addend.
    pub(super) fn emit_gemm(&mut self, id: NodeId, dst: TokenStream, outer: Vec<NodeId>, beta_one: bool) {
        let dest = self.dest();
        let Some(n) = self.ir.get(id).cloned() else { return };
        let Op::MatMul(a, b) = n.op else { return };
        let (fa, ma, a) = self.scaled_path(a);
        let (fb, mb, b) = self.scaled_path(b);
        let factors: Vec<NodeId> = outer.iter().chain(&fa).chain(&fb).copied().collect();
        let (av, bv) = (self.gemm_input(a), self.gemm_input(b));
        let folded: BTreeSet<NodeId> = std::iter::once(id).chain(ma).chain(mb).collect();
        self.record(PassKind::Gemm, id, dest, &folded, &[a, b], true);
        if let Some(r) = self.records.last_mut() {
            r.alpha = factors.clone();
            r.beta_one = beta_one;
        }
        let ty = dtype_tokens(n.dtype);
        let rt = rt();
        let one = quote!(<#ty as #rt::runtime::Element>::ONE);
        // The factors of A, of B and around the product stay apart: `gemm_folded` folds them
        // into alpha only when that cannot change zeros, infinities or NaN.
        let product = |fs: &[NodeId]| {
            fs.iter().fold(one.clone(), |acc, f| {
                let f = self.scalar_tokens(*f).unwrap_or_else(|| one.clone());
                quote!(#rt::ops::mul(#acc, #f))
            })
        };
        let (ta, tb, to) = (product(&fa), product(&fb), product(&outer));
        let beta = if beta_one { one.clone() } else { quote!(<#ty as #rt::runtime::Element>::ZERO) };
        self.stmts.push(quote! {
            #rt::runtime::gemm::gemm_folded(#ta, &#av, #tb, &#bv, #to, #beta, &mut #dst)?;
        });
    }

    /// The value of a scalar-shaped leaf factor: a scalar parameter, a constant, or the
    /// negation of one; `None` for anything else.
    pub(super) fn scalar_tokens(&self, id: NodeId) -> Option<TokenStream> {
        let n = self.ir.get(id)?;
        if !n.shape.is_empty() {
            return None;
        }
        match &n.op {
            Op::Scalar(p) => {
                let name = self.params.get(*p)?.name.clone();
                Some(quote!(#name))
            }
            Op::Const(c) => Some(const_tokens(c, n.dtype)),
            Op::Unary(UnOp::Neg, a) => {
                let a = self.scalar_tokens(*a)?;
                let rt = rt();
                Some(quote!(#rt::ops::neg(#a)))
            }
            _ => None,
        }
    }

    /// Peels scalar factors off `id`: `s * e`, `e * s` and `-e` (as the factor -1) give the
    /// factors and `e`. Multiplication distributes over the product exactly for integers
    /// (wrapping) and up to rounding for floats.
    pub(crate) fn scaled(&self, id: NodeId) -> (Vec<NodeId>, NodeId) {
        let (factors, _, core) = self.scaled_path(id);
        (factors, core)
    }

    /// Like [`scaled`](Self::scaled), also giving the multiplication nodes peeled off.
    pub(super) fn scaled_path(&self, mut id: NodeId) -> (Vec<NodeId>, Vec<NodeId>, NodeId) {
        let (mut factors, mut muls) = (Vec::new(), Vec::new());
        while let Some(n) = self.ir.get(id) {
            let Op::Binary(BinOp::Mul, a, b) = &n.op else { break };
            if n.shape.len() != 2 {
                break;
            }
            let (f, rest) = if self.scalar_tokens(*a).is_some() {
                (*a, *b)
            } else if self.scalar_tokens(*b).is_some() {
                (*b, *a)
            } else {
                break;
            };
            factors.push(f);
            muls.push(id);
            id = rest;
        }
        (factors, muls, id)
    }

    /// A matrix product of `shape` (the output's), if `id` is one.
    pub(super) fn is_product(&self, id: NodeId, shape: &Option<Shape>) -> bool {
        let n = self.ir.get(id);
        matches!(n.map(|n| &n.op), Some(Op::MatMul(..))) && n.map(|n| n.shape.clone()) == *shape
    }

    /// The root as `alpha * (a @ b) + addend` when it has that form: (alpha factors, product,
    /// addend). The addend may not read the product itself.
    pub(super) fn gemm_form(
        &self,
        root: NodeId,
        shape: &Option<Shape>,
    ) -> Option<(Vec<NodeId>, NodeId, Option<NodeId>)> {
        let (f, core) = self.scaled(root);
        if self.is_product(core, shape) {
            return Some((f, core, None));
        }
        let Some(Op::Binary(BinOp::Add, a, b)) = self.ir.get(root).map(|n| &n.op) else { return None };
        for (p, addend) in [(*a, *b), (*b, *a)] {
            let (f, core) = self.scaled(p);
            if self.is_product(core, shape) && !self.pass_nodes(addend).0.contains(&core) {
                return Some((f, core, Some(addend)));
            }
        }
        None
    }

    /// A GEMM result another pass reads: a temporary of the product's shape.
    pub(super) fn emit_matmul_temp(&mut self, id: NodeId) {
        let Some(n) = self.ir.get(id).cloned() else { return };
        let t = format_ident!("__ae_t{}", id.0);
        let tv = format_ident!("__ae_tv{}", id.0);
        let ty = dtype_tokens(n.dtype);
        let shape_e = self.shape_expr(&n.shape);
        let rt = rt();
        self.stmts.push(quote! {
            let mut #t = #rt::runtime::diagnostics::alloc_temporary::<#ty, 2>(#shape_e)?;
        });
        self.pending_temp = Some(id);
        self.emit_matmul(id, quote!(#t.view_mut()));
        self.stmts.push(quote!(let #tv = #t.view();));
        self.temps.insert(id, tv);
    }
}
