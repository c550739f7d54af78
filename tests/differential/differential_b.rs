//! Differential testing of generated kernels, second half: see `differential.rs` for what is
//! tested and how; this crate holds the generated files of `generated_b.rs`, so the
//! two halves compile in parallel.
//!
//! Run one kernel with `cargo test --release -p array-expr-differential --test differential_b k300`.

// The support modules serve every generated kernel; which of their functions (and prelude
// imports) a given seed's kernels, or one half of them, call varies, so unused ones are not an
// error.
#![allow(dead_code, unused_imports)]

include!("common.rs");

#[path = "generated_b.rs"]
mod generated;
