//! Tiles of a transposed operand: the gather that turns `TILE` far-strided runs into rows of an
//! L1 tile, with in-register transposes of 8 x 8 (32-bit) or 4 x 4 (64-bit) blocks.
//!
//! A transposed operand is unit-stride across the runs of the pass and far-strided along them
//! (a new page per element). The tiled path reads it along its contiguous direction, one
//! column of the tile (up to `TILE` consecutive elements) at a time, and writes the tile row by
//! row. Loading one element per row of the tile and storing it with a scalar move is what the
//! gather costs without transposes; with them, `L` columns of `L` elements are loaded as `L`
//! vectors, transposed in registers and stored as `L` rows, so every load and store is a whole
//! vector. Edges narrower than a block take the scalar path. The bits are moved, never
//! converted, so the result does not depend on the path.

use super::prefetch;
use crate::element::{DType, Element};
use array_expr_kernels::simd::{transpose4x4_u64, transpose8x8_u32};

/// Runs (and elements per run) of a tile: 64 x 64 f32 is 16 KiB, in L1.
pub(super) const TILE: usize = 64;

/// One tile: `tile[r][c]` is element `c` of run `r`.
pub(super) type Tile<A> = [[A; TILE]; TILE];

/// Fills `tile[r][c]` for `r < rows`, `c < n` with the element at `off + (c0 + c) * st + r`
/// of `base`: `n` columns (unit stride along a column), starting at column `c0`, `st` apart.
/// Prefetches the column 8 ahead of each one it reads.
///
/// # Safety
///
/// For every `c < n` and `r < rows`, `base.offset(off + (c0 + c) as isize * st + r as isize)`
/// is a valid, initialized element (the caller derives `off`, `st` from a nest planned over a
/// view of `base`); `n <= TILE` and `rows <= TILE`.
pub(super) unsafe fn gather<A: Element>(
    tile: &mut Tile<A>,
    base: *const A,
    off: isize,
    st: isize,
    c0: usize,
    n: usize,
    rows: usize,
) {
    let at = |c: usize| off + (c0 + c) as isize * st;
    let lines = (rows * size_of::<A>()).div_ceil(64);
    // only plain numbers of 4 or 8 bytes: every bit is initialized and any pattern read back
    // as the same type is the value that was there
    let (nb, rb) = match A::DTYPE {
        // SAFETY: the caller's contract is this one's; A is a 4-byte number (matched).
        DType::F32 | DType::I32 | DType::U32 => unsafe {
            blocks::<A, u32, 8>(tile, base, at, n, rows, transpose8x8_u32)
        },
        // SAFETY: as above; A is an 8-byte number (matched).
        DType::F64 | DType::I64 | DType::U64 => unsafe {
            blocks::<A, u64, 4>(tile, base, at, n, rows, transpose4x4_u64)
        },
        _ => (0, 0),
    };
    for c in 0..n {
        if c >= nb {
            prefetch(base.wrapping_offset(at(c + 8)), lines);
        }
        let from = if c < nb { rb } else { 0 };
        for (r, row) in tile.iter_mut().enumerate().take(rows).skip(from) {
            // SAFETY: c < n and r < rows: a valid element by the contract.
            row[c] = unsafe { *base.offset(at(c) + r as isize) };
        }
    }
}

/// The whole `L x L` blocks of [`gather`]: columns `0..nb`, rows `0..rb` (multiples of `L`),
/// returned as `(nb, rb)`. `W` is the unsigned integer of `A`'s size.
///
/// # Safety
///
/// As for [`gather`], with `at(c)` the offset of column `c`; and `size_of::<A>() ==
/// size_of::<W>()`, `A` a plain number type (all bits initialized, every pattern valid).
#[inline(always)]
unsafe fn blocks<A: Element, W: Copy, const L: usize>(
    tile: &mut Tile<A>,
    base: *const A,
    at: impl Fn(usize) -> isize,
    n: usize,
    rows: usize,
    transpose: fn([[W; L]; L]) -> [[W; L]; L],
) -> (usize, usize) {
    if size_of::<A>() != size_of::<W>() {
        return (0, 0);
    }
    let (nb, rb) = (n / L * L, rows / L * L);
    let lines = (rows * size_of::<A>()).div_ceil(64);
    for c in (0..nb).step_by(L) {
        for j in 0..L {
            prefetch(base.wrapping_offset(at(c + j + 8)), lines);
        }
        for r in (0..rb).step_by(L) {
            let block: [[W; L]; L] = std::array::from_fn(|j| {
                // SAFETY: columns c + j < nb <= n and rows r..r + L <= rb <= rows are valid
                // elements by the contract, L consecutive ones (unit stride along a column);
                // A and W have the same size (checked above) and A's bits are all initialized,
                // so they read as L values of W (unaligned read: A's alignment may be less).
                unsafe { base.offset(at(c + j) + r as isize).cast::<[W; L]>().read_unaligned() }
            });
            for (i, row) in transpose(block).iter().enumerate() {
                let dst = &mut tile[r + i][c..c + L];
                // SAFETY: `dst` is L elements of A (c + L <= nb <= n <= TILE), the same bytes as
                // [W; L]; each lane holds the bits of an A read above, a valid A (plain number).
                unsafe { dst.as_mut_ptr().cast::<[W; L]>().write_unaligned(*row) };
            }
        }
    }
    (nb, rb)
}
