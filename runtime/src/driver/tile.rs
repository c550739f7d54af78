//! Tiles of a transposed operand: the gather that turns up to `TILE_ROWS` far-strided runs into
//! rows of an L1 tile, with in-register transposes of 8 x 8 (32-bit) or 4 x 4 (64-bit) blocks.
//!
//! A transposed operand is unit-stride across the runs of the pass and far-strided along them
//! (a new page per element). The tiled path reads it along its contiguous direction, one
//! column of the tile (up to `TILE_ROWS` consecutive elements) at a time, and writes the tile
//! row by row. Loading one element per row of the tile and storing it with a scalar move is
//! what the gather costs without transposes; with them, `L` columns of `L` elements are loaded
//! as `L` vectors, transposed in registers and stored as `L` rows, so every load and store is a
//! whole vector. Edges narrower than a block take the scalar path. The bits are moved, never
//! converted, so the result does not depend on the path.

use super::prefetch;
use crate::element::{DType, Element};
use array_expr_kernels::simd::{transpose4x4_u64, transpose8x8_u32};

/// Runs of a tile.
pub(super) const TILE_ROWS: usize = 64;

/// The most elements per run of a tile; a pass takes [`tile_cols`] of them.
pub(super) const TILE_COLS: usize = 128;

/// One tile: `tile[r * tw + c]` is element `c` of run `r`, for the pass's `tw` columns
/// (rows packed: with the longest rows' stride, 64-element rows would use half of every
/// 512-byte stretch and so half the L1 sets).
pub(super) type Tile<A> = [A; TILE_ROWS * TILE_COLS];

/// Elements per run of a pass's tiles when its widest element (output or operand) has
/// `widest` bytes: 512 bytes of it for a pass over memory (`large`), i.e. 64 x 128 f32
/// (32 KiB) or 64 x 64 f64, 256 bytes otherwise. Against 256-byte runs, 4096² `a + b.T` ran
/// 8-13% faster and 1024² about 10%, paired (1 KiB runs were slower again, and fewer runs,
/// 32 or 48, slower still: each column of the transposed operand is then a shorter read on a
/// page of its own). An in-cache pass keeps the 16 KiB tile (64 x 64 f32), which leaves
/// half of L1 to the rows of the other operands.
pub(super) fn tile_cols(widest: usize, large: bool) -> usize {
    (if large { 512 } else { 256 } / widest.max(1)).clamp(16, TILE_COLS)
}

/// Fills `tile[r * tw + c]` for `r < rows`, `c < n` with the element at
/// `off + (c0 + c) * st + r` of `base`: columns `cols = c0..c0 + n` (unit stride along a
/// column), `st` apart. Element by element (edges narrower than a block), it prefetches the
/// column 8 ahead of each one it reads.
///
/// # Safety
///
/// For every `c < n` and `r < rows`, `base.offset(off + (c0 + c) as isize * st + r as isize)`
/// is a valid, initialized element (the caller derives `off`, `st` from a nest planned over a
/// view of `base`); `n <= tw <= TILE_COLS` and `rows <= TILE_ROWS`.
pub(super) unsafe fn gather<A: Element>(
    tile: &mut Tile<A>,
    base: *const A,
    off: isize,
    st: isize,
    cols: std::ops::Range<usize>,
    rows: usize,
    tw: usize,
) {
    let (c0, n) = (cols.start, cols.len());
    let at = |c: usize| off + (c0 + c) as isize * st;
    let lines = (rows * size_of::<A>()).div_ceil(64);
    // only plain numbers of 4 or 8 bytes: every bit is initialized and any pattern read back
    // as the same type is the value that was there
    let done = match A::DTYPE {
        // SAFETY: the caller's contract is this one's; A is a 4-byte number (matched).
        DType::F32 | DType::I32 | DType::U32 => unsafe {
            blocks::<A, u32, 8>(tile, tw, base, at, n, rows, transpose8x8_u32)
        },
        // SAFETY: as above; A is an 8-byte number (matched).
        DType::F64 | DType::I64 | DType::U64 => unsafe {
            blocks::<A, u64, 4>(tile, tw, base, at, n, rows, transpose4x4_u64)
        },
        _ => false,
    };
    if done {
        return;
    }
    for c in 0..n {
        prefetch(base.wrapping_offset(at(c + 8)), lines);
        for r in 0..rows {
            // SAFETY: c < n and r < rows: a valid element by the contract.
            tile[r * tw + c] = unsafe { *base.offset(at(c) + r as isize) };
        }
    }
}

/// The `L x L` blocks of [`gather`]: whether they filled the tile, which they do when there
/// are at least `L` columns and `L` rows (otherwise they do nothing and [`gather`] copies
/// element by element). A count that is not a multiple of `L` ends with a block that overlaps
/// the one before it (the shared elements are written twice, with the same bits): panels that
/// start on a cache line have any number of rows, and a scalar remainder cost a 256 x 256
/// `a + b.T` 30% more instructions in the gather. `W` is the unsigned integer of `A`'s size.
///
/// # Safety
///
/// As for [`gather`], with `at(c)` the offset of column `c`; and `size_of::<A>() ==
/// size_of::<W>()`, `A` a plain number type (all bits initialized, every pattern valid).
#[inline(always)]
unsafe fn blocks<A: Element, W: Copy, const L: usize>(
    tile: &mut Tile<A>,
    tw: usize,
    base: *const A,
    at: impl Fn(usize) -> isize,
    n: usize,
    rows: usize,
    transpose: fn([[W; L]; L]) -> [[W; L]; L],
) -> bool {
    if size_of::<A>() != size_of::<W>() || n < L || rows < L || n > tw || rows * tw > tile.len() {
        return false;
    }
    // blocks start at every multiple of L up to count - L, and at count - L itself. No fetch
    // of the columns ahead here: a pass over memory has fetched them into L2 two tiles before
    // (the zip driver), and fetching them again into L1, 8 columns ahead, cost time (4096²
    // `a + b.T` 12.4-13.3 ms with, 12.0-12.6 without)
    let mut next_c = 0;
    while next_c < n {
        let c = next_c.min(n - L);
        next_c = c + L;
        let mut next_r = 0;
        while next_r < rows {
            let r = next_r.min(rows - L);
            next_r = r + L;
            let block: [[W; L]; L] = std::array::from_fn(|j| {
                // SAFETY: columns c + j < c + L <= n and rows r..r + L <= rows are valid
                // elements by the contract, L consecutive ones (unit stride along a column);
                // A and W have the same size (checked above) and A's bits are all initialized,
                // so they read as L values of W (unaligned read: A's alignment may be less).
                unsafe { base.offset(at(c + j) + r as isize).cast::<[W; L]>().read_unaligned() }
            });
            for (i, row) in transpose(block).iter().enumerate() {
                // SAFETY: elements (r + i) * tw + c .. + L of the tile, inside it: r + i <
                // rows and c + L <= n <= tw, so the end is at most rows * tw <= tile.len()
                // (both checked on entry); A has W's size, and each lane holds the bits of an
                // A read above, a valid A (plain number); unaligned write.
                unsafe { tile.as_mut_ptr().add((r + i) * tw + c).cast::<[W; L]>().write_unaligned(*row) };
            }
        }
    }
    true
}
