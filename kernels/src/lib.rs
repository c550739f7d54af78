//! SIMD building blocks over `wide` for array-expr.
#![forbid(missing_docs)]
