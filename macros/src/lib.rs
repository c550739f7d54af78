//! The `array_expr!` procedural macro: parse, type, check and emit fused array kernels.
//!
//! This crate holds only the macro; the code it generates calls `::array_expr::__private`.
//! See the `array-expr` crate for the grammar and the Numerics Contract.
#![forbid(unsafe_code)]
// The macro must not panic on any input: no unwrap, expect, panic or unchecked indexing.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod ast;
mod diag;
mod dtype;
mod emit;
mod expand;
mod explain;
mod fallback;
mod ir;
mod parse;
mod shape;
mod typeck;

#[cfg(test)]
mod tests;

/// Compiles array expressions into fused, shape- and dtype-checked loops.
///
/// See the `array-expr` crate documentation and README for the grammar.
#[proc_macro]
pub fn array_expr(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::expand(input.into()).into()
}
