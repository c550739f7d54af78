//! Row-local schedules: a multi-pass kernel whose reductions all keep axis 0 (each reduced
//! temporary holds values of whole rows, as in row softmax or standardization by rows) runs
//! all its passes block of rows by block of rows, so each block of the input comes from memory
//! once and the later passes find it in cache. A `let` value that a reduction sums and the
//! output pass uses again (`e = exp(x - max)` in softmax) is staged in the output block by its
//! own pass instead of being computed twice.
//!
//! Results are those of the whole-array passes: every reduction keeps axis 0, so each output
//! element's reduced range (and the order it is reduced in) is the same in a block of rows as
//! in the whole array, and elementwise passes compute each element the same way wherever it is.

use super::tokens::{dtype_tokens, lit_usize, rt};
use super::Emitter;
use crate::dtype::Dtype;
use crate::ir::{Ir, NodeId, Op};
use crate::shape::{Dim, Shape};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use std::collections::BTreeSet;

/// The row-by-row path of a row-local schedule whose reductions are all over the last axis
/// (rows along that axis; of rank 3 and more, the leading axes merged into one row axis where
/// they step over each other whole, else the general passes): when every array a block's passes read
/// has rows that are runs of consecutive elements or one repeated value (and the output's rows
/// are runs), the block runs every pass of one row before the next row, each pass a direct
/// call of its kernel closure on the row (`driver::row_zipN`, `driver::row_reduceN`); a
/// reduction's value for the row is a local the later passes read as a repeated value.
/// Otherwise the block takes the general passes. Rows shorter than `driver::GROUP_ROW_LEN`
/// go a group of rows at a time through the general passes' kernels (see [`RowFast::group`]).
/// All give the same bits (see the runtime's `driver::byrow` module).
#[derive(Default)]
pub(super) struct RowFast {
    /// Statements run once per block before its rows: the rows of each array operand (a
    /// failed check breaks out to the general passes), scratch buffers, the pass counters.
    prep: Vec<TokenStream>,
    /// One pass over row `__ae_i` each, in pass order.
    steps: Vec<TokenStream>,
    /// Reductions whose value for the current row is the local `__ae_s<id>`.
    scalars: BTreeSet<NodeId>,
    /// Names given so far (for unique identifiers).
    names: usize,
    /// The group path for rows under `driver::GROUP_ROW_LEN` elements: buffers made once per
    /// block, then one step per pass over the group of rows `__ae_gi..__ae_gi + __ae_g` (the
    /// general passes' kernels, a row's reduced values spread over its row as an operand);
    /// `None` when a pass cannot take it (the block then goes row by row).
    group: Option<(Vec<TokenStream>, Vec<TokenStream>)>,
    /// The block shapes of the passes (`__ae_f<k>`): the group size follows the longest row.
    shapes: Vec<Ident>,
}

impl RowFast {
    fn name(&mut self, prefix: &str) -> Ident {
        self.names += 1;
        format_ident!("__ae_{}{}", prefix, self.names)
    }
}

/// Most temporaries a row-local schedule may write (the row-block driver splits at most
/// eight arrays: the output and these).
const MAX_ROW_TEMPS: usize = 7;

impl Emitter<'_> {
    /// `[r0..r1, .., ..]` slicing a value of `shape` to the current block of rows, when a
    /// row-local schedule is being emitted and `shape` has the row axis (rank of the passes,
    /// axis 0 not broadcast); `None` otherwise (the value is used whole).
    pub(super) fn row_slice_of(&self, shape: &Shape) -> Option<TokenStream> {
        let rank = self.row_rank?;
        if shape.len() != rank || shape.first() == Some(&Dim::Lit(1)) {
            return None;
        }
        let rt = rt();
        let rest = (1..rank).map(|_| quote!(#rt::runtime::Slice::full()));
        Some(quote!([#rt::runtime::Slice::new(
            ::core::option::Option::Some(__ae_r0 as isize),
            ::core::option::Option::Some(__ae_r1 as isize),
            1,
        ) #(, #rest)*]))
    }

    /// The rank of a row-local schedule for the final pass of `root`, if it applies: a single
    /// (first) output of rank >= 2 with its row axis, one to [`MAX_ROW_TEMPS`] reductions, and
    /// every reduction keeps axis 0 with `keepdims`; no GEMM, views or in-place update; every
    /// array operand either has the row axis or broadcasts along it. With the rank, the
    /// parameters the schedule reads by rows (arrays of that rank with the row axis, each once,
    /// in parameter order), whose next block the row-block driver reads ahead.
    fn row_local_plan(&self, root: NodeId) -> Option<(usize, Vec<usize>)> {
        let rn = self.ir.get(root)?;
        let rank = rn.shape.len();
        let row = rn.shape.first()?;
        if rank < 2 || *row == Dim::Lit(1) || self.inplace.is_some() || !self.temps.is_empty() {
            return None;
        }
        let (mut todo, mut seen, mut reductions, mut params) = (vec![root], Vec::new(), 0, Vec::new());
        while let Some(id) = todo.pop() {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            let n = self.ir.get(id)?;
            match &n.op {
                Op::MatMul(..) | Op::View { .. } => return None,
                Op::Reduce { input, axes, keepdims, .. } => {
                    if !keepdims || axes.contains(&0) || n.shape.len() != rank {
                        return None;
                    }
                    reductions += 1;
                    todo.push(*input);
                }
                Op::Array(_)
                    if n.shape.len() == rank
                        && !matches!(n.shape.first(), Some(d) if d == row || *d == Dim::Lit(1)) =>
                {
                    return None;
                }
                Op::Array(p) => {
                    if n.shape.len() == rank && n.shape.first() == Some(row) && !params.contains(p) {
                        params.push(*p);
                    }
                }
                op => todo.extend(Ir::children(op)),
            }
        }
        params.sort_unstable();
        (1..=MAX_ROW_TEMPS).contains(&reductions).then_some((rank, params))
    }

    /// The value to stage in the output block: computed in the output pass and also the whole
    /// input of a reduction that pass reads, with the output's shape and dtype.
    fn stage_candidate(&self, root: NodeId) -> Option<NodeId> {
        let rn = self.ir.get(root)?;
        let (nodes, operands) = self.pass_nodes(root);
        operands.iter().find_map(|&r| match self.ir.get(r).map(|n| &n.op) {
            Some(Op::Reduce { input, .. }) => {
                let e = self.ir.get(*input)?;
                let computed = !matches!(e.op, Op::Array(_) | Op::Const(_) | Op::Scalar(_));
                let fits = e.shape == rn.shape && e.dtype == rn.dtype;
                (computed && fits && *input != root && nodes.contains(input)).then_some(*input)
            }
            _ => None,
        })
    }

    /// Before the reduction of `input` in a row-local schedule: if `input` is the staged
    /// value, one pass computes it into the output block and the reduction reads it there.
    pub(super) fn stage_input(&mut self, input: NodeId) {
        let Some((e, block, view)) = self.stage_plan.clone() else { return };
        if e != input || self.staged.is_some() {
            return;
        }
        self.emit_elementwise(e, block, false);
        if let Some(r) = self.records.last_mut() {
            r.stages = Some(e);
        }
        self.staged = Some((e, view));
    }

    /// The operands a row-by-row pass reads by rows (those of `operands` that are not
    /// reductions already computed for the row) and the reductions it reads as the row's
    /// value; `None` when there is no row-by-row path.
    pub(super) fn row_fast_operands(&self, operands: &[NodeId]) -> Option<(Vec<NodeId>, BTreeSet<NodeId>)> {
        let fast = self.row_fast.as_ref()?;
        let (scalars, ops): (Vec<NodeId>, Vec<NodeId>) =
            operands.iter().partition(|o| fast.scalars.contains(o));
        Some((ops, scalars.into_iter().collect()))
    }

    /// The operands of a row-by-row pass over `shape`, as `RowIn` expressions for row `__ae_i`
    /// (the row's reduced values among `operands` are not: the row kernel captures those),
    /// with the pass's block shape `__ae_f<k>` and the bytes it reads per block, the
    /// preparation pushed; and, while the group path lasts, all of `operands` as slices over
    /// the group `__ae_gi..__ae_gi + __ae_g` (reduced values spread over their rows). `None`
    /// (and no row-by-row path) when an operand cannot be read by rows or `shape` is not the
    /// schedule's rank. `writes_output`: the pass writes the output row, so it cannot also
    /// read the value staged there.
    #[allow(clippy::type_complexity)]
    fn row_inputs(
        &mut self,
        operands: &[NodeId],
        shape: &Shape,
        writes_output: bool,
    ) -> Option<(Vec<TokenStream>, Option<Vec<TokenStream>>, Ident, TokenStream)> {
        let rt = rt();
        if shape.len() < 2 || Some(shape.len()) != self.row_rank {
            return None;
        }
        let last = lit_usize(shape.len() - 1);
        let whole = self.shape_expr(shape);
        let mut prep = Vec::new();
        let (mut ins, mut gins, mut gprep, mut reads) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // out of `self` while the operands are looked at; put back only if they all fit
        let mut fast = self.row_fast.take()?;
        let fshape = fast.name("f");
        fast.shapes.push(fshape.clone());
        prep.push(quote! {
            let #fshape = {
                let mut __ae_s = #whole;
                __ae_s[0] = __ae_r1 - __ae_r0;
                __ae_s
            };
        });
        for &o in operands {
            let n = self.ir.get(o)?;
            let ty = dtype_tokens(n.dtype);
            if self.staged.as_ref().is_some_and(|(e, _)| *e == o) {
                if writes_output {
                    return None;
                }
                ins.push(quote!(#rt::driver::RowIn::Run(&*__ae_orow)));
                gins.push(quote!(&*__ae_ogrp));
                reads.push(quote!(#fshape.iter().product::<usize>() * ::core::mem::size_of::<#ty>()));
            } else if matches!(n.op, Op::Array(_)) {
                let (rows, buf) = (fast.name("fr"), fast.name("gb"));
                let view = self.operand_view(o);
                prep.push(quote! {
                    let ::core::option::Option::Some(#rows) = #rt::driver::Rows::of(&#view.broadcast_to(#fshape)?) else {
                        break '__ae_fast;
                    };
                });
                gprep.push(quote!(let mut #buf = #rt::driver::GroupBuf::<#ty>::new();));
                ins.push(quote!(#rows.row(__ae_i)));
                gins.push(quote!(#rows.group(__ae_gi, __ae_g, &mut #buf)));
                reads.push(quote!(#rows.bytes()));
            } else if fast.scalars.contains(&o) {
                let (gs, buf) = (format_ident!("__ae_gs{}", o.0), fast.name("gb"));
                gprep.push(quote!(let mut #buf = #rt::driver::GroupBuf::<#ty>::new();));
                gins.push(quote!(#rt::driver::spread_rows(&#gs[..__ae_g], #fshape[#last], &mut #buf)));
            } else {
                return None;
            }
        }
        fast.prep.extend(prep);
        let gins = match fast.group.as_mut() {
            Some((p, _)) => {
                p.extend(gprep);
                Some(gins)
            }
            None => None,
        };
        self.row_fast = Some(fast);
        Some((ins, gins, fshape, quote!(0usize #(+ #reads)*)))
    }

    /// Adds an elementwise pass writing the output row to the row-by-row path (or drops the
    /// path when it cannot take the pass): `kernel` is the row kernel over the operands the
    /// row reads (the row's reduced values captured), `group_kernel` the general pass's
    /// kernel over all of `operands`, for the group path.
    pub(super) fn row_zip_step(
        &mut self,
        operands: &[NodeId],
        root: NodeId,
        kernel: &TokenStream,
        group_kernel: &TokenStream,
    ) {
        let Some(n) = self.ir.get(root).cloned() else { return };
        let Some((ins, gins, fshape, read)) = self.row_inputs(operands, &n.shape, true) else { return };
        let rt = rt();
        let ty = dtype_tokens(n.dtype);
        let zip = format_ident!("row_zip{}", ins.len());
        let gzip = format_ident!("row_zip{}", operands.len());
        let flat = flat_shape(&fshape, n.shape.len());
        let Some(fast) = self.row_fast.as_mut() else { return };
        fast.prep.push(quote! {
            #rt::driver::count_row_pass::<#ty>(
                ::core::stringify!(#zip),
                &#flat,
                #read,
                #fshape.iter().product::<usize>() * ::core::mem::size_of::<#ty>(),
            );
        });
        // a kernel reading no row (only the row's reduced values) cannot fail
        let fallible = (!ins.is_empty()).then(|| quote!(?));
        fast.steps.push(quote!(#rt::driver::#zip(&mut *__ae_orow, #(#ins,)* #kernel) #fallible;));
        match (gins, fast.group.as_mut()) {
            (Some(gins), Some((_, steps))) if !gins.is_empty() => steps.push(quote! {
                #rt::driver::#gzip(&mut *__ae_ogrp, #(#rt::driver::RowIn::Run(#gins),)* #group_kernel)?;
            }),
            _ => fast.group = None,
        }
    }

    /// Adds the reduction `id` writing its temporary to the row-by-row path (or drops the
    /// path): its row's value becomes the local `__ae_s<id>`, also stored in the temporary.
    /// `closures` are the `block`, `combine` and `finish` closures the reduce driver gets
    /// over the operands the row reads (the row's reduced values captured); `group` the
    /// general pass's `rows` and `block` closures over all of `operands`, for the group path,
    /// where the group's values are the array `__ae_gs<id>`. `count` is the number of reduced
    /// elements in terms of `__ae_shape`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn row_reduce_step(
        &mut self,
        id: NodeId,
        operands: &[NodeId],
        in_shape: &Shape,
        axes: &[usize],
        scratch_t: Dtype,
        closures: [&TokenStream; 3],
        group: [&TokenStream; 2],
        count: &TokenStream,
    ) {
        let Some(n) = self.ir.get(id).cloned() else { return };
        // a row reduction: over the last axis only
        if axes.len() != 1 || axes.first() != Some(&in_shape.len().saturating_sub(1)) || operands.is_empty() {
            self.row_fast = None;
        }
        let Some((ins, gins, fshape, read)) = self.row_inputs(operands, in_shape, false) else { return };
        let rt = rt();
        let (ty, st) = (dtype_tokens(n.dtype), dtype_tokens(scratch_t));
        let reduce = format_ident!("row_reduce{}", ins.len());
        let greduce = format_ident!("row_group_reduce{}", operands.len());
        let [block, combine, finish] = closures;
        let [grows, gblock] = group;
        let last = lit_usize(in_shape.len().saturating_sub(1));
        let flat = flat_shape(&fshape, in_shape.len());
        let (t, s, gs) = (
            format_ident!("__ae_t{}", id.0),
            format_ident!("__ae_s{}", id.0),
            format_ident!("__ae_gs{}", id.0),
        );
        let Some(fast) = self.row_fast.as_mut() else { return };
        let (rows, scratch) = (fast.name("ft"), fast.name("scr"));
        fast.prep.push(quote! {
            let ::core::option::Option::Some(mut #rows) = #rt::driver::RowsMut::of(&mut #t) else {
                break '__ae_fast;
            };
            let mut #scratch = #rt::driver::scratch::<#st>();
            #rt::driver::count_row_pass::<#ty>(
                ::core::stringify!(#reduce),
                &#flat,
                #read,
                #flat[0] * ::core::mem::size_of::<#ty>(),
            );
        });
        fast.steps.push(quote! {
            let #s: #ty = {
                let __ae_shape = #fshape;
                let __ae_count: usize = #count;
                let _ = __ae_count;
                #rt::driver::#reduce(__ae_shape[#last], &mut #scratch, #(#ins,)* #block, #combine, #finish)?
            };
            #rows.set(__ae_i, #s);
        });
        match (gins, fast.group.as_mut()) {
            (Some(gins), Some((_, steps))) if !gins.is_empty() => steps.push(quote! {
                let #gs: [#ty; #rt::driver::ROW_GROUP] = {
                    let __ae_shape = #fshape;
                    let __ae_count: usize = #count;
                    let _ = __ae_count;
                    let mut __ae_outs = [<#ty as #rt::runtime::Element>::ZERO; #rt::driver::ROW_GROUP];
                    #rt::driver::#greduce(
                        __ae_shape[#last],
                        &mut #scratch,
                        &mut __ae_outs[..__ae_g],
                        #(#gins,)*
                        #grows,
                        #gblock,
                        #combine,
                        #finish,
                    )?;
                    __ae_outs
                };
                for (__ae_r, __ae_v) in #gs[..__ae_g].iter().enumerate() {
                    #rows.set(__ae_gi + __ae_r, *__ae_v);
                }
            }),
            _ => fast.group = None,
        }
        fast.scalars.insert(id);
    }

    /// Emits the final pass of `root` into `dst` with a row-local schedule when it applies
    /// (returns false otherwise, having emitted nothing).
    pub(super) fn emit_row_local(&mut self, root: NodeId, dst: &TokenStream) -> bool {
        let Some((rank, inputs)) = self.row_local_plan(root) else { return false };
        let Some(rn) = self.ir.get(root).cloned() else { return false };
        let rt = rt();
        let rlast = lit_usize(rank.saturating_sub(1));
        let names: Vec<Ident> =
            inputs.into_iter().filter_map(|p| self.params.get(p)).map(|p| p.name.clone()).collect();
        let ahead = names.iter().map(|name| quote!(#rt::driver::RowsAhead::of(&#name)));
        // the row-by-row path's rows: runs along the last axis, over every leading axis
        let ahead_rows = names.iter().map(|name| quote!(#rt::driver::RowsAhead::of_rows(&#name)));
        self.row_rank = Some(rank);
        if self.row_slice_of(&rn.shape).is_none() {
            self.row_rank = None;
            return false;
        }
        let outer = std::mem::take(&mut self.stmts);
        let block = quote!(__ae_rdst.view_mut());
        self.stage_plan = self.stage_candidate(root).map(|e| (e, block.clone(), quote!(__ae_rdst.view())));
        self.row_fast =
            (rank >= 2).then(|| RowFast { group: Some((Vec::new(), Vec::new())), ..RowFast::default() });
        let (_, first) = self.pass_nodes(root);
        self.ensure_temps(&first);
        self.epilogue = self.staged.take().map(|(e, _)| e);
        self.emit_elementwise(root, block, true);
        self.epilogue = None;
        self.stage_plan = None;
        self.row_rank = None;
        let by_rows = match self.row_fast.take() {
            Some(RowFast { prep, steps, group, shapes, .. }) => {
                for r in self.records.iter_mut().filter(|r| r.row_local) {
                    r.by_rows = true;
                    r.by_groups = group.is_some();
                }
                let out_t = dtype_tokens(rn.dtype);
                // each row's (group's) passes fetch the next row (group); rows are counted
                // over the leading axes merged (`__ae_per` of them in each row of axis 0)
                let next_row = quote! {
                    #rt::driver::queue_next_row(&__ae_ahead_rows, __ae_r0 * __ae_per + __ae_i + 1, __ae_rows * __ae_per);
                };
                let next_rows = quote! {
                    #rt::driver::queue_next_rows(&__ae_ahead_rows, __ae_r0 * __ae_per + __ae_gi + __ae_g, __ae_g, __ae_rows * __ae_per);
                };
                let last = lit_usize(rank - 1);
                let by_row = quote! {
                    for __ae_i in 0..__ae_fo.rows() {
                        #next_row
                        let __ae_orow: &mut [#out_t] = __ae_fo.row(__ae_i);
                        #(#steps)*
                    }
                };
                let rows_loop = match group {
                    // short rows a group at a time (see `driver::row_group`), longer ones (or
                    // an output whose rows are apart in memory) one at a time
                    Some((gprep, gsteps)) => quote! {
                        // the passes' rows may differ in length (a reduction into an [n, 1] output)
                        let __ae_glen = 0usize #(.max(#shapes[#last]))*;
                        let __ae_gmax = if __ae_fo.consecutive() { #rt::driver::row_group(__ae_glen) } else { 0 };
                        if __ae_gmax > 0 {
                            #(#gprep)*
                            let mut __ae_gi = 0usize;
                            while __ae_gi < __ae_fo.rows() {
                                let __ae_g = (__ae_fo.rows() - __ae_gi).min(__ae_gmax);
                                #next_rows
                                let __ae_ogrp: &mut [#out_t] = __ae_fo.group(__ae_gi, __ae_g);
                                #(#gsteps)*
                                __ae_gi += __ae_g;
                            }
                        } else {
                            #by_row
                        }
                    },
                    None => by_row,
                };
                quote! {
                    // row by row when every array's rows are runs (see `driver::byrow`)
                    '__ae_fast: {
                        let ::core::option::Option::Some(mut __ae_fo) = #rt::driver::RowsMut::of(&mut __ae_rdst) else {
                            break '__ae_fast;
                        };
                        #(#prep)*
                        #rows_loop
                        // nothing left queued for whatever this thread runs next
                        #rt::driver::queue_next_row(&[], 0, 0);
                        return ::core::result::Result::Ok(());
                    }
                }
            }
            None => quote!(),
        };
        let inner = std::mem::replace(&mut self.stmts, outer);
        self.stmts.append(&mut self.hoisted);
        let temps = std::mem::take(&mut self.row_temps);
        let shape_e = self.shape_expr(&rn.shape);
        let elem = dtype_tokens(rn.dtype);
        self.stmts.push(quote! {
            {
                let __ae_rshape = #shape_e;
                let __ae_row_bytes = __ae_rshape[1..].iter().product::<usize>().max(1) * ::core::mem::size_of::<#elem>();
                let __ae_rows = __ae_rshape[0];
                let __ae_ahead = [#(#ahead),*];
                let __ae_ahead_rows = [#(#ahead_rows),*];
                let __ae_per: usize = __ae_rshape[1..#rlast].iter().product();
                let _ = (__ae_rows, &__ae_ahead_rows, __ae_per);
                #rt::driver::row_blocks(
                    (#dst, #(#temps.view_mut(),)*),
                    __ae_row_bytes,
                    2 * __ae_row_bytes,
                    &__ae_ahead,
                    &|__ae_r0: usize, __ae_r1: usize, (mut __ae_rdst, #(mut #temps,)*)| -> ::core::result::Result<(), #rt::runtime::Error> {
                        #by_rows
                        #(#inner)*
                        ::core::result::Result::Ok(())
                    },
                )?;
            }
        });
        // later outputs of the kernel read the split temporaries whole (the others lived in
        // the row-block body only, so a later pass computes them again)
        self.temps.retain(|id, _| temps.contains(&format_ident!("__ae_t{}", id.0)));
        for t in &temps {
            let tv = format_ident!("__ae_tv{}", t.to_string().trim_start_matches("__ae_t"));
            self.stmts.push(quote!(let #tv = #t.view();));
        }
        true
    }
}

/// The block shape `fshape` of a pass of rank `rank` as the `[rows, row length]` of its rows
/// merged over the leading axes, for the pass counters.
fn flat_shape(fshape: &Ident, rank: usize) -> TokenStream {
    let last = lit_usize(rank.saturating_sub(1));
    quote!([#fshape[..#last].iter().product::<usize>(), #fshape[#last]])
}
