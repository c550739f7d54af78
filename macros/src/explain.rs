//! The emitted passes -> plan text: what a kernel does pass by pass, what each pass fuses,
//! reads and writes, which temporaries it needs and why fusion stopped there, and the memory
//! traffic in symbolic bytes. The text is embedded in the expansion (a `NAME_PLAN` constant and
//! the kernel's docs), so a user can read what runs without running it.
//!
//! The records come from the emitter as it emits each pass, so the plan cannot drift from the
//! code: it describes exactly the loops that were generated.

use crate::ast::{Param, UnOp};
use crate::dtype::Dtype;
use crate::ir::{Const, Func, Ir, NodeId, Op};
use crate::shape::{self, Dim, Shape};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// What a pass does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PassKind {
    /// One loop over the root's shape computing it elementwise.
    Map,
    /// A reduction of the root's input over its reduced axes.
    Reduce,
    /// A matrix product through GEMM.
    Gemm,
    /// A reduced temporary copied (broadcast) into an in-place target.
    Copy,
}

/// Where a pass writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dest {
    /// A temporary holding node `.0`'s value.
    Temp(NodeId),
    /// Output number `.0` of the kernel.
    Output(usize),
}

/// One emitted pass.
#[derive(Debug, Clone)]
pub(crate) struct PassRecord {
    pub(crate) kind: PassKind,
    pub(crate) root: NodeId,
    pub(crate) dest: Dest,
    /// Nodes computed per element (arena order), operands excluded.
    pub(crate) nodes: Vec<NodeId>,
    /// Operands read: parameters, views of them, and earlier temporaries.
    pub(crate) reads: Vec<NodeId>,
    /// SIMD loop (vector body or SIMD block reduction) rather than a scalar one.
    pub(crate) vector: bool,
    /// Runs in place over the output a GEMM just wrote.
    pub(crate) epilogue: bool,
    /// Reads the output's current values (an in-place update or an epilogue).
    pub(crate) rereads_output: bool,
    /// GEMM: scalar factors folded into alpha.
    pub(crate) alpha: Vec<NodeId>,
    /// GEMM: the output was pre-filled with an addend (beta = 1).
    pub(crate) beta_one: bool,
    /// Part of a row-local schedule (run block of rows by block of rows).
    pub(crate) row_local: bool,
    /// Part of a row-local schedule with a row-by-row path (every pass of one row before the
    /// next, when the arrays' rows are contiguous).
    pub(crate) by_rows: bool,
    /// The row-by-row path also takes short rows a group at a time (every pass of the group
    /// before the next group).
    pub(crate) by_groups: bool,
    /// Writes this value into the output block, where later passes of the block read it.
    pub(crate) stages: Option<NodeId>,
    /// Operands broadcast along the last axis, which a second kernel reads as one value per
    /// run over whole C-order runs (empty: no such kernel).
    pub(crate) splat: Vec<NodeId>,
}

/// An output of the kernel: label, dtype, shape.
pub(crate) struct OutputDecl {
    pub(crate) label: String,
    pub(crate) dtype: Dtype,
    pub(crate) shape: Shape,
}

thread_local! {
    /// The kernel's symbols in signature order while a plan is rendered (for `n·m`, not `m·n`).
    static SYMBOLS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A symbolic byte count: a sum of coefficient x product-of-symbols terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Size(BTreeMap<Vec<String>, u128>);

impl Size {
    /// Bytes of an array of `shape` with `bytes`-byte elements; symbols are kept in the order
    /// the kernel's signature first names them.
    fn of(shape: &Shape, bytes: usize) -> Size {
        let mut syms = Vec::new();
        let mut coeff = bytes as u128;
        for d in shape {
            match d {
                Dim::Sym(s) => syms.push(s.clone()),
                Dim::Lit(n) => coeff = coeff.saturating_mul(u128::from(*n)),
            }
        }
        syms.sort_by_key(|s| SYMBOLS.with(|o| o.borrow().iter().position(|x| x == s)));
        let mut m = BTreeMap::new();
        if coeff > 0 {
            m.insert(syms, coeff);
        }
        Size(m)
    }

    fn add(&mut self, other: &Size) {
        for (k, v) in &other.0 {
            let e = self.0.entry(k.clone()).or_insert(0);
            *e = e.saturating_add(*v);
        }
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("0");
        }
        // highest degree first: the term that dominates at scale leads
        let mut terms: Vec<(&Vec<String>, &u128)> = self.0.iter().collect();
        terms.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
        let parts: Vec<String> = terms
            .into_iter()
            .map(|(syms, c)| {
                let mut p = vec![c.to_string()];
                p.extend(syms.iter().cloned());
                p.join("·")
            })
            .collect();
        f.write_str(&parts.join(" + "))
    }
}

/// Renders the plan of a kernel.
pub(crate) struct Explain<'a> {
    pub(crate) ir: &'a Ir,
    pub(crate) params: &'a [Param],
    pub(crate) records: &'a [PassRecord],
    pub(crate) outputs: &'a [OutputDecl],
    /// The kernel's symbols in order of first appearance.
    pub(crate) symbols: &'a [String],
}

impl Explain<'_> {
    /// The full plan text; `signature` is the kernel's declaration as the user wrote it.
    pub(crate) fn text(&self, signature: &str) -> String {
        SYMBOLS.with(|o| *o.borrow_mut() = self.symbols.to_vec());
        let temps: Vec<(usize, NodeId)> = self
            .records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.dest {
                Dest::Temp(t) => Some((i, t)),
                Dest::Output(_) => None,
            })
            .collect();
        let mut temp_bytes = Size::default();
        for (_, t) in &temps {
            temp_bytes.add(&self.size_of(*t));
        }
        let gemms = self.records.iter().filter(|r| r.kind == PassKind::Gemm).count();
        let mut s = String::new();
        let _ = writeln!(
            s,
            "plan of `{signature}`: {} pass{}, {} temporar{}{}, {}",
            self.records.len(),
            if self.records.len() == 1 { "" } else { "es" },
            temps.len(),
            if temps.len() == 1 { "y" } else { "ies" },
            if temps.is_empty() { String::new() } else { format!(" ({temp_bytes} bytes)") },
            match gemms {
                0 => "no GEMM call".to_string(),
                1 => "1 GEMM call".to_string(),
                g => format!("{g} GEMM calls"),
            }
        );
        self.row_local_line(&mut s);
        let (mut read, mut written) = (Size::default(), Size::default());
        let mut seen = BTreeSet::new();
        for (i, r) in self.records.iter().enumerate() {
            let (rd, wr) = self.pass(&mut s, i, r, &seen);
            read.add(&rd);
            written.add(&wr);
            seen.extend(r.nodes.iter().copied());
        }
        let cached = if self.records.iter().any(|r| r.row_local) {
            " (summed over the passes; the later passes of a row block hit in cache)"
        } else {
            ""
        };
        let _ = writeln!(s, "memory traffic{cached}: reads {read} bytes, writes {written} bytes");
        let (count, bytes) = self.unfused();
        if count > 0 {
            let _ = writeln!(
                s,
                "unfused (one array per operation, as NumPy evaluates it): {count} intermediate array{}, {bytes} bytes",
                if count == 1 { "" } else { "s" }
            );
        }
        s
    }

    /// Writes one pass; returns the bytes it reads and writes.
    fn pass(&self, s: &mut String, i: usize, r: &PassRecord, seen: &BTreeSet<NodeId>) -> (Size, Size) {
        let dest = self.dest_text(r.dest);
        let shape = self.pass_shape(r);
        let head = match r.kind {
            PassKind::Map if r.epilogue && r.row_local => format!("elementwise over {dest}, in place"),
            PassKind::Map if r.epilogue => format!("elementwise epilogue over {dest}, in place"),
            PassKind::Map if r.rereads_output => format!("elementwise update of {dest}, in place"),
            PassKind::Map => format!("elementwise over {} -> {dest}", shape::show(&shape)),
            PassKind::Reduce => format!("{} -> {dest}", self.reduce_text(r.root)),
            PassKind::Gemm => format!("GEMM {} -> {dest}", self.gemm_text(r)),
            PassKind::Copy => format!("copy {} into {dest} (broadcast)", self.name(r.root)),
        };
        let _ = writeln!(s, "pass {}: {head}", i + 1);
        let ops: Vec<String> = r
            .nodes
            .iter()
            .filter(|&&n| n != r.root || r.kind == PassKind::Map)
            .filter_map(|&n| self.op_name(n))
            .collect();
        if matches!(r.kind, PassKind::Map | PassKind::Reduce) {
            let fused = if ops.is_empty() { "nothing".to_string() } else { ops.join(", ") };
            let lanes = self.loop_text(r);
            let _ = writeln!(s, "  fuses: {fused}; {lanes}");
            let again: Vec<String> =
                r.nodes.iter().filter(|n| seen.contains(n)).filter_map(|&n| self.op_name(n)).collect();
            if !again.is_empty() {
                let _ = writeln!(s, "  recomputes {} (cheaper than a full-size temporary)", again.join(", "));
            }
        }
        if let Some(e) = r.stages {
            let by = self.staged_readers(e);
            let _ = writeln!(
                s,
                "  stages `{}` in the output block for {by}: computed once, not recomputed",
                self.value_name(e)
            );
        }
        let pass_size = Size::of(&shape, 1);
        let mut read = Size::default();
        let reads: Vec<String> = r
            .reads
            .iter()
            .map(|&o| {
                if let Some(text) = self.staged_read(o) {
                    read.add(&self.size_of(o));
                    return text;
                }
                let own = self.size_of(o);
                read.add(&own);
                let full = Size::of(&self.shape(o), 1) == pass_size;
                let d = self
                    .ir
                    .get(o)
                    .map_or(String::from("?"), |n| format!("{}{}", n.dtype, shape::show(&n.shape)));
                if full || r.kind == PassKind::Gemm {
                    format!("{}: {d}", self.name(o))
                } else {
                    format!("{}: {d} (broadcast)", self.name(o))
                }
            })
            .collect();
        let written = match r.dest {
            Dest::Temp(t) => self.size_of(t),
            Dest::Output(k) => {
                self.outputs.get(k).map_or_else(Size::default, |o| Size::of(&o.shape, o.dtype.bytes()))
            }
        };
        let mut reads = reads;
        if r.rereads_output {
            // an in-place update or an epilogue reads the output before writing it
            read.add(&written);
            reads.insert(0, format!("{} (current values)", self.dest_label(r.dest)));
        }
        let _ = writeln!(
            s,
            "  reads {}; writes {written} bytes",
            if reads.is_empty() { "nothing".into() } else { reads.join(", ") }
        );
        if let Dest::Temp(t) = r.dest {
            let _ = writeln!(s, "  cut: {}", self.cut_reason(r, t));
        }
        (read, written)
    }

    /// The schedule line of a row-local plan (nothing otherwise).
    fn row_local_line(&self, s: &mut String) {
        let passes: Vec<usize> =
            self.records.iter().enumerate().filter(|(_, r)| r.row_local).map(|(i, _)| i + 1).collect();
        let (Some(first), Some(last)) = (passes.first(), passes.last()) else { return };
        let by_rows = self.records.iter().any(|r| r.row_local && r.by_rows);
        let by_groups = self.records.iter().any(|r| r.row_local && r.by_groups);
        let groups = if by_groups {
            " (rows under 129 elements a group at a time: up to 16 rows of at most 512 elements together, each pass one kernel call over the group, a reduction's values spread over their rows)"
        } else {
            ""
        };
        let within = if by_rows {
            format!("where the rows of every array it reads are contiguous (or one value per row), a block runs every pass of one row before the next row{groups}, so the row stays in L1 and a reduction's value for the row stays in a register, and each row's elementwise passes fetch the next row's inputs into the cache as they compute; otherwise each pass covers the whole block and, on one thread, the elementwise passes of a block fetch the next block's input and output rows")
        } else {
            "on one thread, the elementwise passes of a block fetch the next block's input and output rows into the cache as they compute".to_string()
        };
        let _ = writeln!(
            s,
            "row-local: passes {first}-{last} run block of rows by block of rows (64 KiB of the output per block, at least 8 rows): every reduction keeps axis 0, so a block's temporaries are complete when its later passes run, and each block of the inputs comes from memory once; {within}; on several threads each task runs every pass of its own blocks"
        );
    }

    /// The passes that read the value `e` staged in the output block.
    fn staged_readers(&self, e: NodeId) -> String {
        let by: Vec<String> = self
            .records
            .iter()
            .enumerate()
            .filter(|(_, q)| q.reads.contains(&e) || (q.epilogue && q.row_local))
            .map(|(j, _)| format!("pass {}", j + 1))
            .collect();
        by.join(" and ")
    }

    /// `out (staged `exp`)` when a pass reads a value staged in the output block.
    fn staged_read(&self, o: NodeId) -> Option<String> {
        let writer = self.records.iter().find(|q| q.stages == Some(o))?;
        let d = self.ir.get(o).map_or(String::from("?"), |n| format!("{}{}", n.dtype, shape::show(&n.shape)));
        Some(format!("{} (staged `{}`): {d}", self.dest_label(writer.dest), self.value_name(o)))
    }

    /// A short name for a computed value: its operation, or its `let` name.
    fn value_name(&self, e: NodeId) -> String {
        self.op_name(e).map_or_else(|| self.name(e), |n| n.trim_matches('`').to_string())
    }

    /// Why the pass writing temporary `t` could not fuse into its readers.
    fn cut_reason(&self, r: &PassRecord, t: NodeId) -> String {
        let readers: Vec<String> = self
            .records
            .iter()
            .enumerate()
            .filter(|(_, q)| q.reads.iter().any(|&o| self.base(o) == t))
            .map(|(j, _)| format!("pass {}", j + 1))
            .collect();
        let by = if readers.is_empty() { String::from("a later pass") } else { readers.join(" and ") };
        match r.kind {
            PassKind::Reduce => format!(
                "{by} read{} this reduction elementwise; it must be complete before any of its value is used, so it gets its own pass and a reduced-shape temporary",
                if readers.len() == 1 { "s" } else { "" }
            ),
            PassKind::Gemm => format!("{by} read{} this matrix product; GEMM writes it whole, so it is materialized once", if readers.len() == 1 { "s" } else { "" }),
            PassKind::Map | PassKind::Copy => {
                format!("an operand of a matrix product must be in memory for GEMM, so this expression is materialized once for {by}")
            }
        }
    }

    fn loop_text(&self, r: &PassRecord) -> String {
        let t = match r.kind {
            PassKind::Reduce => self.ir.get(r.root).and_then(|n| match &n.op {
                Op::Reduce { input, .. } => self.ir.get(*input).map(|i| i.dtype),
                _ => None,
            }),
            _ => self.ir.get(r.root).map(|n| n.dtype),
        };
        let lanes = match t {
            Some(Dtype::F32) => "f32x8",
            Some(Dtype::F64) => "f64x4",
            _ => "",
        };
        let text = match (r.kind, r.vector) {
            (PassKind::Reduce, true) => format!("SIMD block reduction ({lanes}), fixed pairwise tree"),
            (PassKind::Reduce, false) => "scalar fold per block, fixed pairwise tree".into(),
            (_, true) => format!("SIMD loop ({lanes})"),
            (_, false) => "scalar loop".into(),
        };
        if r.splat.is_empty() {
            return text;
        }
        let names: Vec<String> = r.splat.iter().map(|&o| self.name(o)).collect();
        format!("{text}; over C-order rows, {} read once per row", names.join(", "))
    }

    fn reduce_text(&self, id: NodeId) -> String {
        let Some(Op::Reduce { kind, input, axes, acc, .. }) = self.ir.get(id).map(|n| &n.op) else {
            return String::from("reduction");
        };
        let in_dtype = self.ir.get(*input).map(|n| n.dtype);
        let axes: Vec<String> = axes.iter().map(|a| a.to_string()).collect();
        let acc = if Some(*acc) != in_dtype && kind.name() != "argmin" && kind.name() != "argmax" {
            format!(", accumulating in {acc}")
        } else {
            String::new()
        };
        let rank = self.ir.get(*input).map_or(0, |n| n.shape.len());
        let over = if axes.len() == rank {
            String::from("all axes")
        } else if axes.len() == 1 {
            format!("axis {}", axes.join(""))
        } else {
            format!("axes {}", axes.join(", "))
        };
        format!("{} over {over}{acc}", kind.name())
    }

    fn gemm_text(&self, r: &PassRecord) -> String {
        let names: Vec<String> =
            r.reads.iter().map(|&o| format!("{}{}", self.name(o), shape::show(&self.shape(o)))).collect();
        let flops = match (r.reads.first().map(|&a| self.shape(a)), r.reads.get(1).map(|&b| self.shape(b))) {
            (Some(a), Some(b)) if a.len() == 2 && b.len() == 2 => {
                let dims: Shape = a.iter().chain(b.get(1)).cloned().collect();
                format!(", {} flops", Size::of(&dims, 2))
            }
            _ => String::new(),
        };
        let alpha: Vec<String> = r.alpha.iter().map(|&f| self.scalar_text(f)).collect();
        let alpha = if alpha.is_empty() { String::from("1") } else { alpha.join(" · ") };
        let beta = if r.beta_one { "1 (output pre-filled with the addend)" } else { "0" };
        format!("{} (matrixmultiply, alpha = {alpha}, beta = {beta}{flops})", names.join(" @ "))
    }

    /// A scalar factor as the user wrote it: a parameter name or a constant.
    fn scalar_text(&self, id: NodeId) -> String {
        match self.ir.get(id).map(|n| &n.op) {
            Some(Op::Scalar(p)) => self.params.get(*p).map_or(String::from("?"), |p| p.name.to_string()),
            Some(Op::Const(Const::Int(i))) => i.to_string(),
            Some(Op::Const(Const::Float(f))) => format!("{f:?}"),
            Some(Op::Const(Const::Bool(b))) => b.to_string(),
            Some(Op::Unary(UnOp::Neg, a)) => format!("-{}", self.scalar_text(*a)),
            _ => String::from("?"),
        }
    }

    fn dest_text(&self, d: Dest) -> String {
        match d {
            Dest::Temp(t) => {
                let n = self.ir.get(t);
                let ty = n.map_or(String::new(), |n| format!("{}{}", n.dtype, shape::show(&n.shape)));
                format!("temporary {}: {ty} ({} bytes)", self.name(t), self.size_of(t))
            }
            Dest::Output(k) => match self.outputs.get(k) {
                Some(o) => format!("{}: {}{}", o.label, o.dtype, shape::show(&o.shape)),
                None => String::from("output"),
            },
        }
    }

    fn dest_label(&self, d: Dest) -> String {
        match d {
            Dest::Temp(t) => self.name(t),
            Dest::Output(k) => self.outputs.get(k).map_or(String::from("output"), |o| o.label.clone()),
        }
    }

    /// The iteration shape of a pass.
    fn pass_shape(&self, r: &PassRecord) -> Shape {
        match (r.kind, self.ir.get(r.root).map(|n| &n.op)) {
            (PassKind::Reduce, Some(Op::Reduce { input, .. })) => self.shape(*input),
            (PassKind::Copy | PassKind::Map, _) if matches!(r.dest, Dest::Output(_)) => match r.dest {
                Dest::Output(k) => self.outputs.get(k).map(|o| o.shape.clone()).unwrap_or_default(),
                Dest::Temp(t) => self.shape(t),
            },
            _ => self.shape(r.root),
        }
    }

    fn shape(&self, id: NodeId) -> Shape {
        self.ir.get(id).map(|n| n.shape.clone()).unwrap_or_default()
    }

    /// Bytes of node `id`'s value (a view costs what its base holds).
    fn size_of(&self, id: NodeId) -> Size {
        let b = self.base(id);
        self.ir.get(b).map_or_else(Size::default, |n| Size::of(&n.shape, n.dtype.bytes()))
    }

    /// The node a view looks at; the node itself otherwise.
    fn base(&self, id: NodeId) -> NodeId {
        match self.ir.get(id).map(|n| &n.op) {
            Some(Op::View { input, .. }) => self.base(*input),
            _ => id,
        }
    }

    /// `x`, `x.T`, `x[:, newaxis]`-style names for operands, `t1`.. for temporaries.
    fn name(&self, id: NodeId) -> String {
        match self.ir.get(id).map(|n| &n.op) {
            Some(Op::Array(p)) => self.params.get(*p).map_or(String::from("?"), |p| p.name.to_string()),
            Some(Op::View { input, map }) => {
                let base = self.name(*input);
                if map.as_slice() == [Some(1), Some(0)] {
                    return format!("{base}.T");
                }
                let items: Vec<String> = map
                    .iter()
                    .map(|m| match m {
                        Some(a) => format!("axis {a}"),
                        None => String::from("newaxis"),
                    })
                    .collect();
                format!("{base}[{}]", items.join(", "))
            }
            _ => match self.records.iter().position(|r| r.dest == Dest::Temp(id)) {
                Some(i) => format!("t{}", i + 1),
                None => format!("%{}", id.0),
            },
        }
    }

    /// The user-facing name of an operation node; `None` for leaves.
    fn op_name(&self, id: NodeId) -> Option<String> {
        let n = self.ir.get(id)?;
        Some(match &n.op {
            Op::Array(_) | Op::Scalar(_) | Op::Const(_) | Op::View { .. } => return None,
            Op::Unary(UnOp::Neg, _) => "neg".into(),
            Op::Unary(UnOp::Not, _) => "!".into(),
            Op::Binary(op, ..) => format!("`{}`", op.symbol()),
            Op::Cast(_) => format!("as {}", n.dtype),
            Op::Func(Func::Minimum, _) => "min".into(),
            Op::Func(Func::Maximum, _) => "max".into(),
            Op::Func(f, _) => f.runtime_name().into(),
            Op::Where(..) => "where".into(),
            Op::MatMul(..) => "matmul".into(),
            Op::Reduce { kind, .. } => kind.name().into(),
        })
    }

    /// Intermediate arrays an unfused evaluation would allocate: every operation's value
    /// except the outputs' own.
    fn unfused(&self) -> (usize, Size) {
        // the value each output finally receives (an epilogue's root, not the GEMM before it)
        let mut last: BTreeMap<usize, NodeId> = BTreeMap::new();
        for r in self.records {
            if let Dest::Output(k) = r.dest {
                last.insert(k, r.root);
            }
        }
        let roots: BTreeSet<NodeId> = last.into_values().collect();
        let mut all = BTreeSet::new();
        for r in self.records {
            all.extend(r.nodes.iter().copied());
            if let Dest::Temp(t) = r.dest {
                all.insert(t);
            }
        }
        let mut bytes = Size::default();
        let mut count = 0;
        for id in all.into_iter().filter(|id| !roots.contains(id)) {
            let Some(n) = self.ir.get(id) else { continue };
            if self.op_name(id).is_none() || n.shape.is_empty() {
                continue;
            }
            count += 1;
            bytes.add(&Size::of(&n.shape, n.dtype.bytes()));
        }
        (count, bytes)
    }
}

/// `name(x: f32[n, m], a: f32) -> f32[n, m]` for the plan's first line.
pub(crate) fn signature(name: &str, params: &[Param], rets: &[OutputDecl], inplace: bool) -> String {
    let ps: Vec<String> = params
        .iter()
        .map(|p| {
            let m = if p.mutable { "mut " } else { "" };
            let dims = p.ty.dims.as_ref().map_or(String::new(), |_| shape::show(&p.ty.shape()));
            format!("{m}{}: {}{dims}", p.name, p.ty.dtype)
        })
        .collect();
    let rs: Vec<String> = rets.iter().map(|o| format!("{}{}", o.dtype, shape::show(&o.shape))).collect();
    match (inplace, rs.len()) {
        (true, _) => format!("{name}({})", ps.join(", ")),
        (false, 1) => format!("{name}({}) -> {}", ps.join(", "), rs.join("")),
        (false, _) => format!("{name}({}) -> ({})", ps.join(", "), rs.join(", ")),
    }
}
