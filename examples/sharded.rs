//! Sharded data, whole-array results: reductions over `.npy` shard files and random draws per
//! shard that equal the single-array kernels bit for bit.
//!
//! 1. Each "worker" draws its shard of one random array (`fill_uniform` at the shard's global
//!    offset) and writes it as its own `.npy` file; the shards concatenate to
//!    `Array::random_uniform` of the whole shape, bit for bit.
//! 2. Each worker maps its file (`MmapArray`), reduces it to `sum`, `mean` and `max` partials
//!    and serializes them (`Partial::to_bytes`): what would travel between machines.
//! 3. A coordinator decodes the partials and merges them in a tree grouping that differs from
//!    the file order, and checks the results against the `array_expr!` kernels run over the
//!    whole array: bit-identical.
//! 4. The same data cut at unaligned offsets with `Align::Bounded`: the `f64` accumulator may
//!    differ from the kernel's in its last bits (after rounding to `f32` usually not at all),
//!    always within the documented bound.
//!
//! ```text
//! cargo run --release --example sharded            # 2^24 f32 (64 MB) in 8 shards
//! cargo run --example sharded -- --small           # 200k elements, for CI (or ARRAY_EXPR_SMALL=1)
//! ```

use array_expr::io::{write_npy, MmapArray};
use array_expr::shard::{Align, Max, Mean, Partial, ShardOp, Sum};
use array_expr::{array_expr, Array, ArrayView, CounterRng};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

array_expr! {
    fn total(x: f32[n]) -> f32 { sum(x) }
    fn average(x: f32[n]) -> f32 { mean(x) }
    fn largest(x: f32[n]) -> f32 { max(x) }
}

const SEED: u64 = 2024;

/// Removes the shard directory when dropped, also on error.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Shard bounds: `k` uneven shards whose starts are multiples of the 512-element block.
fn aligned_bounds(n: usize, k: usize) -> Vec<usize> {
    let mut b: Vec<usize> = (0..k).map(|i| n * i * i / (k * k) / 512 * 512).collect();
    b.dedup();
    b.push(n);
    b
}

/// Step 1: each worker draws its shard and writes it to `dir/shard-<i>.npy`.
fn write_shards(dir: &Path, bounds: &[usize]) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let rng = CounterRng::new(SEED);
    let mut paths = Vec::new();
    for (i, w) in bounds.windows(2).enumerate() {
        let mut shard = Array::<f32, 1>::zeros([w[1] - w[0]]);
        rng.fill_uniform(w[0] as u64, &mut shard.view_mut(), -50.0, 150.0)?;
        let path = dir.join(format!("shard-{i}.npy"));
        write_npy(&path, &shard.view())?;
        paths.push(path);
    }
    Ok(paths)
}

/// Step 2: a worker maps its file and returns its serialized partials (sum, mean, max).
fn reduce_shard(path: &Path, offset: u64) -> Result<[Vec<u8>; 3], Box<dyn Error>> {
    let m = MmapArray::<f32, 1>::open_npy(path)?;
    let x = m.as_slice();
    Ok([
        Partial::of_shard(Sum, offset, x, Align::Exact)?.to_bytes(),
        Partial::of_shard(Mean, offset, x, Align::Exact)?.to_bytes(),
        Partial::of_shard(Max, offset, x, Align::Exact)?.to_bytes(),
    ])
}

/// Step 3: decodes partials and merges them as a tree: the middle shard first, then the left
/// ones from the right, then the right ones from the left (any grouping gives the same bits).
fn merge_all<R: ShardOp<f32>>(
    op: R,
    bytes: &[&[u8]],
    align: Align,
) -> Result<Partial<f32, R>, Box<dyn Error>> {
    let parts = bytes.iter().map(|b| Partial::from_bytes(op, b)).collect::<Result<Vec<_>, _>>()?;
    let mid = parts.len() / 2;
    let mut acc = parts[mid].clone();
    for p in parts[..mid].iter().rev() {
        acc = p.clone().merge(acc, align)?;
    }
    for p in &parts[mid + 1..] {
        acc = acc.merge(p.clone(), align)?;
    }
    Ok(acc)
}

/// Reads the shards back as one array (the single-machine reference).
fn whole_array(paths: &[PathBuf]) -> Result<Vec<f32>, Box<dyn Error>> {
    let mut x = Vec::new();
    for p in paths {
        x.extend_from_slice(MmapArray::<f32, 1>::open_npy(p)?.as_slice());
    }
    Ok(x)
}

fn check(name: &str, sharded: f32, kernel: f32) -> Result<(), Box<dyn Error>> {
    println!(
        "  {name:<5} sharded {sharded:<14} kernel {kernel:<14} bit-identical: {}",
        sharded.to_bits() == kernel.to_bits()
    );
    if sharded.to_bits() != kernel.to_bits() {
        return Err(format!("{name}: sharded {sharded} differs from the kernel's {kernel}").into());
    }
    Ok(())
}

/// Step 4: unaligned shards, bounded error.
fn bounded(x: &[f32], kernel: f32) -> Result<(), Box<dyn Error>> {
    let cuts: Vec<usize> = (0..=7).map(|i| x.len() * i / 7).collect();
    let mut bytes = Vec::new();
    for w in cuts.windows(2) {
        bytes.push(Partial::of_shard(Sum, w[0] as u64, &x[w[0]..w[1]], Align::Bounded)?.to_bytes());
    }
    let refs: Vec<&[u8]> = bytes.iter().map(|b| b.as_slice()).collect();
    let p = merge_all(Sum, &refs, Align::Bounded)?;
    let sum_abs: f64 = x.iter().map(|v| v.abs() as f64).sum();
    let (got, bound) = (p.finish()?, p.error_bound(sum_abs));
    let diff = (got as f64 - kernel as f64).abs();
    let tol = 2.0 * bound + (kernel.abs() * f32::EPSILON) as f64;
    println!("  unaligned shards (7 of {} elements): sum {got}, |diff| {diff:.3e} <= {tol:.3e} (2 x bound + one f32 rounding); exact: {}", x.len() / 7, p.is_exact());
    if diff > tol {
        return Err(format!("unaligned sum {got} is {diff} from the kernel's {kernel}, above {tol}").into());
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let small = std::env::args().any(|a| a == "--small")
        || std::env::var_os("ARRAY_EXPR_SMALL").is_some_and(|v| !v.is_empty() && v != "0");
    let (n, k) = if small { (200_000, 5) } else { (1 << 24, 8) };
    let dir = std::env::temp_dir().join(format!("ae_sharded_{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let _guard = RemoveOnDrop(dir.clone());
    let bounds = aligned_bounds(n, k);
    println!("{n} f32 elements in {} shards starting at {:?}", bounds.len() - 1, &bounds[..bounds.len() - 1]);

    let t = Instant::now();
    let paths = write_shards(&dir, &bounds)?;
    let x = whole_array(&paths)?;
    let drawn = Array::<f32, 1>::random_uniform([n], SEED, -50.0, 150.0);
    let same_draw = ArrayView::from_slice(&x) == drawn.view();
    println!(
        "  shards drawn separately equal the whole-array draw: {same_draw} ({:.0} ms)",
        t.elapsed().as_secs_f64() * 1e3
    );
    if !same_draw {
        return Err("the shards' random values differ from the whole-array draw".into());
    }

    let t = Instant::now();
    let mut sent = Vec::new();
    for (path, w) in paths.iter().zip(bounds.windows(2)) {
        sent.push(reduce_shard(path, w[0] as u64)?);
    }
    let per_shard = t.elapsed();
    let bytes: usize = sent.iter().flatten().map(Vec::len).sum();
    let t = Instant::now();
    let pick = |j: usize| sent.iter().map(|s| s[j].as_slice()).collect::<Vec<_>>();
    let (s, m, mx) = (
        merge_all(Sum, &pick(0), Align::Exact)?,
        merge_all(Mean, &pick(1), Align::Exact)?,
        merge_all(Max, &pick(2), Align::Exact)?,
    );
    let (s, m, mx) = (s.finish()?, m.finish()?, mx.finish()?);
    println!(
        "  mapped shards reduced in {:.1} ms, {bytes} bytes of partials merged in {:.3} ms",
        per_shard.as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let (ks, km, kmx) = (total(&x)?, average(&x)?, largest(&x)?);
    println!("  whole-array kernels in {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    check("sum", s, ks)?;
    check("mean", m, km)?;
    check("max", mx, kmx)?;
    bounded(&x, ks)?;
    Ok(())
}
