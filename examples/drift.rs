//! The accumulation-drift incident: a sum of `f32` data that is wrong in the third digit, and
//! wrong differently on every thread count.
//!
//! A plain loop `s += x` in `f32` (what a hand-written loop, an `axis=0` sum in NumPy over a
//! C-order matrix, or a float32 accumulator in a framework does) loses the low bits of every
//! addition once `s` is large; the error grows with the length of the data. Splitting the loop
//! over threads, the usual way (each thread sums its share, then the shares are added), changes
//! the rounding with the thread count, so the same job prints different totals on different
//! machines. This example sums two data sets five ways and compares each result with the exact
//! sum, computed in `i128` from the data scaled to integers (every value is a multiple of a
//! power of two, checked):
//!
//! | method | where |
//! | --- | --- |
//! | naive: sequential `f32` loop | the incident |
//! | pairwise `f32` | `array_expr!` `sum::<f32>(x)` (blocked pairwise tree of the kernels crate) |
//! | f64 accumulator | `array_expr!` `sum(x)`: the default for `f32` input, rounded to `f32` once |
//! | f64 accumulator, f64 result | `array_expr!` `sum::<f64>(x)` |
//! | compensated (KBN) | `array_expr_kernels::reduce::sum_kbn` |
//!
//! Then it sums one data set on 1, 2, 3, 4 and 8 threads: the naive split against the kernels
//! crate's deterministic scheme (block partials computed on any thread, combined in block order
//! by a fixed tree), which gives bit-identical results at every thread count.
//!
//! ```text
//! cargo run --release --example drift               # 2^25 values (128 MiB per data set)
//! cargo run --release --example drift -- --small    # 2^20 values, for CI
//! ```

mod support;

use array_expr::array_expr;
use array_expr_kernels::reduce::{self, block_partial, combine, Reduction, Sum, SumF64, SumKbn, BLOCK};
use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

array_expr! {
    /// Pairwise summation in the input dtype.
    fn sum_pairwise_f32(x: f32[n]) -> f32 { sum::<f32>(x) }
    /// The default: accumulate in f64, round the result to f32 once.
    fn sum_default(x: f32[n]) -> f32 { sum(x) }
    /// Accumulate in f64 and keep the f64 result.
    fn sum_f64_result(x: f32[n]) -> f64 { sum::<f64>(x) }
}

/// Thread counts of the determinism table.
const THREADS: [usize; 5] = [1, 2, 3, 4, 8];

/// A data set: its values are multiples of `2^-scale`, so `x * 2^scale` is an exact integer.
struct DataSet {
    name: &'static str,
    story: &'static str,
    values: Vec<f32>,
    scale: i32,
}

/// `x * 2^scale` exactly, or `None` when `x` is not finite, has bits below `2^-scale`, or is
/// too large for the sum to stay inside `i128`.
fn scaled(x: f64, scale: i32) -> Option<i128> {
    if !x.is_finite() {
        return None;
    }
    let bits = x.to_bits();
    let (biased, frac) = (((bits >> 52) & 0x7ff) as i32, (bits & ((1 << 52) - 1)) as i128);
    let (mant, exp) = if biased == 0 { (frac, -1074) } else { (frac | 1 << 52, biased - 1075) };
    let shift = exp + scale;
    let v = match shift {
        s if s > 70 => return None,
        s if s >= 0 => mant << s,
        s if s <= -64 => return (mant == 0).then_some(0),
        s if mant & ((1 << -s) - 1) != 0 => return None,
        s => mant >> -s,
    };
    Some(if x.is_sign_negative() { -v } else { v })
}

/// The exact sum, scaled by `2^scale`.
fn exact_sum(d: &DataSet) -> Result<i128, Box<dyn Error>> {
    d.values.iter().try_fold(0i128, |acc, &x| {
        let v = scaled(f64::from(x), d.scale)
            .ok_or_else(|| format!("{}: {x} is not a multiple of 2^-{}", d.name, d.scale))?;
        acc.checked_add(v).ok_or_else(|| format!("{}: exact sum overflows i128", d.name).into())
    })
}

/// The sum every CPU core runs for `s += x` in f32, element after element.
fn naive(x: &[f32]) -> f32 {
    x.iter().fold(0.0f32, |s, &v| s + v)
}

/// "Parallel" naive summation as usually written: `threads` equal shares summed sequentially,
/// the shares added in order (an OpenMP `reduction(+:s)` with a static schedule).
fn naive_threads(x: &[f32], threads: usize) -> Result<f32, Box<dyn Error>> {
    let share = x.len().div_ceil(threads).max(1);
    let parts = std::thread::scope(|s| {
        let handles: Vec<_> = x.chunks(share).map(|c| s.spawn(move || naive(c))).collect();
        handles.into_iter().map(|h| h.join()).collect::<Result<Vec<f32>, _>>()
    })
    .map_err(|_| "a summing thread panicked")?;
    Ok(parts.iter().fold(0.0, |s, &p| s + p))
}

/// The kernels crate's deterministic scheme on `threads` threads: each thread computes the
/// partials of a contiguous run of whole blocks, then all partials are combined in block order.
fn blocks_threads<R: Reduction<f32>>(r: R, x: &[f32], threads: usize) -> Result<R::Output, Box<dyn Error>> {
    let per_thread = x.len().div_ceil(BLOCK).div_ceil(threads).max(1) * BLOCK;
    let partials = std::thread::scope(|s| {
        let handles: Vec<_> = x
            .chunks(per_thread)
            .enumerate()
            .map(|(t, c)| {
                s.spawn(move || {
                    let first = t * per_thread;
                    c.chunks(BLOCK)
                        .enumerate()
                        .map(|(b, blk)| block_partial(r, blk, first + b * BLOCK))
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect::<Result<Vec<Vec<R::Acc>>, _>>()
    })
    .map_err(|_| "a summing thread panicked")?;
    let all: Vec<R::Acc> = partials.into_iter().flatten().collect();
    Ok(r.finish(combine(r, &all), x.len()))
}

/// One method's result with its error against the exact sum.
struct Outcome {
    name: &'static str,
    value: f64,
    secs: f64,
}

/// Runs `f` (best of three) and records its result as f64 (exact for f32 results).
fn timed(name: &'static str, f: impl Fn() -> Result<f64, Box<dyn Error>>) -> Result<Outcome, Box<dyn Error>> {
    let mut secs = f64::INFINITY;
    let mut value = 0.0;
    for _ in 0..3 {
        let t = Instant::now();
        value = std::hint::black_box(f()?);
        secs = secs.min(t.elapsed().as_secs_f64());
    }
    Ok(Outcome { name, value, secs })
}

fn methods(x: &[f32]) -> Result<Vec<Outcome>, Box<dyn Error>> {
    Ok(vec![
        timed("naive f32 loop", || Ok(f64::from(naive(x))))?,
        timed("pairwise f32  sum::<f32>", || Ok(f64::from(sum_pairwise_f32(x)?)))?,
        timed("compensated KBN (kernels)", || Ok(f64::from(reduce::sum_kbn(x))))?,
        timed("f64 accumulator  sum", || Ok(f64::from(sum_default(x)?)))?,
        timed("f64 acc, f64 result sum::<f64>", || Ok(sum_f64_result(x)?))?,
    ])
}

/// The size of one f32 ulp at `v`.
fn ulp_f32(v: f64) -> f64 {
    let a = (v as f32).abs();
    f64::from(f32::from_bits(a.to_bits() + 1) - a)
}

fn report(d: &DataSet) -> Result<(), Box<dyn Error>> {
    let exact_scaled = exact_sum(d)?;
    let unit = 2f64.powi(-d.scale);
    let exact = exact_scaled as f64 * unit;
    let sum_abs: f64 = d.values.iter().map(|&v| f64::from(v).abs()).sum();
    println!("\n== {} ({} values): {}", d.name, d.values.len(), d.story);
    println!(
        "exact sum {exact:.6} (i128 of the values times 2^{}); sum of |x| / |sum| = {:.1e}",
        d.scale,
        sum_abs / exact.abs()
    );
    println!(
        "{:<32} {:>20} {:>12} {:>10} {:>11} {:>9}",
        "method", "result", "rel. error", "f32 ulps", "time", "GB/s"
    );
    for o in methods(&d.values)? {
        let got = scaled(o.value, d.scale).ok_or("a result is not a multiple of the data's unit")?;
        let err = (got - exact_scaled) as f64 * unit;
        println!(
            "{:<32} {:>20.6} {:>12.2e} {:>10.1} {:>8.2} ms {:>9.1}",
            o.name,
            o.value,
            err.abs() / exact.abs(),
            err.abs() / ulp_f32(exact),
            o.secs * 1e3,
            support::gbs(d.values.len() * 4, o.secs)
        );
    }
    Ok(())
}

/// Every result of `f` over [`THREADS`], and how many distinct bit patterns they have.
fn thread_row(name: &str, f: impl Fn(usize) -> Result<f64, Box<dyn Error>>) -> Result<usize, Box<dyn Error>> {
    let vals = THREADS.iter().map(|&t| f(t)).collect::<Result<Vec<f64>, _>>()?;
    let mut bits: Vec<u64> = vals.iter().map(|v| v.to_bits()).collect();
    bits.sort_unstable();
    bits.dedup();
    let shown: Vec<String> = vals.iter().map(|v| format!("{v:.3}")).collect();
    println!("{name:<26} {:>3} distinct: {}", bits.len(), shown.join("  "));
    Ok(bits.len())
}

/// The same sums on 1..8 threads. (When the macro's own parallel layer lands, its `sum` calls
/// join this table with the thread count set through it.)
fn thread_table(d: &DataSet) -> Result<(), Box<dyn Error>> {
    let x = &d.values;
    println!("\n== {} on {THREADS:?} threads", d.name);
    thread_row("naive, split over threads", |t| Ok(f64::from(naive_threads(x, t)?)))?;
    let det = [
        thread_row("pairwise f32 (blocks)", |t| Ok(f64::from(blocks_threads(Sum, x, t)?)))?,
        thread_row("KBN (blocks)", |t| Ok(f64::from(blocks_threads(SumKbn, x, t)?)))?,
        thread_row("f64 accumulator (blocks)", |t| blocks_threads(SumF64, x, t))?,
    ];
    if det.iter().any(|&n| n != 1) {
        return Err("a block-combined sum changed with the thread count".into());
    }
    let one = blocks_threads(Sum, x, 1)?.to_bits() == reduce::sum(x).to_bits();
    println!(
        "block results equal the one-call kernels at every thread count: {}",
        if one { "yes" } else { "NO" }
    );
    if !one {
        return Err("the threaded block sum differs from reduce::sum".into());
    }
    Ok(())
}

/// Multiples of 1/1024 in [999.5, 1000.5): readings with a large common offset.
fn sensor(n: usize) -> DataSet {
    let u = array_expr::Array::<f32, 1>::random_uniform([n], 21, 0.0, 1024.0);
    let values = u.as_slice_memory_order().iter().map(|&v| 999.5 + v.floor() / 1024.0).collect();
    DataSet {
        name: "sensor readings",
        story: "1000 +- 0.5 in steps of 1/1024, summed in f32",
        values,
        scale: 10,
    }
}

/// Credits `a` in the first half, the matching debits `-(a - fee)` in the second half in
/// another order: the total is the sum of the small fees, 10^5 times smaller than sum |x|.
fn ledger(n: usize) -> DataSet {
    let half = n / 2;
    let a = array_expr::Array::<f32, 1>::random_uniform([half], 31, 1.0, 10_000.0);
    let f = array_expr::Array::<f32, 1>::random_uniform([half], 32, 0.0, 0.25);
    let cents = |v: f32| (v * 128.0).floor() / 128.0;
    let (a, f) = (a.as_slice_memory_order(), f.as_slice_memory_order());
    let mut values: Vec<f32> = a.iter().map(|&v| cents(v)).collect();
    // an odd multiplier permutes 0..half when half is a power of two
    let perm = |i: usize| i.wrapping_mul(0x9E37_79B1) % half;
    values.extend((0..half).map(|i| -(cents(a[perm(i)]) - cents(f[perm(i)]))));
    DataSet {
        name: "ledger",
        story: "credits, then debits that cancel them up to small fees",
        values,
        scale: 7,
    }
}

const USAGE: &str = "usage: drift [--small]";

fn run() -> Result<(), Box<dyn Error>> {
    let Some(args) = support::args(USAGE, 0)? else { return Ok(()) };
    let n = if args.small { 1 << 20 } else { 1 << 25 };
    let sets = [sensor(n), ledger(n)];
    for d in &sets {
        report(d)?;
    }
    thread_table(&sets[1])
}

fn main() -> ExitCode {
    support::main("drift", run)
}
