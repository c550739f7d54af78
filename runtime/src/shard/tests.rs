use super::*;
use array_expr_kernels::reduce::{block_partial, combine, SumF64};

/// The whole-array value as the kernels crate's tree over 512-element block partials.
fn oracle(x: &[f32]) -> f64 {
    let parts: Vec<f64> = x.chunks(BLOCK).map(|b| Sum.block(b)).collect();
    combine::<f32, _>(SumF64, &parts)
}

#[test]
fn nodes_fold_to_the_kernels_tree_for_every_split() {
    let x: Vec<f32> = (0..512 * 13 + 77).map(|i| ((i * 7919 % 1009) as f32 - 500.0) * 1e-3).collect();
    let whole = oracle(&x);
    for shard_blocks in [1usize, 2, 3, 5, 8, 13] {
        let mut p = Partial::new(Sum, 0);
        for (k, s) in x.chunks(shard_blocks * BLOCK).enumerate() {
            p.push((k * shard_blocks * BLOCK) as u64, s, Align::Exact).unwrap();
        }
        assert_eq!(p.fold().unwrap().0.to_bits(), whole.to_bits(), "shards of {shard_blocks} blocks");
        assert!(p.nodes.len() <= 4, "13 blocks and a tail: binary 1110 -> 3 nodes");
    }
    let block = block_partial(SumF64, &x[..BLOCK], 0);
    assert_eq!(Sum.block(&x[..BLOCK]), block);
}

#[test]
fn depth_counts_merges_on_the_deepest_path() {
    let x = vec![1.0f64; 5 * BLOCK];
    let p = Partial::of_shard(Sum, 0, &x, Align::Exact).unwrap();
    // blocks 0..4 in a subtree of level 2, block 4 alone: the root adds one merge
    assert_eq!(p.fold().map(|(_, d)| d), Some(3));
    let q = Partial::of_shard(Sum, 7, &x[..10], Align::Bounded).unwrap();
    assert_eq!(q.fold().map(|(_, d)| d), Some(0));
}
