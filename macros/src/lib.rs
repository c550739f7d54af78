//! The `array_expr!` procedural macro.
//!
//! This crate holds only the macro; its runtime lives in `array-expr-runtime` and is reached
//! through `::array_expr::__private`. The full pipeline (parse, type, check, plan, emit) lands
//! with the macro issue; until then the entry point reports that the DSL is not available yet.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Compiles an array expression into a fused loop nest.
///
/// Placeholder until the macro front end lands: every invocation is a compile error that says so.
#[proc_macro]
pub fn array_expr(input: TokenStream) -> TokenStream {
    let _ = input;
    "::core::compile_error!(\"array_expr!: the expression compiler is not implemented yet\")"
        .parse()
        .unwrap_or_default()
}
