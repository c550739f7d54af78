//! A dense layer `relu(X @ W + b)`: GEMM with the bias and ReLU fused into its epilogue, against
//! the separate passes NumPy runs (`np.maximum(x @ w + b, 0)`: the product, then a bias pass,
//! then a ReLU pass, each into a new array).
//!
//! The `array_expr!` kernel runs GEMM straight into the output and the bias + ReLU in place over
//! it, while it is still the only array of that size: no temporary. The example prints, for
//! GEMM alone, the fused layer (allocating and `_into`) and the separate passes: the time, the
//! GFLOP/s, the bytes the plan moves through memory (the operands read once, every pass's reads
//! and writes of `n x h` arrays; GEMM's internal packing is not counted) and the measured peak
//! heap, then checks that the fused and separate results are bit-identical.
//!
//! ```text
//! cargo run --release --example dense_layer              # X: 16384 x 512, W: 512 x 512
//! cargo run --release --example dense_layer -- --small   # 512 x 64 @ 64 x 64, for CI
//! ```
//!
//! Peak heap includes `matrixmultiply`'s packing buffers, which every variant allocates.

mod support;

use array_expr::gemm::matmul_into;
use array_expr::{array_expr, Array};
use std::error::Error;
use std::process::ExitCode;
use support::{best_of, fmt_bytes, Run};

array_expr! {
    /// `relu(x @ w + b)`: GEMM into the output, then bias and ReLU in place (one extra pass).
    pub fn dense(x: f32[n, d], w: f32[d, h], b: f32[h]) -> f32[n, h] {
        max(matmul(x, w) + b, 0.0)
    }
}

// The separate passes, one kernel each.
array_expr! {
    fn product(x: f32[n, d], w: f32[d, h]) -> f32[n, h] { matmul(x, w) }
    fn add_bias(t: f32[n, h], b: f32[h]) -> f32[n, h] { t + b }
    fn relu(t: f32[n, h]) -> f32[n, h] { max(t, 0.0) }
}

/// As NumPy runs it: `x @ w` and `+ b` are unnamed temporaries freed after their one use.
fn separate(x: &Array<f32, 2>, w: &Array<f32, 2>, b: &[f32]) -> Result<Array<f32, 2>, array_expr::Error> {
    let t2 = {
        let t1 = product(x, w)?;
        add_bias(&t1, b)?
    };
    relu(&t2)
}

/// Shapes of one run.
struct Dims {
    n: usize,
    d: usize,
    h: usize,
}

impl Dims {
    /// Bytes GEMM moves: X and W read once, the `n x h` result written once.
    fn gemm_bytes(&self) -> usize {
        4 * (self.n * self.d + self.d * self.h + self.n * self.h)
    }
    /// Bytes of one `n x h` array.
    fn out_bytes(&self) -> usize {
        4 * self.n * self.h
    }
    fn flops(&self) -> f64 {
        2.0 * (self.n * self.d * self.h) as f64
    }
}

fn print_row<T>(name: &str, run: &Run<T>, dims: &Dims, bytes: usize) {
    println!(
        "{name:<30} {:>9.2} ms {:>8.1} GFLOP/s {:>11} {:>12}",
        run.secs * 1e3,
        dims.flops() / run.secs / 1e9,
        fmt_bytes(bytes),
        fmt_bytes(run.peak)
    );
}

/// The median over `rounds` of time(dense_into) / time(GEMM alone), the two timed back to back
/// in alternating order so both see the same load on a shared machine.
fn paired_ratio(
    rounds: usize,
    out: &mut Array<f32, 2>,
    x: &Array<f32, 2>,
    w: &Array<f32, 2>,
    b: &[f32],
) -> Result<f64, array_expr::Error> {
    let mut ratios = Vec::with_capacity(rounds);
    let gemm = |out: &mut Array<f32, 2>| {
        support::measure(|| matmul_into(&x.view(), &w.view(), &mut out.view_mut())).map(|r| r.secs)
    };
    let fused = |out: &mut Array<f32, 2>| support::measure(|| dense_into(x, w, b, out)).map(|r| r.secs);
    for r in 0..rounds {
        let (g, f) = if r % 2 == 0 {
            let g = gemm(out)?;
            (g, fused(out)?)
        } else {
            let f = fused(out)?;
            (gemm(out)?, f)
        };
        ratios.push(f / g);
    }
    ratios.sort_by(f64::total_cmp);
    Ok(ratios.get(rounds / 2).copied().unwrap_or(f64::NAN))
}

const USAGE: &str = "usage: dense_layer [--small]";

fn run() -> Result<(), Box<dyn Error>> {
    let Some(args) = support::args(USAGE, 0)? else { return Ok(()) };
    let dims = if args.small { Dims { n: 512, d: 64, h: 64 } } else { Dims { n: 16384, d: 512, h: 512 } };
    let Dims { n, d, h } = dims;
    let x = Array::<f32, 2>::random_uniform([n, d], 1, -1.0, 1.0);
    let w = Array::<f32, 2>::random_uniform([d, h], 2, -0.1, 0.1);
    let b = Array::<f32, 1>::random_uniform([h], 3, -0.5, 0.5).to_vec();
    println!("dense_layer: relu(X @ W + b), X {n} x {d}, W {d} x {h}, b {h} (f32, single thread)");
    let reps = if args.small { 5 } else { 7 };

    let mut out = Array::<f32, 2>::zeros([n, h]);
    let gemm = best_of(reps, || matmul_into(&x.view(), &w.view(), &mut out.view_mut()))?;
    let into = best_of(reps, || dense_into(&x, &w, &b, &mut out))?;
    let fused = best_of(reps, || dense(&x, &w, &b))?;
    let split = best_of(reps, || separate(&x, &w, &b))?;

    let (g, o) = (dims.gemm_bytes(), dims.out_bytes());
    println!(
        "\n{:<30} {:>12} {:>16} {:>11} {:>12}",
        "evaluation", "time", "throughput", "moved", "peak heap"
    );
    print_row("GEMM alone (matmul_into)", &gemm, &dims, g);
    print_row("fused, dense_into", &into, &dims, g + 2 * o);
    print_row("fused, dense (allocating)", &fused, &dims, g + 2 * o);
    print_row("separate passes (NumPy-style)", &split, &dims, g + 4 * o);
    let ratio = paired_ratio(reps * 3, &mut out, &x, &w, &b)?;
    println!(
        "\nepilogue cost: dense_into / GEMM alone = {ratio:.3} (median of {} back-to-back pairs); separate passes \
         / allocating fused = {:.2}x in time, peak heap {} vs {}",
        reps * 3,
        split.secs / fused.secs,
        fmt_bytes(split.peak),
        fmt_bytes(fused.peak)
    );

    let (a, s) = (fused.value.to_vec(), split.value.to_vec());
    let differ = a.iter().zip(&s).filter(|(p, q)| p.to_bits() != q.to_bits()).count();
    let same_into = out.to_vec().iter().zip(&a).all(|(p, q)| p.to_bits() == q.to_bits());
    println!(
        "fused vs separate: {differ} of {} elements differ in bits; dense_into equals dense: {same_into}",
        n * h
    );
    if differ != 0 || !same_into {
        return Err("the fused layer and the separate passes disagree".into());
    }
    Ok(())
}

fn main() -> ExitCode {
    support::main("dense_layer", run)
}
