//! Differential testing of generated kernels: a few hundred random, well-typed `array_expr!`
//! kernels (written by `tools/gen_kernels.py` with a fixed seed, committed) run on random data
//! in C, F, permuted, odd-offset, step-sliced, reversed, broadcast and mixed layouts, through the
//! allocating, `_into` and in-place forms, and every element is compared with a straightforward
//! reference evaluator (plain loops over indices). Besides single-output kernels the generator
//! writes kernels with several outputs (shared `let`s and reductions), `#[promote(safe)]`
//! kernels, `matmul`/`dot` with scalar factors and broadcast addends (alpha folding, beta = 1
//! pre-fill, epilogues), and inline `array_expr!((..) => ..)` expressions
//! (`tools/gen_forms.py`).
//!
//! Every case runs at 1, 2, 3 and 4 threads with the parallel split threshold lowered
//! (`parallel::with_min_task_work`), so the small test arrays really split; the results must
//! be bit-identical at every thread count (the Numerics Contract), and a kernel that made an
//! array long enough to split must have started a parallel region.
//!
//! The comparison is exact (bit for bit, up to the sign of zero) for integers, masks, indices,
//! `min`/`max` and every float result computed only with correctly rounded operations; float
//! results that depend on an approximated math function, a reduction or a matrix product are
//! compared within a bound propagated through the expression from each operation's documented
//! accuracy (see `differential/values.rs` and `differential/products.rs`). Elements the bound
//! cannot decide are counted and skipped; a kernel fails when more than half of its elements
//! are undecided.
//!
//! The kernels are split over two test crates that compile in parallel: this one holds the
//! first half of the generated files (`generated.rs`), `differential_b.rs` the second
//! (`generated_b.rs`); both share the support modules. They form their own workspace package,
//! `array-expr-differential`, which the release profile builds at opt-level 2 (the workspace
//! manifest says why): the kernels' results must not depend on the optimization level, and
//! every other test crate runs at opt-level 3.
//!
//! Run one kernel with `cargo test --release -p array-expr-differential --test differential k042`
//! (`--test differential_b` for the second half).

// The support modules serve every generated kernel; which of their functions (and prelude
// imports) a given seed's kernels, or one half of them, call varies, so unused ones are not an
// error.
#![allow(dead_code, unused_imports)]

include!("common.rs");

#[path = "generated.rs"]
mod generated;
