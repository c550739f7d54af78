// Rule: every dim of the result type is bound by an argument.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32[k] {
        x
    }
}
fn main() {}
