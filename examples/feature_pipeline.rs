//! A feature-engineering stage over an `.npy` matrix: standardize every column, clip outliers
//! at ±`LIM` standard deviations, then a per-feature scale, bias and ReLU. One `array_expr!`
//! kernel against the same stage evaluated the NumPy way, one full-size temporary per operation,
//! with the time, the bandwidth and the **measured** peak heap memory of both.
//!
//! ```text
//! cargo run --release --example feature_pipeline               # 1M x 64 f32 (256 MiB)
//! cargo run --release --example feature_pipeline -- --small    # 4096 x 64, for CI
//! cargo run --release --example feature_pipeline -- data.npy   # your own 2-D f32 .npy file
//! ```
//!
//! Without a path, the example writes a matrix with per-column offsets and scales and 0.1%
//! outliers to an `.npy` file in the temp dir (removed at the end). Either way the file is
//! memory-mapped and both evaluations read the mapped view in place: no copy of the input.
//!
//! The NumPy code the unfused evaluation mirrors, statement by statement:
//!
//! ```python
//! mu = x.mean(axis=0)
//! d = x - mu
//! sd = np.sqrt((d * d).mean(axis=0) + 1e-6)
//! z = np.clip(d / sd, -lim, lim)
//! y = np.maximum(z * scale + bias, 0)
//! ```
//!
//! Each operation there allocates its result; named arrays live until the function returns,
//! unnamed ones die after their one use. The unfused Rust code below does the same with one
//! single-operation kernel per NumPy operation, so it runs the same vector code per element
//! and the difference measured is fusion alone. (NumPy can reuse some unnamed temporaries of
//! large binary operations in place, "temporary elision"; this models the case without it.)
//!
//! Peak memory is the highest heap size above the heap at the start of the call, tracked by a
//! counting global allocator (`examples/support`). The mapped input is not heap memory, so
//! the figures are the output plus every temporary.

mod support;

use array_expr::io::{write_npy, MmapArray};
use array_expr::{array_expr, Array, ArrayView};
use std::error::Error;
use std::process::ExitCode;
use support::{best_of, fmt_bytes, gbs, Run, TempFile};

/// Outliers are clipped at this many standard deviations.
const LIM: f32 = 3.0;

array_expr! {
    /// The whole stage, fused: a pass for the column means, one for the column variances
    /// (temporaries of `m` elements) and one output pass; no `n x m` temporary.
    pub fn features(x: f32[n, m], scale: f32[m], bias: f32[m], lim: f32) -> f32[n, m] {
        let mu = mean(x, axis = 0);
        let d = x - mu;
        let z = clip(d / sqrt(mean(d * d, axis = 0) + 1e-6), -lim, lim);
        max(z * scale + bias, 0.0)
    }
}

// One kernel per NumPy operation: the unfused evaluation.
array_expr! {
    fn col_mean(x: f32[n, m]) -> f32[m] { mean(x, axis = 0) }
    fn sub_row(x: f32[n, m], v: f32[m]) -> f32[n, m] { x - v }
    fn mul(a: f32[n, m], b: f32[n, m]) -> f32[n, m] { a * b }
    fn add_scalar(v: f32[m], s: f32) -> f32[m] { v + s }
    fn sqrt_vec(v: f32[m]) -> f32[m] { sqrt(v) }
    fn div_row(x: f32[n, m], v: f32[m]) -> f32[n, m] { x / v }
    fn clip_scalar(x: f32[n, m], lo: f32, hi: f32) -> f32[n, m] { clip(x, lo, hi) }
    fn mul_row(x: f32[n, m], v: f32[m]) -> f32[n, m] { x * v }
    fn add_row(x: f32[n, m], v: f32[m]) -> f32[n, m] { x + v }
    fn relu(x: f32[n, m]) -> f32[n, m] { max(x, 0.0) }
}

/// The stage as NumPy runs it. Blocks end where CPython drops an unnamed temporary.
fn unfused(
    x: ArrayView<'_, f32, 2>,
    scale: &[f32],
    bias: &[f32],
    lim: f32,
) -> Result<Array<f32, 2>, array_expr::Error> {
    let mu = col_mean(x)?;
    let d = sub_row(x, &mu)?;
    let var = {
        let d2 = mul(&d, &d)?;
        col_mean(&d2)?
    };
    let sd = sqrt_vec(&add_scalar(&var, 1e-6)?)?;
    let z = {
        let t = div_row(&d, &sd)?;
        clip_scalar(&t, -lim, lim)?
    };
    let t2 = {
        let t1 = mul_row(&z, scale)?;
        add_row(&t1, bias)?
    };
    relu(&t2)
}

/// Full-size arrays each evaluation reads plus writes, in units of the matrix size: fused is
/// three reads of `x` (mean pass, variance pass, output pass) and one write.
const FUSED_TRAFFIC: usize = 4;
/// mean 1, x - mu 2, d * d 3, mean 1, d / sd 2, clip 2, * scale 2, + bias 2, maximum 2.
const UNFUSED_TRAFFIC: usize = 17;
/// Full-size arrays live at the unfused peak: `d`, `z`, `t2` and the output.
const UNFUSED_LIVE: usize = 4;

array_expr! {
    /// Test data: `z` is noise with mean 0 (the sum of three uniforms, nearly normal), column
    /// `j` gets scale `sd[j]` and offset `mu[j]`, and where `u > 0.999` (0.1% of the elements)
    /// the value is an outlier 40 times further out.
    fn synthesize(z: f32[n, m], u: f32[n, m], sd: f32[m], mu: f32[m]) -> f32[n, m] {
        let v = z * sd + mu;
        where(u > 0.999, 40.0 * v, v)
    }
    fn sum3(a: f32[n, m], b: f32[n, m], c: f32[n, m]) -> f32[n, m] { a + b + c - 1.5 }
}

/// (`random_normal` would do, but its deterministic logarithm costs about 0.3 us per element.)
fn make_data(n: usize, m: usize) -> Result<Array<f32, 2>, array_expr::Error> {
    let uniform = |seed| Array::<f32, 2>::random_uniform([n, m], seed, 0.0, 1.0);
    let z = sum3(&uniform(7), &uniform(8), &uniform(9))?;
    let sd = Array::<f32, 1>::from_fn([m], |[j]| 1.0 + j as f32);
    let mu = Array::<f32, 1>::from_fn([m], |[j]| 10.0 * j as f32);
    synthesize(&z, &uniform(10), &sd, &mu)
}

/// Largest |a - b| / (1 + |b|) and the number of elements whose bits differ.
fn compare(a: &Array<f32, 2>, b: &Array<f32, 2>) -> (f32, usize) {
    let (a, b) = (a.to_vec(), b.to_vec());
    let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs() / (1.0 + y.abs())).fold(0.0, f32::max);
    (worst, a.iter().zip(&b).filter(|(x, y)| x.to_bits() != y.to_bits()).count())
}

fn print_row(name: &str, run: &Run<impl Sized>, traffic: usize, predicted_peak: usize) {
    println!(
        "{name:<26} {:>9.2} ms {:>10} {:>7.1} GB/s {:>12} {:>12}",
        run.secs * 1e3,
        fmt_bytes(traffic),
        gbs(traffic, run.secs),
        fmt_bytes(run.peak),
        fmt_bytes(predicted_peak)
    );
}

const USAGE: &str =
    "usage: feature_pipeline [--small] [MATRIX.npy]  (a 2-D f32 .npy file; default: generated)";

fn run() -> Result<(), Box<dyn Error>> {
    let Some(args) = support::args(USAGE, 1)? else { return Ok(()) };
    let generated = TempFile::new("feature_pipeline");
    let path = match args.positional.first() {
        Some(p) => std::path::PathBuf::from(p),
        None => {
            let (n, m) = if args.small { (4096, 64) } else { (1 << 20, 64) };
            let t = std::time::Instant::now();
            write_npy(&generated.0, &make_data(n, m)?.view())?;
            println!("generated and wrote the input in {:.2} s", t.elapsed().as_secs_f64());
            generated.0.clone()
        }
    };
    let map = MmapArray::<f32, 2>::open_npy(&path)?;
    let x = map.view();
    let [n, m] = x.shape();
    let full = n * m * 4;
    println!("feature_pipeline: {} ({n} x {m} f32, {}), memory-mapped", path.display(), fmt_bytes(full));
    let scale = Array::<f32, 1>::random_uniform([m], 1, 0.5, 1.5).to_vec();
    let bias = Array::<f32, 1>::random_uniform([m], 2, -0.5, 0.5).to_vec();
    let reps = if args.small { 3 } else { 5 };
    println!(
        "triad a = b + 3c over slices of the same size: {:.1} GB/s (this machine, now)",
        support::triad_gbs(n * m)
    );

    let fused = best_of(reps, || features(x, &scale, &bias, LIM))?;
    let mut out = Array::<f32, 2>::zeros([n, m]);
    let into = best_of(reps, || features_into(x, &scale, &bias, LIM, &mut out))?;
    let slow = best_of(reps, || unfused(x, &scale, &bias, LIM))?;

    println!(
        "\n{:<26} {:>12} {:>10} {:>12} {:>12} {:>12}",
        "evaluation", "time", "traffic", "bandwidth", "peak heap", "predicted"
    );
    print_row("fused, allocating", &fused, FUSED_TRAFFIC * full, full + 2 * m * 4);
    print_row("fused, _into (no output)", &into, FUSED_TRAFFIC * full, 2 * m * 4);
    print_row("unfused (NumPy-style)", &slow, UNFUSED_TRAFFIC * full, UNFUSED_LIVE * full + 4 * m * 4);
    println!(
        "\nfused is {:.2}x faster and peaks at {:.1}x less heap ({} vs {}); traffic is in the plan's \
         full-size reads + writes, peak is measured, predicted is the arrays the plan keeps alive",
        slow.secs / fused.secs,
        slow.peak as f64 / fused.peak.max(1) as f64,
        fmt_bytes(fused.peak),
        fmt_bytes(slow.peak)
    );

    let (worst, differing) = compare(&fused.value, &slow.value);
    println!(
        "fused vs unfused: max relative difference {worst:.2e}, {differing} of {} elements differ in bits",
        n * m
    );
    if worst > 1e-5 || compare(&out, &fused.value).1 != 0 {
        return Err(
            format!("fused and unfused results disagree (max relative difference {worst:.2e})").into()
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    support::main("feature_pipeline", run)
}
