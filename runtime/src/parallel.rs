//! One parallel layer: the thread budget, fixed chunks, and the nested-region guard.
//!
//! # The thread budget
//!
//! Every parallel pass (fused loops, reductions, GEMM) draws its threads from one budget, the
//! first of these that is set:
//!
//! 1. [`with_threads`]`(n, f)`: a scoped override for the calls `f` makes on this thread (tests,
//!    or a caller that knows better);
//! 2. the environment variable `ARRAY_EXPR_NUM_THREADS` (read once; a positive integer), so an
//!    operator can cap a program without rebuilding it;
//! 3. [`set_num_threads`]`(n)`, process-wide;
//! 4. the machine: [`std::thread::available_parallelism`].
//!
//! [`thread_budget`] tells the budget and where it came from; `show_config()` prints it.
//!
//! # Where the threads come from
//!
//! Work runs on rayon's global pool, the pool the rest of a Rust program most likely uses
//! already, so array-expr adds no threads of its own. A parallel pass runs at most `budget`
//! tasks: the calling thread and `budget - 1` jobs on the pool; each takes fixed-size chunks
//! from a shared counter until none is left, so a busy core or a slow-to-wake thread slows one
//! task, not the pass. When the budget exceeds rayon's pool, the extra tasks simply queue.
//!
//! # One layer only
//!
//! Inside an outer parallel region (the caller is already a rayon worker, e.g. inside
//! `par_iter`), every kernel runs single-threaded: the outer layer already occupies the cores,
//! and nesting would only add scheduling overhead and oversubscription.
//!
//! # When a pass goes parallel
//!
//! Only when the work pays: each task must get at least [`MIN_TASK_BYTES`] of memory traffic
//! (GEMM: [`MIN_TASK_FLOPS`]). Smaller passes run on the calling thread exactly as before,
//! with no atomic, no allocation and no rayon call, so small arrays are never slower.
//!
//! # Determinism
//!
//! Results never depend on the thread count: elementwise passes write each element once
//! whatever the split; reductions split only at boundaries of their fixed pairwise tree (see
//! `driver`), so the combine order is the single-threaded one; GEMM splits rows of C, and each
//! element of C sees the same sums in the same order.
//!
//! # Allocation
//!
//! A single-threaded pass allocates nothing. A parallel pass allocates inside rayon: one small
//! job per helper task (`budget - 1` per pass), the global pool's threads and queues on first
//! use, and now and then a block of rayon's injector queue. The chunk bookkeeping and the
//! block buffers live on the stack.
//!
//! # Examples
//!
//! ```
//! use array_expr_runtime::parallel::{num_threads, with_threads};
//! let inside = with_threads(3, num_threads);
//! assert_eq!(inside, 3);
//! ```

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Memory traffic (bytes read and written) a task must have before a pass splits.
pub const MIN_TASK_BYTES: usize = 1 << 20;

/// Floating-point operations (2·m·n·k) a GEMM task must have before a product splits.
pub const MIN_TASK_FLOPS: usize = 1 << 24;

/// The environment variable that sets the thread budget.
pub const ENV_VAR: &str = "ARRAY_EXPR_NUM_THREADS";

static API_THREADS: AtomicUsize = AtomicUsize::new(0);
static REGIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static SCOPED: Cell<usize> = const { Cell::new(0) };
    static THREAD_REGIONS: Cell<u64> = const { Cell::new(0) };
    static MIN_WORK: Cell<usize> = const { Cell::new(0) };
}

/// Where the thread budget came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetSource {
    /// A [`with_threads`] scope on this thread.
    Scoped,
    /// The `ARRAY_EXPR_NUM_THREADS` environment variable.
    Env,
    /// [`set_num_threads`].
    Api,
    /// [`std::thread::available_parallelism`].
    Machine,
}

impl fmt::Display for BudgetSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BudgetSource::Scoped => "with_threads",
            BudgetSource::Env => ENV_VAR,
            BudgetSource::Api => "set_num_threads",
            BudgetSource::Machine => "available_parallelism",
        })
    }
}

/// The thread budget in force on this thread, and its source.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::parallel::{thread_budget, with_threads, BudgetSource};
/// let b = with_threads(2, thread_budget);
/// assert_eq!((b.threads, b.source), (2, BudgetSource::Scoped));
/// assert!(thread_budget().threads >= 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadBudget {
    /// Most threads a pass may use (at least 1).
    pub threads: usize,
    /// Where `threads` came from.
    pub source: BudgetSource,
}

/// The value of `ARRAY_EXPR_NUM_THREADS` as read at first use: `Some(n)` for a positive
/// integer, `None` when unset or invalid (`show_config()` reports an invalid value).
///
/// # Examples
///
/// ```
/// let env = array_expr_runtime::parallel::env_threads();
/// assert!(env.map_or(true, |n| n >= 1));
/// ```
pub fn env_threads() -> Option<usize> {
    static ENV: OnceLock<Option<usize>> = OnceLock::new();
    *ENV.get_or_init(|| std::env::var(ENV_VAR).ok()?.trim().parse().ok().filter(|&n| n > 0))
}

/// The number of hardware threads the machine offers (at least 1).
///
/// # Examples
///
/// ```
/// assert!(array_expr_runtime::parallel::machine_threads() >= 1);
/// ```
pub fn machine_threads() -> usize {
    static MACHINE: OnceLock<usize> = OnceLock::new();
    *MACHINE.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The budget in force on this thread (see the [module docs](self) for the order).
pub fn thread_budget() -> ThreadBudget {
    let scoped = SCOPED.with(Cell::get);
    let (threads, source) = if scoped > 0 {
        (scoped, BudgetSource::Scoped)
    } else if let Some(n) = env_threads() {
        (n, BudgetSource::Env)
    } else {
        match API_THREADS.load(Ordering::Relaxed) {
            0 => (machine_threads(), BudgetSource::Machine),
            n => (n, BudgetSource::Api),
        }
    };
    ThreadBudget { threads, source }
}

/// Most threads a pass started on this thread may use.
///
/// # Examples
///
/// ```
/// assert!(array_expr_runtime::parallel::num_threads() >= 1);
/// ```
pub fn num_threads() -> usize {
    thread_budget().threads
}

/// Sets the process-wide budget; `0` returns to the machine's count. `ARRAY_EXPR_NUM_THREADS`
/// and [`with_threads`] scopes take precedence over it.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::parallel::set_num_threads;
/// set_num_threads(1); // every later pass runs on the calling thread
/// set_num_threads(0); // back to automatic
/// ```
pub fn set_num_threads(n: usize) {
    API_THREADS.store(n, Ordering::Relaxed);
}

/// Runs `f` with a budget of `n` threads (at least 1) for the passes it starts on this thread,
/// whatever the environment or [`set_num_threads`] say; the previous budget returns afterwards,
/// also when `f` panics.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::parallel::{num_threads, with_threads};
/// assert_eq!(with_threads(1, || with_threads(4, num_threads)), 4);
/// assert_eq!(with_threads(0, num_threads), 1); // 0 means 1
/// ```
pub fn with_threads<R>(n: usize, f: impl FnOnce() -> R) -> R {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCOPED.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SCOPED.with(|s| s.replace(n.max(1))));
    f()
}

/// For tests: runs `f` with the split thresholds lowered to `work` units (at least 1) per
/// task for the passes it starts on this thread: `work` bytes in place of [`MIN_TASK_BYTES`]
/// and `work` flops in place of [`MIN_TASK_FLOPS`]. Small test arrays then split over the
/// thread budget exactly as large ones do, so differential tests can check that results do
/// not depend on the thread count. Only the decision to split changes, never how a pass
/// splits or combines. The previous thresholds return afterwards, also when `f` panics.
///
/// # Examples
///
/// ```
/// use array_expr_runtime::parallel::{num_threads, with_min_task_work, with_threads};
/// // kernels called inside split even tiny arrays over 2 threads
/// let budget = with_threads(2, || with_min_task_work(1, num_threads));
/// assert_eq!(budget, 2);
/// ```
#[doc(hidden)]
pub fn with_min_task_work<R>(work: usize, f: impl FnOnce() -> R) -> R {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            MIN_WORK.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(MIN_WORK.with(|s| s.replace(work.max(1))));
    f()
}

/// Whether the caller already runs inside a parallel region (a rayon worker thread).
///
/// # Examples
///
/// ```
/// assert!(!array_expr_runtime::parallel::in_parallel_region());
/// ```
pub fn in_parallel_region() -> bool {
    rayon::current_thread_index().is_some()
}

/// Parallel regions array-expr has started: `(process-wide, on this thread)`. A region is one
/// pass or product split over tasks; kernels called inside a rayon worker never start one.
///
/// # Examples
///
/// ```
/// let (all, mine) = array_expr_runtime::parallel::regions_started();
/// assert!(all >= mine);
/// ```
pub fn regions_started() -> (u64, u64) {
    (REGIONS.load(Ordering::Relaxed), THREAD_REGIONS.with(Cell::get))
}

/// How many tasks a pass with `work` units should use, given `min_per_task` units per task:
/// 1 (run inline) when the budget is 1, inside a parallel region, or when the work is small.
pub(crate) fn tasks_for(work: usize, min_per_task: usize) -> usize {
    let min_per_task = match MIN_WORK.with(Cell::get) {
        0 => min_per_task,
        lowered => lowered,
    };
    let by_work = work / min_per_task.max(1);
    if by_work < 2 || in_parallel_region() {
        return 1;
    }
    by_work.min(num_threads())
}

/// Counts a parallel region started on this thread.
pub(crate) fn enter_region() {
    REGIONS.fetch_add(1, Ordering::Relaxed);
    THREAD_REGIONS.with(|r| r.set(r.get() + 1));
}

/// Runs `f(c)` for every chunk `c < chunks` on `tasks` tasks (inline when `tasks <= 1`). The
/// tasks take chunks in increasing order from a shared counter until none is left.
///
/// The calling thread is one of the tasks and starts at once; the others are spawned on
/// rayon's pool. So a pool whose threads are slow to wake (asleep after an idle spell, or a
/// loaded machine) delays nothing: the caller takes the chunks they do not.
pub(crate) fn run(chunks: usize, tasks: usize, f: &(dyn Fn(usize) + Sync)) {
    if tasks <= 1 || chunks <= 1 {
        (0..chunks).for_each(f);
        return;
    }
    enter_region();
    let next = AtomicUsize::new(0);
    let work = || loop {
        let c = next.fetch_add(1, Ordering::Relaxed);
        if c >= chunks {
            break;
        }
        f(c);
    };
    rayon::in_place_scope(|s| {
        for _ in 1..tasks.min(chunks) {
            s.spawn(|_| work());
        }
        work();
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_chunk_runs_once_on_any_task_count() {
        for tasks in [1, 2, 3, 8] {
            let hits: Vec<AtomicUsize> = (0..37).map(|_| AtomicUsize::new(0)).collect();
            run(hits.len(), tasks, &|c| {
                hits[c].fetch_add(1, Ordering::Relaxed);
            });
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1), "tasks {tasks}");
        }
    }

    #[test]
    fn scoped_budget_wins_and_restores() {
        let outer = num_threads();
        with_threads(5, || {
            assert_eq!(thread_budget(), ThreadBudget { threads: 5, source: BudgetSource::Scoped });
            assert_eq!(tasks_for(100, 10), 5);
            assert_eq!(tasks_for(30, 10), 3);
            assert_eq!(tasks_for(19, 10), 1);
        });
        assert_eq!(num_threads(), outer);
    }

    #[test]
    fn lowered_threshold_splits_small_work_and_restores() {
        with_threads(4, || {
            assert_eq!(tasks_for(100, MIN_TASK_BYTES), 1);
            with_min_task_work(10, || {
                assert_eq!(tasks_for(100, MIN_TASK_BYTES), 4);
                assert_eq!(tasks_for(25, MIN_TASK_FLOPS), 2);
                assert_eq!(tasks_for(19, MIN_TASK_BYTES), 1);
                assert_eq!(with_min_task_work(0, || tasks_for(3, MIN_TASK_BYTES)), 3);
            });
            assert_eq!(tasks_for(100, MIN_TASK_BYTES), 1);
        });
    }

    #[test]
    fn workers_never_split() {
        let inner = rayon::join(|| with_threads(4, || tasks_for(1 << 30, 1)), || ()).0;
        assert_eq!(inner, 1);
    }
}
