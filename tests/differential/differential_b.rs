//! Differential testing of generated kernels, second half: see `differential.rs` for what is
//! tested and how; this crate holds the generated files of `generated_b.rs`, so the
//! two halves compile in parallel.
//!
//! Run one kernel with `cargo test --release -p array-expr-differential --test differential_b k300`.

// The support modules serve every generated kernel; which of their functions (and prelude
// imports) a given seed's kernels, or one half of them, call varies, so unused ones are not an
// error.
#![allow(dead_code, unused_imports)]

#[path = "data.rs"]
mod data;
#[path = "generated_b.rs"]
mod generated;
#[path = "ints.rs"]
mod ints;
#[path = "products.rs"]
mod products;
#[path = "reduce.rs"]
mod reduce;
#[path = "runner.rs"]
mod runner;
#[path = "values.rs"]
mod values;

mod prelude {
    pub(crate) use super::ints::*;
    pub(crate) use super::products::*;
    pub(crate) use super::reduce::*;
    pub(crate) use super::runner::run;
    pub(crate) use super::values::*;
    pub(crate) use array_expr::{array_expr, Array};
}
