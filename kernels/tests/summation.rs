//! Summation accuracy against exact references, and the determinism contract across block
//! splits and thread counts.

use array_expr_kernels::reduce::{self, block_partial, combine, Reduction, SumF64, SumKbn, BLOCK};
use array_expr_kernels::SimdElem;

mod common;
use common::Rng;

const EPS32: f64 = f32::EPSILON as f64 / 2.0;

/// The exact sum of f32 values, as a correctly rounded f64 (scaled to 2^-80 integers in i128).
fn exact_sum(x: &[f32]) -> f64 {
    let mut acc: i128 = 0;
    for &v in x {
        assert!(v.abs() < 2f32.powi(40) && (v == 0.0 || v.abs() >= 2f32.powi(-56)));
        acc += (v as f64 * 2f64.powi(80)) as i128;
    }
    // i128 -> f64 rounds once (to nearest).
    acc as f64 / 2f64.powi(80)
}

struct Report {
    exact: f64,
    abs_sum: f64,
    n: usize,
}

impl Report {
    fn of(x: &[f32]) -> Self {
        Report { exact: exact_sum(x), abs_sum: x.iter().map(|v| v.abs() as f64).sum(), n: x.len() }
    }
    fn err(&self, name: &str, got: f64) -> f64 {
        let e = (got - self.exact).abs();
        println!("{name:>22}: {got:.10e} (abs error {e:.3e}, rel {:.3e})", e / self.exact.abs());
        e
    }
    /// Documented bound of the pairwise class.
    fn pairwise_bound(&self) -> f64 {
        (8.0 + (self.n as f64).log2()) * EPS32 * self.abs_sum
    }
    /// Documented bound of the compensated class.
    fn kbn_bound(&self) -> f64 {
        2.0 * EPS32 * self.exact.abs() + self.n as f64 * EPS32 * EPS32 * self.abs_sum
    }
}

fn check_classes(x: &[f32]) {
    let r = Report::of(x);
    println!("n = {}, exact = {:.10e}, sum|x| / |sum| = {:.3e}", r.n, r.exact, r.abs_sum / r.exact.abs());
    let naive = x.iter().fold(0f32, |s, &v| s + v);
    r.err("naive f32 loop", naive as f64);
    let e_pw = r.err("pairwise (Sum)", reduce::sum(x) as f64);
    let e_kbn = r.err("compensated (SumKbn)", reduce::sum_kbn(x) as f64);
    let e_f64 = r.err("f64 accumulator", reduce::sum_f64(x));
    assert!(e_pw <= r.pairwise_bound(), "pairwise error {e_pw:e} > bound {:e}", r.pairwise_bound());
    assert!(e_kbn <= r.kbn_bound(), "kbn error {e_kbn:e} > bound {:e}", r.kbn_bound());
    // f64 accumulation: the pairwise bound with the f64 epsilon.
    let b64 = (8.0 + (r.n as f64).log2()) * f64::EPSILON / 2.0 * r.abs_sum;
    assert!(e_f64 <= b64, "f64 accumulator error {e_f64:e} > {b64:e}");
}

/// 10 million values of 1e-3 and one 1e8 (f32).
#[test]
fn ten_million_thousandths_and_one_big() {
    let mut x = vec![1e-3f32; 10_000_000];
    x[3_333_333] = 1e8;
    check_classes(&x);
    x.swap(0, 3_333_333);
    check_classes(&x);
}

/// An ill-conditioned alternating series: `a, -(a - d)` pairs with `d` about `a * 2^-16`.
#[test]
fn alternating_ill_conditioned() {
    let mut rng = Rng::new(42);
    let mut x = Vec::with_capacity(2_000_000);
    for _ in 0..1_000_000 {
        let a = (1000.0 + 1000.0 * rng.unit()) as f32;
        let d = a * (1.0 + rng.unit() as f32) / 65536.0;
        x.push(a);
        x.push(-(a - d));
    }
    check_classes(&x);
}

/// Partials of blocks computed on `threads` threads (round-robin), combined in block order.
fn parallel<R: Reduction<f32>>(r: R, x: &[f32], threads: usize) -> R::Acc {
    let blocks: Vec<&[f32]> = x.chunks(BLOCK).collect();
    let mut partials = vec![r.identity(); blocks.len()];
    std::thread::scope(|s| {
        let mut slots: Vec<Vec<(usize, &mut R::Acc)>> = (0..threads).map(|_| Vec::new()).collect();
        for (b, p) in partials.iter_mut().enumerate() {
            slots[b % threads].push((b, p));
        }
        for work in slots {
            let blocks = &blocks;
            s.spawn(move || {
                for (b, p) in work {
                    *p = block_partial(r, blocks[b], b * BLOCK);
                }
            });
        }
    });
    combine(r, &partials)
}

#[test]
fn bit_identical_across_thread_counts() {
    let mut rng = Rng::new(5);
    for n in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 7 * BLOCK + 13, 64 * BLOCK, 100 * BLOCK + 999] {
        let x: Vec<f32> = (0..n).map(|_| ((rng.unit() - 0.3) * 1e3) as f32).collect();
        let one = (
            reduce::sum(&x).to_bits(),
            reduce::reduce(SumKbn, &x).to_bits(),
            reduce::sum_f64(&x).to_bits(),
            reduce::argmax(&x),
        );
        for threads in 1..=5 {
            let sum = parallel(reduce::Sum, &x, threads);
            let kbn = parallel(SumKbn, &x, threads);
            let f64s = parallel(SumF64, &x, threads);
            let am = parallel(reduce::ArgMax, &x, threads);
            assert_eq!(sum.to_bits(), one.0, "n={n} threads={threads}");
            assert_eq!(
                <SumKbn as Reduction<f32>>::finish(SumKbn, kbn, n).to_bits(),
                one.1,
                "n={n} threads={threads}"
            );
            assert_eq!(f64s.to_bits(), one.2, "n={n} threads={threads}");
            assert_eq!(<reduce::ArgMax as Reduction<f32>>::finish(reduce::ArgMax, am, n), one.3);
        }
    }
}

#[test]
fn misaligned_views_give_the_same_sum() {
    // The tree depends on the length only, not on where the slice starts in memory.
    let mut rng = Rng::new(8);
    let x: Vec<f32> = (0..50_000).map(|_| rng.unit() as f32).collect();
    let copy: Vec<f32> = x[3..40_003].to_vec();
    assert_eq!(reduce::sum(&x[3..40_003]).to_bits(), reduce::sum(&copy).to_bits());
    assert_eq!(<f32 as SimdElem>::LANES, 8);
}
