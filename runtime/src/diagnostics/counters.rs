//! Counters per kernel and process-wide, and the `tracing` spans behind the `tracing` feature.

use crate::element::DType;
use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::Instant;

/// The counted quantities, as atomics.
struct Counts([AtomicU64; FIELDS]);

/// Number of counted quantities (the fields of [`Counters`]).
const FIELDS: usize = 13;

/// Field indices into [`Counts`], in the order of [`Counters`] and of the CSV columns.
mod f {
    pub(super) const CALLS: usize = 0;
    pub(super) const ELEMENTS: usize = 1;
    pub(super) const BYTES_READ: usize = 2;
    pub(super) const BYTES_WRITTEN: usize = 3;
    pub(super) const PASSES: usize = 4;
    pub(super) const PARALLEL_PASSES: usize = 5;
    pub(super) const MAX_THREADS: usize = 6;
    pub(super) const ALLOCATIONS: usize = 7;
    pub(super) const BYTES_ALLOCATED: usize = 8;
    pub(super) const TEMPORARIES: usize = 9;
    pub(super) const LAYOUT_COPIES: usize = 10;
    pub(super) const LAYOUT_COPY_BYTES: usize = 11;
    pub(super) const TIME_NS: usize = 12;
}

const NAMES: [&str; FIELDS] = [
    "calls",
    "elements",
    "bytes_read",
    "bytes_written",
    "passes",
    "parallel_passes",
    "max_threads",
    "allocations",
    "bytes_allocated",
    "temporaries",
    "layout_copies",
    "layout_copy_bytes",
    "time_ns",
];

impl Counts {
    const fn new() -> Self {
        Counts([const { AtomicU64::new(0) }; FIELDS])
    }

    fn add(&self, field: usize, n: u64) {
        if field == f::MAX_THREADS {
            self.0[field].fetch_max(n, Relaxed);
        } else {
            self.0[field].fetch_add(n, Relaxed);
        }
    }

    fn snapshot(&self) -> Counters {
        Counters(std::array::from_fn(|i| self.0[i].load(Relaxed)))
    }

    fn reset(&self) {
        self.0.iter().for_each(|c| c.store(0, Relaxed));
    }
}

/// A snapshot of counters: of one kernel ([`kernel_counters`]) or of the whole process
/// ([`global_counters`]).
///
/// Bytes read count the distinct elements of each operand once per pass (a broadcast operand
/// counts its own size, not the broadcast one); bytes written count the outputs of every pass
/// (temporaries included). `max_threads` is the most threads one pass used.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::diagnostics::global_counters;
/// let c = global_counters();
/// assert!(c.passes() >= c.parallel_passes());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters([u64; FIELDS]);

macro_rules! getters {
    ($($(#[$doc:meta])* $name:ident = $i:path;)*) => {
        impl Counters {
            $($(#[$doc])* pub fn $name(&self) -> u64 { self.0[$i] })*
        }
    };
}

getters! {
    /// Kernel calls (for the process-wide counters: calls of every kernel).
    calls = f::CALLS;
    /// Elements visited by all passes.
    elements = f::ELEMENTS;
    /// Bytes of operands read by all passes.
    bytes_read = f::BYTES_READ;
    /// Bytes written by all passes.
    bytes_written = f::BYTES_WRITTEN;
    /// Loop passes run (elementwise, reductions, GEMM calls).
    passes = f::PASSES;
    /// Passes that ran on more than one thread.
    parallel_passes = f::PARALLEL_PASSES;
    /// Most threads one pass used.
    max_threads = f::MAX_THREADS;
    /// Arrays allocated by kernels (outputs and temporaries), an output served from the output
    /// pool included (how many were: [`crate::alloc::pool_stats`]).
    allocations = f::ALLOCATIONS;
    /// Bytes of those arrays.
    bytes_allocated = f::BYTES_ALLOCATED;
    /// Temporaries among the allocations (reduced-shape values a plan needs twice, GEMM inputs).
    temporaries = f::TEMPORARIES;
    /// Copies made to change a layout (see [`super::layout_copies`]).
    layout_copies = f::LAYOUT_COPIES;
    /// Bytes of those copies.
    layout_copy_bytes = f::LAYOUT_COPY_BYTES;
    /// Wall time inside kernel calls, in nanoseconds.
    time_ns = f::TIME_NS;
}

impl Counters {
    /// The column names of [`counters_csv`], in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::diagnostics::Counters;
    /// assert_eq!(Counters::names()[0], "calls");
    /// ```
    pub fn names() -> [&'static str; FIELDS] {
        NAMES
    }

    /// The values in the order of [`Counters::names`].
    ///
    /// # Examples
    ///
    /// ```
    /// use array_expr_runtime::diagnostics::Counters;
    /// assert_eq!(Counters::default().values(), [0; 13]);
    /// ```
    pub fn values(&self) -> [u64; FIELDS] {
        self.0
    }

    fn merge(&mut self, o: &Counters) {
        for i in 0..FIELDS {
            self.0[i] = if i == f::MAX_THREADS { self.0[i].max(o.0[i]) } else { self.0[i] + o.0[i] };
        }
    }
}

/// The counters of one kernel: a `static` the macro emits in every kernel function. Several
/// statics with the same name (a kernel's `name` and `name_into`) are reported as one kernel.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::diagnostics::{kernel_counters, Kernel, KernelScope};
/// static K: Kernel = Kernel::new("docs::my_kernel");
/// {
///     let _scope = KernelScope::enter(&K); // what a generated kernel does first
/// }
/// let mine = kernel_counters().into_iter().find(|k| k.name == "docs::my_kernel").unwrap();
/// assert_eq!(mine.counters.calls(), 1);
/// ```
pub struct Kernel {
    name: &'static str,
    registered: AtomicBool,
    counts: Counts,
}

impl Kernel {
    /// Counters for the kernel `name` (by convention `module::path::kernel`).
    pub const fn new(name: &'static str) -> Self {
        Kernel { name, registered: AtomicBool::new(false), counts: Counts::new() }
    }

    /// Adds the kernel to the registry [`kernel_counters`] reads, once.
    fn register(&'static self) {
        if self.registered.swap(true, Relaxed) {
            return;
        }
        let slot = NEXT_SLOT.fetch_add(1, Relaxed);
        if let Some(s) = REGISTRY.get(slot) {
            let _ = s.set(self);
        }
    }
}

/// Most kernels listed by [`kernel_counters`]; further kernels count in the global counters
/// only. A fixed table, so that registering never allocates.
pub const MAX_KERNELS: usize = 2048;

static REGISTRY: [OnceLock<&'static Kernel>; MAX_KERNELS] = [const { OnceLock::new() }; MAX_KERNELS];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);
static GLOBAL: Counts = Counts::new();
static ENABLED: AtomicBool = AtomicBool::new(true);

thread_local! {
    static CURRENT: Cell<Option<&'static Kernel>> = const { Cell::new(None) };
}

/// Turns counting on or off (on by default). Off, a kernel call costs one relaxed atomic load
/// more than with no counters at all.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::diagnostics::{counters_enabled, set_counters_enabled};
/// set_counters_enabled(false);
/// assert!(!counters_enabled());
/// set_counters_enabled(true);
/// ```
pub fn set_counters_enabled(on: bool) {
    ENABLED.store(on, Relaxed);
}

/// Whether counters are recorded (see [`set_counters_enabled`]).
///
/// # Examples
///
/// ```
/// assert!(array_expr_runtime::diagnostics::counters_enabled());
/// ```
pub fn counters_enabled() -> bool {
    ENABLED.load(Relaxed)
}

/// Adds `n` to `field` of the global counters and of the kernel running on this thread.
fn record(field: usize, n: u64) {
    GLOBAL.add(field, n);
    if let Some(k) = CURRENT.with(Cell::get) {
        k.counts.add(field, n);
    }
}

/// A kernel call in progress: counts the call and its time, and attributes the passes,
/// allocations and copies made on this thread meanwhile to the kernel. Generated kernels enter
/// one first thing; nested scopes (a kernel calling another) count toward the outer one.
///
/// # Examples
///
/// See [`Kernel`].
pub struct KernelScope {
    kernel: Option<&'static Kernel>,
    start: Option<Instant>,
    #[cfg(feature = "tracing")]
    _span: tracing::span::EnteredSpan,
}

impl KernelScope {
    /// Enters a call of `kernel` on this thread.
    pub fn enter(kernel: &'static Kernel) -> Self {
        #[cfg(feature = "tracing")]
        let _span = tracing::info_span!("array_expr.kernel", kernel = kernel.name).entered();
        let outer = CURRENT.with(Cell::get).is_some();
        let (kernel, start) = if counters_enabled() && !outer {
            kernel.register();
            CURRENT.with(|c| c.set(Some(kernel)));
            (Some(kernel), Some(Instant::now()))
        } else {
            (None, None)
        };
        KernelScope {
            kernel,
            start,
            #[cfg(feature = "tracing")]
            _span,
        }
    }
}

impl Drop for KernelScope {
    fn drop(&mut self) {
        let Some(k) = self.kernel else { return };
        let ns = self.start.map_or(0, |s| s.elapsed().as_nanos() as u64);
        for (field, n) in [(f::CALLS, 1), (f::TIME_NS, ns)] {
            GLOBAL.add(field, n);
            k.counts.add(field, n);
        }
        CURRENT.with(|c| c.set(None));
    }
}

/// What a driver tells about one pass.
pub(crate) struct PassInfo<'a> {
    pub(crate) driver: &'static str,
    pub(crate) dtype: DType,
    pub(crate) shape: &'a [usize],
    pub(crate) contiguous: bool,
    pub(crate) elements: usize,
    pub(crate) read: usize,
    pub(crate) written: usize,
    pub(crate) threads: usize,
}

/// Lives for one pass: its `tracing` span, when the feature is on.
pub(crate) struct PassGuard {
    #[cfg(feature = "tracing")]
    _span: tracing::span::EnteredSpan,
}

/// Records a pass (counters) and enters its span (feature `tracing`).
pub(crate) fn pass(info: PassInfo<'_>) -> PassGuard {
    if counters_enabled() {
        let threads = info.threads.max(1) as u64;
        record(f::PASSES, 1);
        record(f::PARALLEL_PASSES, u64::from(threads > 1));
        record(f::MAX_THREADS, threads);
        record(f::ELEMENTS, info.elements as u64);
        record(f::BYTES_READ, info.read as u64);
        record(f::BYTES_WRITTEN, info.written as u64);
    }
    #[cfg(not(feature = "tracing"))]
    let _ = (info.driver, info.dtype, info.shape, info.contiguous);
    PassGuard {
        #[cfg(feature = "tracing")]
        _span: tracing::debug_span!(
            "array_expr.pass",
            driver = info.driver,
            dtype = info.dtype.name(),
            shape = ?info.shape,
            contiguous = info.contiguous,
            threads = info.threads.max(1),
        )
        .entered(),
    }
}

/// Records an array a kernel allocated (`temporary`: not one of its outputs).
pub(crate) fn record_allocation(bytes: usize, temporary: bool) {
    if counters_enabled() && bytes > 0 {
        record(f::ALLOCATIONS, 1);
        record(f::BYTES_ALLOCATED, bytes as u64);
        record(f::TEMPORARIES, u64::from(temporary));
    }
}

/// Records a layout copy in the counters.
pub(crate) fn record_copy(bytes: usize) {
    if counters_enabled() {
        record(f::LAYOUT_COPIES, 1);
        record(f::LAYOUT_COPY_BYTES, bytes as u64);
    }
}

/// The process-wide counters (every kernel, plus passes and copies made outside kernels,
/// e.g. by [`crate::gemm::gemm`] or `to_c_contiguous`).
///
/// # Examples
///
/// ```
/// let c = array_expr_runtime::diagnostics::global_counters();
/// assert!(c.allocations() >= c.temporaries());
/// ```
pub fn global_counters() -> Counters {
    GLOBAL.snapshot()
}

/// The counters of one kernel, by name.
///
/// # Examples
///
/// See [`Kernel`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelCounters {
    /// `module::path::kernel` (inline forms: `module::path::inline@line`).
    pub name: &'static str,
    /// Its counters.
    pub counters: Counters,
}

/// The counters of every kernel called so far, sorted by name.
///
/// # Examples
///
/// See [`Kernel`].
pub fn kernel_counters() -> Vec<KernelCounters> {
    let mut out: Vec<KernelCounters> = Vec::new();
    for k in REGISTRY.iter().filter_map(|s| s.get()) {
        let snap = k.counts.snapshot();
        match out.iter_mut().find(|e| e.name == k.name) {
            Some(e) => e.counters.merge(&snap),
            None => out.push(KernelCounters { name: k.name, counters: snap }),
        }
    }
    out.sort_by(|a, b| a.name.cmp(b.name));
    out
}

/// Sets every counter (global and per kernel) back to zero.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::diagnostics::{global_counters, reset_counters};
/// reset_counters();
/// // other threads may count again right away; on this one nothing ran since
/// let _ = global_counters();
/// ```
pub fn reset_counters() {
    GLOBAL.reset();
    REGISTRY.iter().filter_map(|s| s.get()).for_each(|k| k.counts.reset());
}

/// The per-kernel counters as CSV: a header `kernel,calls,elements,...`, one line per kernel
/// (sorted by name) and a last line `(all)` with the process-wide counters.
///
/// # Examples
///
/// ```
/// let csv = array_expr_runtime::diagnostics::counters_csv();
/// assert!(csv.starts_with("kernel,calls,elements,bytes_read,bytes_written,passes,"));
/// assert!(csv.lines().last().unwrap().starts_with("(all),"));
/// ```
pub fn counters_csv() -> String {
    let mut s = format!("kernel,{}\n", NAMES.join(","));
    let rows = kernel_counters().into_iter().map(|k| (k.name, k.counters));
    for (name, c) in rows.chain([("(all)", global_counters())]) {
        let name = if name.contains([',', '"']) {
            format!("\"{}\"", name.replace('"', "\"\""))
        } else {
            name.into()
        };
        let _ = write!(s, "{name}");
        c.values().iter().for_each(|v| {
            let _ = write!(s, ",{v}");
        });
        s.push('\n');
    }
    s
}

/// The output of a kernel's allocating form, counted like [`alloc_counted`]: a buffer from the
/// output pool when one of its size is there (see [`crate::alloc`]; its stale values are all
/// overwritten by the kernel, which writes every element), else fresh zeroed memory. The guard
/// marks fresh outputs for the drivers ([`crate::driver::fresh_outputs`]); drop it after the
/// kernel's passes. Generated code calls it.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::diagnostics::alloc_output;
/// let (mut out, _fresh) = alloc_output::<f32, 2>([4, 8])?;
/// out.view_mut().fill(1.0); // a kernel writes every element
/// assert_eq!(out.shape(), [4, 8]);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when the array's size overflows.
pub fn alloc_output<T: crate::Element, const D: usize>(
    shape: [usize; D],
) -> crate::Result<(crate::Array<T, D>, crate::driver::FreshOutputs)> {
    let (a, fresh) = crate::Array::try_output(shape)?;
    record_allocation(a.len() * std::mem::size_of::<T>(), false);
    Ok((a, crate::driver::fresh_outputs_if(fresh)))
}

/// A temporary of a kernel's plan that the kernel writes entirely before it reads any of it
/// (a reduction's reduced-shape values, a materialized GEMM operand or product), counted as a
/// temporary: see [`Temporary`](crate::alloc::Temporary) (a buffer from the output pool when
/// one of its size is there, back to the pool when it drops). Generated code calls it.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::diagnostics::{alloc_temporary, global_counters};
/// let before = global_counters().temporaries();
/// let mut t = alloc_temporary::<f32, 2>([4, 8])?;
/// t.view_mut().fill(0.5); // the kernel writes every element before reading
/// assert_eq!(t.shape(), [4, 8]);
/// assert!(global_counters().temporaries() >= before + 1);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when the array's size overflows.
pub fn alloc_temporary<T: crate::Element, const D: usize>(
    shape: [usize; D],
) -> crate::Result<crate::alloc::Temporary<T, D>> {
    let t = crate::alloc::Temporary::new(shape)?;
    record_allocation(t.len() * std::mem::size_of::<T>(), true);
    Ok(t)
}

/// A zero-filled array allocated by a kernel (its output, or with `temporary` a temporary of
/// its plan), counted in the kernel's and the global counters.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::diagnostics::{alloc_counted, global_counters};
/// let before = global_counters().temporaries();
/// let t = alloc_counted::<f32, 2>([4, 8], true)?;
/// assert_eq!(t.shape(), [4, 8]);
/// assert!(global_counters().temporaries() >= before + 1);
/// # Ok::<(), array_expr_runtime::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::Overflow`](crate::ErrorKind::Overflow) when the array's size overflows.
pub fn alloc_counted<T: crate::Element, const D: usize>(
    shape: [usize; D],
    temporary: bool,
) -> crate::Result<crate::Array<T, D>> {
    let a = crate::Array::try_full(shape, T::ZERO)?;
    record_allocation(a.len() * std::mem::size_of::<T>(), temporary);
    Ok(a)
}
