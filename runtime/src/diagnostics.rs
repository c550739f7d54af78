//! Process-wide counters the runtime keeps (layout copies for now; per-kernel counters and
//! `show_config()` come with the diagnostics issue).

use std::sync::atomic::{AtomicU64, Ordering};

static LAYOUT_COPIES: AtomicU64 = AtomicU64::new(0);
static LAYOUT_COPY_BYTES: AtomicU64 = AtomicU64::new(0);

/// Counts of copies the runtime made to change a layout (normalizing, GEMM operands).
///
/// # Examples
///
/// ```
/// use array_expr_runtime::{diagnostics, Array};
/// let a = Array::<f32, 2>::zeros([4, 4]);
/// let before = diagnostics::layout_copies();
/// let _c = a.t().to_c_contiguous(); // needs a copy
/// let after = diagnostics::layout_copies();
/// assert!(after.copies >= before.copies + 1);
/// assert!(after.bytes >= before.bytes + 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyStats {
    /// Number of copies made.
    pub copies: u64,
    /// Total bytes copied.
    pub bytes: u64,
}

/// The process-wide layout copy counters.
pub fn layout_copies() -> CopyStats {
    CopyStats {
        copies: LAYOUT_COPIES.load(Ordering::Relaxed),
        bytes: LAYOUT_COPY_BYTES.load(Ordering::Relaxed),
    }
}

/// Records one layout copy of `bytes` bytes.
pub(crate) fn record_layout_copy(bytes: usize) {
    LAYOUT_COPIES.fetch_add(1, Ordering::Relaxed);
    LAYOUT_COPY_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
}
