// Rule: an axis appears once in a reduction.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n, m]) -> f32[n] {
        sum(x, axis = (1, -1))
    }
}
fn main() {}
