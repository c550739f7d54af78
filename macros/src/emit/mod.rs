//! Typed IR -> Rust tokens. One loop nest per pass: every reduction whose value is used again
//! is an earlier pass writing a reduced-shape temporary; the final pass writes the output.
//! Each pass calls a `__private::driver` function that hands the body contiguous blocks; the
//! body is a plain loop over equal-length slices, with every `let` computed once per element.

mod elementwise;
mod gemm;
mod reduce;
mod rows;
mod tokens;

use crate::ast::Param;
use crate::explain::{Dest, PassKind, PassRecord};
use crate::ir::{Ir, NodeId, Op};
use crate::shape::{Dim, Shape};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};
pub(crate) use tokens::dtype_tokens;
use tokens::lit_usize;

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
    /// Row-local schedule (see [`rows`]): the rank of the passes, whose operands, temporaries
    /// and output are sliced to the current block of rows `__ae_r0..__ae_r1`.
    row_rank: Option<usize>,
    /// A `let` value staged in the output block by an earlier pass of a row-local schedule,
    /// and the read-only view of that block (later passes read it instead of recomputing).
    staged: Option<(NodeId, TokenStream)>,
    /// Statements run once before the row-block loop (temporaries' allocations).
    hoisted: Vec<TokenStream>,
    /// The temporaries those statements allocate: the row-block driver splits them by rows,
    /// and inside its body their names are the current block's rows.
    row_temps: Vec<Ident>,
    /// The value a row-local schedule stages in the output block: the node, the mutable
    /// block expression its pass writes and the read-only one later passes read.
    stage_plan: Option<(NodeId, TokenStream, TokenStream)>,
    /// The row-by-row path of the row-local schedule being emitted (see [`rows`]), built pass
    /// by pass beside the general one; `None` when some pass cannot run that way.
    row_fast: Option<rows::RowFast>,
    /// While a row-by-row kernel closure is built: reductions read as the row's value, the
    /// local `__ae_s<id>` the closure captures, instead of as operands.
    row_scalars: BTreeSet<NodeId>,
    /// Operands the kernel being built reads as one value per run (the splat kernel of a
    /// pass whose operands are broadcast along the last axis): bound to that value, splat.
    splat_ins: BTreeSet<NodeId>,
}

/// Arrays one fused pass may read (the drivers are `zip1`..`zip8`, `reduce1`..`reduce8`).
const MAX_OPERANDS: usize = 8;

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
            row_rank: None,
            staged: None,
            hoisted: Vec::new(),
            row_temps: Vec::new(),
            stage_plan: None,
            row_fast: None,
            row_scalars: BTreeSet::new(),
            splat_ins: BTreeSet::new(),
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
    pub(super) fn dest(&mut self) -> Dest {
        match self.pending_temp.take() {
            Some(t) => Dest::Temp(t),
            None => Dest::Output(self.output),
        }
    }

    pub(super) fn record(
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
            row_local: self.row_rank.is_some(),
            by_rows: false,
            by_groups: false,
            stages: None,
            splat: Vec::new(),
        });
    }

    pub(crate) fn set_inplace(&mut self, p: Option<usize>) {
        self.inplace = p;
    }

    /// Whether `id` is the in-place target read from the output block in this pass.
    pub(super) fn is_target(&self, id: NodeId) -> bool {
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
    pub(super) fn pass_nodes(&self, root: NodeId) -> (BTreeSet<NodeId>, BTreeSet<NodeId>) {
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
                _ if id != root && self.staged.as_ref().is_some_and(|(e, _)| *e == id) => {
                    operands.insert(id);
                }
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
    pub(super) fn ensure_temps(&mut self, operands: &BTreeSet<NodeId>) {
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
    pub(super) fn operand_view(&self, id: NodeId) -> TokenStream {
        if let Some((_, view)) = self.staged.as_ref().filter(|(e, _)| *e == id) {
            return view.clone();
        }
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
                match self.ir.get(id).and_then(|n| self.row_slice_of(&n.shape)) {
                    Some(rows) => quote!(#name.slice(#rows)?),
                    None => quote!(#name),
                }
            }
            _ => {
                let t = self.temps.get(&id).cloned().unwrap_or_else(|| format_ident!("__ae_missing"));
                quote!(#t)
            }
        }
    }

    /// Final pass of `root` into `dst`: a GEMM epilogue when the root's elementwise part reads
    /// one product of the output's shape (GEMM writes the output, the rest runs over it in
    /// place), otherwise a plain elementwise pass.
    pub(crate) fn emit_final(&mut self, root: NodeId, dst: TokenStream) {
        if self.emit_row_local(root, &dst) {
            return;
        }
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
}
