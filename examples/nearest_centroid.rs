//! Nearest-centroid assignment (the k-means step) without the `n x k x d` temporary.
//!
//! Each of `n` points in `d` dims goes to the nearest of `k` centroids. Written with NumPy
//! broadcasting, the natural code materializes the whole difference tensor:
//!
//! ```python
//! diff = x[:, None, :] - c[None, :, :]   # n x k x d
//! d2 = (diff ** 2).sum(axis=2)           # another n x k x d, then n x k
//! idx = d2.argmin(axis=1)
//! ```
//!
//! At a million points, 64 centroids and 32 dims that is 8 GiB per temporary: the classic
//! out-of-memory kill. The `array_expr!` kernel below writes the same expression; the
//! difference, the square and the sum over `d` run in one pass into an `n x k` temporary (the
//! argmin reads it next), so its peak is `4 n k` bytes plus the output. The example runs it
//! beside the materializing evaluation (one kernel per NumPy operation, so the same vector
//! code per element), checks that both pick the same centroid for every point and that the
//! chosen distance is the minimum within rounding of an f64 reference, and prints the time and
//! the measured peak heap of both.
//!
//! ```text
//! cargo run --release --example nearest_centroid              # n = 262144, k = 32, d = 16
//! cargo run --release --example nearest_centroid -- --small   # n = 4096, k = 8, d = 8 (CI)
//! ```

mod support;

use array_expr::{array_expr, Array};
use std::error::Error;
use std::process::ExitCode;
use support::{best_of, fmt_bytes, Run};

array_expr! {
    /// Index of the nearest centroid of every point; never builds the `n x k x d` tensor.
    pub fn nearest(x: f32[n, d], c: f32[k, d]) -> i64[n] {
        argmin(sum(square(x[:, newaxis, :] - c[newaxis, :, :]), axis = 2), axis = 1)
    }
}

// One kernel per NumPy operation: the materializing evaluation.
array_expr! {
    fn broadcast_diff(x: f32[n, d], c: f32[k, d]) -> f32[n, k, d] { x[:, newaxis, :] - c[newaxis, :, :] }
    fn square3(t: f32[n, k, d]) -> f32[n, k, d] { square(t) }
    fn sum_last(t: f32[n, k, d]) -> f32[n, k] { sum(t, axis = 2) }
    fn argmin_rows(t: f32[n, k]) -> i64[n] { argmin(t, axis = 1) }
}

/// As NumPy evaluates it: `diff` is named, so it lives until the end; `diff ** 2` dies after
/// the sum.
fn materializing(x: &Array<f32, 2>, c: &Array<f32, 2>) -> Result<Array<i64, 1>, array_expr::Error> {
    let diff = broadcast_diff(x, c)?;
    let d2 = sum_last(&square3(&diff)?)?;
    argmin_rows(&d2)
}

/// `n` points scattered around `k` random centroids (point `i` around centroid `i % k`).
fn make_data(n: usize, k: usize, d: usize) -> (Array<f32, 2>, Array<f32, 2>) {
    let c = Array::<f32, 2>::random_uniform([k, d], 11, -1.0, 1.0);
    let noise = Array::<f32, 2>::random_uniform([n, d], 12, -0.6, 0.6);
    let x = Array::from_fn([n, d], |[i, j]| c[[i % k, j]] + noise[[i, j]]);
    (x, c)
}

/// Squared distance in f64 from point `i` to centroid `j`.
fn dist2(x: &Array<f32, 2>, c: &Array<f32, 2>, i: usize, j: usize) -> f64 {
    (0..x.shape()[1]).map(|t| (f64::from(x[[i, t]]) - f64::from(c[[j, t]])).powi(2)).sum()
}

/// Points whose chosen centroid is farther than the true minimum by more than f32 rounding.
fn check_reference(x: &Array<f32, 2>, c: &Array<f32, 2>, idx: &[i64]) -> Result<usize, Box<dyn Error>> {
    let k = c.shape()[0];
    let mut wrong = 0;
    for (i, &j) in idx.iter().enumerate() {
        let j =
            usize::try_from(j).ok().filter(|&j| j < k).ok_or(format!("point {i}: index {j} out of range"))?;
        let best = (0..k).map(|t| dist2(x, c, i, t)).fold(f64::INFINITY, f64::min);
        let got = dist2(x, c, i, j);
        if got - best > 1e-5 * (1.0 + best) {
            wrong += 1;
        }
    }
    Ok(wrong)
}

fn print_row(name: &str, run: &Run<Array<i64, 1>>, n: usize, predicted: usize) {
    println!(
        "{name:<30} {:>9.2} ms {:>8.2} Mpoints/s {:>12} {:>12}",
        run.secs * 1e3,
        n as f64 / run.secs / 1e6,
        fmt_bytes(run.peak),
        fmt_bytes(predicted)
    );
}

const USAGE: &str = "usage: nearest_centroid [--small]";

fn run() -> Result<(), Box<dyn Error>> {
    let Some(args) = support::args(USAGE, 0)? else { return Ok(()) };
    let (n, k, d) = if args.small { (4096, 8, 8) } else { (262_144, 32, 16) };
    let (x, c) = make_data(n, k, d);
    let tensor = n * k * d * 4;
    println!("nearest_centroid: {n} points, {k} centroids, {d} dims (f32)");
    println!("the n x k x d difference tensor would be {}", fmt_bytes(tensor));
    let reps = if args.small { 3 } else { 5 };

    let fused = best_of(reps, || nearest(&x, &c))?;
    let slow = best_of(reps, || materializing(&x, &c))?;
    println!(
        "\n{:<30} {:>12} {:>18} {:>12} {:>12}",
        "evaluation", "time", "throughput", "peak heap", "predicted"
    );
    print_row("fused (n x k temporary)", &fused, n, n * k * 4 + n * 8);
    print_row("materializing (NumPy-style)", &slow, n, 2 * tensor + n * k * 4);
    println!(
        "\nfused is {:.2}x faster and peaks at {:.0}x less heap; predicted = the arrays each plan keeps alive at once",
        slow.secs / fused.secs,
        slow.peak as f64 / fused.peak.max(1) as f64
    );

    let (a, b) = (fused.value.to_vec(), slow.value.to_vec());
    let differ = a.iter().zip(&b).filter(|(p, q)| p != q).count();
    let sample = if args.small { n } else { 20_000 };
    let wrong = check_reference(&x, &c, &a[..sample])?;
    let own = a.iter().enumerate().filter(|&(i, &j)| j == (i % k) as i64).count();
    println!(
        "assignments: fused and materializing differ on {differ} of {n} points; \
         {wrong} of {sample} checked against an f64 reference are not the nearest; \
         {:.1}% went to the centroid they were drawn around",
        100.0 * own as f64 / n as f64
    );
    if differ != 0 || wrong != 0 {
        return Err("the fused assignment disagrees with the materializing one or the reference".into());
    }
    Ok(())
}

fn main() -> ExitCode {
    support::main("nearest_centroid", run)
}
