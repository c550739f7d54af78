// Rule: reduction axes must exist.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n, m]) -> f32[n] {
        sum(x, axis = 2)
    }
}
fn main() {}
