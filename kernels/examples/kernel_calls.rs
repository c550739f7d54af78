//! Calls one kernel of the crate `reps` times over `n` f32 values: a driver for instruction
//! counts, which, unlike timings, do not depend on the load of the machine.
//!
//! ```text
//! cargo build --release -p array-expr-kernels --example kernel_calls
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/kernel_calls exp 4096 201
//! ```
//! The difference between the counts of `reps = 201` and `reps = 1`, divided by `200 n`, is the
//! cost per element (BENCHMARKS.md, section "SIMD kernels"). Kernels: `read` (XOR of the bits,
//! the read-pass reference), `copy`, `exp`, `sqrt`, `ln`, `log1p`, `tanh`, `sigmoid` (through
//! `map::map`), `sum`, `sum_kbn`, `sum_f64`, `rows64`, `rows1024`, `cols64`, `cols1024`.

use array_expr_kernels::{map::map, math, reduce, SimdElem};
use std::hint::black_box;

type V = <f32 as SimdElem>::V;

/// One call of the named kernel; false for an unknown name.
fn call(name: &str, x: &[f32], out: &mut [f32]) -> bool {
    let n = x.len();
    match name {
        "read" => drop(black_box(x.iter().fold(0u32, |a, v| a ^ v.to_bits()))),
        "copy" => map(x, out, |v: V| v),
        "exp" => map(x, out, math::exp),
        "sqrt" => map(x, out, math::sqrt),
        "ln" => map(x, out, math::ln),
        "log1p" => map(x, out, math::log1p),
        "tanh" => map(x, out, math::tanh),
        "sigmoid" => map(x, out, math::sigmoid),
        "sum" => drop(black_box(reduce::sum(x))),
        "sum_kbn" => drop(black_box(reduce::sum_kbn(x))),
        "sum_f64" => drop(black_box(reduce::sum_f64(x))),
        "rows64" => reduce::sum_rows(x, n / 64, 64, 64, out),
        "rows1024" => reduce::sum_rows(x, n / 1024, 1024, 1024, out),
        "cols64" => reduce::sum_cols(x, n / 64, 64, 64, out),
        "cols1024" => reduce::sum_cols(x, n / 1024, 1024, 1024, out),
        _ => return false,
    }
    true
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "exp".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(4096);
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    // Inputs inside every function's fast domain: (0.01, 9.01).
    let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 0.009 + 0.01).collect();
    let mut out = vec![0f32; n];
    for _ in 0..reps {
        if !call(&name, black_box(&x), black_box(&mut out)) {
            eprintln!("unknown kernel `{name}`");
            std::process::exit(2);
        }
    }
    black_box(&out);
}
