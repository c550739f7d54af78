//! Views in kernel bodies: transposes, `newaxis` indexing and the array arguments they take.

use super::{replace_child, wrap, Cx, Val, MAX_RANK};
use crate::ast::IndexItem;
use crate::ir::{Ir, Node, NodeId, Op};
use crate::shape::{Dim, Shape};
use proc_macro2::Span;

impl Cx<'_> {
    /// The typed node and label of a value that must be an array (rank >= 1) for `what`.
    pub(super) fn array_arg(&mut self, v: Val, span: Span, what: &str) -> Option<(NodeId, String, usize)> {
        let Val::Node(id, label) = v else {
            self.errors.push(span, format!("{what} applies to arrays, not to a literal"));
            return None;
        };
        let rank = self.node(id)?.shape.len();
        if rank == 0 {
            self.errors.push(span, format!("{what} applies to arrays, but `{label}` is a scalar"));
            return None;
        }
        Some((id, label, rank))
    }

    pub(super) fn transpose(&mut self, v: Val, axes: Option<&[i64]>, span: Span) -> Option<Val> {
        let (id, label, rank) = self.array_arg(v, span, "a transpose")?;
        let perm: Vec<usize> = match axes {
            None => (0..rank).rev().collect(),
            Some(ax) => {
                let norm: Vec<i64> = ax.iter().map(|&a| if a < 0 { a + rank as i64 } else { a }).collect();
                let mut sorted = norm.clone();
                sorted.sort_unstable();
                if sorted != (0..rank as i64).collect::<Vec<_>>() {
                    self.errors.push(
                        span,
                        format!("`axes = {ax:?}` is not a permutation of the {rank} axes of `{label}`"),
                    );
                    return None;
                }
                norm.into_iter().map(|a| a as usize).collect()
            }
        };
        let map: Vec<Option<usize>> = perm.into_iter().map(Some).collect();
        let id = self.apply_view(id, &map, span)?;
        Some(Val::Node(id, format!("{}.T", wrap(&label))))
    }

    pub(super) fn newaxis(&mut self, v: Val, items: &[IndexItem], span: Span) -> Option<Val> {
        let (id, label, rank) = self.array_arg(v, span, "`newaxis`")?;
        let kept = items.iter().filter(|i| **i == IndexItem::Full).count();
        if kept > rank {
            let axes = if rank == 1 { "axis" } else { "axes" };
            self.errors
                .push(span, format!("`{label}` has {rank} {axes} but the index keeps {kept} with `:`"));
            return None;
        }
        let mut map = Vec::new();
        let mut next = 0usize;
        for item in items {
            match item {
                IndexItem::Full => {
                    map.push(Some(next));
                    next += 1;
                }
                IndexItem::NewAxis => map.push(None),
            }
        }
        map.extend((next..rank).map(Some));
        if map.len() > MAX_RANK {
            self.errors.push(
                span,
                format!("the result would have {} axes; at most {MAX_RANK} are supported", map.len()),
            );
            return None;
        }
        let id = self.apply_view(id, &map, span)?;
        Some(Val::Node(id, format!("{label}[..]")))
    }

    /// Applies an axis map to a value: a view of a leaf operand, or pushed down through
    /// elementwise operations to their operands (elementwise ops commute with axis maps).
    pub(super) fn apply_view(&mut self, id: NodeId, map: &[Option<usize>], span: Span) -> Option<NodeId> {
        let n = self.node(id)?.clone();
        let shape: Shape =
            map.iter().map(|m| m.and_then(|a| n.shape.get(a).cloned()).unwrap_or(Dim::Lit(1))).collect();
        let op = match &n.op {
            Op::Array(_) | Op::Reduce { .. } => Op::View { input: id, map: map.to_vec() },
            Op::View { input, map: inner } => {
                let composed = map.iter().map(|m| m.and_then(|a| inner.get(a).copied().flatten())).collect();
                Op::View { input: *input, map: composed }
            }
            Op::Scalar(_) | Op::Const(_) => return Some(id),
            op => {
                let rank = n.shape.len();
                let mut remapped = op.clone();
                for child in Ir::children(op) {
                    let crank = self.node(child)?.shape.len();
                    let new_child = if crank == 0 {
                        child
                    } else {
                        let pad = rank - crank.min(rank);
                        let cmap: Vec<Option<usize>> =
                            map.iter().map(|m| m.and_then(|a| a.checked_sub(pad))).collect();
                        self.apply_view(child, &cmap, span)?
                    };
                    replace_child(&mut remapped, child, new_child);
                }
                remapped
            }
        };
        Some(self.ir.push(Node { op, dtype: n.dtype, shape, span }))
    }
}
