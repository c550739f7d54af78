// Rule: every name is a parameter or a `let`.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32[n] {
        x + y
    }
}
fn main() {}
