//! The array-expr showcase: compile-time checked kernels fused into single passes, beside the
//! NumPy-style evaluation that makes one temporary per operation, on the same data.
//!
//! Run with `cargo run --release --example showcase` (set `ARRAY_EXPR_SMALL=1` for a quick run).

use array_expr::{array_expr, diagnostics, Array, ShapeBinder, Slice};
use std::time::Instant;
use support::triad_gbs;

mod support;

array_expr! {
    /// Affine map then leaky ReLU, broadcast over rows (one pass, no temporaries).
    pub fn affine_leaky(x: f32[n, m], w: f32[m], b: f32[m]) -> f32[n, m] {
        let y = x * w + b;
        where(y > 0.0, y, 0.01 * y)
    }

    /// Standardize every column: two reduction passes (temporaries of m elements), one output pass.
    pub fn standardize(x: f32[n, m]) -> f32[n, m] {
        let mu = mean(x, axis = 0);
        let d = x - mu;
        d / sqrt(mean(d * d, axis = 0) + 1e-6)
    }

    /// Row softmax: max pass, exp-sum pass (temporaries of n elements), output pass.
    pub fn softmax(x: f32[n, m]) -> f32[n, m] {
        let e = exp(x - max(x, axis = 1, keepdims));
        e / sum(e, axis = 1, keepdims)
    }

    /// Index of the nearest centroid: never builds the n x k x d difference tensor.
    pub fn nearest(x: f32[n, d], c: f32[k, d]) -> i64[n] {
        argmin(sum(square(x[:, newaxis, :] - c[newaxis, :, :]), axis = 2), axis = 1)
    }
}

fn main() -> Result<(), array_expr::Error> {
    array_expr::parallel::with_threads(1, run)
}

fn run() -> Result<(), array_expr::Error> {
    let small = std::env::var_os("ARRAY_EXPR_SMALL").is_some();
    let (n, m) = if small { (512, 512) } else { (4096, 4096) };
    println!("{}", array_expr::show_config());
    println!("== array-expr showcase ({n} x {m} f32, one thread: like for like with the baselines) ==\n");
    let triad = triad_gbs(n * m);
    println!("STREAM-style triad a = b + s*c over slices: {triad:.1} GB/s (this machine, now)\n");

    let x = Array::<f32, 2>::random_uniform([n, m], 42, -1.0, 1.0);
    let w = Array::<f32, 1>::random_uniform([m], 43, 0.5, 1.5);
    let b = Array::<f32, 1>::random_uniform([m], 44, -0.1, 0.1);
    let bytes = (n * m * 4) as f64;
    println!(
        "{:<14} {:>10} {:>10} {:>8} {:>9} {:>10}  temporaries avoided",
        "kernel", "fused", "unfused", "speedup", "GB/s", "of triad"
    );

    let mut out = affine_leaky(&x, &w, &b)?;
    let fused = best(|| affine_leaky_into(&x, &w, &b, &mut out).map(|_| ()))?;
    let (unfused, temps) = best_unfused(|| unfused_affine(&x, &w, &b));
    check_close("affine_leaky", &out.to_vec(), &unfused_affine(&x, &w, &b).0);
    row("affine_leaky", fused, unfused, 2.0 * bytes, triad, temps, bytes);

    let fused = best(|| standardize_into(&x, &mut out).map(|_| ()))?;
    let (unfused, temps) = best_unfused(|| unfused_standardize(&x));
    check_close("standardize", &out.to_vec(), &unfused_standardize(&x).0);
    row("standardize", fused, unfused, 4.0 * bytes, triad, temps, bytes);

    let fused = best(|| softmax_into(&x, &mut out).map(|_| ()))?;
    let (unfused, temps) = best_unfused(|| unfused_softmax(&x));
    check_close("softmax", &out.to_vec(), &unfused_softmax(&x).0);
    row("softmax", fused, unfused, 4.0 * bytes, triad, temps, bytes);

    // The allocating form: fresh pages (which the kernel must zero on first touch) against a
    // buffer of the same size that a dropped array left in the output pool.
    let into = best(|| affine_leaky_into(&x, &w, &b, &mut out).map(|_| ()))?;
    let pool_limit = array_expr::alloc::set_pool_limit(0);
    let fresh = best(|| affine_leaky(&x, &w, &b).map(drop));
    array_expr::alloc::set_pool_limit(pool_limit);
    let pooled = best(|| affine_leaky(&x, &w, &b).map(drop))?;
    let fresh = fresh?;
    let pool = array_expr::alloc::pool_stats();
    println!(
        "\nallocating form of affine_leaky ({:.0} MB output): fresh memory {:.2} ms ({:.2}x its `_into` \
         form, {:.2} ms), a buffer from the output pool {:.2} ms ({:.2}x); the pool (outputs of {} MiB \
         and more) holds {} MiB of at most {} MiB, {} outputs reused a buffer, {} took fresh memory",
        bytes / 1e6,
        fresh * 1e3,
        fresh / into,
        into * 1e3,
        pooled * 1e3,
        pooled / into,
        array_expr::alloc::POOL_MIN_BYTES >> 20,
        pool.retained_bytes >> 20,
        pool.limit >> 20,
        pool.reused,
        pool.fresh
    );

    let (np, k, d) = if small { (2_000, 16, 8) } else { (200_000, 16, 8) };
    let pts = Array::<f32, 2>::random_normal([np, d], 1, 0.0, 1.0);
    let cents = Array::<f32, 2>::random_normal([k, d], 2, 0.0, 1.0);
    let t = Instant::now();
    let idx = nearest(&pts, &cents)?;
    let fused = t.elapsed().as_secs_f64();
    println!(
        "\nnearest centroid: {np} points, {k} centroids, {d} dims in {:.1} ms; the n x k x d difference \
         tensor NumPy broadcasting would build is {:.1} MB, here the largest temporary is n x k = {:.1} MB",
        fused * 1e3,
        (np * k * d * 4) as f64 / 1e6,
        (np * k * 4) as f64 / 1e6
    );
    println!("first assignments: {:?}", &idx.to_vec()[..8]);

    tour(&x)?;
    println!("\n== what softmax actually runs (SOFTMAX_PLAN, generated at compile time) ==\n{SOFTMAX_PLAN}");
    Ok(())
}

/// Runtime tour: views, flags, counted copies, shape-binding errors.
fn tour(x: &Array<f32, 2>) -> Result<(), array_expr::Error> {
    println!("\n== runtime tour ==");
    let before = diagnostics::layout_copies();
    let v = x.view().slice([Slice::full().step_by(2), Slice::full().step_by(-1)])?.t();
    println!("view = x[::2, ::-1].T  -> shape {:?}, strides {:?} (no copy)", v.shape(), v.strides());
    println!("{}", v.layout_report());
    let c = v.to_c_contiguous();
    let after = diagnostics::layout_copies();
    println!("to_c_contiguous(): copied = {}, counted copies {}", c.is_owned(), after.copies - before.copies);
    let w = vec![0.0f32; x.shape()[1]];
    let bad = vec![0.0f32; x.shape()[1] - 1];
    match affine_leaky(x, &w, &bad) {
        Ok(_) => println!("unexpected success"),
        Err(e) => println!("shape error at run time: {e}"),
    }
    let mut binder = ShapeBinder::new(["n"]);
    binder.bind_all("x", &[Ok(0)], &[3])?;
    Ok(())
}

fn best(mut f: impl FnMut() -> Result<(), array_expr::Error>) -> Result<f64, array_expr::Error> {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

fn best_unfused(mut f: impl FnMut() -> (Vec<f32>, usize)) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut temps = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let (out, tmp) = f();
        best = best.min(t.elapsed().as_secs_f64());
        temps = tmp;
        std::hint::black_box(out);
    }
    (best, temps)
}

fn row(name: &str, fused: f64, unfused: f64, bytes: f64, triad: f64, temps: usize, full_bytes: f64) {
    let gbs = bytes / fused / 1e9;
    println!(
        "{name:<14} {:>8.1}ms {:>8.1}ms {:>7.2}x {:>9.1} {:>9.0}%  {temps} full-size ({:.0} MB)",
        fused * 1e3,
        unfused * 1e3,
        unfused / fused,
        gbs,
        100.0 * gbs / triad,
        temps as f64 * full_bytes / 1e6,
    );
}

fn check_close(name: &str, a: &[f32], b: &[f32]) {
    let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs() / (1.0 + y.abs())).fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "{name}: fused and unfused differ by {worst}");
}

// ---- the NumPy-style evaluation: one full-size temporary per operation ----

fn map2(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> Vec<f32> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

fn bcast_rows(v: &[f32], n: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(v.len() * n);
    for _ in 0..n {
        out.extend_from_slice(v);
    }
    out
}

fn unfused_affine(x: &Array<f32, 2>, w: &Array<f32, 1>, b: &Array<f32, 1>) -> (Vec<f32>, usize) {
    let [n, _] = x.shape();
    let xs = x.as_slice_memory_order();
    let t1 = map2(xs, &bcast_rows(w.as_slice_memory_order(), n), |a, b| a * b);
    let y = map2(&t1, &bcast_rows(b.as_slice_memory_order(), n), |a, b| a + b);
    let pos: Vec<bool> = y.iter().map(|&v| v > 0.0).collect();
    let neg: Vec<f32> = y.iter().map(|&v| 0.01 * v).collect();
    let out = y.iter().zip(&neg).zip(&pos).map(|((&a, &b), &p)| if p { a } else { b }).collect();
    (out, 6)
}

fn col_mean(v: &[f32], n: usize, m: usize) -> Vec<f32> {
    let mut acc = vec![0.0f64; m];
    for row in v.chunks_exact(m) {
        for (a, &x) in acc.iter_mut().zip(row) {
            *a += x as f64;
        }
    }
    acc.iter().map(|a| (a / n as f64) as f32).collect()
}

fn unfused_standardize(x: &Array<f32, 2>) -> (Vec<f32>, usize) {
    let [n, m] = x.shape();
    let xs = x.as_slice_memory_order();
    let mu = bcast_rows(&col_mean(xs, n, m), n);
    let d = map2(xs, &mu, |a, b| a - b);
    let d2 = map2(&d, &d, |a, b| a * b);
    let var = col_mean(&d2, n, m);
    let sd: Vec<f32> = var.iter().map(|v| (v + 1e-6).sqrt()).collect();
    let out = map2(&d, &bcast_rows(&sd, n), |a, b| a / b);
    (out, 5)
}

fn unfused_softmax(x: &Array<f32, 2>) -> (Vec<f32>, usize) {
    let [_, m] = x.shape();
    let xs = x.as_slice_memory_order();
    let mx: Vec<f32> =
        xs.chunks_exact(m).map(|r| r.iter().copied().fold(f32::NEG_INFINITY, f32::max)).collect();
    let shifted: Vec<f32> =
        xs.chunks_exact(m).zip(&mx).flat_map(|(r, &q)| r.iter().map(move |v| v - q)).collect();
    let e: Vec<f32> = shifted.iter().map(|v| v.exp()).collect();
    let s: Vec<f32> = e.chunks_exact(m).map(|r| r.iter().map(|&v| v as f64).sum::<f64>() as f32).collect();
    let out = e.chunks_exact(m).zip(&s).flat_map(|(r, &q)| r.iter().map(move |v| v / q)).collect();
    (out, 3)
}
