//! Counters per kernel and process-wide, their CSV export, and `show_config()`. The tests of
//! this binary take one lock: `set_counters_enabled` and the global counters are process-wide.

use array_expr::diagnostics::{self, kernel_counters, Counters};
use array_expr::parallel::with_threads;
use array_expr::{array_expr, show_config, Array};
use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

array_expr! {
    fn affine(x: f32[n, m], w: f32[m], b: f32) -> f32[n, m] {
        x * w + b
    }

    fn centered(x: f64[n, m]) -> f64[n, m] {
        let mu = mean(x, axis = 0);
        (x - mu) / sqrt(mean((x - mu) * (x - mu), axis = 0) + 1e-9)
    }

    fn unused_kernel(x: f32[n]) -> f32[n] {
        x + 1.0
    }
}

fn counters(suffix: &str) -> Counters {
    let name = format!("diagnostics::{suffix}");
    kernel_counters().into_iter().find(|k| k.name == name).map(|k| k.counters).unwrap_or_default()
}

#[test]
fn a_kernel_counts_calls_passes_bytes_and_allocations() {
    let _l = LOCK.lock().unwrap();
    let (n, m) = (300, 200);
    let x = Array::<f32, 2>::random_uniform([n, m], 1, -1.0, 1.0);
    let w = vec![2.0f32; m];
    let mut out = Array::<f32, 2>::zeros([n, m]);
    let before = counters("affine");
    for _ in 0..3 {
        affine_into(&x, &w, 1.0, &mut out).unwrap();
    }
    let _fresh = affine(&x, &w, 1.0).unwrap();
    let c = counters("affine");
    let d = |f: fn(&Counters) -> u64| f(&c) - f(&before);
    assert_eq!(d(Counters::calls), 4, "affine and affine_into are one kernel");
    assert_eq!(d(Counters::passes), 4);
    assert_eq!(d(Counters::elements), 4 * (n * m) as u64);
    // x once per pass, w once (its broadcast does not count), the output written once
    assert_eq!(d(Counters::bytes_read), 4 * (n * m * 4 + m * 4) as u64);
    assert_eq!(d(Counters::bytes_written), 4 * (n * m * 4) as u64);
    assert_eq!((d(Counters::allocations), d(Counters::bytes_allocated)), (1, (n * m * 4) as u64));
    assert_eq!(d(Counters::temporaries), 0);
    assert_eq!(d(Counters::parallel_passes), 0, "small passes stay on one thread");
    assert!(d(Counters::time_ns) > 0);
    assert_eq!(counters("unused_kernel"), Counters::default(), "never called, never listed");
}

#[test]
fn temporaries_and_threads_are_counted() {
    let _l = LOCK.lock().unwrap();
    let x = Array::<f64, 2>::random_normal([1024, 512], 2, 0.0, 1.0);
    let before = counters("centered");
    let _y = with_threads(2, || centered(&x).unwrap());
    let c = counters("centered");
    assert_eq!(c.calls() - before.calls(), 1);
    assert_eq!(c.passes() - before.passes(), 3, "two column means, then the output pass");
    assert_eq!(c.temporaries() - before.temporaries(), 2);
    assert_eq!(c.allocations() - before.allocations(), 3, "the output and two temporaries");
    assert_eq!(c.bytes_allocated() - before.bytes_allocated(), (1024 * 512 * 8 + 2 * 512 * 8) as u64);
    assert_eq!(c.max_threads(), 2);
    assert_eq!(c.parallel_passes() - before.parallel_passes(), 3, "each pass moves 4 MiB and splits");
}

#[test]
fn layout_copies_during_a_call_count_toward_the_kernel() {
    let _l = LOCK.lock().unwrap();
    static K: diagnostics::Kernel = diagnostics::Kernel::new("diagnostics::manual");
    let a = Array::<f32, 2>::zeros([64, 32]);
    {
        let _scope = diagnostics::KernelScope::enter(&K);
        let _c = a.t().to_c_contiguous();
    }
    let c = counters("manual");
    assert_eq!((c.calls(), c.layout_copies(), c.layout_copy_bytes()), (1, 1, 64 * 32 * 4));
}

#[test]
fn counters_can_be_turned_off() {
    let _l = LOCK.lock().unwrap();
    let x = vec![1.0f32; 1000];
    let w = vec![1.0f32; 1000];
    let before = (counters("affine"), diagnostics::global_counters());
    diagnostics::set_counters_enabled(false);
    let x2 = Array::<f32, 2>::from_shape_vec([1, 1000], x).unwrap();
    affine(&x2, &w, 0.0).unwrap();
    diagnostics::set_counters_enabled(true);
    assert_eq!((counters("affine"), diagnostics::global_counters()), before);
}

#[test]
fn csv_has_one_row_per_kernel_and_a_total() {
    let _l = LOCK.lock().unwrap();
    let x = Array::<f32, 2>::random_uniform([4, 8], 3, -1.0, 1.0);
    affine(&x, &[1.0; 8], 0.0).unwrap();
    let csv = diagnostics::counters_csv();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "kernel,calls,elements,bytes_read,bytes_written,passes,parallel_passes,max_threads,\
             allocations,bytes_allocated,temporaries,layout_copies,layout_copy_bytes,time_ns"
        )
    );
    let c = counters("affine");
    let row = lines.find(|l| l.starts_with("diagnostics::affine,")).expect("a row for the kernel");
    let values: Vec<u64> = row.split(',').skip(1).map(|v| v.parse().unwrap()).collect();
    assert_eq!(values, c.values());
    let last = csv.lines().last().unwrap();
    assert!(last.starts_with("(all),"), "{last}");
    let all: Vec<u64> = last.split(',').skip(1).map(|v| v.parse().unwrap()).collect();
    assert!(all[0] >= c.calls() && all.len() == Counters::names().len());
}

#[test]
fn show_config_reports_build_budget_and_environment() {
    let config = with_threads(3, show_config);
    assert_eq!(config.simd_compiled, array_expr::__private::kernels::simd_level());
    assert_eq!(config.budget.threads, 3);
    let text = config.to_string();
    assert!(text.starts_with(&format!("array-expr {}\n", env!("CARGO_PKG_VERSION"))), "{text}");
    assert!(text.contains(&format!("\n  simd compiled for : {}\n", config.simd_compiled)), "{text}");
    assert!(text.contains("\n  threads           : 3 (from with_threads); machine "), "{text}");
    for var in [
        "ARRAY_EXPR_NUM_THREADS",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "RAYON_NUM_THREADS",
        "MATMUL_NUM_THREADS",
        "ARRAY_EXPR_POOL_BYTES",
    ] {
        assert!(text.contains(&format!("  env {var:<22}: ")), "{var} missing:\n{text}");
        assert!(config.to_key_value().contains(&format!("\nenv.{var}=")));
        assert!(config.to_json().contains(&format!("\"env.{var}\":")));
    }
    let budget_line = config.to_key_value().lines().find(|l| l.starts_with("threads.")).map(str::to_string);
    assert_eq!(budget_line.as_deref(), Some("threads.budget=3"));
    // the output pool: its limit in every form (the default unless the environment sets one)
    let limit = config.output_pool.limit;
    assert_eq!(limit, array_expr::alloc::pool_limit());
    assert!(config.to_key_value().contains(&format!("\noutput_pool.limit_bytes={limit}\n")));
    assert!(config.to_json().contains(&format!("\"output_pool.limit_bytes\":\"{limit}\"")));
    if limit > 0 {
        let line =
            format!("\n  output pool       : keeps up to {} MiB of dropped arrays >= 4 MiB", limit >> 20);
        assert!(text.contains(&line), "{text}");
    }
    println!("{text}");
}
