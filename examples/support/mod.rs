//! Helpers shared by the examples (`mod support;`): a global allocator that tracks live and
//! peak heap bytes, command-line flags, best-of-N timing and number formatting.
//!
//! Peak memory is measured, not estimated: every example runs with [`PeakAlloc`] as its global
//! allocator, which forwards to the system allocator and keeps two counters (bytes live now and
//! the highest value since the last reset). [`measure`] resets the peak to the current live
//! bytes, runs a closure and reports how far above that starting point the heap went, so
//! inputs allocated earlier are not counted and every temporary and output made inside is.
//! Memory-mapped files and thread stacks are not heap allocations and are not counted.
//! [`measure`] empties array-expr's output pool first (`array_expr::alloc::trim_pool`): a
//! buffer kept from an earlier run would otherwise serve this run's output without showing in
//! its peak, and its time would not include the first touch of fresh pages.

// Each example uses a subset of these helpers.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::error::Error;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The system allocator plus a live-bytes and a peak-bytes counter.
pub(crate) struct PeakAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds because it holds for `System`; the counters only observe sizes.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract (non-zero size), passed on as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`; `System.alloc_zeroed` has the same contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: `ptr` came from this allocator (so from `System`) with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator (so from `System`) with `layout`, and the
        // caller guarantees `new_size` is valid for it, as `GlobalAlloc::realloc` requires.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // count the size change only: glibc grows large blocks in place or by remapping
            let old = layout.size();
            if new_size >= old {
                grew(new_size - old);
            } else {
                shrank(old - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: PeakAlloc = PeakAlloc;

/// Heap bytes live right now.
pub(crate) fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// One measured run: the closure's value, its wall time and the peak heap bytes it added.
pub(crate) struct Run<T> {
    /// What the closure returned.
    pub(crate) value: T,
    /// Wall time in seconds.
    pub(crate) secs: f64,
    /// Highest heap size during the run minus the heap size at its start.
    pub(crate) peak: usize,
}

/// Runs `f` once, timing it and measuring the peak heap bytes it adds.
pub(crate) fn measure<T, E>(f: impl FnOnce() -> Result<T, E>) -> Result<Run<T>, E> {
    array_expr::alloc::trim_pool();
    let base = live_bytes();
    PEAK.store(base, Ordering::Relaxed);
    let t = Instant::now();
    let value = f()?;
    let secs = t.elapsed().as_secs_f64();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    Ok(Run { value, secs, peak })
}

/// Runs `f` `reps` times (at least once): the last value, the fastest time and the highest
/// peak. The fastest time is the least disturbed by other work on a shared machine.
pub(crate) fn best_of<T, E>(reps: usize, mut f: impl FnMut() -> Result<T, E>) -> Result<Run<T>, E> {
    let mut best = measure(&mut f)?;
    for _ in 1..reps {
        let run = measure(&mut f)?;
        best = Run { value: run.value, secs: best.secs.min(run.secs), peak: best.peak.max(run.peak) };
    }
    Ok(best)
}

/// The command line every example accepts: `--small` (or `ARRAY_EXPR_SMALL=1`) for the CI
/// size, `--help`, and positional arguments (file paths) where the example takes them.
pub(crate) struct Args {
    /// Small sizes: the whole example runs in seconds (CI mode).
    pub(crate) small: bool,
    /// Arguments that are not flags, in order.
    pub(crate) positional: Vec<String>,
}

/// Parses the command line; `Ok(None)` after printing `usage` for `--help`.
///
/// # Errors
///
/// An unknown flag, or more than `max_positional` positional arguments.
pub(crate) fn args(usage: &str, max_positional: usize) -> Result<Option<Args>, Box<dyn Error>> {
    let env_small = std::env::var_os("ARRAY_EXPR_SMALL").is_some_and(|v| !v.is_empty() && v != "0");
    let mut out = Args { small: env_small, positional: Vec::new() };
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--small" => out.small = true,
            "-h" | "--help" => {
                println!("{usage}");
                return Ok(None);
            }
            flag if flag.starts_with('-') => return Err(format!("unknown flag `{flag}`\n{usage}").into()),
            _ => out.positional.push(a),
        }
    }
    if out.positional.len() > max_positional {
        return Err(format!(
            "too many arguments ({} given, at most {max_positional})\n{usage}",
            out.positional.len()
        )
        .into());
    }
    Ok(Some(out))
}

/// Runs an example's `run`, printing an error as `NAME: error: MESSAGE` (its `Display`, not
/// `Debug`) and turning it into a failing exit code.
pub(crate) fn main(name: &str, run: impl FnOnce() -> Result<(), Box<dyn Error>>) -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `bytes` as MiB or KiB with one decimal.
pub(crate) fn fmt_bytes(bytes: usize) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", b / 1024.0)
    }
}

/// Decimal gigabytes per second for `bytes` moved in `secs`.
pub(crate) fn gbs(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / secs / 1e9
}

/// A path in the system temp dir, unique to this process, removed when dropped (also when the
/// example stops on an error).
pub(crate) struct TempFile(pub(crate) std::path::PathBuf);

impl TempFile {
    /// `$TMP/array_expr_{stem}_{pid}.npy`.
    pub(crate) fn new(stem: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!("array_expr_{stem}_{}.npy", std::process::id())))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// This machine's streaming bandwidth right now: the best of five runs of the triad
/// `a = b + 3 c` over slices of `len` f32 (three arrays: two reads, one write), in GB/s.
pub(crate) fn triad_gbs(len: usize) -> f64 {
    let (b, c) = (vec![1.0f32; len], vec![2.0f32; len]);
    let mut a = vec![0.0f32; len];
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for ((a, b), c) in a.iter_mut().zip(&b).zip(&c) {
            *a = b + 3.0 * c;
        }
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(&mut a);
    }
    gbs(3 * 4 * len, best)
}
