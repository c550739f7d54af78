//! Diagnostics in practice: log `show_config()` at start, run a few kernels (one of them on
//! several threads), then print the per-kernel counters as a table and as CSV.
//!
//! Run: `cargo run --release --example counters`

use array_expr::diagnostics::{self, kernel_counters};
use array_expr::parallel::with_threads;
use array_expr::{array_expr, show_config, Array};

array_expr! {
    /// Standardizes each column: two reduced-shape temporaries, then one fused pass.
    fn standardize(x: f32[n, m]) -> f32[n, m] {
        let mu = mean(x, axis = 0);
        let d = x - mu;
        d / sqrt(mean(d * d, axis = 0) + 1e-6)
    }

    /// A dense layer: GEMM, then the bias and ReLU in place on its output.
    fn dense_relu(x: f32[n, d], w: f32[d, h], b: f32[h]) -> f32[n, h] {
        max(matmul(x, w) + b, 0.0)
    }
}

fn main() -> Result<(), array_expr::Error> {
    let config = show_config();
    println!("{config}");
    let x = Array::<f32, 2>::random_normal([4096, 1024], 1, 0.0, 1.0);
    let w = Array::<f32, 2>::random_uniform([1024, 256], 2, -0.05, 0.05);
    let b = vec![0.1f32; 256];
    let z = with_threads(2, || standardize(&x))?;
    let mut h = Array::<f32, 2>::zeros([4096, 256]);
    for _ in 0..3 {
        dense_relu_into(&z, &w, &b, &mut h)?;
    }
    let small = Array::<f32, 2>::random_normal([8, 16], 3, 0.0, 1.0);
    standardize(&small)?;

    println!(
        "{:<28} {:>5} {:>9} {:>8} {:>8} {:>6} {:>7} {:>6} {:>9}",
        "kernel", "calls", "elements", "MB read", "MB wrote", "passes", "threads", "temps", "ms"
    );
    for k in kernel_counters() {
        let c = k.counters;
        println!(
            "{:<28} {:>5} {:>9} {:>8.1} {:>8.1} {:>6} {:>7} {:>6} {:>9.3}",
            k.name,
            c.calls(),
            c.elements(),
            c.bytes_read() as f64 / 1e6,
            c.bytes_written() as f64 / 1e6,
            c.passes(),
            c.max_threads(),
            c.temporaries(),
            c.time_ns() as f64 / 1e6
        );
    }
    println!("\n{}", diagnostics::counters_csv());
    Ok(())
}
