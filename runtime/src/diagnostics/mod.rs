//! What the runtime can tell about itself: [`show_config`] (build, CPU, GEMM, threads and the
//! thread variables of other libraries), counters per kernel and process-wide, and layout
//! copies.
//!
//! # Counters
//!
//! Every kernel the macro generates counts its calls, the elements, bytes read and written,
//! passes and threads of its loops, the arrays it allocated (outputs and temporaries), the
//! layout copies made during the call and its wall time ([`kernel_counters`],
//! [`global_counters`], [`counters_csv`]). Counting costs a few relaxed atomic additions per
//! pass and two clock reads per call: about 50 ns a call, far below 1% of a kernel over a
//! million elements (see BENCHMARKS.md); [`set_counters_enabled`] turns it off.
//!
//! With the `tracing` feature, each kernel call is an `info` span `array_expr.kernel`
//! (field `kernel`) and each pass a `debug` span `array_expr.pass` (fields `driver`, `dtype`,
//! `shape`, `contiguous`, `threads`), so they land in the program's subscriber.
//!
//! # Examples
//!
//! ```
//! use array_expr_runtime::diagnostics;
//! println!("{}", diagnostics::show_config());
//! print!("{}", diagnostics::counters_csv());
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

mod config;
mod counters;

pub use config::{show_config, Config};
pub use counters::{
    alloc_counted, alloc_output, alloc_temporary, counters_csv, counters_enabled, global_counters,
    kernel_counters, reset_counters, set_counters_enabled, Counters, Kernel, KernelCounters, KernelScope,
    MAX_KERNELS,
};
pub(crate) use counters::{pass, PassInfo};

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
    counters::record_copy(bytes);
}
