//! Shard-stable reductions: partials of block-aligned shards, merged in any grouping (and
//! through their byte encoding), equal the whole-array `array_expr!` kernels bit for bit;
//! unaligned shards stay within the documented bound; every misuse is an error with its
//! exact message.

use array_expr::shard::{Align, Max, Mean, Min, Partial, Prod, ShardOp, Sum};
use array_expr::{array_expr, CounterRng, Element, ErrorKind};

array_expr! {
    fn sum_f32(x: f32[n]) -> f32 { sum(x) }
    fn mean_f32(x: f32[n]) -> f32 { mean(x) }
    fn max_f32(x: f32[n]) -> f32 { max(x) }
    fn min_f32(x: f32[n]) -> f32 { min(x) }
    fn sum_f64(x: f64[n]) -> f64 { sum(x) }
    fn mean_f64(x: f64[n]) -> f64 { mean(x) }
    fn prod_f64(x: f64[n]) -> f64 { prod(x) }
    fn sum_i32(x: i32[n]) -> i64 { sum(x) }
    fn sum_u64(x: u64[n]) -> u64 { sum(x) }
    fn mean_i16(x: i16[n]) -> f64 { mean(x) }
    fn max_i16(x: i16[n]) -> i16 { max(x) }
    fn sum_2d(x: f32[n, m]) -> f32 { sum(x) }
}

const B: usize = 512;

/// Values over many magnitudes (so sums round), some negative.
fn data_f32(n: usize, seed: u64) -> Vec<f32> {
    let r = CounterRng::new(seed);
    (0..n as u64).map(|i| ((r.uniform_f64(i) - 0.4) * 2f64.powi((i % 23) as i32 - 8)) as f32).collect()
}

fn data_f64(n: usize, seed: u64) -> Vec<f64> {
    data_f32(n, seed).iter().map(|&x| x as f64 * (1.0 + 1e-9)).collect()
}

/// Cuts `n` elements into shards of the given sizes (in blocks), cycling; the last shard takes
/// the rest.
fn aligned_cuts(n: usize, blocks: &[usize]) -> Vec<(usize, usize)> {
    let mut cuts = Vec::new();
    let mut at = 0;
    for &b in blocks.iter().cycle() {
        if at >= n {
            break;
        }
        let end = (at + b * B).min(n);
        cuts.push((at, end));
        at = end;
    }
    cuts
}

/// Merges adjacent partials as a tree of processes: `split(len)` picks where each group is
/// cut; every intermediate result travels as bytes.
fn merge_tree<T: Element, R: ShardOp<T>>(
    parts: &[Partial<T, R>],
    op: R,
    split: &mut dyn FnMut(usize) -> usize,
    align: Align,
) -> Partial<T, R> {
    if parts.len() == 1 {
        return Partial::from_bytes(op, &parts[0].to_bytes()).unwrap();
    }
    let k = split(parts.len()).clamp(1, parts.len() - 1);
    let left = merge_tree(&parts[..k], op, split, align);
    let right = merge_tree(&parts[k..], op, split, align);
    let merged = left.merge(right, align).unwrap();
    Partial::from_bytes(op, &merged.to_bytes()).unwrap()
}

/// Every grouping the tests use: left to right, right to left, halves, and seeded random cuts.
fn groupings<T: Element, R: ShardOp<T>>(parts: &[Partial<T, R>], op: R, align: Align) -> Vec<Partial<T, R>> {
    let rng = CounterRng::with_stream(9, parts.len() as u64);
    let mut c = 0u64;
    let mut random = |len: usize| {
        c += 1;
        1 + (rng.next_u64_at(c) % (len as u64 - 1).max(1)) as usize
    };
    vec![
        merge_tree(parts, op, &mut |len| len - 1, align),
        merge_tree(parts, op, &mut |_| 1, align),
        merge_tree(parts, op, &mut |len| len / 2, align),
        merge_tree(parts, op, &mut random, align),
    ]
}

fn shard_partials<T: Element, R: ShardOp<T>>(
    x: &[T],
    op: R,
    cuts: &[(usize, usize)],
    align: Align,
) -> Vec<Partial<T, R>> {
    cuts.iter().map(|&(a, b)| Partial::of_shard(op, a as u64, &x[a..b], align).unwrap()).collect()
}

const SIZES: [usize; 7] = [1, 100, B, 5 * B, 37 * B + 123, 64 * B, 200 * B + 5];
const SHARD_BLOCKS: [&[usize]; 6] = [&[1], &[2], &[3], &[1, 4, 2], &[5, 8, 13], &[64]];

/// For every size, shard pattern and grouping: the finished partial has the kernel's bits.
fn check_exact<T: Element, R: ShardOp<T>>(
    x: &[T],
    op: R,
    kernel: impl Fn(&[T]) -> R::Output,
    bits: impl Fn(&R::Output) -> u64,
) where
    R::Output: std::fmt::Debug,
{
    let whole = bits(&kernel(x));
    for pattern in SHARD_BLOCKS {
        let parts = shard_partials(x, op, &aligned_cuts(x.len(), pattern), Align::Exact);
        for (g, p) in groupings(&parts, op, Align::Exact).iter().enumerate() {
            assert!(p.is_exact());
            let got = p.finish().unwrap();
            assert_eq!(bits(&got), whole, "n {} shards {pattern:?} grouping {g}: {got:?}", x.len());
        }
    }
}

#[test]
fn aligned_float_shards_are_bit_identical_to_the_kernels() {
    for (k, &n) in SIZES.iter().enumerate() {
        let x = data_f32(n, k as u64);
        check_exact(&x, Sum, |v| sum_f32(v).unwrap(), |r| r.to_bits() as u64);
        check_exact(&x, Mean, |v| mean_f32(v).unwrap(), |r| r.to_bits() as u64);
        check_exact(&x, Max, |v| max_f32(v).unwrap(), |r| r.to_bits() as u64);
        check_exact(&x, Min, |v| min_f32(v).unwrap(), |r| r.to_bits() as u64);
        let y = data_f64(n, k as u64);
        check_exact(&y, Sum, |v| sum_f64(v).unwrap(), |r| r.to_bits());
        check_exact(&y, Mean, |v| mean_f64(v).unwrap(), |r| r.to_bits());
        let z: Vec<f64> = y.iter().map(|v| 1.0 + v / (1.0 + v.abs()) * 1e-3).collect();
        check_exact(&z, Prod, |v| prod_f64(v).unwrap(), |r| r.to_bits());
    }
}

#[test]
fn aligned_integer_shards_are_bit_identical_to_the_kernels() {
    for (k, &n) in SIZES.iter().enumerate() {
        let r = CounterRng::new(100 + k as u64);
        let x: Vec<i32> = (0..n as u64).map(|i| r.next_u64_at(i) as i32).collect();
        check_exact(&x, Sum, |v| sum_i32(v).unwrap(), |r| *r as u64);
        let h: Vec<i16> = x.iter().map(|&v| v as i16).collect();
        check_exact(&h, Mean, |v| mean_i16(v).unwrap(), |r| r.to_bits());
        check_exact(&h, Max, |v| max_i16(v).unwrap(), |r| *r as u64);
    }
}

#[test]
fn a_c_contiguous_matrix_reduces_as_its_flat_elements() {
    // the kernel collapses the contiguous axes into one run of blocks, so block-aligned shards
    // of the flat elements (here cutting rows) finish to the kernel's bits
    let (rows, cols) = (157, 1000);
    let x = data_f32(rows * cols, 7);
    let a = array_expr::Array::<f32, 2>::from_shape_vec([rows, cols], x.clone()).unwrap();
    let whole = sum_2d(&a).unwrap();
    let parts = shard_partials(&x, Sum, &aligned_cuts(x.len(), &[7, 30, 2]), Align::Exact);
    for p in groupings(&parts, Sum, Align::Exact) {
        assert_eq!(p.finish().unwrap().to_bits(), whole.to_bits());
    }
}

/// The exact sum of `x` as an integer multiple of `2^-SCALE`.
const SCALE: i32 = 80;
fn exact_sum(x: &[f64]) -> i128 {
    x.iter().map(|&v| (v * 2f64.powi(SCALE)) as i128).sum()
}

/// Values `m · 2^e` with `|m| < 2^40`, `-80 <= e < -40`: exact multiples of `2^-80`, spread
/// over 40 binades, so f64 sums round but the exact sum fits an i128.
fn spread_f64(n: usize, seed: u64) -> Vec<f64> {
    let r = CounterRng::new(seed);
    (0..n as u64)
        .map(|i| {
            let m = (r.next_u64_at(2 * i) >> 24) as i64 - (1 << 39);
            m as f64 * 2f64.powi(-80 + (r.next_u64_at(2 * i + 1) % 40) as i32)
        })
        .collect()
}

/// Unaligned shard cuts: pieces of the given sizes, cycling.
fn unaligned_cuts(n: usize, sizes: &[usize]) -> Vec<(usize, usize)> {
    let mut cuts = Vec::new();
    let mut at = 0;
    for &s in sizes.iter().cycle() {
        if at >= n {
            break;
        }
        cuts.push((at, (at + s).min(n)));
        at = (at + s).min(n);
    }
    cuts
}

#[test]
fn unaligned_sums_stay_within_the_documented_bound() {
    for (k, &n) in [1000usize, 37 * B + 123, 200 * B + 5].iter().enumerate() {
        let x = spread_f64(n, k as u64);
        let exact = exact_sum(&x);
        let sum_abs: f64 = x.iter().map(|v| v.abs()).sum::<f64>() * (1.0 + 1e-12);
        let kernel = sum_f64(&x).unwrap();
        let err = |s: f64| ((s * 2f64.powi(SCALE)) as i128 - exact).unsigned_abs() as f64 * 2f64.powi(-SCALE);
        let mut differs = false;
        for sizes in [&[700usize][..], &[1, 999, 333], &[513, 2000, 7, 4096]] {
            let parts = shard_partials(&x, Sum, &unaligned_cuts(n, sizes), Align::Bounded);
            for p in groupings(&parts, Sum, Align::Bounded) {
                assert!(!p.is_exact());
                let (got, bound) = (p.finish().unwrap(), p.error_bound(sum_abs));
                assert!(err(got) <= bound, "n {n} sizes {sizes:?}: error {} > bound {bound}", err(got));
                assert!(bound < 1e-13 * sum_abs, "the bound is tight enough to be useful: {bound}");
                assert!((got - kernel).abs() <= 2.0 * bound);
                differs |= got != kernel;
            }
        }
        assert!(differs, "n {n}: unaligned shards do change the last bits (the bound is needed)");
        let whole = Partial::of_shard(Sum, 0, &x, Align::Exact).unwrap();
        assert!(err(kernel) <= whole.error_bound(sum_abs), "the kernel obeys the bound too");
    }
}

#[test]
fn unaligned_f32_means_differ_from_the_kernel_by_at_most_the_bound_and_one_rounding() {
    let x = data_f32(37 * B + 123, 3);
    let sum_abs: f64 = x.iter().map(|v| v.abs() as f64).sum();
    let kernel = mean_f32(&x).unwrap();
    let parts = shard_partials(&x, Mean, &unaligned_cuts(x.len(), &[1000, 77]), Align::Bounded);
    for p in groupings(&parts, Mean, Align::Bounded) {
        let got = p.finish().unwrap();
        let tol = 2.0 * p.error_bound(sum_abs) / x.len() as f64 + (kernel.abs() * f32::EPSILON) as f64;
        assert!(((got - kernel) as f64).abs() <= tol, "{got} vs {kernel}");
    }
}

#[test]
fn integer_sums_are_exact_for_any_split_and_extremes_keep_their_value() {
    let r = CounterRng::new(5);
    let x: Vec<i32> = (0..20_000u64).map(|i| r.next_u64_at(i) as i32).collect();
    let cuts = unaligned_cuts(x.len(), &[1, 999, 333, 4097]);
    // integer addition is associative: `Align::Exact` accepts unaligned shards
    let parts = shard_partials(&x, Sum, &cuts, Align::Exact);
    for p in groupings(&parts, Sum, Align::Exact) {
        assert!(p.is_exact());
        assert_eq!(p.finish().unwrap(), sum_i32(&x).unwrap());
    }
    let y = data_f32(20_000, 11);
    for p in groupings(&shard_partials(&y, Max, &cuts, Align::Bounded), Max, Align::Bounded) {
        assert_eq!(p.finish().unwrap(), max_f32(&y).unwrap());
    }
    for p in groupings(&shard_partials(&y, Min, &cuts, Align::Bounded), Min, Align::Bounded) {
        assert_eq!(p.finish().unwrap(), min_f32(&y).unwrap());
    }
}

#[test]
fn nan_propagates_through_shards_as_in_the_kernel() {
    let mut x = data_f32(10 * B, 2);
    x[3 * B + 17] = f32::NAN;
    let parts = shard_partials(&x, Max, &aligned_cuts(x.len(), &[2]), Align::Exact);
    let p = groupings(&parts, Max, Align::Exact).pop().unwrap();
    assert!(p.finish().unwrap().is_nan() && max_f32(&x).unwrap().is_nan());
    let s = shard_partials(&x, Sum, &aligned_cuts(x.len(), &[3]), Align::Exact);
    assert!(groupings(&s, Sum, Align::Exact)[0].finish().unwrap().is_nan());
}

#[test]
fn errors_match_the_kernel_errors() {
    let big = vec![u64::MAX; 3 * B];
    let p = Partial::of_shard(Sum, 0, &big[..B], Align::Exact)
        .unwrap()
        .merge(Partial::of_shard(Sum, B as u64, &big[B..], Align::Exact).unwrap(), Align::Exact)
        .unwrap();
    let (ours, kernel) = (p.finish().unwrap_err(), sum_u64(&big).unwrap_err());
    assert_eq!(ours.to_string(), kernel.to_string());
    assert_eq!(ours.kind(), ErrorKind::Overflow);
    let empty: Vec<f32> = Vec::new();
    let e = Partial::of_shard(Min, 0, &empty, Align::Exact).unwrap().finish().unwrap_err();
    assert_eq!(e.to_string(), min_f32(&empty).unwrap_err().to_string());
}

fn misaligned_message(arg: &str, what: &str, len: usize, at: usize) -> String {
    format!(
        "argument `{arg}`: {what} of {len} elements at element {at} does not start on a block boundary ({at} is not a multiple of the block size 512); for a bit-identical result every shard must start at a multiple of 512 (all but the last holding a multiple of 512 elements), or pass `Align::Bounded` to accept a bounded error"
    )
}

#[test]
fn misaligned_and_out_of_order_shards_are_errors() {
    let x = data_f32(4 * B, 1);
    let e = Partial::of_shard(Sum, 700, &x[700..1500], Align::Exact).unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string()),
        (ErrorKind::InvalidArgument, misaligned_message("offset", "the shard", 800, 700))
    );
    // a shard that ends off a block boundary may only be the last
    let mut p = Partial::of_shard(Sum, 0, &x[..1000], Align::Exact).unwrap();
    let e = p.push(1000, &x[1000..], Align::Exact).unwrap_err();
    assert_eq!(e.to_string(), misaligned_message("offset", "the shard", 1048, 1000));
    let e = p.push(1024, &x[1024..], Align::Exact).unwrap_err();
    assert_eq!(e.to_string(), "argument `offset`: the shard starts at element 1024, but the partial covers elements 0..1000; push shards in order, each starting where the last ended");
    let b = Partial::of_shard(Sum, 1000, &x[1000..2000], Align::Bounded).unwrap();
    let e = p.clone().merge(b, Align::Exact).unwrap_err();
    assert_eq!(e.to_string(), misaligned_message("next", "the partial", 1000, 1000));
    let far = Partial::of_shard(Sum, 1536, &x[1536..], Align::Exact).unwrap();
    let e = p.merge(far, Align::Exact).unwrap_err();
    assert_eq!(e.to_string(), "argument `next`: the partial covers elements 1536..2048, but `self` ends at element 1000; merge partials of adjacent ranges, left first");
    // a partial merged off block boundaries cannot go back into the exact tree
    let loose = Partial::of_shard(Sum, 0, &x[..300], Align::Bounded)
        .unwrap()
        .merge(Partial::of_shard(Sum, 300, &x[300..B], Align::Bounded).unwrap(), Align::Bounded)
        .unwrap();
    let next = Partial::of_shard(Sum, B as u64, &x[B..], Align::Exact).unwrap();
    let e = loose.clone().merge(next.clone(), Align::Exact).unwrap_err();
    assert_eq!(e.to_string(), "argument `self`: the partial of elements 0..512 was merged off block boundaries (with `Align::Bounded`), so it is no longer a node of the whole array's tree; merge it with `Align::Bounded`");
    let bounded = loose.merge(next, Align::Bounded).unwrap();
    assert!(!bounded.is_exact() && bounded.len() == x.len() as u64);
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// `bytes` with a fresh checksum (to forge well-formed but inconsistent partials).
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len() - 8;
    let sum = fnv1a(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
    bytes
}

#[test]
fn bytes_are_checked_for_kind_corruption_and_consistency() {
    let x = data_f32(5 * B + 3, 4);
    let p = Partial::of_shard(Sum, 0, &x, Align::Exact).unwrap();
    let bytes = p.to_bytes();
    assert_eq!(bytes.len(), 38 + 2 * (9 + 8) + 8, "6 blocks: nodes of levels 2 and 1");
    assert_eq!(Partial::from_bytes(Sum, &bytes).unwrap(), p);
    let msg = |r: Result<Partial<f32, Sum>, array_expr::Error>| r.unwrap_err().to_string();
    let e = Partial::<f64, Sum>::from_bytes(Sum, &bytes).unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string()),
        (ErrorKind::DType, "argument `bytes`: the partial reduces `f32` elements, expected `f64`".into())
    );
    let e = Partial::<f32, Mean>::from_bytes(Mean, &bytes).unwrap_err();
    assert_eq!(e.to_string(), "argument `bytes`: the partial is of `sum` (tag 1), expected `mean`");
    let mut flipped = bytes.clone();
    flipped[40] ^= 4;
    let e = msg(Partial::from_bytes(Sum, &flipped));
    assert!(
        e.starts_with("argument `bytes`: checksum mismatch (stored 0x")
            && e.ends_with("); the bytes are corrupt or truncated"),
        "{e}"
    );
    assert_eq!(
        msg(Partial::from_bytes(Sum, &bytes[..20])),
        "argument `bytes`: 20 bytes, a partial has at least 46"
    );
    assert!(msg(Partial::from_bytes(Sum, &bytes[..bytes.len() - 1])).contains("checksum mismatch"));
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(
        msg(Partial::from_bytes(Sum, &magic)),
        "argument `bytes`: not a serialized partial (the first 4 bytes are not `AEsp`)"
    );
    let mut version = bytes.clone();
    version[4] = 2;
    assert_eq!(
        msg(Partial::from_bytes(Sum, &version)),
        "argument `bytes`: partial format version 2, this build reads version 1"
    );
    let mut block = bytes.clone();
    block[10..14].copy_from_slice(&1024u32.to_le_bytes());
    assert_eq!(
        msg(Partial::from_bytes(Sum, &reseal(block))),
        "argument `bytes`: the partial was reduced in blocks of 1024 elements, this build uses 512"
    );
    let mut len = bytes.clone();
    len[22..30].copy_from_slice(&(9 * B as u64).to_le_bytes());
    assert_eq!(msg(Partial::from_bytes(Sum, &reseal(len))), "argument `bytes`: the partial's nodes (level, index) [(2, 0), (1, 2)] do not match elements 0..4608, whose nodes are [(3, 0), (0, 8)]");
    let mut count = bytes.clone();
    count[34..38].copy_from_slice(&4u32.to_le_bytes());
    assert_eq!(
        msg(Partial::from_bytes(Sum, &reseal(count))),
        "argument `bytes`: 4 nodes of 17 bytes need 68 bytes, found 34"
    );
}

#[test]
fn the_kernel_matched_by_shards_is_the_same_at_every_thread_count() {
    use array_expr::parallel::with_threads;
    let x = data_f32(2048 * B + 17, 12); // 4 MiB: up to 4 tasks of MIN_TASK_BYTES
    let parts = shard_partials(&x, Sum, &aligned_cuts(x.len(), &[3, 500, 1]), Align::Exact);
    let sharded = groupings(&parts, Sum, Align::Exact)[3].finish().unwrap().to_bits();
    for threads in [1, 2, 3, 4, 8] {
        assert_eq!(with_threads(threads, || sum_f32(&x).unwrap()).to_bits(), sharded, "{threads} threads");
    }
}
