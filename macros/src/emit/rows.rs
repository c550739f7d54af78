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

use super::tokens::{dtype_tokens, rt};
use super::Emitter;
use crate::ir::{Ir, NodeId, Op};
use crate::shape::{Dim, Shape};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

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

    /// Emits the final pass of `root` into `dst` with a row-local schedule when it applies
    /// (returns false otherwise, having emitted nothing).
    pub(super) fn emit_row_local(&mut self, root: NodeId, dst: &TokenStream) -> bool {
        let Some((rank, inputs)) = self.row_local_plan(root) else { return false };
        let Some(rn) = self.ir.get(root).cloned() else { return false };
        let rt = rt();
        let ahead: Vec<TokenStream> = inputs
            .into_iter()
            .filter_map(|p| self.params.get(p))
            .map(|p| {
                let name = &p.name;
                quote!(#rt::driver::RowsAhead::of(&#name))
            })
            .collect();
        self.row_rank = Some(rank);
        if self.row_slice_of(&rn.shape).is_none() {
            self.row_rank = None;
            return false;
        }
        let outer = std::mem::take(&mut self.stmts);
        let block = quote!(__ae_rdst.view_mut());
        self.stage_plan = self.stage_candidate(root).map(|e| (e, block.clone(), quote!(__ae_rdst.view())));
        let (_, first) = self.pass_nodes(root);
        self.ensure_temps(&first);
        self.epilogue = self.staged.take().map(|(e, _)| e);
        self.emit_elementwise(root, block, true);
        self.epilogue = None;
        self.stage_plan = None;
        self.row_rank = None;
        let inner = std::mem::replace(&mut self.stmts, outer);
        self.stmts.append(&mut self.hoisted);
        let temps = std::mem::take(&mut self.row_temps);
        let shape_e = self.shape_expr(&rn.shape);
        let elem = dtype_tokens(rn.dtype);
        self.stmts.push(quote! {
            {
                let __ae_rshape = #shape_e;
                let __ae_row_bytes = __ae_rshape[1..].iter().product::<usize>().max(1) * ::core::mem::size_of::<#elem>();
                #rt::driver::row_blocks(
                    (#dst, #(#temps.view_mut(),)*),
                    __ae_row_bytes,
                    2 * __ae_row_bytes,
                    &[#(#ahead),*],
                    &|__ae_r0: usize, __ae_r1: usize, (mut __ae_rdst, #(mut #temps,)*)| -> ::core::result::Result<(), #rt::runtime::Error> {
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
