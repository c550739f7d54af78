//! The error accumulator and the message catalogue: one constant or function per error class.
//! Messages are lowercase, have no final period, put names in backticks and say the fix.

use proc_macro2::{Ident, Span};

/// Collects every error of one invocation so they are reported together.
#[derive(Default)]
pub(crate) struct Errors {
    list: Vec<syn::Error>,
}

impl Errors {
    pub(crate) fn push(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.list.push(syn::Error::new(span, msg));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// `Err` with all errors combined when any was reported.
    pub(crate) fn propagate(&mut self) -> Result<(), syn::Error> {
        let mut it = std::mem::take(&mut self.list).into_iter();
        let Some(mut first) = it.next() else { return Ok(()) };
        for e in it {
            first.combine(e);
        }
        Err(first)
    }
}

pub(crate) const EMPTY_INPUT: &str =
    "expected a kernel (`fn name(x: f32[n]) -> f32[n] { ... }`) or an inline expression (`(x: f32[n]) => ...`)";
pub(crate) const MISSING_RETURN: &str =
    "a kernel must declare its result type, e.g. `-> f32[n, m]` or `-> f64` for a scalar, or end with an in-place update of a `mut` parameter (`x += ...`)";
pub(crate) const MISSING_RESULT: &str = "the body must end with the result expression";
pub(crate) const TRAILING_SEMICOLON: &str =
    "remove the `;` after the result expression: the last expression is the kernel's result";
pub(crate) const SHORT_CIRCUIT: &str = "`&&` and `||` do not apply to arrays; combine masks with `&` and `|`";
pub(crate) const EXPECTED_EXPR: &str = "expected an expression: an operand, a literal, a call or `(`";
pub(crate) const LITERAL_SUFFIX: &str =
    "literal suffixes are not allowed: literals adapt to the other operand's dtype; write a cast (`x as f64`) to change a dtype";
pub(crate) const BAD_LITERAL: &str = "only integer, float and `true`/`false` literals are allowed";
pub(crate) const BAD_POLICY: &str =
    "unknown promotion policy; write `#[promote(strict)]` or `#[promote(safe)]`";

pub(crate) const BAD_INDEX: &str =
    "inside an expression, indexing only takes `:` (keep an axis) and `newaxis` (insert one); slice the argument before the call";

pub(crate) const EMPTY_TUPLE: &str = "an empty tuple has no outputs; declare at least one";
pub(crate) const RESULT_AND_UPDATE: &str =
    "a kernel either returns a result (`-> type`) or updates a `mut` parameter in place, not both";

pub(crate) fn unknown_postfix(id: &Ident) -> String {
    format!("unknown postfix `.{id}`; `.T` (transpose) is the only one, functions are called as `{id}(x)`")
}

pub(crate) fn unknown_dtype(id: &Ident) -> String {
    format!("unknown dtype `{id}`; expected one of bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64")
}

pub(crate) fn unknown_named_arg(id: &Ident) -> String {
    format!("unknown argument `{id}`; reductions take `axis = k`, `axis = (i, j)` and `keepdims`")
}

/// A pass reading more arrays than the loop drivers take.
pub(crate) fn too_many_operands(count: usize, max: usize) -> String {
    format!(
        "this expression reads {count} arrays in one fused pass; a pass reads at most {max}: compute part of it in a separate kernel and pass the result in"
    )
}
