//! Elementwise passes: the scalar body, the `wide` vector body and the driver call.

use super::tokens::{binary_tokens, cast_tokens, const_tokens, dtype_tokens, lit_usize, rt, v};
use super::{Emitter, MAX_OPERANDS};
use crate::ast::{BinOp, UnOp};
use crate::dtype::Dtype;
use crate::explain::PassKind;
use crate::ir::{Const, NodeId, Op};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::BTreeSet;

impl Emitter<'_> {
    /// The per-element statements computing every node of `nodes` except operands.
    pub(super) fn element_body(
        &self,
        nodes: &BTreeSet<NodeId>,
        operands: &[NodeId],
        root_is_reduce: Option<NodeId>,
    ) -> TokenStream {
        let mut out = Vec::new();
        for &id in nodes {
            if Some(id) == root_is_reduce {
                continue;
            }
            let Some(n) = self.ir.get(id) else { continue };
            let ty = dtype_tokens(n.dtype);
            let name = v(id);
            let value = if self.is_target(id) {
                quote!(__ae_o[__ae_k])
            } else if let Some(k) = operands.iter().position(|o| *o == id) {
                let input = format_ident!("__ae_i{}", k);
                if self.splat_ins.contains(&id) {
                    quote!(#input)
                } else {
                    quote!(#input[__ae_k])
                }
            } else {
                self.node_expr(id)
            };
            out.push(quote!(let #name: #ty = #value;));
        }
        quote!(#(#out)*)
    }

    pub(super) fn node_expr(&self, id: NodeId) -> TokenStream {
        let rt = rt();
        let Some(n) = self.ir.get(id) else { return quote!(()) };
        match &n.op {
            Op::Reduce { .. } if self.row_scalars.contains(&id) => {
                let s = format_ident!("__ae_s{}", id.0);
                quote!(#s)
            }
            Op::Array(_) | Op::Reduce { .. } | Op::View { .. } | Op::MatMul(..) => {
                quote!(::core::unreachable!())
            }
            Op::Scalar(p) => {
                let name = self
                    .params
                    .get(*p)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| format_ident!("__ae_missing"));
                quote!(#name)
            }
            Op::Const(c) => const_tokens(c, n.dtype),
            Op::Unary(UnOp::Neg, a) => {
                let a = v(*a);
                quote!(#rt::ops::neg(#a))
            }
            Op::Unary(UnOp::Not, a) => {
                let a = v(*a);
                quote!(!#a)
            }
            Op::Binary(op, a, b) => binary_tokens(*op, v(*a), v(*b)),
            Op::Cast(a) => {
                let from = self.ir.get(*a).map_or(n.dtype, |x| x.dtype);
                cast_tokens(v(*a), from, n.dtype)
            }
            Op::Func(f, args) => {
                let fname = Ident::new(f.runtime_name(), Span::call_site());
                let args = args.iter().map(|a| v(*a));
                quote!(#rt::ops::#fname(#(#args),*))
            }
            Op::Where(c, a, b) => {
                let (c, a, b) = (v(*c), v(*a), v(*b));
                quote!(if #c { #a } else { #b })
            }
        }
    }

    /// Emits an elementwise pass computing `root` into the mutable view expression `dst`.
    pub(crate) fn emit_elementwise(&mut self, root: NodeId, dst: TokenStream, final_pass: bool) {
        let rt = rt();
        let dest = self.dest();
        let rw = final_pass && (self.inplace.is_some() || self.epilogue.is_some());
        self.in_final = rw;
        let (_, first) = self.pass_nodes(root);
        self.in_final = false;
        self.ensure_temps(&first);
        self.in_final = rw;
        let (nodes, operands) = self.pass_nodes(root);
        self.in_final = false;
        let operands: Vec<NodeId> = operands.into_iter().collect();
        let ops: Vec<Ident> = (0..operands.len()).map(|k| format_ident!("__ae_op{}", k)).collect();
        let ins: Vec<Ident> = (0..operands.len()).map(|k| format_ident!("__ae_i{}", k)).collect();
        let views: Vec<TokenStream> = operands.iter().map(|o| self.operand_view(*o)).collect();
        self.in_final = rw;
        let body = self.element_body(&nodes, &operands, None);
        self.in_final = false;
        let rv = v(root);
        if operands.is_empty() {
            self.row_fast = None;
            self.record(PassKind::Map, root, dest, &nodes, &operands, false);
            self.stmts.push(quote! {
                {
                    let mut __ae_d = #dst;
                    __ae_d.for_each_mut(|__ae_slot| {
                        let __ae_k = 0usize;
                        let __ae_o = [*__ae_slot];
                        #body
                        *__ae_slot = #rv;
                    });
                }
            });
            return;
        }
        self.in_final = rw;
        // read-modify-write passes never stream (the zip drivers hand them `None`)
        let vector = self.vector_body(&nodes, &operands, root, !rw);
        self.in_final = false;
        self.record(PassKind::Map, root, dest, &nodes, &operands, vector.is_some());
        let record = self.records.len() - 1;
        let loop_body = match vector {
            Some(vbody) => vbody,
            None => scalar_loop(&body, &rv, (!rw).then_some(&ins[..])),
        };
        if self.too_many_operands(root, operands.len()) {
            return;
        }
        let cost = self.pass_cost(&nodes);
        let zip = if rw {
            format_ident!("zip{}_rw", operands.len())
        } else {
            format_ident!("zip{}", operands.len())
        };
        let kernel = kernel_closure(&ins, &loop_body);
        if self.row_fast.is_some() {
            // a row-local schedule's pass writes the output block (the output row); the
            // row-by-row kernel reads the row's reduced values as captured locals
            match (dest, self.row_fast_operands(&operands)) {
                (crate::explain::Dest::Output(_), Some((fast_ops, scalars))) => {
                    self.row_scalars = scalars;
                    self.in_final = rw;
                    let vector = self.vector_body(&nodes, &fast_ops, root, false);
                    let body = self.element_body(&nodes, &fast_ops, None);
                    self.in_final = false;
                    self.row_scalars.clear();
                    let loop_body = vector.unwrap_or_else(|| scalar_loop(&body, &rv, None));
                    let ins: Vec<Ident> = (0..fast_ops.len()).map(|k| format_ident!("__ae_i{}", k)).collect();
                    self.row_zip_step(&operands, root, &kernel_closure(&ins, &loop_body), &kernel);
                }
                _ => self.row_fast = None,
            }
        }
        // operands broadcast along the last axis (`x[:, newaxis]`): constant along the runs of
        // a C-order pass, where a second kernel reads them as one value per run and gets whole
        // runs, instead of blocks with the value repeated in a buffer
        let splat: Vec<NodeId> = if rw { Vec::new() } else { self.splat_operands(root, &operands) };
        let call = if splat.is_empty() || splat.len() == operands.len() {
            quote!(#rt::driver::#zip(&mut __ae_d, #(&#ops,)* #cost, #kernel)?;)
        } else {
            let mask: u32 =
                operands.iter().enumerate().filter(|(_, o)| splat.contains(o)).map(|(k, _)| 1u32 << k).sum();
            if let Some(r) = self.records.get_mut(record) {
                r.splat = splat.clone();
            }
            self.splat_ins = splat.iter().copied().collect();
            let vector = self.vector_body(&nodes, &operands, root, true);
            let body = self.element_body(&nodes, &operands, None);
            let flags: Vec<bool> = operands.iter().map(|o| self.splat_ins.contains(o)).collect();
            self.splat_ins.clear();
            // the splat inputs are values in the splat kernel, the others slices
            let sliced: Vec<Ident> =
                ins.iter().zip(&flags).filter(|(_, &one)| !one).map(|(i, _)| i.clone()).collect();
            let loop_body = vector.unwrap_or_else(|| scalar_loop(&body, &rv, Some(&sliced)));
            let splat_kernel = splat_closure(&ins, &flags, &loop_body);
            let zip_splat = format_ident!("zip{}_splat", operands.len());
            quote!(#rt::driver::#zip_splat(&mut __ae_d, #(&#ops,)* #cost, #kernel, #mask, #splat_kernel)?;)
        };
        self.stmts.push(quote! {
            {
                let mut __ae_d = #dst;
                let __ae_shape = __ae_d.shape();
                #(let #ops = #views.broadcast_to(__ae_shape)?;)*
                #call
            }
        });
    }

    /// The operands of a pass over `root`'s shape that broadcast along its last axis: rank 0,
    /// or a last axis of literal size 1 where the pass's is not.
    fn splat_operands(&self, root: NodeId, operands: &[NodeId]) -> Vec<NodeId> {
        let Some(last) = self.ir.get(root).and_then(|n| n.shape.last()) else { return Vec::new() };
        if *last == crate::shape::Dim::Lit(1) {
            return Vec::new();
        }
        operands
            .iter()
            .copied()
            .filter(|o| {
                self.ir
                    .get(*o)
                    .is_some_and(|n| n.shape.last().is_none_or(|d| *d == crate::shape::Dim::Lit(1)))
            })
            .collect()
    }

    /// Indices (into `operands`) of the inputs a pass's vector loop fetches ahead into L2 when it
    /// runs over memory: those of the pass's full shape, when another operand is broadcast along
    /// a leading axis (a row vector such as `w` in `x * w + b`, read again for every row). Two
    /// row vectors of 16 KiB fill L1 beside the streamed rows and are read back from L2 on every
    /// row; a hand-written `x * w + b` over 4096 x 4096 f32 ran 17-20% faster fetching `x` 4-8
    /// KiB ahead into L2, while a triad over two full arrays ran 8% slower with the same fetches,
    /// so only such passes get them.
    fn fetch_ahead_operands(&self, root: NodeId, operands: &[NodeId]) -> Vec<usize> {
        let Some(rs) = self.ir.get(root).map(|n| &n.shape) else { return Vec::new() };
        let shape = |o: &NodeId| self.ir.get(*o).map(|n| &n.shape);
        let row_vector = operands.iter().any(|o| {
            shape(o).is_some_and(|s| {
                s != rs
                    && rs.len() >= 2
                    && s.last() == rs.last()
                    && s.last() != Some(&crate::shape::Dim::Lit(1))
            })
        });
        if !row_vector {
            return Vec::new();
        }
        operands.iter().enumerate().filter(|(_, o)| shape(o) == Some(rs)).map(|(k, _)| k).collect()
    }

    /// Per-element compute of a pass beyond its memory traffic, in bytes-equivalent (about the
    /// time one byte of traffic takes): transcendentals 32, `sqrt` and `/` 4. The drivers add
    /// it to the bytes moved when deciding whether a pass pays for threads.
    pub(super) fn pass_cost(&self, nodes: &BTreeSet<NodeId>) -> usize {
        use crate::ir::Func as F;
        let weight = |op: &Op| match op {
            Op::Func(F::Sqrt, _) | Op::Binary(BinOp::Div | BinOp::Rem, ..) => 4,
            Op::Func(
                F::Abs | F::Floor | F::Ceil | F::Round | F::Square | F::Minimum | F::Maximum | F::Clip,
                _,
            ) => 0,
            Op::Func(..) => 32,
            _ => 0,
        };
        nodes.iter().filter_map(|id| self.ir.get(*id)).map(|n| weight(&n.op)).sum()
    }

    /// The `let`s of one vector of every node of `nodes` (a pass computing `root`, of a float
    /// dtype) at `__ae_k`, reading the operands (`__ae_i<k>`) at `range`: `[__ae_k..__ae_k +
    /// LANES]` for whole vectors (exact slices, so no length checks remain) or `[__ae_k..]` for
    /// the last, partial one (missing lanes read as zero). The value is the local `v(root)`.
    /// `None` when a node has no vector form.
    pub(super) fn vector_lets(
        &self,
        nodes: &BTreeSet<NodeId>,
        operands: &[NodeId],
        root: NodeId,
        range: &TokenStream,
    ) -> Option<Vec<TokenStream>> {
        let rt = rt();
        let t = self.ir.get(root)?.dtype;
        if !t.is_float() {
            return None;
        }
        let ty = dtype_tokens(t);
        let simd = quote!(<#ty as #rt::kernels::SimdElem>);
        let math = quote!(#rt::kernels::math);
        // Leaves (an array read by the pass, or a scalar argument) of another numeric dtype
        // whose every use in the pass is a cast to `t`: they get no vector of their own, the
        // cast loads them converted (or splats the converted scalar), lane for lane as `as`.
        let cast_leaf = |id: NodeId| -> bool {
            let Some(n) = self.ir.get(id) else { return false };
            let leaf = (operands.contains(&id) && !self.is_target(id)) || matches!(n.op, Op::Scalar(_));
            leaf && n.dtype != t
                && n.dtype != Dtype::Bool
                && id != root
                && nodes.iter().all(|&u| {
                    self.ir.get(u).is_none_or(|un| {
                        !crate::ir::Ir::children(&un.op).contains(&id)
                            || (matches!(un.op, Op::Cast(_)) && un.dtype == t)
                    })
                })
        };
        let mut lets = Vec::new();
        for &id in nodes {
            let n = self.ir.get(id)?;
            if cast_leaf(id) {
                continue;
            }
            if let Op::Cast(a) = n.op {
                if n.dtype == t && cast_leaf(a) {
                    let src = self.ir.get(a)?;
                    let from = dtype_tokens(src.dtype);
                    let value = match operands.iter().position(|o| *o == a) {
                        Some(k) if self.splat_ins.contains(&a) => {
                            let value = cast_tokens(format_ident!("__ae_i{}", k), src.dtype, t);
                            quote!(#simd::splat(#value))
                        }
                        Some(k) => {
                            let input = format_ident!("__ae_i{}", k);
                            quote!(#rt::kernels::simd::load_as::<#from, #ty>(&#input #range))
                        }
                        None => {
                            let Op::Scalar(p) = src.op else { return None };
                            let scalar = cast_tokens(self.params.get(p)?.name.clone(), src.dtype, t);
                            quote!(#simd::splat(#scalar))
                        }
                    };
                    let name = v(id);
                    lets.push(quote!(let #name = #value;));
                    continue;
                }
            }
            let is_operand = self.is_target(id) || operands.contains(&id);
            let ok = n.dtype == t || (!is_operand && n.dtype == Dtype::Bool) || matches!(n.op, Op::Const(_));
            if !ok {
                return None;
            }
            let name = v(id);
            let value = if self.is_target(id) {
                quote!(#simd::load(&__ae_o #range))
            } else if let Some(k) = operands.iter().position(|o| *o == id) {
                let input = format_ident!("__ae_i{}", k);
                if self.splat_ins.contains(&id) {
                    quote!(#simd::splat(#input))
                } else {
                    quote!(#simd::load(&#input #range))
                }
            } else {
                self.vector_expr(id, t, &simd, &math)?
            };
            lets.push(quote!(let #name = #value;));
        }
        Some(lets)
    }

    /// The innermost loop over `wide` vectors (f32x8 / f64x4) for a pass whose values are all
    /// one float dtype (masks from comparing them included) and whose operations all have a
    /// vector form; `None` otherwise (the scalar loop then runs, auto-vectorized where LLVM can).
    /// Every element, the last partial vector included, goes through the same vector code, so
    /// a result does not depend on where an element falls in a block. With `stream`, the loop
    /// stores through the zip drivers' `__ae_s: Option<&Streamer>` when it is `Some`.
    pub(super) fn vector_body(
        &self,
        nodes: &BTreeSet<NodeId>,
        operands: &[NodeId],
        root: NodeId,
        stream: bool,
    ) -> Option<TokenStream> {
        let rt = rt();
        let ty = dtype_tokens(self.ir.get(root)?.dtype);
        let simd = quote!(<#ty as #rt::kernels::SimdElem>);
        let full = quote!([__ae_k..__ae_k + #simd::LANES]);
        // `None` unless the pass is of one float dtype
        let lets = self.vector_lets(nodes, operands, root, &full)?;
        let tail = self.vector_lets(nodes, operands, root, &quote!([__ae_k..]))?;
        let rv = v(root);
        let store = if stream {
            // `Some` on the drivers' streaming path (non-temporal stores); an invariant
            // branch that LLVM hoists out of the loop
            quote! {
                match __ae_s {
                    ::core::option::Option::Some(__ae_w) => __ae_w.store::<#ty>(#rv, &mut __ae_o #full),
                    ::core::option::Option::None => #simd::store(#rv, &mut __ae_o #full),
                }
            }
        } else {
            quote!(#simd::store(#rv, &mut __ae_o #full);)
        };
        // streamed inputs fetched ahead into L2, one line per line of the pass, 4 KiB on, on
        // the streaming path only (a pass over memory; see `fetch_ahead_operands`)
        let ahead: Vec<Ident> = if stream && self.splat_ins.is_empty() {
            self.fetch_ahead_operands(root, operands)
                .into_iter()
                .map(|k| format_ident!("__ae_i{}", k))
                .collect()
        } else {
            Vec::new()
        };
        let (fetch_flag, fetch) = if ahead.is_empty() {
            (quote!(), quote!())
        } else {
            (
                quote!(let __ae_pf = __ae_s.is_some();),
                quote! {
                    if __ae_pf && __ae_k % (64 / ::core::mem::size_of::<#ty>()) == 0 {
                        #(#rt::kernels::mem::prefetch_l2(#ahead, __ae_k + 4096 / ::core::mem::size_of::<#ty>());)*
                    }
                },
            )
        };
        // whole vectors, then the partial one through the same vector code (a result does not
        // depend on which of the two loops computes it)
        Some(quote! {
            let mut __ae_k = 0usize;
            #fetch_flag
            // the loop condition is the slices' bounds check, so LLVM drops the latter
            while __ae_k + #simd::LANES <= __ae_n {
                #fetch
                #(#lets)*
                #store
                __ae_k += #simd::LANES;
            }
            if __ae_k < __ae_n {
                #(#tail)*
                #simd::store(#rv, &mut __ae_o[__ae_k..]);
            }
        })
    }

    /// The vector form of one node, or `None` when it has none.
    pub(super) fn vector_expr(
        &self,
        id: NodeId,
        t: Dtype,
        simd: &TokenStream,
        math: &TokenStream,
    ) -> Option<TokenStream> {
        let n = self.ir.get(id)?;
        let is_t = |x: &NodeId| self.ir.get(*x).map(|c| c.dtype) == Some(t);
        let is_mask = |x: &NodeId| self.ir.get(*x).map(|c| c.dtype) == Some(Dtype::Bool);
        Some(match &n.op {
            Op::Reduce { .. } if n.dtype == t && self.row_scalars.contains(&id) => {
                let s = format_ident!("__ae_s{}", id.0);
                quote!(#simd::splat(#s))
            }
            Op::Scalar(p) if n.dtype == t => {
                let name = self.params.get(*p)?.name.clone();
                quote!(#simd::splat(#name))
            }
            Op::Const(c) if n.dtype == t => {
                let c = const_tokens(c, t);
                quote!(#simd::splat(#c))
            }
            Op::Unary(UnOp::Neg, a) if is_t(a) => {
                let a = v(*a);
                quote!(#simd::vneg(#a))
            }
            Op::Unary(UnOp::Not, a) if is_mask(a) => {
                let a = v(*a);
                quote!(!#a)
            }
            Op::Binary(op, a, b) => {
                let (va, vb) = (v(*a), v(*b));
                match op {
                    BinOp::Add if is_t(a) => quote!(#simd::vadd(#va, #vb)),
                    BinOp::Sub if is_t(a) => quote!(#simd::vsub(#va, #vb)),
                    BinOp::Mul if is_t(a) => quote!(#simd::vmul(#va, #vb)),
                    BinOp::Div if is_t(a) => quote!(#simd::vdiv(#va, #vb)),
                    BinOp::Lt if is_t(a) => quote!(#math::FloatMath::lt(#va, #vb)),
                    BinOp::Le if is_t(a) => quote!(#math::FloatMath::le(#va, #vb)),
                    BinOp::Gt if is_t(a) => quote!(#math::FloatMath::lt(#vb, #va)),
                    BinOp::Ge if is_t(a) => quote!(#math::FloatMath::le(#vb, #va)),
                    BinOp::Eq if is_t(a) => quote!(#math::FloatMath::eq(#va, #vb)),
                    BinOp::Ne if is_t(a) => quote!(!#math::FloatMath::eq(#va, #vb)),
                    BinOp::And if is_mask(a) => quote!(#va & #vb),
                    BinOp::Or if is_mask(a) => quote!(#va | #vb),
                    _ => return None,
                }
            }
            Op::Func(f, args) if args.iter().all(&is_t) || *f == crate::ir::Func::Powi => {
                let fname = Ident::new(f.runtime_name(), Span::call_site());
                let fname = match f.runtime_name() {
                    "minimum" => Ident::new("min", Span::call_site()),
                    "maximum" => Ident::new("max", Span::call_site()),
                    _ => fname,
                };
                if *f == crate::ir::Func::Powi {
                    let (a, e) = (v(*args.first()?), v(*args.get(1)?));
                    return Some(quote!(#math::powi(#a, #e)));
                }
                let args = args.iter().map(|a| v(*a));
                quote!(#math::#fname(#(#args),*))
            }
            Op::Const(Const::Int(i)) if n.dtype == Dtype::I32 => {
                let l = Literal::i32_unsuffixed(i32::try_from(*i).ok()?);
                quote!(#l)
            }
            Op::Where(c, a, b) if is_mask(c) && is_t(a) && is_t(b) => {
                let (c, a, b) = (v(*c), v(*a), v(*b));
                quote!(#math::select(#c, #a, #b))
            }
            _ => return None,
        })
    }

    /// The loop drivers take at most [`MAX_OPERANDS`] arrays: a pass reading more becomes a
    /// `compile_error!` at the expression (returns true).
    pub(super) fn too_many_operands(&mut self, root: NodeId, count: usize) -> bool {
        if count <= MAX_OPERANDS {
            return false;
        }
        let span = self.ir.get(root).map_or_else(Span::call_site, |n| n.span);
        let msg = crate::diag::too_many_operands(count, MAX_OPERANDS);
        self.stmts.push(quote::quote_spanned!(span=> ::core::compile_error!(#msg);));
        true
    }
}

/// The scalar loop of an elementwise kernel (auto-vectorized by LLVM where it can). With
/// `stream` (the kernel's input idents that are slices; splat inputs are values), when the zip
/// driver hands it a streamer (`__ae_s`: a large write-once output), it computes [`STAGE`]
/// elements at a time into a stack buffer and copies each run out with streaming stores, so an
/// integer, boolean or mixed-dtype pass skips the read-for-ownership of its output as the
/// vector loops do; without a streamer, with `None` (in-place passes, row-local kernels) and
/// for the last partial run it stores ordinarily. The same body computes every element either
/// way, so the values are the same.
fn scalar_loop(body: &TokenStream, rv: &Ident, stream: Option<&[Ident]>) -> TokenStream {
    let Some(sliced) = stream else {
        return quote! {
            let _ = __ae_s;
            for __ae_k in 0..__ae_n {
                #body
                __ae_o[__ae_k] = #rv;
            }
        };
    };
    let stage = lit_usize(STAGE);
    quote! {
        let mut __ae_c = 0usize;
        if let ::core::option::Option::Some(__ae_w) = __ae_s {
            let mut __ae_b = [::core::default::Default::default(); #stage];
            while __ae_c + #stage <= __ae_n {
                // the run's own slices of the inputs, indexed from 0: no bounds checks remain
                // in the loop, which LLVM vectorizes as the plain one
                #(let #sliced = &#sliced[__ae_c..__ae_c + #stage];)*
                for (__ae_k, __ae_slot) in __ae_b.iter_mut().enumerate() {
                    #body
                    *__ae_slot = #rv;
                }
                __ae_w.copy(&mut __ae_o[__ae_c..__ae_c + #stage], &__ae_b);
                __ae_c += #stage;
            }
        }
        // the elements after the last whole run (and every element without a streamer)
        for __ae_k in __ae_c..__ae_n {
            #body
            __ae_o[__ae_k] = #rv;
        }
    }
}

/// Elements a streaming scalar loop computes into its stack buffer before copying them out
/// (256 bytes of `i32`: whole 32-byte streaming stores for every element size).
const STAGE: usize = 64;

/// The splat kernel closure of a zip driver: as [`kernel_closure`], the inputs flagged in
/// `splat` arriving as one-element slices, bound to their value.
fn splat_closure(ins: &[Ident], splat: &[bool], loop_body: &TokenStream) -> TokenStream {
    let binds = ins.iter().zip(splat).map(|(i, &one)| {
        if one {
            quote!(let ::core::option::Option::Some(&#i) = #i.first() else { return };)
        } else {
            quote!(let #i = &#i[..__ae_n];)
        }
    });
    quote! {
        &|__ae_o, __ae_s, #(#ins),*| {
            let __ae_n = __ae_o.len();
            #(#binds)*
            #loop_body
        }
    }
}

/// The kernel closure a zip driver gets: `(out, streamer, inputs...)` over equal lengths.
fn kernel_closure(ins: &[Ident], loop_body: &TokenStream) -> TokenStream {
    quote! {
        &|__ae_o, __ae_s, #(#ins),*| {
            let __ae_n = __ae_o.len();
            #(let #ins = &#ins[..__ae_n];)*
            #loop_body
        }
    }
}
