//! Typed IR -> Rust tokens. One loop nest per pass: every reduction whose value is used again
//! is an earlier pass writing a reduced-shape temporary; the final pass writes the output.
//! Each pass calls a `__private::driver` function that hands the body contiguous blocks; the
//! body is a plain loop over equal-length slices, with every `let` computed once per element.

use crate::ast::{BinOp, Param, UnOp};
use crate::dtype::Dtype;
use crate::explain::{Dest, PassKind, PassRecord};
use crate::ir::{Const, Ir, NodeId, Op, ReduceKind};
use crate::shape::{Dim, Shape};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};

/// Emits the statements of a kernel body given the root, into `stmts`.
pub(crate) struct Emitter<'a> {
    ir: &'a Ir,
    params: &'a [Param],
    symbols: &'a [String],
    stmts: Vec<TokenStream>,
    temps: BTreeMap<NodeId, Ident>,
    /// In the final pass of an in-place kernel, this parameter is read from the output block.
    inplace: Option<usize>,
    /// In the final pass, a GEMM result already written to the output, read from it.
    epilogue: Option<NodeId>,
    in_final: bool,
    /// The passes emitted so far, for the explain plan.
    records: Vec<PassRecord>,
    /// The temporary the next pass writes (set by the temporary emitters), else an output.
    pending_temp: Option<NodeId>,
    /// The output the next non-temporary pass writes (several-output kernels).
    output: usize,
}

/// Arrays one fused pass may read (the drivers are `zip1`..`zip8`, `reduce1`..`reduce8`).
const MAX_OPERANDS: usize = 8;

fn rt() -> TokenStream {
    quote!(::array_expr::__private)
}

pub(crate) fn dtype_tokens(d: Dtype) -> TokenStream {
    let id = Ident::new(d.name(), Span::call_site());
    quote!(#id)
}

fn v(id: NodeId) -> Ident {
    format_ident!("__ae_v{}", id.0)
}

fn lit_usize(n: usize) -> Literal {
    Literal::usize_suffixed(n)
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(ir: &'a Ir, params: &'a [Param], symbols: &'a [String]) -> Self {
        Emitter {
            ir,
            params,
            symbols,
            stmts: Vec::new(),
            temps: BTreeMap::new(),
            inplace: None,
            epilogue: None,
            in_final: false,
            records: Vec::new(),
            pending_temp: None,
            output: 0,
        }
    }

    /// Selects the output the following passes write (several-output kernels).
    pub(crate) fn set_output(&mut self, k: usize) {
        self.output = k;
    }

    /// The passes emitted so far, in execution order.
    pub(crate) fn take_records(&mut self) -> Vec<PassRecord> {
        std::mem::take(&mut self.records)
    }

    /// Where the pass being emitted writes; consumes the pending temporary.
    fn dest(&mut self) -> Dest {
        match self.pending_temp.take() {
            Some(t) => Dest::Temp(t),
            None => Dest::Output(self.output),
        }
    }

    fn record(
        &mut self,
        kind: PassKind,
        root: NodeId,
        dest: Dest,
        nodes: &BTreeSet<NodeId>,
        reads: &[NodeId],
        vector: bool,
    ) {
        let epilogue = matches!(kind, PassKind::Map) && self.epilogue.is_some();
        let rereads_output = matches!(kind, PassKind::Map)
            && (epilogue || self.inplace.is_some())
            && matches!(dest, Dest::Output(_));
        // the GEMM result an epilogue reads from the output is not computed by this pass
        let nodes =
            nodes.iter().copied().filter(|n| !reads.contains(n) && Some(*n) != self.epilogue).collect();
        let (alpha, beta_one) = (Vec::new(), false);
        self.records.push(PassRecord {
            kind,
            root,
            dest,
            nodes,
            reads: reads.to_vec(),
            vector,
            epilogue,
            rereads_output,
            alpha,
            beta_one,
        });
    }

    pub(crate) fn set_inplace(&mut self, p: Option<usize>) {
        self.inplace = p;
    }

    /// Whether `id` is the in-place target read from the output block in this pass.
    fn is_target(&self, id: NodeId) -> bool {
        self.in_final
            && (Some(id) == self.epilogue
                || matches!(self.ir.get(id).map(|n| &n.op), Some(Op::Array(p)) if Some(*p) == self.inplace))
    }

    pub(crate) fn take_stmts(&mut self) -> Vec<TokenStream> {
        std::mem::take(&mut self.stmts)
    }

    /// `[__ae_b.require(0)?, 3usize]` for a symbolic shape.
    pub(crate) fn shape_expr(&self, shape: &Shape) -> TokenStream {
        let dims = shape.iter().map(|d| match d {
            Dim::Lit(n) => {
                let n = lit_usize(*n as usize);
                quote!(#n)
            }
            Dim::Sym(s) => {
                let k = lit_usize(self.symbols.iter().position(|x| x == s).unwrap_or(usize::MAX));
                quote!(__ae_b.require(#k)?)
            }
        });
        quote!([#(#dims),*])
    }

    /// Nodes a pass rooted at `root` evaluates per element (stopping at reductions), and the
    /// operands it reads (array parameters and reduction temporaries), both in arena order.
    fn pass_nodes(&self, root: NodeId) -> (BTreeSet<NodeId>, BTreeSet<NodeId>) {
        let mut nodes = BTreeSet::new();
        let mut operands = BTreeSet::new();
        let mut todo = vec![root];
        while let Some(id) = todo.pop() {
            if !nodes.insert(id) {
                continue;
            }
            let Some(n) = self.ir.get(id) else { continue };
            match &n.op {
                _ if self.is_target(id) => {}
                Op::MatMul(..) if id != root => {
                    operands.insert(id);
                }
                Op::Array(_) | Op::View { .. } => {
                    operands.insert(id);
                }
                Op::Reduce { .. } if id != root => {
                    operands.insert(id);
                }
                Op::Reduce { input, .. } => todo.push(*input),
                op => todo.extend(Ir::children(op)),
            }
        }
        (nodes, operands)
    }

    /// Emits every reduction `root`'s pass reads as a temporary first.
    fn ensure_temps(&mut self, operands: &BTreeSet<NodeId>) {
        for &id in operands {
            let base = match self.ir.get(id).map(|n| &n.op) {
                Some(Op::View { input, .. }) => *input,
                _ => id,
            };
            if self.temps.contains_key(&base) {
                continue;
            }
            match self.ir.get(base).map(|n| &n.op) {
                Some(Op::Reduce { .. }) => self.emit_reduce_temp(base),
                Some(Op::MatMul(..)) => self.emit_matmul_temp(base),
                _ => {}
            }
        }
    }

    /// Tokens for the read-only view of an operand node.
    fn operand_view(&self, id: NodeId) -> TokenStream {
        match self.ir.get(id).map(|n| &n.op) {
            Some(Op::View { input, map }) => {
                let base = self.operand_view(*input);
                let items = map.iter().map(|m| match m {
                    Some(a) => quote!(::core::option::Option::Some(#a)),
                    None => quote!(::core::option::Option::None),
                });
                quote!(#base.remap_axes([#(#items),*])?)
            }
            Some(Op::Array(p)) => {
                let name = self
                    .params
                    .get(*p)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| format_ident!("__ae_missing"));
                quote!(#name)
            }
            _ => {
                let t = self.temps.get(&id).cloned().unwrap_or_else(|| format_ident!("__ae_missing"));
                quote!(#t)
            }
        }
    }

    /// The per-element statements computing every node of `nodes` except operands.
    fn element_body(
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
                quote!(#input[__ae_k])
            } else {
                self.node_expr(id)
            };
            out.push(quote!(let #name: #ty = #value;));
        }
        quote!(#(#out)*)
    }

    fn node_expr(&self, id: NodeId) -> TokenStream {
        let rt = rt();
        let Some(n) = self.ir.get(id) else { return quote!(()) };
        match &n.op {
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
        let vector = self.vector_body(&nodes, &operands, root);
        self.in_final = false;
        self.record(PassKind::Map, root, dest, &nodes, &operands, vector.is_some());
        let loop_body = match vector {
            Some(vbody) => vbody,
            None => quote! {
                for __ae_k in 0..__ae_n {
                    #body
                    __ae_o[__ae_k] = #rv;
                }
            },
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
        self.stmts.push(quote! {
            {
                let mut __ae_d = #dst;
                let __ae_shape = __ae_d.shape();
                #(let #ops = #views.broadcast_to(__ae_shape)?;)*
                #rt::driver::#zip(&mut __ae_d, #(&#ops,)* #cost, &|__ae_o, #(#ins),*| {
                    let __ae_n = __ae_o.len();
                    #(let #ins = &#ins[..__ae_n];)*
                    #loop_body
                })?;
            }
        });
    }

    /// Per-element compute of a pass beyond its memory traffic, in bytes-equivalent (about the
    /// time one byte of traffic takes): transcendentals 32, `sqrt` and `/` 4. The drivers add
    /// it to the bytes moved when deciding whether a pass pays for threads.
    fn pass_cost(&self, nodes: &BTreeSet<NodeId>) -> usize {
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

    /// The innermost loop over `wide` vectors (f32x8 / f64x4) for a pass whose values are all
    /// one float dtype (masks from comparing them included) and whose operations all have a
    /// vector form; `None` otherwise (the scalar loop then runs, auto-vectorized where LLVM can).
    /// Every element, the last partial vector included, goes through the same vector code, so
    /// a result does not depend on where an element falls in a block.
    fn vector_body(
        &self,
        nodes: &BTreeSet<NodeId>,
        operands: &[NodeId],
        root: NodeId,
    ) -> Option<TokenStream> {
        let rt = rt();
        let t = self.ir.get(root)?.dtype;
        if !t.is_float() {
            return None;
        }
        let ty = dtype_tokens(t);
        let simd = quote!(<#ty as #rt::kernels::SimdElem>);
        let math = quote!(#rt::kernels::math);
        let mut lets = Vec::new();
        for &id in nodes {
            let n = self.ir.get(id)?;
            let is_operand = self.is_target(id) || operands.contains(&id);
            let ok = n.dtype == t || (!is_operand && n.dtype == Dtype::Bool) || matches!(n.op, Op::Const(_));
            if !ok {
                return None;
            }
            let name = v(id);
            let value = if self.is_target(id) {
                quote!(#simd::load(&__ae_o[__ae_k..]))
            } else if let Some(k) = operands.iter().position(|o| *o == id) {
                let input = format_ident!("__ae_i{}", k);
                quote!(#simd::load(&#input[__ae_k..]))
            } else {
                self.vector_expr(id, t, &simd, &math)?
            };
            lets.push(quote!(let #name = #value;));
        }
        let rv = v(root);
        Some(quote! {
            let mut __ae_k = 0usize;
            while __ae_k < __ae_n {
                #(#lets)*
                #simd::store(#rv, &mut __ae_o[__ae_k..]);
                __ae_k += #simd::LANES;
            }
        })
    }

    /// The vector form of one node, or `None` when it has none.
    fn vector_expr(
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
    fn too_many_operands(&mut self, root: NodeId, count: usize) -> bool {
        if count <= MAX_OPERANDS {
            return false;
        }
        let span = self.ir.get(root).map_or_else(Span::call_site, |n| n.span);
        let msg = crate::diag::too_many_operands(count, MAX_OPERANDS);
        self.stmts.push(quote::quote_spanned!(span=> ::core::compile_error!(#msg);));
        true
    }

    /// Emits a reduction pass for `id` writing into `dst`, a mutable view whose shape is the
    /// input's with the reduced axes of length 1.
    pub(crate) fn emit_reduce(&mut self, id: NodeId, dst: TokenStream) {
        let rt = rt();
        let dest = self.dest();
        let Some(n) = self.ir.get(id).cloned() else { return };
        let Op::Reduce { kind, input, axes, acc, .. } = n.op.clone() else { return };
        let (nodes, operands) = self.pass_nodes(id);
        self.ensure_temps(&operands);
        let operands: Vec<NodeId> = operands.into_iter().collect();
        let in_node = self.ir.get(input).cloned();
        let in_shape = in_node.as_ref().map(|x| x.shape.clone()).unwrap_or_default();
        let in_dtype = in_node.as_ref().map_or(Dtype::F64, |x| x.dtype);
        let shape_e = self.shape_expr(&in_shape);
        let rank = in_shape.len();
        let mask = (0..rank).map(|a| axes.contains(&a));
        let ops: Vec<Ident> = (0..operands.len()).map(|k| format_ident!("__ae_op{}", k)).collect();
        let ins: Vec<Ident> = (0..operands.len()).map(|k| format_ident!("__ae_i{}", k)).collect();
        let views: Vec<TokenStream> = operands.iter().map(|o| self.operand_view(*o)).collect();
        let body = self.element_body(&nodes, &operands, Some(id));
        let iv = v(input);
        let r = reduce_parts(kind, in_dtype, acc, n.dtype, &iv);
        let (ptype, init, step, combine, finish) = (r.ptype, r.init, r.step, r.combine, r.finish);
        let count = axes.iter().map(|a| quote!(__ae_shape[#a]));
        if self.too_many_operands(id, operands.len()) {
            return;
        }
        let reduce = format_ident!("reduce{}", operands.len().max(1));
        let cost = self.pass_cost(&nodes);
        let logical = matches!(kind, ReduceKind::ArgMin | ReduceKind::ArgMax);
        let simd_sum = matches!(kind, ReduceKind::Sum | ReduceKind::Mean)
            && in_dtype.is_float()
            && acc.is_float()
            && (acc == Dtype::F64 || acc == in_dtype);
        let simd_minmax = matches!(kind, ReduceKind::Min | ReduceKind::Max) && in_dtype != Dtype::Bool;
        let buffered = simd_sum || simd_minmax;
        self.record(PassKind::Reduce, id, dest, &nodes, &operands, buffered);
        // the block buffer of a SIMD reduction is the driver's per-task scratch (zeroed once
        // per task, not per block; block closures run on several threads at once)
        let vals_t = dtype_tokens(in_dtype);
        let scalar_body = quote! {
            let mut __ae_acc: #ptype = #init;
            for __ae_k in 0..__ae_n {
                #body
                __ae_acc = #step;
            }
            __ae_acc
        };
        let block_body = if buffered {
            // long blocks: the producer fills a buffer, then the kernels crate reduces it with
            // several SIMD accumulators in a fixed order; short runs (the block length is fixed
            // by the shape, so the choice is too) fold element by element
            let (i_t, a_t) = (dtype_tokens(in_dtype), dtype_tokens(acc));
            let reduce_block = match kind {
                ReduceKind::Min => quote!(#rt::kernels::reduce::min(&__ae_vals[..__ae_n])),
                ReduceKind::Max => quote!(#rt::kernels::reduce::max(&__ae_vals[..__ae_n])),
                _ => quote!(<#i_t as #rt::BlockSum<#a_t>>::block_sum(&__ae_vals[..__ae_n])),
            };
            let mut producer = nodes.clone();
            producer.remove(&id);
            let fill = match self.vector_body(&producer, &operands, input) {
                Some(vb) => quote! {
                    let __ae_o = &mut __ae_vals[..__ae_n];
                    #vb
                },
                None => quote! {
                    for (__ae_k, __ae_slot) in __ae_vals.iter_mut().enumerate().take(__ae_n) {
                        #body
                        *__ae_slot = #iv;
                    }
                },
            };
            quote! {
                if __ae_n < 64 {
                    #scalar_body
                } else {
                    #fill
                    #reduce_block
                }
            }
        } else {
            scalar_body
        };
        // vertical accumulation (the driver uses it when the kept axis is the contiguous one):
        // one step per element into a strip of partials, a loop LLVM vectorizes across outputs
        let vertical = if simd_sum {
            quote!(::core::option::Option::Some((#init, &|__ae_accs: &mut [#ptype], #(#ins: &[_]),*| {
                let __ae_n = __ae_accs.len();
                #(let #ins = &#ins[..__ae_n];)*
                for __ae_k in 0..__ae_n {
                    #body
                    let __ae_acc: #ptype = __ae_accs[__ae_k];
                    __ae_accs[__ae_k] = #step;
                }
            })))
        } else {
            quote!(::core::option::Option::None)
        };
        if operands.is_empty() {
            self.stmts.push(quote!(::core::compile_error!("internal error: a reduction without array operands; please report");));
            return;
        }
        self.stmts.push(quote! {
            {
                let __ae_shape = #shape_e;
                let __ae_count: usize = 1usize #(* #count)*;
                let _ = __ae_count;
                #(let #ops = #views.broadcast_to(__ae_shape)?;)*
                let mut __ae_d = #dst;
                #rt::driver::#reduce(
                    &mut __ae_d,
                    [#(#mask),*],
                    #logical,
                    #(&#ops,)*
                    #cost,
                    #vertical,
                    &|__ae_start: usize, __ae_vals: &mut [#vals_t], #(#ins),*| -> #ptype {
                        let __ae_n = [#(#ins.len()),*][0];
                        #(let #ins = &#ins[..__ae_n];)*
                        #block_body
                    },
                    &|__ae_a: #ptype, __ae_b2: #ptype| -> #ptype { #combine },
                    &|__ae_p: ::core::option::Option<#ptype>| #finish,
                )?;
            }
        });
    }

    /// The view of a GEMM operand: leaves directly, expressions materialized once into a
    /// temporary (visible in the plan).
    fn gemm_input(&mut self, id: NodeId) -> TokenStream {
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
            let mut #t = #rt::runtime::diagnostics::alloc_counted::<#ty, #rank>(#shape_e, true)?;
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
    fn emit_gemm(&mut self, id: NodeId, dst: TokenStream, outer: Vec<NodeId>, beta_one: bool) {
        let dest = self.dest();
        let Some(n) = self.ir.get(id).cloned() else { return };
        let Op::MatMul(a, b) = n.op else { return };
        let (fa, ma, a) = self.scaled_path(a);
        let (fb, mb, b) = self.scaled_path(b);
        let factors: Vec<NodeId> = outer.into_iter().chain(fa).chain(fb).collect();
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
        let alpha = factors.iter().fold(one.clone(), |acc, f| {
            let f = self.scalar_tokens(*f).unwrap_or_else(|| one.clone());
            quote!(#rt::ops::mul(#acc, #f))
        });
        let beta = if beta_one { one } else { quote!(<#ty as #rt::runtime::Element>::ZERO) };
        self.stmts.push(quote! {
            #rt::runtime::gemm::gemm(#alpha, &#av, &#bv, #beta, &mut #dst)?;
        });
    }

    /// The value of a scalar-shaped leaf factor: a scalar parameter, a constant, or the
    /// negation of one; `None` for anything else.
    fn scalar_tokens(&self, id: NodeId) -> Option<TokenStream> {
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
    fn scaled_path(&self, mut id: NodeId) -> (Vec<NodeId>, Vec<NodeId>, NodeId) {
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
    fn is_product(&self, id: NodeId, shape: &Option<Shape>) -> bool {
        let n = self.ir.get(id);
        matches!(n.map(|n| &n.op), Some(Op::MatMul(..))) && n.map(|n| n.shape.clone()) == *shape
    }

    /// The root as `alpha * (a @ b) + addend` when it has that form: (alpha factors, product,
    /// addend). The addend may not read the product itself.
    fn gemm_form(
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
    fn emit_matmul_temp(&mut self, id: NodeId) {
        let Some(n) = self.ir.get(id).cloned() else { return };
        let t = format_ident!("__ae_t{}", id.0);
        let tv = format_ident!("__ae_tv{}", id.0);
        let ty = dtype_tokens(n.dtype);
        let shape_e = self.shape_expr(&n.shape);
        let rt = rt();
        self.stmts.push(quote! {
            let mut #t = #rt::runtime::diagnostics::alloc_counted::<#ty, 2>(#shape_e, true)?;
        });
        self.pending_temp = Some(id);
        self.emit_matmul(id, quote!(#t.view_mut()));
        self.stmts.push(quote!(let #tv = #t.view();));
        self.temps.insert(id, tv);
    }

    /// Final pass of `root` into `dst`: a GEMM epilogue when the root's elementwise part reads
    /// one product of the output's shape (GEMM writes the output, the rest runs over it in
    /// place), otherwise a plain elementwise pass.
    pub(crate) fn emit_final(&mut self, root: NodeId, dst: TokenStream) {
        let shape = self.ir.get(root).map(|n| n.shape.clone());
        if self.inplace.is_none() {
            if let Some((factors, core, addend)) = self.gemm_form(root, &shape) {
                // scalar factors fold into alpha; an addend pre-fills the output (beta = 1)
                if let Some(addend) = addend {
                    self.emit_elementwise(addend, dst.clone(), false);
                }
                self.emit_gemm(core, dst, factors, addend.is_some());
                return;
            }
        }
        let (nodes, _) = self.pass_nodes(root);
        let products: Vec<NodeId> = nodes
            .iter()
            .copied()
            .filter(|&id| {
                let n = self.ir.get(id);
                matches!(n.map(|n| &n.op), Some(Op::MatMul(..))) && n.map(|n| n.shape.clone()) == shape
            })
            .collect();
        if let ([m], None) = (products.as_slice(), self.inplace) {
            if *m == root {
                self.emit_matmul(root, dst);
                return;
            }
            self.emit_matmul(*m, quote!(#dst));
            self.epilogue = Some(*m);
        }
        self.emit_elementwise(root, dst, true);
        self.epilogue = None;
    }

    /// In-place kernels whose value is a reduction: compute it into its (reduced-shape)
    /// temporary first, then copy it into the target.
    pub(crate) fn emit_assign_from_temp(&mut self, id: NodeId, dst: TokenStream) {
        self.emit_reduce_temp(id);
        let t = self.temps.get(&id).cloned().unwrap_or_else(|| format_ident!("__ae_missing"));
        let dest = self.dest();
        self.record(PassKind::Copy, id, dest, &BTreeSet::new(), &[id], false);
        self.stmts.push(quote!({
            let mut __ae_d = #dst;
            let __ae_shape = __ae_d.shape();
            __ae_d.assign(&#t.broadcast_to(__ae_shape)?)?;
        }));
    }

    /// Emits a reduction whose value another pass reads: a reduced-shape temporary.
    fn emit_reduce_temp(&mut self, id: NodeId) {
        let Some(n) = self.ir.get(id).cloned() else { return };
        let Op::Reduce { input, axes, keepdims, .. } = &n.op else { return };
        let in_shape = self.ir.get(*input).map(|x| x.shape.clone()).unwrap_or_default();
        let kept: Shape = in_shape
            .iter()
            .enumerate()
            .map(|(a, d)| if axes.contains(&a) { Dim::Lit(1) } else { d.clone() })
            .collect();
        let t = format_ident!("__ae_t{}", id.0);
        let tv = format_ident!("__ae_tv{}", id.0);
        let ty = dtype_tokens(n.dtype);
        let rank = lit_usize(in_shape.len());
        let kept_e = self.shape_expr(&kept);
        let rt = rt();
        self.stmts.push(quote! {
            let mut #t = #rt::runtime::diagnostics::alloc_counted::<#ty, #rank>(#kept_e, true)?;
        });
        self.pending_temp = Some(id);
        self.emit_reduce(id, quote!(#t.view_mut()));
        let view = if *keepdims {
            quote!(#t.view())
        } else {
            let out_e = self.shape_expr(&n.shape);
            quote!(#t.view().reshape(#out_e, #rt::runtime::Order::C)?)
        };
        self.stmts.push(quote!(let #tv = #view;));
        self.temps.insert(id, tv);
    }
}

fn const_tokens(c: &Const, d: Dtype) -> TokenStream {
    let ty = dtype_tokens(d);
    match c {
        Const::Bool(b) => quote!(#b),
        Const::Int(i) if d.is_float() => float_lit(*i as f64, &ty),
        Const::Int(i) => {
            let l = Literal::i128_unsuffixed(i.unsigned_abs() as i128);
            if *i < 0 {
                quote!(-(#l as #ty))
            } else {
                quote!(#l)
            }
        }
        Const::Float(f) => float_lit(*f, &ty),
    }
}

fn float_lit(f: f64, ty: &TokenStream) -> TokenStream {
    if f.is_infinite() {
        return if f > 0.0 { quote!(#ty::INFINITY) } else { quote!(#ty::NEG_INFINITY) };
    }
    if f.is_nan() {
        return quote!(#ty::NAN);
    }
    let l = Literal::f64_unsuffixed(f.abs());
    if f.is_sign_negative() {
        quote!(-#l)
    } else {
        quote!(#l)
    }
}

fn binary_tokens(op: BinOp, a: Ident, b: Ident) -> TokenStream {
    let rt = rt();
    match op {
        BinOp::Add => quote!(#rt::ops::add(#a, #b)),
        BinOp::Sub => quote!(#rt::ops::sub(#a, #b)),
        BinOp::Mul => quote!(#rt::ops::mul(#a, #b)),
        BinOp::Div => quote!(#rt::ops::div(#a, #b)),
        BinOp::Rem => quote!(#rt::ops::rem(#a, #b)),
        BinOp::Eq => quote!(#a == #b),
        BinOp::Ne => quote!(#a != #b),
        BinOp::Lt => quote!(#a < #b),
        BinOp::Le => quote!(#a <= #b),
        BinOp::Gt => quote!(#a > #b),
        BinOp::Ge => quote!(#a >= #b),
        BinOp::And => quote!(#a & #b),
        BinOp::Or => quote!(#a | #b),
    }
}

fn cast_tokens(a: Ident, from: Dtype, to: Dtype) -> TokenStream {
    let t = dtype_tokens(to);
    let f = dtype_tokens(from);
    match (from, to) {
        (x, y) if x == y => quote!(#a),
        (Dtype::Bool, _) => quote!((#a as u8) as #t),
        (_, Dtype::Bool) => quote!(#a != (0 as #f)),
        _ => quote!(#a as #t),
    }
}

/// Partial type, initial value, per-element step, combine and finish of a reduction.
struct ReduceParts {
    ptype: TokenStream,
    init: TokenStream,
    step: TokenStream,
    combine: TokenStream,
    finish: TokenStream,
}

fn reduce_parts(kind: ReduceKind, input: Dtype, acc: Dtype, out: Dtype, x: &Ident) -> ReduceParts {
    let rt = rt();
    let (a_t, o_t, i_t) = (dtype_tokens(acc), dtype_tokens(out), dtype_tokens(input));
    let name = kind.name();
    let o_name = out.name();
    let to_acc = if input == Dtype::Bool { quote!((#x as u8)) } else { quote!(#x) };
    let int = !acc.is_float();
    match kind {
        ReduceKind::Sum | ReduceKind::Mean if int => ReduceParts {
            ptype: quote!(i128),
            init: quote!(0i128),
            step: quote!(__ae_acc.wrapping_add(#to_acc as i128)),
            combine: quote!(__ae_a.wrapping_add(__ae_b2)),
            finish: quote!(<#o_t>::try_from(__ae_p.unwrap_or(0)).map_err(|_| #rt::overflow(#name, #o_name))),
        },
        ReduceKind::Sum => ReduceParts {
            ptype: quote!(#a_t),
            init: quote!(0.0),
            step: quote!(__ae_acc + (#to_acc as #a_t)),
            combine: quote!(__ae_a + __ae_b2),
            finish: quote!(::core::result::Result::Ok(__ae_p.unwrap_or(0.0) as #o_t)),
        },
        ReduceKind::Mean => ReduceParts {
            ptype: quote!(#a_t),
            init: quote!(0.0),
            step: quote!(__ae_acc + (#to_acc as #a_t)),
            combine: quote!(__ae_a + __ae_b2),
            finish: quote!(::core::result::Result::Ok((__ae_p.unwrap_or(0.0) / (__ae_count as #a_t)) as #o_t)),
        },
        ReduceKind::Prod if int => ReduceParts {
            ptype: quote!(::core::option::Option<i128>),
            init: quote!(::core::option::Option::Some(1i128)),
            step: quote!(__ae_acc.and_then(|__ae_q| __ae_q.checked_mul(#to_acc as i128))),
            combine: quote!(__ae_a.and_then(|__ae_q| __ae_b2.and_then(|__ae_r| __ae_q.checked_mul(__ae_r)))),
            finish: quote!(match __ae_p {
                ::core::option::Option::None => ::core::result::Result::Ok(1 as #o_t),
                ::core::option::Option::Some(__ae_q) => __ae_q
                    .and_then(|__ae_q| <#o_t>::try_from(__ae_q).ok())
                    .ok_or_else(|| #rt::overflow(#name, #o_name)),
            }),
        },
        ReduceKind::Prod => ReduceParts {
            ptype: quote!(#a_t),
            init: quote!(1.0),
            step: quote!(__ae_acc * (#to_acc as #a_t)),
            combine: quote!(__ae_a * __ae_b2),
            finish: quote!(::core::result::Result::Ok(__ae_p.unwrap_or(1.0) as #o_t)),
        },
        ReduceKind::Min | ReduceKind::Max => {
            let f = if kind == ReduceKind::Min { quote!(minimum) } else { quote!(maximum) };
            ReduceParts {
                ptype: quote!(::core::option::Option<#i_t>),
                init: quote!(::core::option::Option::None),
                step: quote!(::core::option::Option::Some(match __ae_acc {
                    ::core::option::Option::None => #x,
                    ::core::option::Option::Some(__ae_q) => #rt::ops::#f(__ae_q, #x),
                })),
                combine: quote!(match (__ae_a, __ae_b2) {
                    (::core::option::Option::Some(__ae_q), ::core::option::Option::Some(__ae_r)) => ::core::option::Option::Some(#rt::ops::#f(__ae_q, __ae_r)),
                    (__ae_q, ::core::option::Option::None) => __ae_q,
                    (::core::option::Option::None, __ae_r) => __ae_r,
                }),
                finish: quote!(__ae_p.flatten().ok_or_else(|| #rt::empty_reduction(#name))),
            }
        }
        ReduceKind::ArgMin | ReduceKind::ArgMax => {
            let better =
                if kind == ReduceKind::ArgMin { quote!(arg_better_min) } else { quote!(arg_better_max) };
            ReduceParts {
                ptype: quote!(::core::option::Option<(#i_t, usize)>),
                init: quote!(::core::option::Option::None),
                step: quote!(match __ae_acc {
                    ::core::option::Option::Some((__ae_q, _)) if !#rt::ops::#better(#x, __ae_q) => __ae_acc,
                    _ => ::core::option::Option::Some((#x, __ae_start + __ae_k)),
                }),
                combine: quote!(match (__ae_a, __ae_b2) {
                    (::core::option::Option::Some((__ae_q, _)), ::core::option::Option::Some((__ae_r, _))) if !#rt::ops::#better(__ae_r, __ae_q) => __ae_a,
                    (__ae_q, ::core::option::Option::None) => __ae_q,
                    (_, __ae_r) => __ae_r,
                }),
                finish: quote!(__ae_p.flatten().map(|(_, __ae_i)| __ae_i as i64).ok_or_else(|| #rt::empty_reduction(#name))),
            }
        }
        ReduceKind::Any | ReduceKind::All => {
            let (init, op) =
                if kind == ReduceKind::Any { (quote!(false), quote!(|)) } else { (quote!(true), quote!(&)) };
            ReduceParts {
                ptype: quote!(bool),
                init: init.clone(),
                step: quote!(__ae_acc #op #x),
                combine: quote!(__ae_a #op __ae_b2),
                finish: quote!(::core::result::Result::Ok(__ae_p.unwrap_or(#init))),
            }
        }
    }
}
