// Rule: only the documented functions exist.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n]) -> f32[n] {
        erf(x)
    }
}
fn main() {}
