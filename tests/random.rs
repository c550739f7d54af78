//! Per-shard random streams: shards filled separately equal the whole-array draw bit for bit;
//! substreams own disjoint counter ranges; keyed streams have distinct keys.

use array_expr::{Array, ArrayViewMut, CounterRng, ErrorKind};
use std::collections::HashSet;

/// Shard bounds of uneven sizes (not tied to any block size).
const CUTS: [usize; 6] = [0, 1, 700, 701, 2500, 4099];

#[test]
fn uniform_shards_equal_the_whole_draw() {
    let whole32 = Array::<f32, 1>::random_uniform([4099], 11, -2.0, 3.0).to_vec();
    let whole64 = Array::<f64, 1>::random_uniform([4099], 11, -2.0, 3.0).to_vec();
    let rng = CounterRng::new(11);
    // shards generated last to first, as independent workers would
    for w in CUTS.windows(2).rev() {
        let (a, b) = (w[0], w[1]);
        let mut s32 = vec![0f32; b - a];
        rng.fill_uniform(a as u64, &mut ArrayViewMut::from_slice(&mut s32), -2.0, 3.0).unwrap();
        assert_eq!(s32, whole32[a..b]);
        let mut s64 = vec![0f64; b - a];
        rng.fill_uniform(a as u64, &mut ArrayViewMut::from_slice(&mut s64), -2.0, 3.0).unwrap();
        assert_eq!(s64, whole64[a..b]);
        assert!(s32.iter().all(|x| (-2.0..3.0).contains(x)));
    }
}

#[test]
fn normal_shards_of_rows_equal_the_whole_matrix() {
    let (rows, cols) = (97, 33);
    let whole = Array::<f32, 2>::random_normal([rows, cols], 5, 1.0, 2.0);
    let whole64 = Array::<f64, 2>::random_normal([rows, cols], 5, 1.0, 2.0);
    let rng = CounterRng::new(5);
    let mut joined = Vec::new();
    for (r0, r1) in [(0, 40), (40, 41), (41, 97)] {
        let mut shard = Array::<f32, 2>::zeros([r1 - r0, cols]);
        rng.fill_normal((r0 * cols) as u64, &mut shard.view_mut(), 1.0, 2.0).unwrap();
        joined.extend(shard.to_vec());
        let mut s64 = Array::<f64, 2>::zeros([r1 - r0, cols]);
        rng.fill_normal((r0 * cols) as u64, &mut s64.view_mut(), 1.0, 2.0).unwrap();
        assert_eq!(s64.to_vec(), whole64.to_vec()[r0 * cols..r1 * cols]);
    }
    assert_eq!(joined, whole.to_vec());
    let n = joined.len() as f64;
    let mean = joined.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = joined.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    assert!((mean - 1.0).abs() < 0.1 && (var - 4.0).abs() < 0.4, "mean {mean} var {var}");
}

#[test]
fn strided_views_are_filled_in_their_logical_c_order() {
    let whole = Array::<f64, 2>::random_uniform([6, 4], 3, 0.0, 1.0).to_vec();
    let mut m = Array::<f64, 2>::zeros([4, 6]);
    let mut t = m.view_mut().permute_axes([1, 0]).unwrap(); // shape [6, 4], F-order memory
    CounterRng::new(3).fill_uniform(0, &mut t, 0.0, 1.0).unwrap();
    for i in 0..6 {
        for j in 0..4 {
            assert_eq!(*t.get_mut([i, j]).unwrap(), whole[i * 4 + j]);
        }
    }
}

#[test]
fn substreams_own_disjoint_counter_ranges_of_their_seed() {
    let base = CounterRng::new(8);
    for id in [0u64, 1, 2, 1000, (1 << 24) - 1] {
        let s = CounterRng::substream(8, id).unwrap();
        for i in [0u64, 1, 12345, (1 << 40) - 1] {
            assert_eq!(s.next_u64_at(i), base.next_u64_at((id << 40) + i), "id {id} counter {i}");
        }
    }
    // uniform element i of substream 1 is element 2^40 + i of the seed's whole stream
    let mut a = vec![0f64; 50];
    CounterRng::substream(8, 1)
        .unwrap()
        .fill_uniform(0, &mut ArrayViewMut::from_slice(&mut a), 0.0, 1.0)
        .unwrap();
    let mut b = vec![0f64; 50];
    base.fill_uniform(1 << 40, &mut ArrayViewMut::from_slice(&mut b), 0.0, 1.0).unwrap();
    assert_eq!(a, b);
    let e = CounterRng::substream(8, 1 << 24).unwrap_err();
    assert_eq!((e.kind(), e.to_string()), (ErrorKind::InvalidArgument, "argument `id`: substream 16777216 does not exist; a seed has 16777216 substreams of 2^40 counters".to_string()));
}

#[test]
fn fills_past_a_substream_are_errors() {
    let s = CounterRng::substream(1, 4).unwrap();
    let mut v = vec![0f32; 20];
    let e = s.fill_uniform((1 << 40) - 10, &mut ArrayViewMut::from_slice(&mut v), 0.0, 1.0).unwrap_err();
    assert_eq!((e.kind(), e.to_string()), (ErrorKind::OutOfBounds, "argument `offset`: 20 uniform values from element 1099511627766 need counters up to 1099511627786, the stream has 1099511627776".to_string()));
    assert!(s.fill_uniform((1 << 40) - 20, &mut ArrayViewMut::from_slice(&mut v), 0.0, 1.0).is_ok());
    let e = s.fill_normal((1 << 33) - 1, &mut ArrayViewMut::from_slice(&mut v[..2]), 0.0, 1.0).unwrap_err();
    assert_eq!(e.to_string(), "argument `offset`: 2 normal values from element 8589934591 need counters up to 1099511627904, the stream has 1099511627776");
    // a whole stream has 2^64 counters
    let e = CounterRng::new(1)
        .fill_uniform(u64::MAX, &mut ArrayViewMut::from_slice(&mut v[..2]), 0.0, 1.0)
        .unwrap_err();
    assert!(e.to_string().ends_with("the stream has 18446744073709551616"), "{e}");
}

#[test]
fn keyed_streams_have_distinct_keys() {
    let firsts: HashSet<u64> =
        (0..10_000u64).map(|s| CounterRng::with_stream(42, s).next_u64_at(0)).collect();
    assert_eq!(firsts.len(), 10_000);
    assert!(!firsts.contains(&CounterRng::new(42).next_u64_at(0)));
    let mut a = vec![0f64; 1000];
    CounterRng::with_stream(42, 7).fill_normal(0, &mut ArrayViewMut::from_slice(&mut a), 0.0, 1.0).unwrap();
    let mut b = vec![0f64; 1000];
    CounterRng::with_stream(42, 7).fill_normal(0, &mut ArrayViewMut::from_slice(&mut b), 0.0, 1.0).unwrap();
    assert_eq!(a, b, "reproducible");
}
