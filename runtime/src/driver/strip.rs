//! The pairwise tree of block partials for a strip of outputs reduced side by side (vertical
//! accumulation: the kept axis is the contiguous one).
//!
//! Every output of a strip sees the same blocks, so all share one tree shape: one stack of
//! levels holds a partial per output at each level. The carry chain is the one of
//! [`Pairwise`](super::nest::Pairwise), applied lane by lane, so the splitting argument there
//! (chunks of `2^L` blocks are subtrees) holds here too.

/// Outputs reduced side by side: 256 f32 are 1 KiB of each row, read in one go.
pub(super) const STRIP: usize = 256;

/// Levels of the strip tree: a reduced range of fewer than `2^LEVELS` blocks fits (a carry
/// chain over `n` pushes holds at most `log2(n) + 1` entries). Longer ranges take the
/// per-output path, a choice that depends only on the shape.
pub(super) const LEVELS: usize = 20;

/// A carry chain of strips of partials, in fixed (stack) storage.
pub(super) struct StripTree<P> {
    stack: [[P; STRIP]; LEVELS],
    level: [u32; LEVELS],
    len: usize,
}

impl<P: Copy> StripTree<P> {
    /// An empty chain; `fill` only initializes the storage.
    pub(super) fn new(fill: P) -> Self {
        StripTree { stack: [[fill; STRIP]; LEVELS], level: [0; LEVELS], len: 0 }
    }

    /// Pushes the partials `p` (one per output of the strip, `p.len() <= STRIP`) of the next
    /// block, merging equal levels as [`Pairwise::push`](super::nest::Pairwise::push) does;
    /// `p` is clobbered.
    pub(super) fn push(&mut self, p: &mut [P], combine: &dyn Fn(P, P) -> P) {
        let mut level = 0u32;
        while self.len > 0 && self.level[self.len - 1] == level {
            self.len -= 1;
            for (q, x) in self.stack[self.len].iter().zip(p.iter_mut()) {
                *x = combine(*q, *x);
            }
            level += 1;
        }
        if let Some(slot) = self.stack.get_mut(self.len) {
            slot[..p.len()].copy_from_slice(p);
            self.level[self.len] = level;
            self.len += 1;
        }
    }

    /// Folds the chain from the top (newest) down onto `acc` (the partials of blocks that
    /// follow, when `has_acc`) and empties it. Returns false when there was nothing at all.
    pub(super) fn finish_onto(
        &mut self,
        acc: &mut [P],
        mut has_acc: bool,
        combine: &dyn Fn(P, P) -> P,
    ) -> bool {
        while self.len > 0 {
            self.len -= 1;
            let top = &self.stack[self.len];
            for (p, a) in top.iter().zip(acc.iter_mut()) {
                *a = if has_acc { combine(*p, *a) } else { *p };
            }
            has_acc = true;
        }
        has_acc
    }
}

#[cfg(test)]
mod tests {
    use super::super::nest::Pairwise;
    use super::*;

    fn join(a: u64, b: u64) -> u64 {
        (a.wrapping_mul(31).wrapping_add(7)).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.rotate_left(17)
    }

    #[test]
    fn strip_tree_is_the_pairwise_tree_per_lane() {
        for n in [0usize, 1, 2, 3, 7, 8, 9, 33, 100] {
            let mut strip = StripTree::new(0u64);
            let mut lanes = [Pairwise::new(), Pairwise::new(), Pairwise::new()];
            for b in 0..n {
                let mut p: [u64; 3] = std::array::from_fn(|j| (b * 3 + j) as u64);
                for (j, t) in lanes.iter_mut().enumerate() {
                    t.push(p[j], &join);
                }
                strip.push(&mut p, &join);
            }
            let mut root = [0u64; 3];
            let any = strip.finish_onto(&mut root, false, &join);
            for (j, t) in lanes.iter_mut().enumerate() {
                assert_eq!(t.finish(&join), any.then_some(root[j]), "n {n} lane {j}");
            }
        }
    }
}
