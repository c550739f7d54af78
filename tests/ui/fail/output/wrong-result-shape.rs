// Rule: the body's shape must equal the declared result shape.
use array_expr::array_expr;
array_expr! {
    fn f(x: f32[n, m], w: f32[m]) -> f32[n, m] {
        w * 2.0
    }
}
fn main() {}
