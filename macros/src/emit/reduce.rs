//! Reduction passes: a fused reduction over any axes, per-kind partials and their combine.

use super::tokens::{dtype_tokens, lit_usize, rt, v};
use super::Emitter;
use crate::dtype::Dtype;
use crate::explain::PassKind;
use crate::ir::{NodeId, Op, ReduceKind};
use crate::shape::{Dim, Shape};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

impl Emitter<'_> {
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
        let shape_e = match self.row_slice_of(&in_shape) {
            // row-local schedule: the pass covers the current block of rows
            Some(_) => {
                let whole = self.shape_expr(&in_shape);
                quote!({
                    let mut __ae_s = #whole;
                    __ae_s[0] = __ae_r1 - __ae_r0;
                    __ae_s
                })
            }
            None => self.shape_expr(&in_shape),
        };
        let rank = in_shape.len();
        let mask = (0..rank).map(|a| axes.contains(&a));
        let ops: Vec<Ident> = (0..operands.len()).map(|k| format_ident!("__ae_op{}", k)).collect();
        let ins: Vec<Ident> = (0..operands.len()).map(|k| format_ident!("__ae_i{}", k)).collect();
        let views: Vec<TokenStream> = operands.iter().map(|o| self.operand_view(*o)).collect();
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
        // The block closure over `operands` (the row-by-row path reads per-row values as
        // locals instead of operands, see `rows`), with the element body and the producer's
        // fill of the scratch it is built from.
        let build = |this: &Self, operands: &[NodeId]| {
            let ins: Vec<Ident> = (0..operands.len()).map(|k| format_ident!("__ae_i{}", k)).collect();
            let body = this.element_body(&nodes, operands, Some(id));
            let scalar_body = quote! {
                let mut __ae_acc: #ptype = #init;
                for __ae_k in 0..__ae_n {
                    #body
                    __ae_acc = #step;
                }
                __ae_acc
            };
            let mut producer = nodes.clone();
            producer.remove(&id);
            let fill = match this.vector_body(&producer, operands, input, false) {
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
            // a float sum, min or max of a computed value (not an operand read as is) folds
            // the values as the vector code computes them, in one loop: the same bits as
            // staging them in the scratch and reducing that (`BlockSum::block_sum_map`,
            // `kernels::reduce::reduce_map`), without the second loop over the scratch, during
            // which no read from memory was in flight (16M-element `sum((x - y) * (x - y))`
            // 6.15-6.33 -> 5.33-5.64 ms, alternating builds)
            let foldable = simd_sum || (simd_minmax && in_dtype.is_float());
            let fused = (foldable && !operands.contains(&input) && !producer.iter().any(|&p| this.is_target(p)))
                .then(|| {
                    let i_t = dtype_tokens(in_dtype);
                    let whole = quote!([__ae_k..__ae_k + <#i_t as #rt::kernels::SimdElem>::LANES]);
                    let full = this.vector_lets(&producer, operands, input, &whole)?;
                    let tail = this.vector_lets(&producer, operands, input, &quote!([__ae_k..]))?;
                    let a_t = dtype_tokens(acc);
                    let reduce = match kind {
                        ReduceKind::Min => quote!(#rt::kernels::reduce::reduce_map::<#i_t, _>(#rt::kernels::reduce::Min, __ae_n, __ae_full, __ae_part)),
                        ReduceKind::Max => quote!(#rt::kernels::reduce::reduce_map::<#i_t, _>(#rt::kernels::reduce::Max, __ae_n, __ae_full, __ae_part)),
                        _ => quote!(<#i_t as #rt::BlockSum<#a_t>>::block_sum_map(__ae_n, __ae_full, __ae_part)),
                    };
                    Some(quote! {
                        let __ae_full = |__ae_k: usize| {
                            #(#full)*
                            #iv
                        };
                        let __ae_part = |__ae_k: usize| {
                            #(#tail)*
                            #iv
                        };
                        #reduce
                    })
                })
                .flatten();
            let block_body = if buffered {
                // long blocks: the producer fills a buffer, then the kernels crate reduces it
                // with several SIMD accumulators in a fixed order; short runs (the block length
                // is fixed by the shape, so the choice is too) fold element by element
                let (i_t, a_t) = (dtype_tokens(in_dtype), dtype_tokens(acc));
                // a reduced operand (`sum(x)`, or a value staged in the output block) arrives
                // as a slice already: reduce it there instead of copying it to the scratch first
                let (src, fill) = match operands.iter().position(|o| *o == input) {
                    Some(k) => (ins.get(k).map_or_else(|| quote!(__ae_vals), |i| quote!(#i)), quote!()),
                    None => (quote!(__ae_vals), fill.clone()),
                };
                let reduce_block = match kind {
                    ReduceKind::Min => quote!(#rt::kernels::reduce::min(&#src[..__ae_n])),
                    ReduceKind::Max => quote!(#rt::kernels::reduce::max(&#src[..__ae_n])),
                    _ => quote!(<#i_t as #rt::BlockSum<#a_t>>::block_sum(&#src[..__ae_n])),
                };
                let folded = fused.unwrap_or_else(|| quote!(#fill #reduce_block));
                quote! {
                    if __ae_n < 64 {
                        #scalar_body
                    } else {
                        #folded
                    }
                }
            } else {
                scalar_body
            };
            let block = quote! {
                &|__ae_start: usize, __ae_vals: &mut [#vals_t], #(#ins),*| -> #ptype {
                    let __ae_n = [#(#ins.len()),*][0];
                    #(let #ins = &#ins[..__ae_n];)*
                    #block_body
                }
            };
            (block, block_body, body, fill)
        };
        let (block, block_body, body, fill) = build(self, &operands);
        let direct = operands.iter().position(|o| *o == input).filter(|_| operands.len() == 1);
        let rows_fast = simd_sum.then(|| rows_sum(&ins, in_dtype, acc, direct, &fill));
        // vertical accumulation (the driver uses it when the kept axis is the contiguous one)
        let vertical = if simd_sum {
            // a producer with a transcendental function: its scalar body calls the scalar
            // function per element, and the fold loop no longer vectorizes, so the values of
            // each row are computed by the vector loop first (a column softmax of 4096 x 4096
            // f32: 74.9 -> 48.1 ms)
            let mut producer = nodes.clone();
            producer.remove(&id);
            let vfill = (self.pass_cost(&producer) >= 32)
                .then(|| self.vector_body(&producer, &operands, input, false))
                .flatten();
            let accum = match vfill {
                Some(vb) => vertical_accum_vector(&ins, &ptype, &vals_t, &iv, &vb, &step),
                None => vertical_accum(&ins, &ptype, &body, &step),
            };
            quote!(::core::option::Option::Some((#init, #accum)))
        } else if simd_minmax {
            let f = if kind == ReduceKind::Min { quote!(minimum) } else { quote!(maximum) };
            let accum = vertical_extreme(&ins, &vals_t, &body, &iv, &f, &step);
            quote!(::core::option::Option::Some((#init, #accum)))
        } else {
            quote!(::core::option::Option::None)
        };
        // several rows per call pays for float sums (their multi-row kernels) and for the
        // maximum or minimum of f32 rows read as is (rows under 64 elements eight per vector,
        // each folded in its element order, the block closure's order for them; longer ones
        // through the block body inside the closure); other reductions keep one block call per
        // row: through `rows` an argmax over rows of 256 took 34% more instructions (callgrind
        // probe argmax_rows_f32), for the same bits
        let rows_short = (simd_minmax && in_dtype == Dtype::F32).then(|| {
            let is_max = kind == ReduceKind::Max;
            match direct {
                Some(k) => {
                    let rk = format_ident!("__ae_rows{}", k);
                    let q = quote! {
                        for (__ae_c, __ae_ps) in __ae_parts.chunks_mut(16).enumerate() {
                            let __ae_g = __ae_ps.len();
                            let mut __ae_ext: [f32; 16] = [0.0; 16];
                            #rt::kernels::reduce::extreme_seq_partials(&#rk[__ae_c * 16..][..__ae_g], &mut __ae_ext[..__ae_g], #is_max);
                            for (__ae_p, __ae_v) in __ae_ps.iter_mut().zip(__ae_ext) {
                                *__ae_p = ::core::option::Option::Some(::core::option::Option::Some(__ae_v));
                            }
                        }
                    };
                    (q, 0)
                }
                // computed values: rows of 16-63 elements staged in the scratch by `fill`, as
                // many rows as it holds, then the same kernel; shorter rows one block-body fold
                // per row (`min(x - c, axis = 1)` over 16M f32, one fold per row -> staged: rows
                // of 4 58-65 -> 100 ms, 10 26-29 -> 41, 16 19-21 -> 12.7, 32 17-18 -> 9.0)
                None => {
                    let rs: Vec<Ident> = (0..ins.len()).map(|k| format_ident!("__ae_rows{}", k)).collect();
                    let q = quote! {
                        let __ae_per = (__ae_vals.len() / __ae_n.max(1)).clamp(1, 16);
                        for (__ae_c, __ae_ps) in __ae_parts.chunks_mut(__ae_per).enumerate() {
                            let __ae_g = __ae_ps.len();
                            for __ae_j in 0..__ae_g {
                                let __ae_r = __ae_c * __ae_per + __ae_j;
                                #(let #ins = #rs[__ae_r].get(..__ae_n).unwrap_or_default();)*
                                let __ae_vals = &mut __ae_vals[__ae_j * __ae_n..];
                                #fill
                            }
                            let __ae_staged: [&[f32]; 16] = ::core::array::from_fn(|__ae_j| {
                                __ae_vals.get(__ae_j * __ae_n..(__ae_j + 1) * __ae_n).unwrap_or_default()
                            });
                            let mut __ae_ext: [f32; 16] = [0.0; 16];
                            #rt::kernels::reduce::extreme_seq_partials(&__ae_staged[..__ae_g], &mut __ae_ext[..__ae_g], #is_max);
                            for (__ae_p, __ae_v) in __ae_ps.iter_mut().zip(__ae_ext) {
                                *__ae_p = ::core::option::Option::Some(::core::option::Option::Some(__ae_v));
                            }
                        }
                    };
                    (q, 16)
                }
            }
        });
        // rows stored one after another (C-order rows): whole runs of rows per kernel call
        let runs = match direct {
            _ if simd_sum && in_dtype == Dtype::F32 => {
                // f64 sums or means rounded to f32 go from the kernel straight to the output
                let div = match kind {
                    _ if acc != Dtype::F64 || n.dtype != Dtype::F32 => None,
                    ReduceKind::Mean => Some(quote!((__ae_count as f64))),
                    _ => Some(quote!(1.0f64)),
                };
                runs_sum(&ins, (in_dtype, acc), direct, &fill, (&finish, div))
            }
            _ if simd_sum && in_dtype == Dtype::F64 => {
                runs_sum(&ins, (in_dtype, acc), direct, &fill, (&finish, None))
            }
            _ if simd_minmax && in_dtype == Dtype::F32 => {
                runs_extreme(&ins, (direct, &fill), &block_body, (kind == ReduceKind::Max, false), &finish)
            }
            Some(_) if logical && in_dtype == Dtype::F32 => {
                runs_extreme(&ins, (direct, &fill), &block_body, (kind == ReduceKind::ArgMax, true), &finish)
            }
            _ => quote!(::core::option::Option::None),
        };
        let rows = match (rows_fast, rows_short) {
            (None, None) => quote!(::core::option::Option::None),
            (fast, short) => rows_closure(&ins, &ptype, &vals_t, &block_body, fast, short, &finish),
        };
        if operands.is_empty() {
            self.stmts.push(quote!(::core::compile_error!("internal error: a reduction without array operands; please report");));
            return;
        }
        let combine = quote!(&|__ae_a: #ptype, __ae_b2: #ptype| -> #ptype { #combine });
        let finish = quote!(&|__ae_p: ::core::option::Option<#ptype>| #finish);
        let count = quote!(1usize #(* #count)*);
        if self.row_fast.is_some() {
            // a row-local schedule's reduction writes its temporary (the row's value)
            match (dest, self.row_fast_operands(&operands)) {
                (crate::explain::Dest::Temp(t), Some((fast_ops, scalars))) if t == id => {
                    self.row_scalars = scalars;
                    let (fast_block, ..) = build(self, &fast_ops);
                    self.row_scalars.clear();
                    self.row_reduce_step(
                        id,
                        &operands,
                        &in_shape,
                        &axes,
                        in_dtype,
                        [&fast_block, &combine, &finish],
                        [&rows, &block],
                        &count,
                    );
                }
                _ => self.row_fast = None,
            }
        }
        self.stmts.push(quote! {
            {
                let __ae_shape = #shape_e;
                let __ae_count: usize = #count;
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
                    #rows,
                    #runs,
                    #block,
                    #combine,
                    #finish,
                )?;
            }
        });
    }

    /// Emits a reduction whose value another pass reads: a reduced-shape temporary.
    pub(super) fn emit_reduce_temp(&mut self, id: NodeId) {
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
        let alloc = quote! {
            let mut #t = #rt::runtime::diagnostics::alloc_temporary::<#ty, #rank>(#kept_e)?;
        };
        // row-local: allocated once before the row blocks; inside the row-block body `#t`
        // names the block's rows of the temporary
        let rows = self.row_slice_of(&kept).is_some();
        if rows {
            self.hoisted.push(alloc);
            self.row_temps.push(t.clone());
        } else {
            self.stmts.push(alloc);
        }
        self.stage_input(*input);
        self.pending_temp = Some(id);
        self.emit_reduce(id, quote!(#t.view_mut()));
        let view = match (rows, *keepdims) {
            (true, _) | (false, true) => quote!(#t.view()),
            (false, false) => {
                let out_e = self.shape_expr(&n.shape);
                quote!(#t.view().reshape(#out_e, #rt::runtime::Order::C)?)
            }
        };
        self.stmts.push(quote!(let #tv = #view;));
        self.temps.insert(id, tv);
    }
}

/// Rows of a block the driver hands one `accum` call at most (`driver::VROWS`): the closure
/// unrolls exactly this many.
const VROWS: usize = 8;

/// The [`VROWS`] rows of a vertical `accum` call bound once (`__ae_v<k>_<r>` for operand `k`'s
/// row `r`, each cut to `__ae_n`), and one fold per row: the operands bound to that row, the
/// element `body`, then `update`.
fn unrolled_rows(
    ins: &[Ident],
    rs: &[Ident],
    body: &TokenStream,
    update: &TokenStream,
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let row_ident = |k: usize, r: usize| format_ident!("__ae_v{}_{}", k, r);
    let bind = (0..VROWS)
        .flat_map(|r| {
            rs.iter().enumerate().map(move |(k, rk)| {
                let name = row_ident(k, r);
                let r = lit_usize(r);
                quote!(let #name = &#rk[#r][..__ae_n];)
            })
        })
        .collect();
    let fold = (0..VROWS)
        .map(|r| {
            let names = (0..ins.len()).map(|k| row_ident(k, r));
            quote! {
                {
                    #(let #ins = #names;)*
                    #body
                    #update
                }
            }
        })
        .collect();
    (bind, fold)
}

/// The driver's `accum` for vertical accumulation: a loop across the outputs (one partial
/// each, the strip `__ae_accs`) that LLVM vectorizes. With [`VROWS`] rows each partial stays in
/// a register while it folds one element of every row, in row order, and is stored once; fewer
/// rows (the end of a block) go one row at a time. Both fold each partial's elements in row
/// order, so the bits are the same.
fn vertical_accum(ins: &[Ident], ptype: &TokenStream, body: &TokenStream, step: &TokenStream) -> TokenStream {
    let rs: Vec<Ident> = (0..ins.len()).map(|k| format_ident!("__ae_vrows{}", k)).collect();
    let (bind_rows, fold_rows) = unrolled_rows(ins, &rs, body, &quote!(__ae_acc = #step;));
    let vrows = lit_usize(VROWS);
    quote! {
        &|__ae_accs: &mut [#ptype], #(#rs: &[&[_]]),*| {
            let __ae_n = __ae_accs.len();
            if [#(#rs.len()),*][0] == #vrows {
                #(#bind_rows)*
                for __ae_k in 0..__ae_n {
                    let mut __ae_acc: #ptype = __ae_accs[__ae_k];
                    #(#fold_rows)*
                    __ae_accs[__ae_k] = __ae_acc;
                }
            } else {
                for __ae_r in 0..[#(#rs.len()),*][0] {
                    #(let #ins = &#rs[__ae_r][..__ae_n];)*
                    for __ae_k in 0..__ae_n {
                        #body
                        let __ae_acc: #ptype = __ae_accs[__ae_k];
                        __ae_accs[__ae_k] = #step;
                    }
                }
            }
        }
    }
}

/// The driver's `accum` for vertical minima and maxima (partials `Option<T>`): the partials of
/// a strip are all set or all unset (every output of a strip sees the same rows; a block's
/// start unsets them all), so they are folded as plain values in a stack buffer, the first
/// row of a block seeding it, each further row folded with `f` (NaN-propagating `minimum` or
/// `maximum`) in a loop across the outputs that LLVM vectorizes. Row after row per output:
/// the order of the block closure's fold, whose ties (`0.0` against `-0.0`: the later wins)
/// and NaNs (the first wins) come out the same. A strip of mixed partials (never handed out)
/// goes through `step` one element at a time. Column maxima of 4096 x 4096 f32 went through
/// the gathered tiles of the block path at 20 ms.
fn vertical_extreme(
    ins: &[Ident],
    vals_t: &TokenStream,
    body: &TokenStream,
    iv: &Ident,
    f: &TokenStream,
    step: &TokenStream,
) -> TokenStream {
    let rt = rt();
    let rs: Vec<Ident> = (0..ins.len()).map(|k| format_ident!("__ae_vrows{}", k)).collect();
    let chunk = lit_usize(VCHUNK);
    let vrows = lit_usize(VROWS);
    let (bind_rows, fold_rows) = unrolled_rows(ins, &rs, body, &quote!(__ae_x = #rt::ops::#f(__ae_x, #iv);));
    quote! {
        &|__ae_accs: &mut [::core::option::Option<#vals_t>], #(#rs: &[&[_]]),*| {
            let __ae_n = __ae_accs.len();
            let __ae_rr = [#(#rs.len()),*][0];
            // without early exits, so that both loops vectorize
            let __ae_some = __ae_accs.iter().fold(0usize, |__ae_c, __ae_a| __ae_c + usize::from(__ae_a.is_some()));
            let (__ae_set, __ae_unset) = (__ae_some == __ae_n, __ae_some == 0);
            if __ae_n <= #chunk && (__ae_set || (__ae_unset && __ae_rr > 0)) {
                // two buffers, each row read from one and written to the other: folded in
                // place, the select became a masked store (vmaskmovps, microcoded on AMD)
                let mut __ae_b0 = [<#vals_t as #rt::runtime::Element>::ZERO; #chunk];
                let mut __ae_b1 = [<#vals_t as #rt::runtime::Element>::ZERO; #chunk];
                let (mut __ae_cur, mut __ae_nxt) = (&mut __ae_b0[..__ae_n], &mut __ae_b1[..__ae_n]);
                let mut __ae_r0 = 0;
                if __ae_set {
                    for (__ae_q, __ae_a) in __ae_cur.iter_mut().zip(__ae_accs.iter()) {
                        *__ae_q = __ae_a.unwrap_or(*__ae_q);
                    }
                } else {
                    #(let #ins = &#rs[0][..__ae_n];)*
                    for (__ae_k, __ae_q) in __ae_cur.iter_mut().enumerate() {
                        #body
                        *__ae_q = #iv;
                    }
                    __ae_r0 = 1;
                }
                if __ae_rr == #vrows {
                    // the driver's usual call: every output folds its VROWS rows in a register
                    // (after a seed from row 0, row 0 once more: `minimum(a, a)` and
                    // `maximum(a, a)` are `a`, NaN and signed zero included)
                    #(#bind_rows)*
                    for (__ae_k, __ae_q) in __ae_cur.iter_mut().enumerate() {
                        let mut __ae_x = *__ae_q;
                        #(#fold_rows)*
                        *__ae_q = __ae_x;
                    }
                } else {
                    for __ae_r in __ae_r0..__ae_rr {
                        #(let #ins = &#rs[__ae_r][..__ae_n];)*
                        for (__ae_k, (__ae_q, __ae_p)) in __ae_nxt.iter_mut().zip(__ae_cur.iter()).enumerate() {
                            #body
                            *__ae_q = #rt::ops::#f(*__ae_p, #iv);
                        }
                        ::core::mem::swap(&mut __ae_cur, &mut __ae_nxt);
                    }
                }
                for (__ae_a, __ae_q) in __ae_accs.iter_mut().zip(__ae_cur.iter()) {
                    *__ae_a = ::core::option::Option::Some(*__ae_q);
                }
            } else {
                for __ae_r in 0..__ae_rr {
                    #(let #ins = &#rs[__ae_r][..__ae_n];)*
                    for __ae_k in 0..__ae_n {
                        #body
                        let __ae_acc = __ae_accs[__ae_k];
                        __ae_accs[__ae_k] = #step;
                    }
                }
            }
        }
    }
}

/// Elements of a row the vector form of the vertical `accum` computes at a time (the driver
/// hands it at most its STRIP outputs, 256, per call).
const VCHUNK: usize = 256;

/// The driver's `accum` for vertical accumulation whose producer has a vector form worth
/// using (a transcendental function): for each row of the call in order, the vector loop `vb`
/// computes the row's values for the strip into a stack buffer, then a plain loop folds them
/// into the partials (`step`, one per output). Each partial still folds its elements in row
/// order, so the order is that of [`vertical_accum`]; the values are the vector functions',
/// the ones the elementwise passes of the same kernel compute.
fn vertical_accum_vector(
    ins: &[Ident],
    ptype: &TokenStream,
    vals_t: &TokenStream,
    iv: &Ident,
    vb: &TokenStream,
    step: &TokenStream,
) -> TokenStream {
    let rt = rt();
    let rs: Vec<Ident> = (0..ins.len()).map(|k| format_ident!("__ae_vrows{}", k)).collect();
    let chunk = lit_usize(VCHUNK);
    quote! {
        &|__ae_accs: &mut [#ptype], #(#rs: &[&[_]]),*| {
            let __ae_len = __ae_accs.len();
            let mut __ae_vbuf = [<#vals_t as #rt::runtime::Element>::ZERO; #chunk];
            for __ae_r in 0..[#(#rs.len()),*][0] {
                for __ae_c0 in (0..__ae_len).step_by(#chunk) {
                    let __ae_n = (__ae_len - __ae_c0).min(#chunk);
                    {
                        #(let #ins = &#rs[__ae_r][__ae_c0..__ae_c0 + __ae_n];)*
                        let __ae_o = &mut __ae_vbuf[..__ae_n];
                        #vb
                    }
                    for (__ae_a, &#iv) in __ae_accs[__ae_c0..__ae_c0 + __ae_n].iter_mut().zip(&__ae_vbuf[..__ae_n]) {
                        let __ae_acc: #ptype = *__ae_a;
                        *__ae_a = #step;
                    }
                }
            }
        }
    }
}

/// The driver's `rows` argument: the block body for several rows (one short row per output)
/// in one call, then `finish` of each row's partial into the driver's output buffer, so a row
/// costs no indirect call and no tree bookkeeping. With `fast` (float sums), rows of at least
/// 64 elements, and shorter ones too when its flag says so, go through `fast` instead, which
/// sets `__ae_parts`; with `short` (f32 minima and maxima, and the shortest length it takes),
/// rows from that length to 63 elements go through `short`.
fn rows_closure(
    ins: &[Ident],
    ptype: &TokenStream,
    vals_t: &TokenStream,
    block_body: &TokenStream,
    fast: Option<(TokenStream, bool)>,
    short: Option<(TokenStream, usize)>,
    finish: &TokenStream,
) -> TokenStream {
    let rt = rt();
    let rs: Vec<Ident> = (0..ins.len()).map(|k| format_ident!("__ae_rows{}", k)).collect();
    let per_row = quote! {
        for (__ae_r, __ae_part) in __ae_parts.iter_mut().enumerate() {
            #(let #ins = #rs[__ae_r];)*
            let __ae_start = 0usize;
            let __ae_n = [#(#ins.len()),*][0];
            #(let #ins = &#ins[..__ae_n];)*
            *__ae_part = ::core::option::Option::Some({ #block_body });
        }
    };
    let body = match fast {
        // `fast` reduces rows of every length (a float sum of an operand read as is)
        Some((fast, true)) => quote! {
            let __ae_n = __ae_rows0.first().map_or(0, |__ae_x| __ae_x.len());
            #fast
        },
        Some((fast, false)) => quote! {
            let __ae_n = __ae_rows0.first().map_or(0, |__ae_x| __ae_x.len());
            if __ae_n < 64 {
                #per_row
            } else {
                #fast
            }
        },
        // `short` reduces rows of `min..64` elements, the block body the others
        None => match short {
            Some((short, min)) => quote! {
                let __ae_n = __ae_rows0.first().map_or(0, |__ae_x| __ae_x.len());
                if (#min..64).contains(&__ae_n) {
                    #short
                } else {
                    #per_row
                }
            },
            None => per_row,
        },
    };
    quote! {
        ::core::option::Option::Some(&|__ae_outs: &mut [_], __ae_vals: &mut [#vals_t], #(#rs: &[&[_]]),*| -> ::core::result::Result<(), #rt::runtime::Error> {
            // the driver hands at most 16 rows (its GROUP)
            let mut __ae_pbuf: [::core::option::Option<#ptype>; 16] = [::core::option::Option::None; 16];
            let __ae_g = __ae_outs.len().min(16);
            let __ae_parts = &mut __ae_pbuf[..__ae_g];
            #(let #rs = &#rs[..#rs.len().min(__ae_g)];)*
            #body
            for (__ae_o, __ae_p) in __ae_outs.iter_mut().zip(__ae_pbuf) {
                *__ae_o = { #finish }?;
            }
            ::core::result::Result::Ok(())
        })
    }
}

/// The driver's `runs` argument for a float sum of `f32` values over rows stored one after
/// another: the sums of up to `driver::RUNS` rows per call, rows under 64 elements element by
/// element (`sum_f64_seq_runs`, or `sum_f32_seq_runs` for an `f32` accumulator: lane-per-row
/// kernels that read whole vectors across row ends), longer ones as `BlockSum::block_sum`
/// sixteen rows per call; the partials of the block closure for each row, then `finish` of
/// each. The values are the one operand `ins[k]` read as is (`direct`), or else computed by
/// `fill` over the operands' elements of as many whole rows as the driver's scratch holds
/// (every operand's rows are adjacent when the driver calls `runs`, so a chunk of rows is one
/// run of elements in each) and summed from there. With `div` (f64 sums or means rounded to
/// f32), rows under 64 elements go through `sum_f64_seq_runs_f32` straight into the output,
/// `(sum / div) as f32`, the bits `finish` gives: in one call for all the call's rows when the
/// values are read as is (row sums of 16M f32 in rows of four: 4.2-4.7 ms through 64 `f64`
/// sums at a time and `finish`, 4.0-4.3 this way).
fn runs_sum(
    ins: &[Ident],
    (input, acc): (Dtype, Dtype),
    direct: Option<usize>,
    fill: &TokenStream,
    (finish, div): (&TokenStream, Option<TokenStream>),
) -> TokenStream {
    let rt = rt();
    let (a_t, i_t) = (dtype_tokens(acc), dtype_tokens(input));
    let (seq, block) = match (input, acc) {
        (Dtype::F64, _) => (
            quote!(#rt::kernels::reduce::sum_seq_runs_f64),
            quote!(#rt::kernels::reduce::sum_partials::<f64>),
        ),
        (_, Dtype::F64) => {
            (quote!(#rt::kernels::reduce::sum_f64_seq_runs), quote!(#rt::kernels::reduce::sum_f64_partials))
        }
        _ => (
            quote!(#rt::kernels::reduce::sum_f32_seq_runs),
            quote!(#rt::kernels::reduce::sum_partials::<f32>),
        ),
    };
    // f64 sums rounded to f32 (`div`) go from the kernel straight to the output: for values
    // read as is, in one kernel call for all the call's rows
    let (whole, short) = match (div, direct) {
        (Some(div), Some(k)) => {
            let full = format_ident!("__ae_full{}", k);
            let whole = quote! {
                if __ae_n < 64 {
                    #rt::kernels::reduce::sum_f64_seq_runs_f32(#full, __ae_n, #div, __ae_outs);
                    return ::core::result::Result::Ok(());
                }
            };
            (whole, quote!(#seq(__ae_data, __ae_n, __ae_sums);))
        }
        (Some(div), None) => (
            quote!(),
            quote! {
                #rt::kernels::reduce::sum_f64_seq_runs_f32(__ae_data, __ae_n, #div, __ae_os);
                continue;
            },
        ),
        (None, _) => (quote!(), quote!(#seq(__ae_data, __ae_n, __ae_sums);)),
    };
    let fulls: Vec<Ident> = (0..ins.len()).map(|k| format_ident!("__ae_full{}", k)).collect();
    let (per, values) = match direct {
        Some(k) => {
            let full = format_ident!("__ae_full{}", k);
            (
                quote!(64usize),
                quote!(let __ae_data = #full.get(__ae_c * __ae_per * __ae_n..).unwrap_or_default();),
            )
        }
        None => (
            // whole rows in the scratch, eight-row steps of the kernel where rows are short
            quote! {
                if __ae_n < 64 {
                    (__ae_scr.len() / __ae_n / 8 * 8).clamp(8, 64)
                } else {
                    (__ae_scr.len() / __ae_n).max(1)
                }
            },
            quote! {
                let __ae_at = __ae_c * __ae_per * __ae_n;
                {
                    let __ae_n = __ae_os.len() * __ae_n;
                    #(let #ins = #fulls.get(__ae_at..__ae_at + __ae_n).unwrap_or_default();)*
                    let __ae_vals = &mut __ae_scr[..];
                    #fill
                }
                // the kernels may read the rest of the scratch, never count it
                let __ae_data = &__ae_scr[..];
            },
        ),
    };
    quote! {
        ::core::option::Option::Some(&|__ae_outs: &mut [_], __ae_scr: &mut [#i_t], __ae_n: usize, #(#fulls: &[_]),*| -> ::core::result::Result<(), #rt::runtime::Error> {
            #whole
            // 64 sums at a time: a buffer for all the call's rows took 8% of the time of
            // rows of 4 to zero
            let mut __ae_sbuf: [#a_t; 64] = [0.0; 64];
            let __ae_per: usize = #per;
            for (__ae_c, __ae_os) in __ae_outs.chunks_mut(__ae_per.min(64)).enumerate() {
                let __ae_sums = &mut __ae_sbuf[..__ae_os.len()];
                #values
                if __ae_n < 64 {
                    #short
                } else {
                    for (__ae_c, __ae_ss) in __ae_sums.chunks_mut(16).enumerate() {
                        let __ae_rs: [&[#i_t]; 16] = ::core::array::from_fn(|__ae_j| {
                            let __ae_r = __ae_c * 16 + __ae_j;
                            __ae_data.get(__ae_r * __ae_n..(__ae_r + 1) * __ae_n).unwrap_or_default()
                        });
                        #block(&__ae_rs[..__ae_ss.len()], __ae_ss);
                    }
                }
                for (__ae_o, &__ae_s) in __ae_os.iter_mut().zip(__ae_sums.iter()) {
                    let __ae_p = ::core::option::Option::Some(__ae_s);
                    *__ae_o = { #finish }?;
                }
            }
            ::core::result::Result::Ok(())
        })
    }
}

/// The driver's `runs` argument for the maximum or minimum of `f32` rows, or their first
/// position (`arg`, values read as is only): rows under 64 elements through
/// `extreme_seq_runs` or `arg_extreme_seq_runs` (lane-per-row folds in element order, the
/// block closure's order for them), longer ones through the block body one row at a time, or
/// for positions through the kernel too (the first extreme, or first NaN, of a row does not
/// depend on the order of the fold). The values are the one operand `ins[k]` read as is
/// (`direct`), or else computed by `fill` into the driver's scratch, as many whole rows at a
/// time as it holds, as `runs_sum` stages them (`max(abs(x), axis = 1)` over 16M f32 in rows
/// of four: 47 ms one row per block call, 5.4 this way).
fn runs_extreme(
    ins: &[Ident],
    (direct, fill): (Option<usize>, &TokenStream),
    block_body: &TokenStream,
    (is_max, arg): (bool, bool),
    finish: &TokenStream,
) -> TokenStream {
    let rt = rt();
    let (kernel, buf_t, zero, part) = if arg {
        (
            quote!(#rt::kernels::reduce::arg_extreme_seq_runs),
            quote!(usize),
            quote!(0usize),
            quote!(::core::option::Option::Some(::core::option::Option::Some((0.0f32, __ae_v)))),
        )
    } else {
        (
            quote!(#rt::kernels::reduce::extreme_seq_runs),
            quote!(f32),
            quote!(0.0f32),
            quote!(::core::option::Option::Some(::core::option::Option::Some(__ae_v))),
        )
    };
    let through_kernel = if arg { quote!(true) } else { quote!(__ae_n < 64) };
    let fulls: Vec<Ident> = (0..ins.len()).map(|k| format_ident!("__ae_full{}", k)).collect();
    // rows per chunk, and the values of the chunk's rows for the kernel (`__ae_data`)
    let (per, values) = match direct {
        Some(k) => {
            let full = format_ident!("__ae_full{}", k);
            (quote!(64usize), quote!(let __ae_data = #full.get(__ae_at..).unwrap_or_default();))
        }
        None => (
            quote!((__ae_scr.len() / __ae_n.max(1)).clamp(1, 64)),
            quote! {
                {
                    let __ae_n = __ae_os.len() * __ae_n;
                    #(let #ins = #fulls.get(__ae_at..__ae_at + __ae_n).unwrap_or_default();)*
                    let __ae_vals = &mut __ae_scr[..];
                    #fill
                }
                // the kernel may read the rest of the scratch, never count it
                let __ae_data = &__ae_scr[..];
            },
        ),
    };
    quote! {
        ::core::option::Option::Some(&|__ae_outs: &mut [_], __ae_scr: &mut [f32], __ae_n: usize, #(#fulls: &[_]),*| -> ::core::result::Result<(), #rt::runtime::Error> {
            let mut __ae_ebuf: [#buf_t; 64] = [#zero; 64];
            let __ae_per: usize = if #through_kernel { #per } else { 64usize };
            for (__ae_c, __ae_os) in __ae_outs.chunks_mut(__ae_per).enumerate() {
                let __ae_at = __ae_c * __ae_per * __ae_n;
                // an argmax is the same position whatever the fold's order: every length
                // through the kernel
                if #through_kernel {
                    #values
                    // the driver hands rows of at least one element: every value is set
                    let __ae_ext = &mut __ae_ebuf[..__ae_os.len()];
                    #kernel(__ae_data, __ae_n, __ae_ext, #is_max);
                    for (__ae_o, &__ae_v) in __ae_os.iter_mut().zip(__ae_ext.iter()) {
                        let __ae_p = #part;
                        *__ae_o = { #finish }?;
                    }
                } else {
                    for (__ae_r, __ae_o) in __ae_os.iter_mut().enumerate() {
                        let __ae_at = __ae_at + __ae_r * __ae_n;
                        #(let #ins = #fulls.get(__ae_at..__ae_at + __ae_n).unwrap_or_default();)*
                        // the row's length from the slices, so that the body's loop needs no
                        // bounds checks (as in the block closure)
                        let __ae_n = [#(#ins.len()),*][0];
                        #(let #ins = &#ins[..__ae_n];)*
                        let __ae_start = 0usize;
                        let __ae_vals = &mut *__ae_scr;
                        let __ae_p = ::core::option::Option::Some({ #block_body });
                        *__ae_o = { #finish }?;
                    }
                }
            }
            ::core::result::Result::Ok(())
        })
    }
}

/// The block partials of float sums over rows, several rows per kernel call, the same partials
/// as the block closure per row: read directly when the summed values are one input (`direct`),
/// then for every row length (rows under 64 elements element by element, as the block closure
/// folds them, longer ones as `BlockSum::block_sum`), else, for rows of 64 or more, `fill`
/// stages as many rows as the scratch holds, one after the other. The flag says whether the
/// code handles rows under 64 elements.
fn rows_sum(
    ins: &[Ident],
    input: Dtype,
    acc: Dtype,
    direct: Option<usize>,
    fill: &TokenStream,
) -> (TokenStream, bool) {
    let rt = rt();
    let rs: Vec<Ident> = (0..ins.len()).map(|k| format_ident!("__ae_rows{}", k)).collect();
    let (i_t, a_t) = (dtype_tokens(input), dtype_tokens(acc));
    let (block, seq) = if input == Dtype::F32 && acc == Dtype::F64 {
        (quote!(#rt::kernels::reduce::sum_f64_partials), quote!(#rt::kernels::reduce::sum_f64_seq_partials))
    } else {
        (
            quote!(#rt::kernels::reduce::sum_partials::<#i_t>),
            quote!(#rt::kernels::reduce::sum_seq_partials::<#i_t>),
        )
    };
    match direct {
        Some(k) => {
            let rk = format_ident!("__ae_rows{}", k);
            // f32 runs under 64 elements fold element by element (the block closure's order
            // for them), eight rows per vector: 1.1-2.1x faster than one scalar chain per row
            // for rows of 8-48 (an f32 -> f64 chain is latency-bound). f64 rows keep the
            // per-row fold: read side by side, they ran up to 2x slower from memory (rows
            // stored one after another take `runs` instead, `sum_seq_runs_f64`).
            let short = input == Dtype::F32;
            let call = if short {
                quote! {
                    if __ae_n < 64 {
                        #seq(__ae_rs, &mut __ae_sums[..__ae_g]);
                    } else {
                        #block(__ae_rs, &mut __ae_sums[..__ae_g]);
                    }
                }
            } else {
                quote!(#block(__ae_rs, &mut __ae_sums[..__ae_g]);)
            };
            let q = quote! {
                for (__ae_c, __ae_ps) in __ae_parts.chunks_mut(16).enumerate() {
                    let __ae_g = __ae_ps.len();
                    let mut __ae_sums: [#a_t; 16] = [0.0; 16];
                    let __ae_rs = &#rk[__ae_c * 16..][..__ae_g];
                    #call
                    for (__ae_p, __ae_s) in __ae_ps.iter_mut().zip(__ae_sums) {
                        *__ae_p = ::core::option::Option::Some(__ae_s);
                    }
                }
            };
            (q, short)
        }
        None => {
            let kernel = block;
            let q = quote! {
            let __ae_per = (__ae_vals.len() / __ae_n).clamp(1, 16);
            for (__ae_c, __ae_ps) in __ae_parts.chunks_mut(__ae_per).enumerate() {
                let __ae_g = __ae_ps.len();
                for __ae_j in 0..__ae_g {
                    let __ae_r = __ae_c * __ae_per + __ae_j;
                    #(let #ins = &#rs[__ae_r][..__ae_n];)*
                    let __ae_vals = &mut __ae_vals[__ae_j * __ae_n..];
                    #fill
                }
                let __ae_staged: [&[#i_t]; 16] =
                    ::core::array::from_fn(|__ae_j| __ae_vals.get(__ae_j * __ae_n..(__ae_j + 1) * __ae_n).unwrap_or_default());
                let mut __ae_sums: [#a_t; 16] = [0.0; 16];
                #kernel(&__ae_staged[..__ae_g], &mut __ae_sums[..__ae_g]);
                for (__ae_p, __ae_s) in __ae_ps.iter_mut().zip(__ae_sums) {
                    *__ae_p = ::core::option::Option::Some(__ae_s);
                }
            }
            };
            (q, false)
        }
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
        // (the exact product so far, or None once it overflowed; whether a factor was zero):
        // a zero absorbs an overflow whichever side of it the overflow happened
        ReduceKind::Prod if int => ReduceParts {
            ptype: quote!((::core::option::Option<i128>, bool)),
            init: quote!((::core::option::Option::Some(1i128), false)),
            step: quote!({
                let __ae_f = #to_acc as i128;
                (__ae_acc.0.and_then(|__ae_q| __ae_q.checked_mul(__ae_f)), __ae_acc.1 || __ae_f == 0)
            }),
            combine: quote!((
                __ae_a.0.and_then(|__ae_q| __ae_b2.0.and_then(|__ae_r| __ae_q.checked_mul(__ae_r))),
                __ae_a.1 || __ae_b2.1,
            )),
            finish: quote!(match __ae_p {
                ::core::option::Option::None => ::core::result::Result::Ok(1 as #o_t),
                ::core::option::Option::Some((_, true)) => ::core::result::Result::Ok(0 as #o_t),
                ::core::option::Option::Some((__ae_q, false)) => __ae_q
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
