//! The pairwise tree of block partials for a panel of outputs reduced side by side (vertical
//! accumulation: the kept axis is the contiguous one).
//!
//! Every output of a panel sees the same blocks, so all share one tree shape: one stack of
//! entries holds a partial per output at each level, and the partials of the block being
//! accumulated sit in the slot above the top entry. The carry chain is the one of
//! [`Pairwise`](super::nest::Pairwise), applied lane by lane, so the splitting argument there
//! (chunks of `2^L` blocks are subtrees) holds here too.
//!
//! The panel is as wide as the storage allows for the number of blocks, up to [`PANEL`]
//! outputs: the driver then walks each row of a block in memory order across the panel, as a
//! hand-written column sum does, instead of jumping a whole row between short segments.

use std::mem::MaybeUninit;

/// Outputs one `accum` call covers: 256 f32 are 1 KiB of a row (and at most
/// [`BLOCK`](super::BLOCK), the size of the buffer a broadcast operand is spread into).
pub(super) const STRIP: usize = 256;

/// Widest panel: 4096 partials of f64 are 32 KiB, a hand loop's row of partials.
pub(super) const PANEL: usize = 4096;

/// Partials the tree stores (its entries plus the block being accumulated), in fixed (stack)
/// storage left uninitialized until used: 128 KiB of f64.
const CAP: usize = 16384;

/// Levels of the tree: a reduced range of fewer than `2^LEVELS` blocks fits (after `k`
/// pushes the chain holds `popcount(k)` entries). Longer ranges take the per-output path, a
/// choice that depends only on the shape.
pub(super) const LEVELS: usize = 20;

/// Most entries the chain holds while `pushes` blocks arrive: the largest `popcount(k)` for
/// `k <= pushes` (at least 1).
fn most_entries(pushes: usize) -> usize {
    let below = (usize::BITS - 1 - pushes.saturating_add(1).leading_zeros()) as usize;
    below.max(pushes.count_ones() as usize).max(1)
}

/// Panel width for `olen` outputs whose reduced range has `pushes` blocks: the panel (the
/// chain's entries plus the accumulating slot) fits the fixed storage and is at most `most`
/// wide; the outputs are cut into equal panels, multiples of 16 except the last.
pub(super) fn panel_width(olen: usize, pushes: usize, most: usize) -> usize {
    let fits = (CAP / (most_entries(pushes) + 1)).min(most).min(PANEL);
    let fits = if fits >= 16 { fits / 16 * 16 } else { fits.max(1) };
    let panels = olen.div_ceil(fits).max(1);
    olen.div_ceil(panels).next_multiple_of(16).min(fits).min(olen.max(1))
}

/// A carry chain of panels of partials, `width` per entry, in fixed (stack) storage.
pub(super) struct PanelTree<P> {
    buf: [MaybeUninit<P>; CAP],
    width: usize,
    level: [u32; LEVELS + 1],
    len: usize,
}

impl<P: Copy> PanelTree<P> {
    /// An empty chain for panels of `width` partials (from [`panel_width`] for the number of
    /// pushes to come, so every entry fits).
    pub(super) fn new(width: usize) -> Self {
        PanelTree {
            buf: [MaybeUninit::uninit(); CAP],
            width: width.min(PANEL),
            level: [0; LEVELS + 1],
            len: 0,
        }
    }

    /// Empties the chain and sets the width of its panels (as for [`new`](Self::new)).
    pub(super) fn reset(&mut self, width: usize) {
        (self.width, self.len) = (width.min(PANEL), 0);
    }

    /// The partials of `width` outputs in slot `k`, the first `filled` of them initialized.
    fn slot(&mut self, k: usize, filled: usize) -> &mut [P] {
        let w = self.width;
        let end = ((k + 1) * w).min(CAP);
        let s = &mut self.buf[(k * w).min(end)..end];
        // SAFETY: MaybeUninit<P> has the layout of P; the caller reads only slots it wrote
        // (every slot below `len` was filled by `acc` before it was pushed, and `acc` fills
        // the slot at `len` before handing it out), and `filled` counts the written lanes.
        unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<P>(), s.len().min(filled)) }
    }

    /// The partials of the next block (the slot above the chain), each set to `init`.
    pub(super) fn acc(&mut self, init: P) -> &mut [P] {
        let (k, w) = (self.len, self.width);
        let end = ((k + 1) * w).min(CAP);
        for x in &mut self.buf[(k * w).min(end)..end] {
            x.write(init);
        }
        self.slot(k, w)
    }

    /// Pushes the partials last handed out by [`acc`](Self::acc), merging equal levels as
    /// [`Pairwise::push`](super::nest::Pairwise::push) does (in place: the merged partials
    /// end in the slot of the lower entry).
    pub(super) fn push(&mut self, combine: &dyn Fn(P, P) -> P) {
        let mut level = 0u32;
        while self.len > 0 && self.level[self.len - 1] == level {
            self.fold_top(combine);
            level += 1;
        }
        if let Some(l) = self.level.get_mut(self.len) {
            *l = level;
            self.len += 1;
        }
    }

    /// Folds the slot at `len` into the entry below it (`below = combine(below, top)`) and
    /// pops that entry, so the result is again the slot at `len`.
    fn fold_top(&mut self, combine: &dyn Fn(P, P) -> P) {
        let w = self.width;
        self.len -= 1;
        let (lo, hi) = self.buf.split_at_mut(((self.len + 1) * w).min(CAP));
        let lo = &mut lo[self.len * w..];
        for (q, x) in lo.iter_mut().zip(hi.iter().take(w)) {
            // SAFETY: both slots were written before: the entry below `len` when it was
            // pushed, the slot above it by `acc` or by the previous fold.
            let (a, b) = unsafe { (q.assume_init(), x.assume_init()) };
            q.write(combine(a, b));
        }
    }

    /// Folds the chain from the top (newest) down, onto the partials last handed out by
    /// [`acc`](Self::acc) when `with_acc` (blocks that follow the chain's), and empties it.
    /// Returns the root, or `None` when there was nothing at all.
    pub(super) fn finish(&mut self, with_acc: bool, combine: &dyn Fn(P, P) -> P) -> Option<&[P]> {
        if !with_acc {
            if self.len == 0 {
                return None;
            }
            self.len -= 1;
        }
        while self.len > 0 {
            self.fold_top(combine);
        }
        let w = self.width;
        Some(&*self.slot(0, w))
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
    fn panel_tree_is_the_pairwise_tree_per_lane() {
        for n in [0usize, 1, 2, 3, 7, 8, 9, 33, 100] {
            for with_last in [false, true] {
                let mut tree = PanelTree::new(3);
                let mut lanes = [Pairwise::new(), Pairwise::new(), Pairwise::new()];
                for b in 0..n {
                    let acc = tree.acc(0);
                    for (j, (x, t)) in acc.iter_mut().zip(lanes.iter_mut()).enumerate() {
                        *x = (b * 3 + j) as u64;
                        t.push(*x, &join);
                    }
                    tree.push(&join);
                }
                let last: Vec<Option<u64>> = (0..3).map(|j| with_last.then_some(1000 + j)).collect();
                if with_last {
                    tree.acc(0).copy_from_slice(&[1000, 1001, 1002]);
                }
                let root = tree.finish(with_last, &join).map(|r| r.to_vec());
                for (j, t) in lanes.iter_mut().enumerate() {
                    let want = t.finish_onto(last[j], &join);
                    assert_eq!(root.as_ref().map(|r| r[j]), want, "n {n} lane {j} last {with_last}");
                }
            }
        }
    }

    #[test]
    fn entries_bound_the_chain_and_panels_fit() {
        for pushes in 0..2000usize {
            let most = (1..=pushes).map(|k| k.count_ones() as usize).max().unwrap_or(0).max(1);
            assert_eq!(most_entries(pushes), most, "pushes {pushes}");
        }
        for (olen, pushes) in [(4096, 8), (4096, 1), (64, 512), (5000, 3), (1, 1), (17, 1 << 19), (8, 0)] {
            let w = panel_width(olen, pushes, PANEL);
            assert!(w >= 1 && w <= olen.max(1) && w <= PANEL, "{olen} {pushes}: {w}");
            assert!((most_entries(pushes) + 1) * w <= CAP, "{olen} {pushes}: {w}");
        }
        assert_eq!(panel_width(4096, 8, PANEL), 4096);
        assert_eq!(panel_width(4096, 1 << 19, PANEL), 688);
        assert_eq!(panel_width(8192, 1, PANEL), 4096);
        assert_eq!(panel_width(64, 512, PANEL), 64);
        assert_eq!(panel_width(600, 6, STRIP), 208);
    }
}
