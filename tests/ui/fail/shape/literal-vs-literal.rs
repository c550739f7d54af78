// Rule: literal dims broadcast only when equal or 1.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n, 3], y: f32[4]) -> f32[n, 3] {
        x - y
    }
}
fn main() {}
